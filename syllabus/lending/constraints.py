"""A composite foreign key as a Django model constraint (LDL-15's database guard).

Django 5.2 has no composite foreign keys, but a ``Meta.constraints`` entry is emitted by the
schema editor both inline in ``CREATE TABLE`` (``constraint_sql``: SQLite, which cannot
``ALTER TABLE ... ADD CONSTRAINT``, rebuilds the table with every constraint of the model —
so the key also survives later SQLite table rebuilds) and as ``ALTER TABLE ... ADD
CONSTRAINT`` (``create_sql``: PostgreSQL).  Like Django's own foreign keys it is
``DEFERRABLE INITIALLY DEFERRED`` (checked at commit, so delete order inside a transaction
does not matter); referential *actions* such as ``ON UPDATE CASCADE`` still run at once.
"""
from __future__ import annotations

from django.db.models import BaseConstraint

ACTIONS = ("CASCADE", "RESTRICT", "NO ACTION")


class CompositeForeignKey(BaseConstraint):
    """``FOREIGN KEY (fields...) REFERENCES to (to_fields...)``; the referenced columns need a
    unique constraint of their own (same columns, same order)."""

    def __init__(self, *, fields, to: str, to_fields, name: str, on_update: str | None = None,
                 on_delete: str | None = None, deferrable: bool = True, violation_error_code=None,
                 violation_error_message=None):
        if len(fields) != len(to_fields) or len(fields) < 2:
            raise ValueError("CompositeForeignKey needs two or more fields and as many to_fields")
        for action in (on_update, on_delete):
            if action is not None and action not in ACTIONS:
                raise ValueError(f"unsupported referential action {action!r}")
        self.fields = tuple(fields)
        self.to = to
        self.to_fields = tuple(to_fields)
        self.on_update = on_update
        self.on_delete = on_delete
        self.deferrable = deferrable
        super().__init__(name=name, violation_error_code=violation_error_code,
                         violation_error_message=violation_error_message)

    # --- SQL ---------------------------------------------------------------------------------
    def _target(self, model):
        """The referenced model *of the same state* as ``model``: the historical one in a
        migration, never the current one (whose columns may have been renamed since)."""
        try:  # a model of a migration state, or of the app registry
            return model._meta.apps.get_model(self.to)
        except LookupError:
            pass
        # SQLite's table rebuild creates a copy of ``model`` in a private registry that holds
        # only the copy; its relation fields still point at models of the original state.
        for field in model._meta.fields:
            related = field.remote_field.model if field.remote_field else None
            if isinstance(related, type) and related._meta.apps is not model._meta.apps:
                try:
                    return related._meta.apps.get_model(self.to)
                except LookupError:
                    continue
        raise LookupError(f"{self.name}: cannot find {self.to} in the state of {model._meta.label}")

    def _definition(self, model, schema_editor) -> str:
        q = schema_editor.quote_name
        target = self._target(model)
        cols = ", ".join(q(model._meta.get_field(f).column) for f in self.fields)
        to_cols = ", ".join(q(target._meta.get_field(f).column) for f in self.to_fields)
        sql = f"FOREIGN KEY ({cols}) REFERENCES {q(target._meta.db_table)} ({to_cols})"
        if self.on_delete:
            sql += f" ON DELETE {self.on_delete}"
        if self.on_update:
            sql += f" ON UPDATE {self.on_update}"
        if self.deferrable:
            sql += " DEFERRABLE INITIALLY DEFERRED"
        return sql

    def constraint_sql(self, model, schema_editor):
        return f"CONSTRAINT {schema_editor.quote_name(self.name)} {self._definition(model, schema_editor)}"

    def create_sql(self, model, schema_editor):
        q = schema_editor.quote_name
        return f"ALTER TABLE {q(model._meta.db_table)} ADD {self.constraint_sql(model, schema_editor)}"

    def remove_sql(self, model, schema_editor):
        q = schema_editor.quote_name
        return f"ALTER TABLE {q(model._meta.db_table)} DROP CONSTRAINT {q(self.name)}"

    # --- Django ------------------------------------------------------------------------------
    def validate(self, model, instance, exclude=None, using=None):
        """Checked by the database only (like a plain foreign key's existence)."""

    def deconstruct(self):
        path, args, kwargs = super().deconstruct()
        path = "syllabus.lending.constraints.CompositeForeignKey"
        kwargs.update(fields=self.fields, to=self.to, to_fields=self.to_fields)
        if self.on_update:
            kwargs["on_update"] = self.on_update
        if self.on_delete:
            kwargs["on_delete"] = self.on_delete
        if not self.deferrable:
            kwargs["deferrable"] = False
        return path, args, kwargs

    def __eq__(self, other):
        if isinstance(other, CompositeForeignKey):
            return self.deconstruct() == other.deconstruct()
        return super().__eq__(other)

    def __hash__(self):
        return hash((self.name, self.fields, self.to, self.to_fields))

    def __repr__(self):
        return (f"<{self.__class__.__name__}: fields={self.fields!r} to={self.to!r} to_fields={self.to_fields!r} "
                f"name={self.name!r}>")

"""One audit-trail mechanism (ORG-6) used by every service that changes something that matters.

    audit.created(actor, course)
    changes = audit.update(actor, course, name="New name", term="2026S")   # saves + records
    audit.event(actor, lst, "sent", note="sent to library")
    audit.trail(course)   # newest first
"""
from __future__ import annotations

import datetime as dt
import decimal
import uuid
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from . import clock
from .models import AuditEntry


def _plain(value: Any) -> Any:
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, (decimal.Decimal, uuid.UUID)):
        return str(value)
    if isinstance(value, (list, tuple, set)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    return value


def _field_value(obj: models.Model, name: str) -> Any:
    field = obj._meta.get_field(name)
    if field.is_relation and field.many_to_one:
        return getattr(obj, field.attname)
    if field.is_relation:
        return getattr(obj, name)
    return field.value_from_object(obj)   # an encrypted secret no key opens reads "" here, never raises (SEC-KEY)


# Fields whose values never enter the audit trail, whatever the model: a secret copied there
# outlives its rotation and is read by whoever reads the trail (a database dump, a report).  The
# trail says that the field was set or changed, not to what (session 17: an OpenID client secret,
# the SAML and LTI private keys, an ILL partner's shared secret, a password hash, a delivery
# link's token were all written there in full when their row was created).
SECRET_FIELDS = frozenset({"token_hash", "access_token_hash", "password", "client_secret", "private_key_pem", "auth_value", "access_token", "id_token",
                           "digest", "session_key"})
HIDDEN = "(secret)"


def _hidden(value: Any) -> Any:
    return value if value in (None, "") else HIDDEN


def _without_secrets(changes: dict) -> dict:
    """``changes`` (``{field: [old, new]}`` or ``{field: value}``) with every secret field's value
    replaced by ``(secret)`` — an empty value stays empty, so "set", "cleared" and "changed" still read."""
    out = {}
    for name, value in changes.items():
        if name in SECRET_FIELDS:
            value = [_hidden(v) for v in value] if isinstance(value, (list, tuple)) else _hidden(value)
        out[name] = value
    return out


def entry(actor, obj: models.Model, action: str, note: str = "", changes: dict | None = None) -> AuditEntry:
    """An unsaved audit entry — for a service that writes several at once (:func:`save_all`).
    Every way into the trail passes here: a secret field's value is never written (``SECRET_FIELDS``)."""
    return AuditEntry(
        actor=actor if (actor is not None and getattr(actor, "pk", None)) else None,
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False),
        object_id=str(obj.pk),
        object_repr=str(obj)[:300],
        action=action,
        changes=_without_secrets(_plain(changes or {})),
        note=note,
    )


def save_all(entries: list[AuditEntry]) -> None:
    """Write the entries made by :func:`entry` with one INSERT (in their order)."""
    if entries:
        AuditEntry.objects.bulk_create(entries)


def _record(actor, obj: models.Model, action: str, changes: dict | None = None, note: str = "") -> AuditEntry:
    e = entry(actor, obj, action, note, changes)
    e.save()
    return e


def created(actor, obj: models.Model, note: str = "") -> AuditEntry:
    fields = {
        f.name: [None, _plain(_field_value(obj, f.name))]
        for f in obj._meta.concrete_fields
        if not f.primary_key and _field_value(obj, f.name) not in (None, "", [], {})
    }
    return _record(actor, obj, "created", fields, note)


def update(actor, obj: models.Model, note: str = "", **values: Any) -> dict:
    """Set ``values`` on ``obj``, save the fields that changed, and record old → new.

    Returns the changes ``{field: [old, new]}`` (empty when nothing changed: nothing saved)."""
    changes: dict[str, list] = {}
    for name, new in values.items():
        old = _field_value(obj, name) if not obj._meta.get_field(name).is_relation else getattr(obj, obj._meta.get_field(name).attname)
        new_plain = new.pk if isinstance(new, models.Model) else new
        if _plain(old) != _plain(new_plain):
            changes[name] = [old, new_plain]
            setattr(obj, name, new)
    if changes:
        obj.save(update_fields=[obj._meta.get_field(n).attname if obj._meta.get_field(n).is_relation else n for n in changes]
                 + (["updated_at"] if any(f.name == "updated_at" for f in obj._meta.concrete_fields) else []))
        _record(actor, obj, "updated", changes, note)
    return _plain(changes)


def changed(actor, obj: models.Model, changes: dict, note: str = "") -> AuditEntry:
    """Record changes a service has already applied (``{field: [old, new]}``)."""
    return _record(actor, obj, "updated", changes, note)


def event(actor, obj: models.Model, action: str, note: str = "", changes: dict | None = None) -> AuditEntry:
    """Record a named step (``sent``, ``approved``, ``cancelled``...)."""
    return _record(actor, obj, action, changes, note)


def deleted(actor, obj: models.Model, note: str = "") -> AuditEntry:
    return _record(actor, obj, "deleted", {}, note)


def trail(obj: models.Model):
    """The audit entries of ``obj``, newest first."""
    return AuditEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(obj, for_concrete_model=False), object_id=str(obj.pk)
    ).select_related("actor")


def many(actor, entries, *, batch_size: int = 2000) -> int:
    """Record many entries at once (bulk loaders): ``entries`` yields ``(obj, action, changes, note)``
    or ``(model, object_id, object_repr, action, changes, note)`` when no instance is at hand."""
    actor = actor if (actor is not None and getattr(actor, "pk", None)) else None
    at = clock.now()
    types: dict = {}
    rows = []
    for entry in entries:
        if len(entry) == 4:
            obj, action, changes, note = entry
            model, object_id, object_repr = type(obj), obj.pk, str(obj)
        else:
            model, object_id, object_repr, action, changes, note = entry
        ct = types.get(model)
        if ct is None:
            ct = types[model] = ContentType.objects.get_for_model(model, for_concrete_model=False)
        rows.append(AuditEntry(at=at, actor=actor, content_type=ct, object_id=str(object_id), object_repr=str(object_repr)[:300],
                               action=action, changes=_without_secrets(_plain(changes or {})), note=note or ""))
    AuditEntry.objects.bulk_create(rows, batch_size=batch_size)
    return len(rows)

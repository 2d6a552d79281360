"""Configuration parameters (ORG-4): declared in code, resolved library → institution →
consortium → default, the nearest explicit value winning.

    from syllabus.org import config
    config.declare("max_upload_mb_instructor", int, 20, "Largest file an instructor may upload (MB)")
    config.get("max_upload_mb_instructor", library=lib)   # or institution=inst / consortium=c

Each app declares its parameters in ``<app>/params.py`` (loaded at start-up).
"""
from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from asgiref.local import Local
from django.core.signals import request_finished, request_started
from django.db.models.signals import post_delete, post_save

from syllabus.core.errors import RuleViolation
from syllabus.core.prepared import Prepared
from syllabus.core.registry import Hooks


@dataclass(frozen=True)
class Param:
    key: str
    type: type
    default: Any
    description: str
    choices: tuple = field(default_factory=tuple)

    def coerce(self, value: Any) -> Any:
        """Turn a stored/entered value into the declared type, or raise ORG-4."""
        try:
            if value is None:
                return None
            if self.type is bool:
                if isinstance(value, str):
                    lowered = value.strip().lower()
                    if lowered in {"1", "true", "yes", "on"}:
                        return True
                    if lowered in {"0", "false", "no", "off"}:
                        return False
                    raise ValueError(value)
                return bool(value)
            if self.type is list:
                if isinstance(value, str):
                    return [v.strip() for v in value.split(",") if v.strip()]
                return list(value)
            coerced = self.type(value)
        except (TypeError, ValueError):
            raise RuleViolation("ORG-4", f"{self.key} must be a {self.type.__name__}, not {value!r}")
        if self.choices and coerced not in self.choices:
            raise RuleViolation("ORG-4", f"{self.key} must be one of {', '.join(map(str, self.choices))}")
        return coerced


REGISTRY: dict[str, Param] = {}

#: CON-1: checks run before a member (institution or library) value is set: ``guard(key, institution)``
#: raises to refuse it (the consortium app registers "the consortium locked this setting").
OVERRIDE_GUARDS: Hooks[Callable] = Hooks()
register_override_guard = OVERRIDE_GUARDS.register


def declare(key: str, type_: type, default: Any, description: str, choices: tuple | list = ()) -> Param:
    param = Param(key, type_, default, description, tuple(choices))
    REGISTRY[key] = param
    return param


def param(key: str) -> Param:
    try:
        return REGISTRY[key]
    except KeyError:
        raise RuleViolation("ORG-4", f"unknown configuration parameter {key!r}") from None


def _levels(library=None, institution=None, consortium=None) -> list[tuple[str, int]]:
    if library is not None:
        institution = institution or library.institution
    # the consortium's id is on the institution's row: never a query for the consortium itself
    consortium_id = consortium.pk if consortium is not None else getattr(institution, "consortium_id", None)
    levels = []
    if library is not None:
        levels.append(("library_id", library.pk))
    if institution is not None:
        levels.append(("institution_id", institution.pk))
    if consortium_id is not None:
        levels.append(("consortium_id", consortium_id))
    return levels


# --- one read per request ----------------------------------------------------------------------
# A page asks for configuration several times (the language middleware, the page's own settings,
# each item-access provider): during a request, the values of a set of levels are read once, all
# keys together, and kept until the request ends (issue 19: three queries of the student view
# became one).  Outside a request (commands, timers, tests between requests) nothing is kept;
# any change of a value empties the memo at once, so a request that sets a value reads it back.
_scope = Local()


def _start_request(**kwargs) -> None:
    _scope.memo = {}


def _end_request(**kwargs) -> None:
    _scope.memo = None


def _value_changed(**kwargs) -> None:
    if getattr(_scope, "memo", None) is not None:
        _scope.memo = {}


@contextmanager
def read_once() -> Iterator[None]:
    """Outside a request — a timer's slice, a command — what a request does: the values of each
    set of levels read once (one query, all keys) for the block and dropped at its end; a change
    of a value inside the block empties them at once, as in a request.  Inside a request (or an
    enclosing block) nothing changes: its memo already does this.  For work that asks the same
    institution's configuration again for each of many rows (a background list import: the
    citation style, the initial status — LST-9, session 20), never a process-wide cache."""
    if getattr(_scope, "memo", None) is not None:
        yield
        return
    _scope.memo = {}
    try:
        yield
    finally:
        _scope.memo = None


request_started.connect(_start_request, dispatch_uid="org-config-memo-start")
request_finished.connect(_end_request, dispatch_uid="org-config-memo-end")
post_save.connect(_value_changed, sender="org.ConfigValue", dispatch_uid="org-config-memo-save")
post_delete.connect(_value_changed, sender="org.ConfigValue", dispatch_uid="org-config-memo-delete")


def _found(levels: list[tuple[str, int]], keys) -> dict[str, dict[str, Any]]:
    """``{key: {level: stored value}}`` for ``keys`` at ``levels`` — from the request's memo of
    every value of those levels (one query per request), else one query for those keys."""
    from django.db.models import Q

    from .models import ConfigValue

    memo = getattr(_scope, "memo", None)
    if memo is None:
        q = Q()
        for column, pk in levels:
            q |= Q(**{column: pk})
        rows = ConfigValue.objects.filter(q, key__in=list(keys))
        found: dict[str, dict[str, Any]] = {}
        for v in rows:
            found.setdefault(v.key, {})[v.level] = v.value
        return found
    mark = tuple(levels)
    every: dict[str, dict[str, Any]] | None = memo.get(mark)
    if every is None:
        every = {}
        # compiled once per process, prepared once per PostgreSQL connection (issue 19: every
        # page of a signed-in person runs it; building it with the ORM cost more than running it)
        prepared, shape, values = every_read(mark)
        for v in prepared.fetch(ConfigValue.objects.db, shape, values):
            every.setdefault(v.key, {})[v.level] = v.value
        memo[mark] = every
        for hook in MARK_READ:
            hook(mark)
    return {k: every[k] for k in keys if k in every}


#: ``hook(mark)`` called when a request's memo of a set of levels (``mark``: ``((column, pk),
#: …)``) was read by a query of its own (org.backends: what to read with the session next time)
MARK_READ: list[Callable[[tuple], None]] = []


def every_read(mark: tuple) -> tuple[Prepared, tuple, dict[str, Any]]:
    """The prepared read of every value of the levels ``mark`` (for ``Prepared.fetch``)."""
    shape = tuple(column for column, _pk in mark)
    return _EVERY, shape, {"columns": shape, **dict(mark)}


def keep_read(mark: tuple, rows) -> None:
    """Fill the request's memo of ``mark`` with ``rows`` (every value of its levels, read by
    :func:`every_read` in this request — with the session, org.backends); nothing outside a
    request or when the memo already has it."""
    memo = getattr(_scope, "memo", None)
    if memo is None or mark in memo:
        return
    every: dict[str, dict[str, Any]] = {}
    for v in rows:
        every.setdefault(v.key, {})[v.level] = v.value
    memo[mark] = every


def _every_build(values: dict[str, Any]):
    """Every value of a set of levels (``values["columns"]``, each column's marker in ``values``)."""
    from django.db.models import Q

    from .models import ConfigValue

    q = Q()
    for column in values["columns"]:
        q |= Q(**{column: values[column]})
    return ConfigValue.objects.filter(q)


_EVERY = Prepared(_every_build, prefix="cfg")


def resolve(key: str, *, library=None, institution=None, consortium=None) -> tuple[Any, str]:
    """The value of ``key`` and the level it came from (library/institution/consortium/default)."""
    p = param(key)
    levels = _levels(library, institution, consortium)
    if levels:
        found = _found(levels, [key]).get(key, {})
        for column, _pk in levels:
            level = column.removesuffix("_id")
            if level in found:
                return p.coerce(found[level]), level
    return p.default, "default"


def get_many(keys, *, library=None, institution=None, consortium=None) -> dict[str, Any]:
    """Several parameters resolved at once (one query): ``{key: value}``, as :func:`get` would give."""
    params = {k: param(k) for k in keys}
    out = {k: p.default for k, p in params.items()}
    levels = _levels(library, institution, consortium)
    if not levels or not params:
        return out
    found = _found(levels, params)
    for k, p in params.items():
        for column, _pk in levels:
            level = column.removesuffix("_id")
            if level in found.get(k, {}):
                out[k] = p.coerce(found[k][level])
                break
    return out


def digest(*, institution) -> str:
    """One text that differs whenever any value in force at ``institution`` differs (a cache
    key's part: lists.views.config_digest).  In a request, made from the values *stored* at its
    levels — read once per request, as :func:`get_many` reads them — and the registry's defaults
    (with the coercions, which are code, they decide every value): ~10 µs instead of resolving
    every parameter (~80 µs, issue 19 session 12).  Outside a request, every value resolved."""
    levels = _levels(None, institution, None)
    memo = getattr(_scope, "memo", None)
    if memo is None or not levels:
        return repr(sorted(get_many(sorted(REGISTRY), institution=institution).items()))
    _found(levels, ())   # (fills the request's memo of these levels)
    every = memo[tuple(levels)]
    return repr((_defaults(), tuple(levels), sorted((k, sorted(v.items())) for k, v in every.items())))


_DEFAULTS: dict[int, str] = {}


def _defaults() -> str:
    n = len(REGISTRY)
    if n not in _DEFAULTS:
        _DEFAULTS.clear()
        _DEFAULTS[n] = repr(sorted((k, p.default) for k, p in REGISTRY.items()))
    return _DEFAULTS[n]


def get(key: str, *, library=None, institution=None, consortium=None) -> Any:
    return resolve(key, library=library, institution=institution, consortium=consortium)[0]


def set_value(key: str, value: Any, *, actor=None, library=None, institution=None, consortium=None):
    """Set an explicit value at exactly one level (audited).  ``None`` removes it."""
    owners = {"library": library, "institution": institution, "consortium": consortium}
    chosen = {k: v for k, v in owners.items() if v is not None}
    if len(chosen) != 1:
        raise RuleViolation("ORG-4", "a configuration value belongs to exactly one level")
    p = param(key)
    if consortium is None and value is not None:
        member = institution if institution is not None else library.institution
        for guard in OVERRIDE_GUARDS:
            guard(key, member)
    try:
        return _store(actor, key, p, value, chosen)
    finally:
        _value_changed()  # the request that changed it reads the new value


def _store(actor, key: str, p: Param, value: Any, chosen: dict):
    from django.db import transaction

    from syllabus.core import audit

    from .models import ConfigValue

    with transaction.atomic():
        existing = ConfigValue.objects.filter(key=key, **chosen).first()
        if value is None:
            if existing:
                audit.deleted(actor, existing)
                existing.delete()
            return None
        coerced = p.coerce(value)
        if existing:
            audit.update(actor, existing, value=coerced)
            return existing
        cv = ConfigValue.objects.create(key=key, value=coerced, **chosen)
        audit.created(actor, cv)
        return cv


def effective(*, library=None, institution=None, consortium=None) -> list[dict]:
    """Every declared parameter with its resolved value and source level (for API and admin)."""
    rows = []
    for key in sorted(REGISTRY):
        p = REGISTRY[key]
        value, source = resolve(key, library=library, institution=institution, consortium=consortium)
        rows.append({"key": key, "value": value, "source": source, "type": p.type.__name__,
                     "default": p.default, "description": p.description})
    return rows

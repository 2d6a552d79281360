"""Where each item of a list leads (SRV-1, SRV-5, DSV-6): the ``access`` of a citation, put
together by the apps that know — physical copies and e-resources (catalog, through the
circulation app), delivered scans (fulfillment), long-term digital loans (lending), holds and
personal copies (circulation).  The lists app only gathers the parts; it knows none of them.

A provider is called **once per page** with every citation shown, and answers in a constant
number of queries::

    from syllabus.lists.item_access import register

    def scans(user, citations) -> dict[int, dict]:
        ...   # {citation_id: {"online": [...]}}
    register("scans", scans, order=30)

Parts merge per citation: lists are concatenated (``physical``, ``online``), other keys are
set (the first provider to set one wins).  Providers live in ``<app>/item_access.py``
(discovered on first use).  What a provider returns must be the same for every person who
sees the list; what belongs to one person (their hold, their place in a queue, their done
mark) goes under ``"mine"`` — pages render that part separately, outside any shared cache.

**Stamps** (issue 19): a provider may also declare ``stamp(user) -> Stamp | None``: scalar SQL
expressions on the list's row, built by ``Stamp.columns(values)`` from ``values["user_id"]``
and ``values["now"]`` only (the query is compiled once per process: core.prepared) (``OuterRef("pk")`` is the list: see :func:`list_citations`,
:func:`list_records`, :func:`signature`) whose values change whenever what the provider returns
for that list's items — apart from ``mine`` — changes, plus an in-process ``extra`` (its
configuration, today's date).  The student view reads every stamp in the list's own query and
finds its cached page by them without loading the items or their access.  A stamp must cover
*every* input of the shared part: a change it misses would show a stale page.  The tables that
database triggers watch (lists.changes: the records' copies, e-resources, representations and
their loan settings, libraries, the items' personal copies and digitization requests, the
list's courses) are in the list's change stamp, read with every list: a provider's columns
need not read them again — only what no trigger keeps (lending's requests in use, a due timer).  ``None``: no
stamp for this user (the page is then computed the full way).  With a stamp, a provider also
declares ``mine_exists(values)`` (an ``Exists`` on the list's row for reader
``values["user_id"]``: do they have anything of their own here?) and ``mine(user, citations)`` (``{citation_id: mine part}``), read only
when it says so.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.db import models
from django.db.models import Aggregate, F, Func, OuterRef, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils.module_loading import autodiscover_modules

LIST_KEYS = ("physical", "online")


@dataclass(frozen=True)
class Stamp:
    """What a provider's shared part of a list's items is a function of (see the module doc):
    ``columns(values)`` — ``{name: scalar expression on the list's row}``, read in the list's
    query, for the reader ``values["user_id"]`` at ``values["now"]`` and nothing else;
    ``extra`` — anything hashable known in the process (configuration, today);
    ``fresh`` — names of boolean ``columns`` that must be false for the stamp to hold (e.g. a
    timer is due: the full computation applies it first)."""
    columns: Callable[[dict], dict[str, Any]] = lambda values: {}
    extra: Any = None
    fresh: tuple[str, ...] = ()


@dataclass(frozen=True)
class Provider:
    name: str
    fn: Callable  # (user, citations) -> {citation_id: dict}
    order: int = 50
    stamp: Callable | None = None        # (user) -> Stamp | None
    mine_exists: Callable | None = None  # (values) -> Exists on the list's row for values["user_id"]
    mine: Callable | None = None         # (user, citations) -> {citation_id: mine part}
    watches: tuple = ()                   # lists.changes.Watch of the tables its shared part reads


PROVIDERS: dict[str, Provider] = {}
_loaded = False


def register(name: str, fn: Callable, *, order: int = 50, stamp: Callable | None = None,
             mine_exists: Callable | None = None, mine: Callable | None = None, watches: tuple = ()) -> Provider:
    provider = Provider(name, fn, order, stamp, mine_exists, mine, tuple(watches))
    PROVIDERS[name] = provider
    return provider


def providers() -> list[Provider]:
    global _loaded
    if not _loaded:
        autodiscover_modules("item_access")
        _loaded = True
    return sorted(PROVIDERS.values(), key=lambda p: (p.order, p.name))


def empty() -> dict:
    return {"physical": [], "online": [], "mine": {}}


def access_for(user, citations) -> dict[int, dict]:
    """``{citation_id: access}`` for every citation, each provider called once."""
    citations = list(citations)
    out = {c.pk: empty() for c in citations}
    if not citations:
        return out
    for provider in providers():
        for pk, part in (provider.fn(user, citations) or {}).items():
            target = out.get(pk)
            if target is None:
                continue
            for key, value in part.items():
                if key in LIST_KEYS:
                    target[key].extend(value)
                elif key == "mine":
                    target["mine"].update(value)
                else:
                    target.setdefault(key, value)
    return out


def attach(user, citations) -> None:
    """Set ``citation.item_access`` on each citation (pages)."""
    citations = list(citations)
    found = access_for(user, citations)
    for c in citations:
        c.item_access = found.get(c.pk) or empty()


# --- stamps (issue 19) ----------------------------------------------------------------------


def list_citations():
    """The items of the list, for ``citation__in`` in a stamp's queryset (a subquery of a
    subquery of the list's query: the list is ``OuterRef(OuterRef("pk"))``; a stamp's queryset
    that joins instead refers to the list as ``OuterRef("pk")``)."""
    from .models import Citation

    return Citation.objects.filter(resource_list_id=OuterRef(OuterRef("pk")))


def list_records():
    """The catalog records of the list's items, for ``record_id__in`` in a stamp's queryset."""
    return list_citations().filter(record_id__isnull=False).values("record_id")


class _Signature(Aggregate):
    """Every row's text joined (PostgreSQL: in ``order`` order), NULL for no row."""
    output_field = models.TextField()

    def __init__(self, text, order, **extra):
        super().__init__(text, order, **extra)

    def as_sql(self, compiler, connection, **extra_context):
        text, order = self.get_source_expressions()[:2]
        sql, params = compiler.compile(text)
        if connection.vendor == "postgresql":
            order_sql, order_params = compiler.compile(order)
            return f"STRING_AGG(({sql})::text, '|' ORDER BY {order_sql})", (*params, *order_params)
        return f"GROUP_CONCAT({sql}, '|')", tuple(params)


class _RowText(Func):
    """The row's ``fields`` as one text that no other values give: each one's length, then the
    value (``-1`` for NULL) — flat SQL (SQLite's parser refuses deeply nested ``||``)."""
    output_field = models.TextField()

    def as_sql(self, compiler, connection, **extra_context):
        parts, params = [], []
        for expr in self.get_source_expressions():
            sql, p = compiler.compile(expr)
            text = f"({sql})::text" if connection.vendor == "postgresql" else f"CAST({sql} AS TEXT)"
            length = f"COALESCE(LENGTH({text}), -1)" + ("::text" if connection.vendor == "postgresql" else "")
            parts.append(f"{length} || ':' || COALESCE({text}, '')")
            params += [*p, *p]
        return "(" + " || ';' || ".join(parts) + ")", params


def signature(queryset, *fields: str):
    """A scalar subquery: ``fields`` of every row of ``queryset`` (which may refer to the list's
    row by ``OuterRef``), one text value that changes whenever any of them, or the set of rows,
    does."""
    text = _RowText(*(F(name) for name in ("pk", *fields)))
    qs = (queryset.order_by().annotate(_one=Value(1, output_field=models.IntegerField())).values("_one")
          .annotate(sig=_Signature(text, F("pk"))).values("sig"))
    return Coalesce(Subquery(qs, output_field=models.TextField()), Value(""), output_field=models.TextField())


def stamps(user) -> tuple[Callable[[dict], dict[str, Any]], tuple, tuple] | None:
    """The stamps of every provider for ``user``: ``(columns, parts, shape)`` — ``columns(values)``
    builds every provider's columns, named ``stamp_<provider>_<name>``, and ``mine_<provider>``;
    ``parts`` is ``[(provider, extra, fresh columns)]``; ``shape`` names the providers (the
    columns depend on nothing else).  ``None`` when one provider has no stamp for ``user``."""
    found = []
    for provider in providers():
        if provider.stamp is None:
            return None
        stamp = provider.stamp(user)
        if stamp is None:
            return None
        found.append((provider, stamp))

    def columns(values: dict) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for provider, stamp in found:
            for name, expr in stamp.columns(values).items():
                out[f"stamp_{provider.name}_{name}"] = expr
            if provider.mine_exists is not None:
                out[f"mine_{provider.name}"] = provider.mine_exists(values)
        return out

    parts = tuple((p.name, stamp.extra, tuple(f"stamp_{p.name}_{f}" for f in stamp.fresh)) for p, stamp in found)
    return columns, parts, tuple(p.name for p, _stamp in found)


def stamp_values(row, parts) -> tuple | None:
    """The stamp read with ``row`` (the list, annotated with :func:`stamps`' columns), as a
    hashable; ``None`` when one of them says it does not hold now."""
    found: dict[str, Any] = {}
    for k, v in vars(row).items():   # (one pass over the row's attributes, not one per provider)
        if k.startswith("stamp_"):
            found[k] = v
    out = []
    for name, extra, fresh in parts:
        if any(getattr(row, f) for f in fresh):
            return None
        prefix = f"stamp_{name}_"
        out.append((name, extra, tuple(sorted((k, v) for k, v in found.items() if k.startswith(prefix)))))
    return tuple(out)


def attach_mine(user, row, citations) -> None:
    """Set ``citation.item_access`` to the reader's own part only (a page whose shared part
    comes from the cache): each provider that has something of this reader's on the list
    (``mine_<provider>`` read with the list) is asked for it."""
    citations = list(citations)
    mine: dict[int, dict] = {c.pk: {} for c in citations}
    for provider in providers():
        if provider.mine is None or not getattr(row, f"mine_{provider.name}", False):
            continue
        for pk, part in (provider.mine(user, citations) or {}).items():
            if pk in mine:
                mine[pk].update(part)
    for c in citations:
        c.item_access = {"physical": [], "online": [], "mine": mine[c.pk]}

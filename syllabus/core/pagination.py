"""The one way API lists page: ``?limit=&offset=`` in, ``{"items", "count", "next"}`` out.

Every list endpoint takes ``page: PageQuery`` and returns ``paginate(request, rows, page,
serialize)``; its response schema is ``Page(ItemSchema)`` (``Page(ItemSchema, facets=dict)``
adds members that describe the whole result, such as facets or tab counts)::

    @router.get("/courses", response={200: Page(CourseOut)}, operation_id="listCourses")
    def search(request, page: PageQuery, q: str = ""):
        return paginate(request, selectors.search_courses(request.user, q), page, course_out)

``limit`` is 1..``API_MAX_LIMIT`` (default 50), ``offset`` 0..``API_MAX_OFFSET``: anything
else is a 422 naming the parameter.  ``count`` is the size of the whole result; ``next`` is
the absolute URL of the next page, or ``null`` on the last one.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from ninja import Field, Query, Schema
from pydantic import create_model

DEFAULT_LIMIT = 50
MAX_LIMIT: int = getattr(settings, "API_MAX_LIMIT", 200)
MAX_OFFSET: int = getattr(settings, "API_MAX_OFFSET", 100_000)


class PageParams(Schema):
    limit: int = Field(DEFAULT_LIMIT, ge=1, le=MAX_LIMIT, description=f"items per page (1..{MAX_LIMIT})")
    offset: int = Field(0, ge=0, le=MAX_OFFSET, description=f"items to skip (0..{MAX_OFFSET})")


PageQuery = Query[PageParams]

_PAGES: dict[tuple, type[Schema]] = {}
_NAMES: dict[str, tuple] = {}


def Page(item: type, name: str | None = None, **extra: Any) -> type[Schema]:  # noqa: N802 - reads like a type
    """The response schema of a page of ``item`` (one class per item schema and extras)."""
    key = (item, name, tuple(sorted((k, repr(v)) for k, v in extra.items())))
    if key not in _PAGES:
        base = getattr(item, "__name__", "Item")
        model_name = name or (base[:-3] if base.endswith("Out") else base) + "Page"
        fields: dict[str, Any] = {
            "items": (list[item], ...),  # type: ignore[valid-type]  # built at run time
            "count": (int, Field(..., description="number of items in the whole result")),
            "next": (str | None, Field(..., description="URL of the next page; null on the last page")),
        }
        for member, annotation in extra.items():
            fields[member] = (annotation, ...)
        if _NAMES.setdefault(model_name, key) != key:
            raise TypeError(f"two different page schemas would both be named {model_name}: pass name=")
        _PAGES[key] = create_model(model_name, __base__=Schema, __module__=item.__module__, **fields)
    return _PAGES[key]


def _next_url(request, offset: int, limit: int, count: int) -> str | None:
    if offset + limit >= count:
        return None
    query = request.GET.copy()
    query["offset"] = str(offset + limit)
    query["limit"] = str(limit)
    return request.build_absolute_uri(f"{request.path}?{query.urlencode()}")


def paginate(request, rows: QuerySet | Sequence | Iterable, page: PageParams,
             serialize: Callable[[Any], Any] | None = None, *, count: int | None = None,
             prepare: Callable[[list], list] | None = None, **extra: Any) -> dict[str, Any]:
    """One page of ``rows`` (a queryset is sliced in the database), serialized item by item.

    ``count``: when the caller has already fetched just this page (a search engine does), the size
    of the whole result; ``rows`` is then the page itself.  ``prepare`` runs on the page's rows
    before ``serialize`` (to attach what is computed per page).  ``extra`` members are added."""
    offset, limit = page.offset, page.limit
    if count is not None:
        total, chunk = count, list(rows)[:limit]
    elif isinstance(rows, QuerySet):
        total = rows.count()
        chunk = list(rows[offset:offset + limit]) if offset < total else []
    else:
        rows = rows if isinstance(rows, Sequence) else list(rows)
        total = len(rows)
        chunk = list(rows[offset:offset + limit])
    if prepare is not None:
        chunk = prepare(chunk)
    items = [serialize(r) for r in chunk] if serialize else chunk
    return {"items": items, "count": total, "next": _next_url(request, offset, limit, total), **extra}

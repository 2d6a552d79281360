"""Paged pages: one way to read which page is asked for and to cut a list into pages.

Every paged page calls :func:`page_of` (or :func:`read_page` when its selector pages in
the database itself, as the roster and the hold queue do) and shows the links with the ``{% pager %}``
tag (``web_tags``), which keeps the page's search and filters in the Previous/Next links.  A page
number that is not a number opens the first page; one past the end opens the last; the number is
bounded (``MAX_PAGE``) like every numeric input.  The API pages its own way (limit/offset with
``count`` and ``next``: ``syllabus.core.pagination``, the API's one way).
"""
from __future__ import annotations

from collections.abc import Callable, Sequence

from django.core.paginator import Page, Paginator
from django.db.models import QuerySet
from django.http import HttpRequest

MAX_PAGE = 10_000


def number(request: HttpRequest) -> int:
    """The page number asked for (``?page=``; a POST's ``page`` field for pages that post back their
    filters), 1 when it is missing or not a number, at most :data:`MAX_PAGE`."""
    return parse(request.GET.get("page") or request.POST.get("page"))


def parse(raw: str | None) -> int:
    """A page number as sent (a link's query kept by an htmx answer, say): 1 when missing or not a
    number, at most :data:`MAX_PAGE`."""
    try:
        return max(1, min(int(raw or 1), MAX_PAGE))
    except (TypeError, ValueError):
        return 1


def page_of(request: HttpRequest, items: QuerySet | Sequence, per_page: int) -> Page:
    """The page of ``items`` the request asks for (the last page when it asks past the end)."""
    return Paginator(items, per_page).get_page(number(request))


def read_page(request: HttpRequest, per_page: int, read: Callable[..., tuple[list, int]]) -> tuple[Page, list]:
    """For a selector that pages in the database itself, ``read(limit=, offset=) -> (rows, total)``:
    the page (for the links) and its rows; a number past the end reads the last page."""
    asked = number(request)
    rows, total = read(limit=per_page, offset=(asked - 1) * per_page)
    page = Paginator(range(total), per_page).get_page(asked)
    if page.number != asked and total:
        rows, _ = read(limit=per_page, offset=(page.number - 1) * per_page)
    return page, rows

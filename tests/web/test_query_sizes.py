"""The pages bound what their URL brings too (the "never a 500" audit of session 10).

A page reads its query by hand (``request.GET.get("q")``), so the URL map is walked: every page —
the apps' and Django's admin — is opened as each kind of person (a superuser, a librarian, a
student) with

- every query parameter its views' module reads, one character over the pages' ceiling and at
  100,000 characters → a refusal naming ``WEB-QUERY`` and the parameter (400), before the view;
- the same parameters at the ceiling, as a 20-digit number (more than a bigint holds) and as -1 →
  whatever the page answers, never a 500;
- every id of its path as a 20-digit number → 404 (``<id:...>`` is 1..2^63−1), never a 500.

Nothing of it writes: a GET changes no row.
"""
from __future__ import annotations

import inspect
import re
from urllib.parse import urlencode

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from syllabus.core.limits import KEV
from tests.rowcounts import product_row_counts

HUGE = 100_000
HUGE_INT = "9" * 20
COMMON = ("q", "page", "offset", "limit", "sort", "next", "tab", "status")  # read by shared helpers


def _patterns(resolver=None, prefix="", namespace=""):
    """(name, route, view) of every page; the API is walked by tests/api/test_input_sizes.py."""
    resolver = resolver or get_resolver()
    for p in resolver.url_patterns:
        if isinstance(p, URLResolver):
            if str(p.pattern).startswith("api/"):
                continue
            ns = f"{p.namespace}:" if p.namespace else namespace
            yield from _patterns(p, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern):
            yield namespace + (p.name or ""), prefix + str(p.pattern), p.callback


def _query_names(view) -> list[str]:
    """The query parameters the view's module reads (``GET.get("x")``, ``GET["x"]``, ``GET.getlist("x")``)."""
    while hasattr(view, "__wrapped__"):
        view = view.__wrapped__
    module = inspect.getmodule(view)
    try:
        source = inspect.getsource(module) if module else ""
    except (OSError, TypeError):
        source = ""
    found = set(re.findall(r"GET(?:\.get|\.getlist)?[\(\[]\s*[\"']([\w.\-]+)[\"']", source))
    return sorted(found | set(COMMON))


def _route(route: str, ids: str = "1") -> str:
    from django.urls.converters import get_converters

    path = re.sub(r"<(?:id|int|path):[^>]+>", ids, route)

    def sample(m):  # a value the converter takes: the first choice of a "a|b|c" regex (catalog's formats)
        converter = get_converters().get(m[1])
        regex = getattr(converter, "regex", "")
        return regex.split("|")[0] if re.fullmatch(r"[\w|-]+", regex or "-") and regex else "x"

    path = re.sub(r"<(\w+):[^>]+>", sample, path)
    path = re.sub(r"<[^>]+>", "x", path)
    path = re.sub(r"\(\?P<[^>]+>\\d\+\)", ids, path)
    path = re.sub(r"\(\?P<(\w+)>([a-z_-]+)\|[^)]*\)", r"\2", path)
    path = re.sub(r"\(\?P<\w+>[^)]*\)", "x", path)
    path = path.replace("^", "").replace("$", "").replace("\\", "")
    return "/" + path


def _pages():
    import django

    django.setup()
    return [pytest.param(name, route, _query_names(view), getattr(view, "query_ceiling", KEV), id=route or "/")
            for name, route, view in sorted(_patterns(), key=lambda t: t[1])]


PAGES = _pages()


def test_the_walk_reaches_the_apps_and_the_admin():
    routes = {route.split("/")[0] for _, route, _, _ in (p.values for p in PAGES)}
    assert {"lists", "catalog", "lending", "lti", "services", "circulation", "analytics", "admin"} <= routes
    assert len(PAGES) > 150


@pytest.fixture
def people(make_user, course, student, library_a):
    from syllabus.catalog.models import Item, Record
    from syllabus.lists import services as lists
    from syllabus.org.roles import Role
    from tests.lists.conftest import BOOK

    from syllabus.lti import keys

    keys.signing_key()  # the tool's key exists (its first GET of lti:jwks makes it: a write)
    root = make_user("query-root", group="staff", is_staff=True, is_superuser=True)
    librarian = make_user("query-librarian", group="staff", is_staff=True, roles=[
        Role.COURSE_RESERVES_OPERATOR, Role.FULFILLMENT_ADMINISTRATOR])
    lst = lists.create_list(root, title="Readings", courses=[course])
    week = lists.add_section(root, lst, title="Week 1")
    lists.add_citation(root, lst, week, "book", BOOK)
    record = Record.objects.create(institution=course.institution, source_id="query-1", title="Middlemarch")
    Item.objects.create(record=record, library=library_a, barcode="QUERY-1")
    return {"superuser": root, "librarian": librarian, "student": student}


def _counts():
    return product_row_counts()


@pytest.mark.parametrize("name, route, names, ceiling", PAGES)
def test_a_page_refuses_an_overlong_query_value_and_never_answers_500(client, people, name, route, names, ceiling):
    before = _counts()
    for role, user in people.items():
        client.force_login(user)
        url = _route(route)
        for length in (ceiling + 1, HUGE):
            r = client.get(url, {names[0]: "x" * length})
            assert r.status_code == 400, (role, length, r.status_code)
            assert "WEB-QUERY" in r.content.decode() and f"{names[0]}: at most {ceiling} characters" in r.content.decode()
        for value in ("x" * ceiling, HUGE_INT, "-1"):
            r = client.get(url + "?" + urlencode({n: value for n in names}))
            assert r.status_code < 500, (role, url, value[:20], r.status_code)
        if re.search(r"<(?:id|path):", route) or "(?P<" in route:
            r = client.get(_route(route, HUGE_INT))
            assert r.status_code in (301, 302, 400, 403, 404, 405), (role, r.status_code)
    assert _counts() == before

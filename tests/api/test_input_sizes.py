"""Every input has a ceiling, and an input over it is refused naming the rule — never a 500, never
half-written (the "never a 500" audit of session 9; issue 18 items 3 and 7 did the numbers).

A text longer than its column is an error on PostgreSQL (a DataError: a 500 when nothing refuses
it first) while SQLite stores it whole; a megabyte of free text, a million tags or ids are no
input either.  So:

- the OpenAPI document declares a ``maxLength`` for every text of every request body, a
  ``maxItems`` for every array, a ``maxProperties`` (and ``x-max-chars``) for every free JSON
  object — the kind, not the instance;
- every such ceiling is honoured: each create/update operation, sent each of its texts one
  character over its ``maxLength`` and at 100,000 characters, answers a 422 problem naming the
  field, and writes nothing;
- texts a schema cannot bound (CSL-JSON members) are cut to their column by the service;
- a value the database refuses all the same is a 400 ``API-VALUE`` problem, rolled back.
"""
from __future__ import annotations

import re

import pytest

from tests.problem import problem
from tests.rowcounts import product_row_counts

HUGE = 100_000
PATH_VALUES = {"username": "instructor", "code": "x", "key": "x", "rule": "x"}  # any other path parameter is an id


@pytest.fixture(scope="module")
def doc(django_db_setup, django_db_blocker):
    from syllabus.api.api import api

    with django_db_blocker.unblock():
        return api.get_openapi_schema()


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in {"post", "put", "patch"}:
                yield method, path, op


def _resolve(doc, schema):
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].split("/")[-1]]
    return schema


def _unbounded(doc) -> list[str]:
    """Every text, array or free object of a request body without its ceiling."""
    found: list[str] = []

    def walk(schema, where, seen):
        if "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            if name not in seen:
                walk(doc["components"]["schemas"][name], where, seen | {name})
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                walk(sub, where, seen)
        kind = schema.get("type")
        if kind == "string" and "maxLength" not in schema and "enum" not in schema \
                and schema.get("format") not in ("date", "date-time", "binary"):
            found.append(f"{where}: a text without maxLength")
        if kind == "array":
            if "maxItems" not in schema:
                found.append(f"{where}: an array without maxItems")
            walk(schema.get("items", {}), f"{where}[]", seen)
        free = schema.get("additionalProperties")
        if free is True or isinstance(free, dict):
            if "maxProperties" not in schema:
                found.append(f"{where}: an object of free members without maxProperties")
            if free is True and "x-max-chars" not in schema:
                found.append(f"{where}: a free JSON object without x-max-chars")
            if isinstance(free, dict):
                walk(free, f"{where}.*", seen)
        if not kind and not any(k in schema for k in ("$ref", "anyOf", "oneOf", "allOf", "enum", "const")) \
                and "x-max-chars" not in schema:
            found.append(f"{where}: any JSON value without x-max-chars")
        for name, prop in schema.get("properties", {}).items():
            walk(prop, f"{where}.{name}", seen)

    for method, path, op in _operations(doc):
        for content in op.get("requestBody", {}).get("content", {}).values():
            walk(content["schema"], f"{method.upper()} {path}", frozenset())
    return found


def test_every_text_array_and_object_of_a_request_body_has_a_ceiling(doc):
    assert _unbounded(doc) == []


def test_every_text_ceiling_is_no_wider_than_a_column_it_could_land_in(doc):
    """A ceiling comes from the column (``syllabus.api.fields.column``): none may exceed the widest
    free text the product keeps (a letter's template) — a schema that forgot the column would be
    caught by the walk below on PostgreSQL, and this keeps a typo'd ``10**9`` out."""
    from syllabus.api.fields import LETTER
    from syllabus.catalog.api import CITE_IT_HTML
    from syllabus.consortium.iso18626 import MAX_BYTES

    widest: dict[str, int] = {}

    def walk(schema, where):
        schema = _resolve(doc, schema)
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                walk(sub, where)
        if schema.get("type") == "string" and "maxLength" in schema:
            widest[where] = schema["maxLength"]
        for name, prop in schema.get("properties", {}).items():
            walk(prop, f"{where}.{name}")
        if schema.get("type") == "array":
            walk(schema.get("items", {}), f"{where}[]")

    for method, path, op in _operations(doc):
        for content in op.get("requestBody", {}).get("content", {}).values():
            walk(content["schema"], f"{method.upper()} {path}")
    documents = {"POST /api/v1/cite-it.html": CITE_IT_HTML, "POST /api/v1/iso18626": MAX_BYTES}
    assert {w: n for w, n in widest.items() if n > documents.get(w, LETTER)} == {}
    assert len(widest) > 150  # the walk reached the bodies


# --- the ceilings are honoured ----------------------------------------------------------------------

def _text_fields(doc, op):
    """(content type, dotted field, maxLength) of every top-level text (and list of texts) of ``op``'s body."""
    for content_type, content in op.get("requestBody", {}).get("content", {}).items():
        schema = _resolve(doc, content["schema"])
        for name, prop in schema.get("properties", {}).items():
            for option in [prop, *prop.get("anyOf", [])]:
                option = _resolve(doc, option)
                if option.get("type") == "string" and "maxLength" in option and option.get("format") != "binary":
                    yield content_type, name, option["maxLength"], False
                elif option.get("type") == "array" and "maxLength" in _resolve(doc, option.get("items", {})):
                    yield content_type, name, _resolve(doc, option["items"])["maxLength"], True


def _cases(doc):
    for method, path, op in _operations(doc):
        for content_type, name, limit, many in _text_fields(doc, op):
            yield pytest.param(method, path, content_type, name, limit, many, id=f"{method.upper()} {path} {name}")


def _all_cases():
    import django

    django.setup()
    from syllabus.api.api import api

    return list(_cases(api.get_openapi_schema()))


def _counts():
    return product_row_counts()


@pytest.fixture
def admin_api(api, make_user):
    from syllabus.org.roles import Role

    admin = make_user("size-admin", group="staff", is_staff=True, roles=[
        Role.GENERAL_SYSTEM_ADMINISTRATOR, Role.COURSE_RESERVES_OPERATOR, Role.FULFILLMENT_ADMINISTRATOR])
    return api(admin)


@pytest.mark.parametrize("method, path, content_type, name, limit, many", _all_cases())
def test_a_text_over_its_ceiling_is_a_422_naming_the_field_and_writes_nothing(
        admin_api, course, method, path, content_type, name, limit, many):
    url = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES.get(m[1], "1"), path)
    before = _counts()
    for length in sorted({limit + 1, max(HUGE, limit + 1)}):
        value = "x" * length
        body = {name: [value] if many else value}
        if content_type == "application/json":
            r = getattr(admin_api, method)(url, body)
        else:  # multipart/form-data
            r = admin_api.client.post(url, body, **admin_api.headers)
        assert r.status_code == 422, (length, r.status_code, r.content[:300])
        body = problem(r)
        assert body["rule"] == "VALIDATION"
        assert any(e["loc"][-1 - many] == name or (many and e["loc"][-1] == name) for e in r.json()["errors"]), \
            r.json()["errors"]
    assert _counts() == before


# --- the last line of defence ------------------------------------------------------------------------

def _unrefused_overflow(actor, **kw):
    """A service whose ceiling is missing: it writes, then the database refuses a value (as
    PostgreSQL does for a text longer than its column), inside its transaction."""
    from django.db import DataError, transaction

    from syllabus.lists.models import ResourceList

    with transaction.atomic():
        ResourceList.objects.create(institution_id=actor.institution_id, title="half-written")
        raise DataError("value too long for type character varying(300)")


def test_a_value_the_database_refuses_is_a_400_problem_and_nothing_is_written(api, instructor, monkeypatch):
    from syllabus.lists import services
    from syllabus.lists.models import ResourceList

    monkeypatch.setattr(services, "create_list", _unrefused_overflow)
    r = api(instructor).post("/api/v1/lists", {"title": "Readings"})
    assert r.status_code == 400
    assert problem(r)["rule"] == "API-VALUE"
    assert not ResourceList.objects.exists()


def test_a_vocabulary_word_at_its_ceiling_is_refused_by_its_rule_not_by_the_database(admin_api, course, library_a):
    """A vocabulary word (``Term``: a status, a type, a mode) may be 40 characters at the schema
    while its column holds 20: the service checks it against its vocabulary first, so the answer
    names the rule — never ``API-VALUE`` (the database's refusal, a 500 before it)."""
    from syllabus.catalog.models import Item, Record

    word = "x" * 40
    me = admin_api
    list_id = me.post("/api/v1/lists", {"title": "Readings", "course_ids": [course.pk]}).json()["id"]
    section_id = me.post(f"/api/v1/lists/{list_id}/sections", {"title": "Week 1"}).json()["id"]
    citation = me.post(f"/api/v1/lists/{list_id}/citations", {"section_id": section_id, "type": "book",
                                                               "metadata": {"title": "Middlemarch"}})
    assert citation.status_code == 201, citation.content
    citation_id = citation.json()["id"]
    record = Record.objects.create(institution=course.institution, source_id="brim-1", title="Middlemarch")
    item = Item.objects.create(record=record, library=library_a, barcode="BRIM-1")
    calls = [
        ("patch", f"/api/v1/lists/{list_id}", {"visibility": word}),
        ("patch", f"/api/v1/lists/{list_id}", {"status": word}),
        ("post", f"/api/v1/lists/{list_id}/citations", {"section_id": section_id, "type": word, "metadata": {"title": "T"}}),
        ("post", f"/api/v1/lists/{list_id}/citations", {"section_id": section_id, "type": "book", "metadata": {"title": "T"},
                                                       "copyright_status": word}),
        ("post", f"/api/v1/lists/{list_id}/citations", {"section_id": section_id, "type": "book", "metadata": {"title": "T"},
                                                       "tags": [word]}),
        ("patch", f"/api/v1/citations/{citation_id}", {"status": word}),
        ("patch", f"/api/v1/citations/{citation_id}", {"type": word}),
        ("post", f"/api/v1/citations/{citation_id}/status", {"status": word}),
        ("post", f"/api/v1/records/{record.pk}/items", {"library": library_a.code, "barcode": "BRIM-2", "status": word}),
        ("patch", f"/api/v1/items/{item.pk}", {"status": word}),
        ("post", f"/api/v1/citations/{citation_id}/acquisition-tasks", {"kind": word}),
        ("post", "/api/v1/digitization/rules", {"name": "R", "target": word}),
        ("post", "/api/v1/digitization/rules", {"name": "R", "approval_mode": word}),
        ("post", "/api/v1/digitization/display-logic", {"service": word, "condition": word}),
        ("put", "/api/v1/digitization/copyright-options", {"code": "O1", "label": "O", "copyright_status": word}),
        ("post", "/api/v1/digitization-requests", {"record_id": record.pk, "service": word}),
        ("post", f"/api/v1/citations/{citation_id}/accessible-requests", {"format": "x" * 60}),
        ("post", "/api/v1/cite-it", {"html": "<title>T</title>", "target": word}),
    ]
    for method, path, body in calls:
        r = getattr(me, method)(path, body)
        assert 400 <= r.status_code < 500, (method, path, body, r.status_code, r.content[:300])
        assert problem(r)["rule"] not in ("API-VALUE", "VALIDATION"), (method, path, r.content[:300])


# --- query, path and header parameters (session 10) -------------------------------------------------
# A URL brings input too: a search of a megabyte, an id of 70 bits (a bigint overflow on
# PostgreSQL, an OverflowError on SQLite), a filter code longer than any code.  Every parameter of
# every operation declares its ceiling, and each, sent over it, is refused naming it.

HUGE_INT = 10**20  # more than a bigint holds


def _parameters(doc):
    """(method, path, parameter, its schema) of every query, path and header parameter."""
    for path, item in doc["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []):
                yield method, path, p, _resolve(doc, p.get("schema", {}))


def _options(doc, schema):
    return [schema] + [_resolve(doc, s) for s in schema.get("anyOf", []) if s.get("type") != "null"]


def test_every_query_path_and_header_parameter_has_a_ceiling(doc):
    unbounded, seen = [], 0
    for method, path, p, schema in _parameters(doc):
        seen += 1
        where = f"{method.upper()} {path} {p['in']} {p['name']}"
        for option in _options(doc, schema):
            kind = option.get("type")
            if kind == "string" and "maxLength" not in option and "enum" not in option \
                    and option.get("format") not in ("date", "date-time"):
                unbounded.append(f"{where}: a text without maxLength")
            if kind in ("integer", "number") and "maximum" not in option:
                unbounded.append(f"{where}: a number without maximum")
            if kind == "array" and "maxItems" not in option:
                unbounded.append(f"{where}: an array without maxItems")
    assert unbounded == []
    assert seen > 300  # the walk reached the operations


def _over(doc, schema):
    """The values just over, and far over, the parameter's ceiling (none for a bool or an enum)."""
    for option in _options(doc, schema):
        if option.get("type") == "string" and "maxLength" in option:
            return ["x" * (option["maxLength"] + 1), "x" * HUGE]
        if option.get("type") == "integer" and "maximum" in option:
            return [str(option["maximum"] + 1), str(HUGE_INT)]
    return []


def _parameter_cases():
    import django

    django.setup()
    from syllabus.api.api import api

    doc = api.get_openapi_schema()
    cases = []
    for method, path, p, schema in _parameters(doc):
        if _over(doc, schema):
            cases.append(pytest.param(method, path, p["in"], p["name"], id=f"{method.upper()} {path} {p['in']} {p['name']}"))
    return cases


@pytest.mark.parametrize("method, path, where, name", _parameter_cases())
def test_a_parameter_over_its_ceiling_is_a_4xx_naming_it_and_writes_nothing(doc, admin_api, course, method, path,
                                                                             where, name):
    """422 VALIDATION naming the parameter (the schema's ceiling), or the rule of an endpoint that
    reads its query by hand (DSV-6: the link resolver; API-ETAG: ``If-Match``) — never a 500, never a
    DataError's API-VALUE, and no row changed."""
    from urllib.parse import urlencode

    schema = next(_resolve(doc, p.get("schema", {})) for p in doc["paths"][path][method]["parameters"]
                  if p["name"] == name and p["in"] == where)
    before = _counts()
    for value in _over(doc, schema):
        url = re.sub(r"\{(\w+)\}", lambda m, value=value: value if m[1] == name else PATH_VALUES.get(m[1], "1"), path)
        headers = None
        if where == "query":
            url += "?" + urlencode({name: value})
        elif where == "header":
            headers = {name: value}
        if method in ("post", "put", "patch"):
            r = getattr(admin_api, method)(url, {}, headers=headers)
        else:
            r = admin_api._call(method, url, headers=headers)
        assert 400 <= r.status_code < 500, (len(value), r.status_code, r.content[:300])
        body = problem(r)
        assert body["rule"] != "API-VALUE", body
        if body["rule"] == "VALIDATION":
            assert any(e["loc"][-1] == name for e in r.json()["errors"]), r.json()["errors"]
        else:
            assert body["rule"] in ("DSV-6", "API-ETAG", "API-IDEMPOTENCY"), body
            assert body.get("field") == name and name in body["detail"], body
    assert _counts() == before

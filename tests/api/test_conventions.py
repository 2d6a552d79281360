"""API conventions (issue 17, acceptance 3): one paginator, RFC 9457 problem details for every
error — also for an unknown path or a wrong method under /api/ —, documented errors and stable
operation ids on every operation."""
from __future__ import annotations

import pytest

from tests.problem import problem


@pytest.fixture
def doc(client, db):
    return client.get("/api/v1/openapi.json").json()


def _operations(doc):
    for path, item in doc["paths"].items():
        for method, op in item.items():
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path, op


# --- problem details -----------------------------------------------------------------------------

def test_an_unknown_api_path_answers_json_problem_details(api, student):
    r = api(student).get("/api/v1/no-such-thing")
    assert r.status_code == 404
    assert problem(r)["rule"] == "NO-ROUTE"
    assert r.json()["type"] == "about:blank" and r.json()["title"] == "Not Found"
    # an id that is not a number is an invalid input, named
    r = api(student).get("/api/v1/lists/not-a-number")
    assert r.status_code == 422 and problem(r)["field"] == "list_id"


def test_a_wrong_method_answers_405_problem_details_with_allow(api, student):
    r = api(student).delete("/api/v1/courses")
    assert r.status_code == 405
    assert problem(r)["rule"] == "METHOD"
    assert set(r["Allow"].replace(" ", "").split(",")) == {"GET", "POST"}
    assert "DELETE" in r.json()["detail"]


def test_pages_outside_the_api_keep_their_html_404(client, db):
    r = client.get("/no-such-page/")
    assert r.status_code == 404 and r["Content-Type"].startswith("text/html")


def test_rule_violations_are_problem_details_with_the_rule(api, student):
    r = api(student).post("/api/v1/courses", {"code": "X1", "name": "X"})
    assert r.status_code == 403
    body = problem(r)
    assert body["rule"] == "CRS-1"
    assert r.json()["type"] == "/api/v1/problems/CRS-1" and r.json()["title"] == "Forbidden"


def test_authentication_and_validation_errors_are_problem_details(api, student):
    r = api().get("/api/v1/me")
    assert r.status_code == 401 and problem(r)["rule"] == "AUTH" and r["WWW-Authenticate"] == "Bearer"
    r = api(student).get("/api/v1/courses", {"limit": "many"})
    assert r.status_code == 422
    body = problem(r)
    assert body["rule"] == "VALIDATION" and body["field"] == "limit" and body["detail"].startswith("limit:")
    assert r.json()["errors"][0]["loc"][-1] == "limit"


def test_problem_types_are_described(api, client, db):
    r = client.get("/api/v1/problems/LST-1")
    assert r.status_code == 200 and "LST-1" in r.json()["description"]
    assert client.get("/api/v1/problems/API-ETAG").json()["type"] == "/api/v1/problems/API-ETAG"
    assert client.get("/api/v1/problems/nonsense!").status_code == 404


# --- the paginator --------------------------------------------------------------------------------

def test_a_page_has_items_count_and_next(api, librarian, inst_a):
    from tests.factories import CourseFactory

    for n in range(5):
        CourseFactory(institution=inst_a, code=f"PAGE{n}", name=f"Paging {n}")
    me = api(librarian)
    first = me.get("/api/v1/courses", {"q": "Paging", "limit": 2}).json()
    assert first["count"] == 5 and len(first["items"]) == 2
    assert first["next"].startswith("http://testserver/api/v1/courses?")
    seen = [c["code"] for c in first["items"]]
    url = first["next"]
    while url:
        page = me.get(url.removeprefix("http://testserver")).json()
        seen += [c["code"] for c in page["items"]]
        url = page["next"]
    assert sorted(seen) == [f"PAGE{n}" for n in range(5)]


@pytest.mark.parametrize("params, field", [
    ({"limit": 0}, "limit"), ({"limit": 201}, "limit"), ({"offset": -1}, "offset"),
    ({"offset": 100_001}, "offset"), ({"offset": 2**70}, "offset"),
])
def test_limit_and_offset_are_bounded(api, librarian, params, field):
    r = api(librarian).get("/api/v1/courses", params)
    assert r.status_code == 422 and problem(r)["field"] == field


def test_every_paged_operation_uses_the_one_paginator(doc):
    schemas = doc["components"]["schemas"]
    paged = 0
    for method, path, op in _operations(doc):
        ok = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        target = schemas[ok["$ref"].split("/")[-1]] if "$ref" in ok else ok
        params = {p["name"]: p["schema"] for p in op.get("parameters", []) if p["in"] == "query"}
        props = target.get("properties", {})
        looks_paged = props.get("items", {}).get("type") == "array" and "count" in props
        if not (looks_paged or {"limit", "offset", "page", "page_size"} & set(params)):
            continue
        paged += 1
        assert {"items", "count", "next"} <= set(props), f"{method} {path}"
        assert params.get("limit", {}).get("maximum") and params["limit"].get("minimum") == 1, f"{method} {path}"
        assert params.get("offset", {}).get("maximum") and params["offset"].get("minimum") == 0, f"{method} {path}"
        assert not {"page", "page_size"} & set(params), f"{method} {path} pages another way"
    assert paged >= 8


# --- documentation of every operation -------------------------------------------------------------

def test_every_operation_documents_its_errors_as_problem_details(doc):
    for method, path, op in _operations(doc):
        codes = {int(c) for c in op["responses"]}
        assert {400, 403, 404, 422} <= codes, f"{method.upper()} {path} documents only {sorted(codes)}"
        if op.get("security"):
            assert 401 in codes, f"{method.upper()} {path}"
        for code, response in op["responses"].items():
            if int(code) >= 400:
                assert list(response["content"]) == ["application/problem+json"], f"{method} {path} {code}"
    assert "Problem" in doc["components"]["schemas"]


def test_operations_document_only_errors_the_api_answers(doc):
    """A generated client gets one branch per documented status: no operation may list a 4xx the API
    never answers (lists, circulation and acquisitions listed all of ninja's codes_4xx — 402, 407,
    418, 451... — found with openapi-python-client, session 20)."""
    answered = {400, 401, 403, 404, 409, 412, 413, 415, 422, 429}
    stray = sorted({(code, f"{method.upper()} {path}") for path, item in doc["paths"].items()
                    for method, op in item.items() for code in op.get("responses", {})
                    if str(code).startswith("4") and int(code) not in answered})
    assert not stray, stray[:10]


def test_operation_ids_are_unique_and_not_module_paths(doc):
    ids = [op["operationId"] for _, _, op in _operations(doc)]
    assert len(ids) == len(set(ids))
    assert not [i for i in ids if "syllabus" in i], "operation ids must not come from Python module paths"
    assert "get_courses_course_id" in ids


def test_no_two_schemas_share_a_name():
    """Issue 18 item 8: the OpenAPI document names a schema by its class name, so two classes
    with one name (lending's and catalog's RepresentationOut) made clients validate against the
    wrong one."""
    from collections import defaultdict

    from pydantic import BaseModel

    import syllabus.api.api  # noqa: F401 - loads every router

    modules = defaultdict(set)

    def walk(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("syllabus."):
                modules[sub.__name__].add(f"{sub.__module__}.{sub.__qualname__}")
            walk(sub)

    walk(BaseModel)
    assert {name: where for name, where in modules.items() if len(where) > 1} == {}


def test_every_collection_is_a_page(doc):
    """No GET answers a bare array: every collection pages the same way (issue 17)."""
    for method, path, op in _operations(doc):
        ok = op["responses"].get("200", {}).get("content", {}).get("application/json", {}).get("schema", {})
        assert ok.get("type") != "array", f"{method.upper()} {path} answers a bare array: use Page(...) and paginate()"


# a path parameter is <resource>_id (the singular of the collection before it), or a natural key
NATURAL_KEYS = {"code", "key", "username", "rule"}
IRREGULAR = {"display-logic": "display_rule_id", "access-rights-policies": "policy_id", "collection": "entry_id", "outbox": "message_id"}


def test_path_parameters_are_named_after_their_resource(doc):
    for path in doc["paths"]:
        segments = path.strip("/").split("/")
        for before, segment in zip(segments, segments[1:]):
            if not segment.startswith("{"):
                continue
            name = segment.strip("{}")
            if name in NATURAL_KEYS:
                continue
            expected = IRREGULAR.get(before, before.rstrip("s").replace("-", "_") + "_id")
            assert name == expected, f"{path}: call {segment} {{{expected}}}"


def test_an_exports_formats_are_listed_in_the_document_and_any_case_is_taken(doc, client, instructor, course):
    """LST-9: a client reads the export formats from the document (they were a free string); the server
    still takes ``RIS`` as ``ris`` and refuses another word naming the rule."""
    from syllabus.citations import exports
    from syllabus.lists import services

    for path in ("/api/v1/lists/{list_id}/export", "/api/v1/collection/export", "/api/v1/records/{record_id}/export"):
        fmt = next(p for p in doc["paths"][path]["get"]["parameters"] if p["name"] == "format")
        assert fmt["schema"]["enum"] == list(exports.EXPORTS) == ["ris", "bibtex", "csl-json", "html", "docx"]
    lst = services.create_list(instructor, title="Formats", courses=[course])
    client.force_login(instructor)
    assert client.get(f"/api/v1/lists/{lst.pk}/export?format=RIS").status_code == 200
    refused = client.get(f"/api/v1/lists/{lst.pk}/export?format=endnote")
    assert refused.status_code == 400 and refused.json()["rule"] == "LST-9"

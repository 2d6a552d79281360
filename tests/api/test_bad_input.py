"""Bad input never reaches the database as an error (issue 18, items 3 and 7): every number has a
floor and a ceiling in the schema, an id beyond 64 bits or a negative position is a 422 naming
the field, and a null for a field that cannot be empty is refused — never a 500."""
from __future__ import annotations

import pytest

from tests.problem import problem


@pytest.fixture
def doc(client, db):
    return client.get("/api/v1/openapi.json").json()


def _unbounded(doc):
    """Every integer input (parameter or body property) without a minimum or a maximum."""
    comps = doc["components"]["schemas"]
    found = []

    def walk(schema, where, seen):
        if "$ref" in schema:
            name = schema["$ref"].split("/")[-1]
            if name not in seen:
                walk(comps[name], f"{where}/{name}", seen | {name})
            return
        for key in ("anyOf", "oneOf", "allOf"):
            for sub in schema.get(key, []):
                walk(sub, where, seen)
        if schema.get("type") in ("integer", "number") and ("maximum" not in schema or "minimum" not in schema):
            found.append(where)
        for name, prop in schema.get("properties", {}).items():
            walk(prop, f"{where}.{name}", seen)
        if isinstance(schema.get("additionalProperties"), dict):
            walk(schema["additionalProperties"], f"{where}.*", seen)
        if schema.get("type") == "array":
            walk(schema.get("items", {}), f"{where}[]", seen)

    for path, item in doc["paths"].items():
        for method, op in item.items():
            for p in op.get("parameters", []):
                walk(p["schema"], f"{method.upper()} {path} {p['in']}:{p['name']}", frozenset())
            for content in op.get("requestBody", {}).get("content", {}).values():
                walk(content["schema"], f"{method.upper()} {path} body", frozenset())
    return found


def test_every_numeric_input_has_a_floor_and_a_ceiling(doc):
    """Item 3: the kind, not the instance — no integer the API accepts is unbounded."""
    assert _unbounded(doc) == []


@pytest.mark.parametrize("path", [
    "/api/v1/courses/36893488147419103232",        # 2**65
    "/api/v1/lists/-1",
    "/api/v1/citations/0",
])
def test_an_id_beyond_64_bits_or_below_one_is_a_422(api, student, path):
    r = api(student).get(path)
    assert r.status_code == 422, r.content
    assert problem(r)["rule"] == "VALIDATION"


def test_a_negative_position_is_refused_at_the_schema(api, instructor, course):
    me = api(instructor)
    list_id = me.post("/api/v1/lists", {"title": "Readings", "course_ids": [course.pk]}).json()["id"]
    r = me.post(f"/api/v1/lists/{list_id}/sections", {"title": "Week 1", "position": -3})
    assert r.status_code == 422 and problem(r)["field"] == "position"
    r = me.post(f"/api/v1/lists/{list_id}/sections", {"title": "Week 1", "position": 2**64})
    assert r.status_code == 422 and problem(r)["field"] == "position"


def test_a_negative_work_time_is_refused_at_the_schema(api, make_user):
    from syllabus.org.roles import Role

    admin = make_user("fadmin", group="staff", roles=[Role.FULFILLMENT_ADMINISTRATOR])
    r = api(admin).post("/api/v1/digitization/departments", {"code": "D1", "name": "Scans", "work_time_days": -1})
    assert r.status_code == 422 and problem(r)["field"] == "work_time_days"


def test_null_for_a_field_that_cannot_be_empty_is_a_422_not_a_500(api, librarian, course):
    r = api(librarian).patch(f"/api/v1/courses/{course.pk}", {"name": None})
    assert r.status_code == 422 and problem(r)["field"] == "name"
    course.refresh_from_db()
    assert course.name == "Introduction to Modern History"


def test_a_number_of_students_beyond_the_ceiling_is_refused(api, librarian):
    r = api(librarian).post("/api/v1/courses", {"code": "BIG1", "name": "Big", "number_of_students": 10**12})
    assert r.status_code == 422 and problem(r)["field"] == "number_of_students"

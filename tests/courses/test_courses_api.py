"""The courses API: search, detail, create/update for staff, errors as {rule, detail}."""
from syllabus.core.audit import trail
from syllabus.courses.models import Course
from tests.factories import CourseFactory
from tests.problem import problem


def test_no_token_is_401_with_a_rule_body(api, course):
    r = api().get("/api/v1/courses")
    assert r.status_code == 401
    assert r.json()["rule"] == "AUTH"


def test_a_revoked_token_is_refused(client, student):
    from syllabus.org.services import create_api_token, revoke_api_token

    token, raw = create_api_token(student)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    revoke_api_token(token)
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 401


def test_a_student_cannot_create_a_course(api, student):
    r = api(student).post("/api/v1/courses", {"code": "X1", "name": "Sneaky"})
    assert r.status_code == 403
    assert problem(r) == {"rule": "CRS-1", "detail": "only course reserves operators and administrators manage courses"}
    assert not Course.objects.filter(code="X1").exists()


def test_a_librarian_creates_and_updates_a_course(api, librarian, instructor):
    r = api(librarian).post("/api/v1/courses", {"code": "NEW1", "name": "New course", "term": "2026F",
                                                 "instructors": ["instructor"]})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["instructors"] == [{"username": "instructor", "full_name": "Irene Instructor"}]
    r = api(librarian).patch(f"/api/v1/courses/{body['id']}", {"name": "Renamed", "number_of_students": 30})
    assert r.status_code == 200 and r.json()["name"] == "Renamed"


def test_duplicate_course_is_409(api, librarian, course):
    r = api(librarian).post("/api/v1/courses", {"code": course.code, "name": "Dup", "section": course.section, "term": course.term})
    assert r.status_code == 409 and r.json()["rule"] == "CRS-1"


def test_search_by_code_name_and_instructor(api, student, course, inst_a):
    CourseFactory(institution=inst_a, code="BIO200", name="Genetics")
    by_code = api(student).get("/api/v1/courses", {"q": "hist101"}).json()
    assert by_code["count"] == 1 and by_code["items"][0]["code"] == "HIST101"
    by_name = api(student).get("/api/v1/courses", {"q": "genetics"}).json()
    assert [c["code"] for c in by_name["items"]] == ["BIO200"]
    by_instructor = api(student).get("/api/v1/courses", {"q": "Instructor"}).json()
    assert [c["code"] for c in by_instructor["items"]] == ["HIST101"]


def test_courses_of_another_institution_are_invisible(api, course, inst_b, make_user):
    outsider = make_user("outsider", institution=inst_b)
    assert api(outsider).get("/api/v1/courses", {"q": "HIST101"}).json()["count"] == 0
    assert api(outsider).get(f"/api/v1/courses/{course.pk}").status_code == 404


def test_the_audit_trail_shows_who_changed_which_fields(api, librarian, course):
    api(librarian).patch(f"/api/v1/courses/{course.pk}", {"name": "Modern History", "term": "2026F"})
    entry = trail(course).first()
    assert entry.actor == librarian
    assert entry.action == "updated"
    assert entry.changes == {"name": ["Introduction to Modern History", "Modern History"], "term": ["2026S", "2026F"]}
    history = api(librarian).get(f"/api/v1/courses/{course.pk}/history").json()
    assert history[0]["actor"] == "librarian" and set(history[0]["changes"]) == {"name", "term"}


def test_invalid_payload_is_422_with_rule(api, librarian):
    r = api(librarian).post("/api/v1/courses", {"code": "A", "name": "B", "start_date": "not-a-date"})
    assert r.status_code == 422 and r.json()["rule"] == "VALIDATION"


def test_end_before_start_is_refused(api, librarian):
    r = api(librarian).post("/api/v1/courses", {"code": "A", "name": "B", "start_date": "2026-05-01", "end_date": "2026-01-01"})
    assert r.status_code == 400 and r.json()["rule"] == "CRS-1"


def test_institutions_and_libraries_have_codes(api, student, library_a, library_b):
    assert {i["code"] for i in api(student).get("/api/v1/institutions").json()} == {"inst-a", "inst-b"}
    assert {lib["code"] for lib in api(student).get("/api/v1/libraries").json()} == {"lib-a1", "lib-b1"}


def test_openapi_document_is_served(client):
    doc = client.get("/api/v1/openapi.json").json()
    assert doc["info"]["title"] == "Syllabus API"
    assert "/api/v1/courses" in doc["paths"]

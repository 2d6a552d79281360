"""Term rollover through its three doors (issue 15): the command ``syllabus rollover``, the API
``/api/v1/rollovers`` and the librarian's page ``/lists/rollover/`` — each with a dry run that
changes nothing, a run, a second run that copies nothing, and the refusals (ROLL-10)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from syllabus.courses.models import Course
from syllabus.lists import services
from syllabus.lists.models import Citation, ResourceList, RolloverRun
from syllabus.org.roles import Role
from tests.factories import CourseFactory
from tests.problem import problem

from .conftest import BOOK

pytestmark = pytest.mark.django_db


@pytest.fixture
def spring_list(inst_a, instructor):
    spring = CourseFactory(institution=inst_a, code="HIST101", section="01", term="2026S", start_date=dt.date(2026, 1, 12))
    spring.instructors.add(instructor)
    lst = services.create_list(instructor, title="HIST101 readings", courses=[spring])
    week = services.add_section(instructor, lst, title="Week 1", start_date=dt.date(2026, 1, 12))
    services.add_citation(instructor, lst, week, "book", dict(BOOK), public_note="Read chapter 1")
    return lst


def _state() -> tuple:
    return ResourceList.objects.count(), Citation.objects.count(), Course.objects.count(), RolloverRun.objects.count()


def _command(*args) -> str:
    out = io.StringIO()
    call_command("rollover", *args, stdout=out)
    return out.getvalue()


# --- the command ----------------------------------------------------------------------------------

ARGS = ("--institution", "inst-a", "--from-term", "2026S", "--to-term", "2026F", "--to-term-start", "2026-09-07")


def test_the_command_dry_run_changes_nothing_then_the_run_copies_then_nothing_twice(spring_list):
    before = _state()
    out = _command(*ARGS, "--dry-run")
    assert _state() == before
    assert "DRY RUN (nothing changed)" in out and "'HIST101 readings': would copy to HIST101-01" in out
    assert "course HIST101-01 would be created" in out
    out = _command(*ARGS)
    assert "1 lists copied" in out and _state()[0] == before[0] + 1
    copy = ResourceList.objects.exclude(pk=spring_list.pk).get()
    assert copy.sections.get().start_date == dt.date(2026, 9, 7)
    assert copy.citations.get().public_note == "Read chapter 1"
    out = _command(*ARGS)
    assert "0 lists copied, 1 already copied" in out and ResourceList.objects.count() == before[0] + 1


def test_the_command_clears_notes_on_request_and_audits_as_the_librarian(spring_list, librarian):
    from syllabus.core import audit

    _command(*ARGS, "--clear-notes", "--as", "librarian")
    copy = ResourceList.objects.exclude(pk=spring_list.pk).get()
    assert copy.citations.get().public_note == ""
    assert audit.trail(copy).get().actor == librarian


@pytest.mark.parametrize("args,message", [
    (("--institution", "nowhere", "--from-term", "2026S", "--to-term", "2026F"), "no institution"),
    # dated, no new-term start: the refusal names the option to give
    (("--institution", "inst-a", "--from-term", "2026S", "--to-term", "2026F"), r"ROLL-3: .*\(option --to-term-start\)"),
    (("--institution", "inst-a", "--from-term", "2026S", "--to-term", "2026S"), "ROLL-10"),
    ((*ARGS, "--as", "student"), "ROLL-10"),
])
def test_the_command_refuses_by_name(spring_list, student, args, message):
    before = _state()
    with pytest.raises(CommandError, match=message):
        _command(*args)
    assert _state() == before


# --- the API ----------------------------------------------------------------------------------------

BODY = {"from_term": "2026S", "to_term": "2026F", "to_term_start": "2026-09-07"}


def test_the_api_dry_run_reports_and_the_run_answers_201_with_the_report(api, librarian, spring_list):
    before = _state()
    r = api(librarian).post("/api/v1/rollovers", BODY | {"dry_run": True})
    assert r.status_code == 200 and _state() == before
    body = r.json()
    assert body["id"] is None and body["lists_copied"] == 1 and body["offset_days"] == 238
    assert body["lists"][0] | {"source_id": 0} == {
        "source_id": 0, "title": "HIST101 readings", "outcome": "would_copy", "courses": ["HIST101-01"],
        "courses_created": ["HIST101-01"], "copy_id": None, "items_copied": 1, "items_recheck": 0, "skipped": [],
        "rule": "", "detail": ""}
    r = api(librarian).post("/api/v1/rollovers", BODY)
    assert r.status_code == 201
    run = r.json()
    assert run["lists"][0]["outcome"] == "copied" and run["lists"][0]["copy_id"]
    again = api(librarian).post("/api/v1/rollovers", BODY).json()
    assert again["lists_copied"] == 0 and again["lists_already_copied"] == 1
    runs = api(librarian).get("/api/v1/rollovers").json()
    assert runs["count"] == 2 and runs["items"][1]["id"] == run["id"] and runs["items"][1]["actor"] == "librarian"
    assert api(librarian).get(f"/api/v1/rollovers/{run['id']}").json()["lists_copied"] == 1
    lists = api(librarian).get(f"/api/v1/rollovers/{run['id']}/lists").json()
    assert lists["count"] == 1 and lists["items"][0]["copy_id"] == run["lists"][0]["copy_id"]


@pytest.mark.parametrize("who", ["student", "instructor"])
def test_the_api_refuses_everyone_but_the_librarians(api, request, who, spring_list, librarian):
    user = request.getfixturevalue(who)
    r = api(user).post("/api/v1/rollovers", BODY | {"dry_run": True})
    assert r.status_code == 403 and problem(r)["rule"] == "ROLL-10"
    assert api(user).get("/api/v1/rollovers").status_code == 403
    run_id = api(librarian).post("/api/v1/rollovers", BODY).json()["id"]
    assert api(user).get(f"/api/v1/rollovers/{run_id}").status_code == 403


def test_another_institutions_librarian_does_not_see_the_runs(api, librarian, spring_list, make_user, inst_b):
    run_id = api(librarian).post("/api/v1/rollovers", BODY).json()["id"]
    other = make_user("blib", institution=inst_b, roles=[Role.COURSE_RESERVES_OPERATOR])
    assert api(other).get(f"/api/v1/rollovers/{run_id}").status_code == 404
    assert api(other).get(f"/api/v1/rollovers/{run_id}/lists").status_code == 404
    assert api(other).get("/api/v1/rollovers").json()["count"] == 0
    r = api(other).post("/api/v1/rollovers", BODY)  # its own institution: nothing of A's is copied
    assert r.status_code == 201 and r.json()["lists_copied"] == 0 and ResourceList.objects.count() == 2


@pytest.mark.parametrize("bad,field", [({"max_lists": 501}, "max_lists"), ({"max_lists": 0}, "max_lists"),
                                       ({"to_term": "x" * 41}, "to_term"), ({"from_term": ""}, "from_term")])
def test_the_api_bounds_its_input(api, librarian, spring_list, bad, field):
    r = api(librarian).post("/api/v1/rollovers", BODY | bad)
    assert r.status_code == 422 and problem(r)["field"] == field


def test_the_api_names_the_rule_of_a_refused_run(api, librarian, spring_list):
    r = api(librarian).post("/api/v1/rollovers", {"from_term": "2026S", "to_term": "2026F"})
    assert r.status_code == 400 and problem(r)["rule"] == "ROLL-3" and problem(r)["field"] == "to_term_start"


# --- the page ----------------------------------------------------------------------------------------

FORM = {"from_term": "2026S", "to_term": "2026F", "to_term_start": "2026-09-07", "notes": "keep"}


def test_the_librarian_previews_then_rolls_over_on_the_page(client, librarian, spring_list):
    client.force_login(librarian)
    r = client.get("/lists/rollover/")
    assert r.status_code == 200 and b'data-testid="rollover-form"' in r.content and b'<option value="2026S">' in r.content
    assert b"Term rollover" in client.get("/").content  # in the back office menu
    before = _state()
    r = client.post("/lists/rollover/", FORM | {"action": "dry_run"})
    assert r.status_code == 200 and _state() == before
    assert b"Dry run: nothing has changed" in r.content and b"Would be copied" in r.content
    # ROLL-3: the form reads the button — one the page has not (a forged "Run!") is refused naming the
    # rule, not taken for a dry run; nothing is copied
    r = client.post("/lists/rollover/", FORM | {"action": "Run!"})
    assert r.status_code == 400 and b"<strong>ROLL-3:</strong>" in r.content and _state() == before
    r = client.post("/lists/rollover/", FORM | {"action": "run"})
    run = RolloverRun.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/lists/rollover/{run.pk}/"
    page = client.get(r["Location"])
    copy = ResourceList.objects.exclude(pk=spring_list.pk).get()
    assert page.status_code == 200 and f'href="/lists/{copy.pk}/library/"'.encode() in page.content
    assert b"1 lists copied" in page.content  # the message of the run
    assert "2026S → 2026F".encode() in client.get("/lists/rollover/").content


def test_the_rollover_pages_give_htmx_a_configuration_it_can_read(client, librarian, spring_list):
    """Both pages used to carry ``<meta name="htmx-config" content="">``: htmx threw "Unexpected end
    of JSON input" in the console on every load and ran without the product's response handling."""
    import json
    from html import unescape
    import re

    client.force_login(librarian)
    client.post("/lists/rollover/", FORM | {"action": "run"})
    for url in ("/lists/rollover/", f"/lists/rollover/{RolloverRun.objects.get().pk}/"):
        html = client.get(url).content.decode()
        configs = re.findall(r'<meta name="htmx-config" content=\'([^\']*)\'>', html)
        assert configs and all(json.loads(unescape(c))["responseHandling"] for c in configs), url


def test_the_page_names_the_rule_of_a_refusal_and_keeps_the_form(client, librarian, spring_list):
    client.force_login(librarian)
    r = client.post("/lists/rollover/", FORM | {"to_term_start": "", "action": "run"})
    assert r.status_code == 400 and b"ROLL-3" in r.content and b'value="2026F"' in r.content
    r = client.post("/lists/rollover/", FORM | {"to_term_start": "next monday", "action": "run"})
    assert r.status_code == 400 and b"ROLL-3" in r.content
    assert RolloverRun.objects.count() == 0


@pytest.mark.parametrize("who", ["student", "instructor"])
def test_students_and_instructors_are_refused_the_page(client, request, who, librarian, spring_list):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/lists/rollover/").status_code == 403
    before = _state()
    assert client.post("/lists/rollover/", FORM | {"action": "run"}).status_code == 403
    assert _state() == before
    assert b"Term rollover" not in client.get("/").content


def test_a_run_of_another_institution_is_404_on_the_page(client, librarian, spring_list, make_user, inst_b):
    client.force_login(librarian)
    client.post("/lists/rollover/", FORM | {"action": "run"})
    run = RolloverRun.objects.get()
    client.force_login(make_user("blib", institution=inst_b, roles=[Role.COURSE_RESERVES_OPERATOR]))
    assert client.get(f"/lists/rollover/{run.pk}/").status_code == 404
    assert client.get("/lists/rollover/").status_code == 200

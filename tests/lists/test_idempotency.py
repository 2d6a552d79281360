"""Issue 17, acceptance 3: a creating POST sent again with the same ``Idempotency-Key`` creates
nothing twice and answers the first answer again; the key with another body is a 422 problem
(rule API-IDEMPOTENCY); keys expire and the timer sweep forgets them; two requests racing with
one key create one row (on whichever database the suite runs: SQLite, or PostgreSQL with
DATABASE_URL)."""
from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client

from syllabus.api.models import IdempotencyKey
from syllabus.core.tasks import run_tick
from syllabus.lists.models import Citation, ResourceList
from syllabus.org.services import create_api_token
from tests.concurrency import at_once
from tests.problem import problem

from .conftest import ARTICLE, BOOK


def test_a_repeated_key_creates_one_citation_and_answers_the_same(api, instructor, built_list):
    me = api(instructor)
    lst, week1 = built_list["list"], built_list["sections"][0]
    before = Citation.objects.filter(resource_list=lst).count()
    body = {"section_id": week1.pk, "type": "article", "metadata": ARTICLE, "public_note": "p. 56-97"}
    first = me.post(f"/api/v1/lists/{lst.pk}/citations", body, headers={"Idempotency-Key": "add-article-7f3a"})
    # the client lost the answer and sends the same request again (same body, keys in another order)
    again = me.post(f"/api/v1/lists/{lst.pk}/citations", dict(reversed(body.items())),
                    headers={"Idempotency-Key": "add-article-7f3a"})
    assert first.status_code == again.status_code == 201
    assert again.content == first.content
    assert again["Idempotent-Replayed"] == "true" and "Idempotent-Replayed" not in first
    assert again["ETag"] == first["ETag"]
    assert Citation.objects.filter(resource_list=lst).count() == before + 1
    # without a key, the same request is a new citation (today's behaviour)
    assert me.post(f"/api/v1/lists/{lst.pk}/citations", body).status_code == 201
    assert Citation.objects.filter(resource_list=lst).count() == before + 2


def test_the_key_with_another_body_is_refused(api, instructor, built_list):
    me = api(instructor)
    lst, week1 = built_list["list"], built_list["sections"][0]
    key = {"Idempotency-Key": "0b6f0c9e-5d1c-4b7e-9d53-2f1f0a3c9e11"}
    assert me.post(f"/api/v1/lists/{lst.pk}/citations", {"section_id": week1.pk, "metadata": ARTICLE},
                   headers=key).status_code == 201
    count = Citation.objects.count()
    r = me.post(f"/api/v1/lists/{lst.pk}/citations", {"section_id": week1.pk, "metadata": BOOK}, headers=key)
    assert r.status_code == 422
    p = problem(r)
    assert p["rule"] == "API-IDEMPOTENCY" and p["field"] == "Idempotency-Key"
    # another path with the same key is another request too
    r = me.post("/api/v1/lists", {"title": "Other"}, headers=key)
    assert r.status_code == 422 and problem(r)["rule"] == "API-IDEMPOTENCY"
    assert Citation.objects.count() == count
    # a key that is not visible ASCII is refused before anything is created
    r = me.post("/api/v1/lists", {"title": "Other"}, headers={"Idempotency-Key": "x" * 256})
    assert r.status_code == 422 and problem(r)["field"] == "Idempotency-Key"
    assert not ResourceList.objects.filter(title="Other").exists()


def test_keys_belong_to_one_user_and_a_failed_request_keeps_no_key(api, instructor, librarian, course, built_list):
    key = {"Idempotency-Key": "weekly-import-1"}
    mine = api(instructor).post("/api/v1/lists", {"title": "Mine", "course_ids": [course.pk]}, headers=key)
    assert mine.status_code == 201
    # the librarian's key of the same name is theirs: a list of their own
    theirs = api(librarian).post("/api/v1/lists", {"title": "Theirs"}, headers=key)
    assert theirs.status_code == 201 and theirs.json()["id"] != mine.json()["id"]

    # a request refused by a rule stores nothing: corrected, it goes through with the same key
    me = api(instructor)
    lst = built_list["list"]
    retry = {"Idempotency-Key": "add-to-week-9"}
    refused = me.post(f"/api/v1/lists/{lst.pk}/citations", {"section_id": 999999, "metadata": BOOK}, headers=retry)
    assert refused.status_code == 400 and problem(refused)["rule"] == "LST-1"
    fixed = me.post(f"/api/v1/lists/{lst.pk}/citations", {"section_id": built_list["sections"][1].pk, "metadata": BOOK},
                    headers=retry)
    assert fixed.status_code == 201


def test_keys_expire_and_the_timer_sweeps_them(api, instructor, course, clock, settings):
    settings.API_IDEMPOTENCY_HOURS = 2
    me = api(instructor)
    key = {"Idempotency-Key": "create-hist-list"}
    body = {"title": "Readings", "course_ids": [course.pk]}
    first = me.post("/api/v1/lists", body, headers=key)
    clock.set_now(clock.now() + dt.timedelta(hours=1))
    assert run_tick()["api_idempotency_keys"] == 0
    assert me.post("/api/v1/lists", body, headers=key).json()["id"] == first.json()["id"]  # still kept

    clock.set_now(clock.now() + dt.timedelta(hours=1, minutes=1))
    assert run_tick()["api_idempotency_keys"] == 1
    assert not IdempotencyKey.objects.exists()
    # expired: the key is free again, the request creates a new list
    later = me.post("/api/v1/lists", body, headers=key)
    assert later.status_code == 201 and later.json()["id"] != first.json()["id"]
    assert ResourceList.objects.filter(title="Readings").count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_requests_with_one_key_create_one_list(instructor, course):
    _, raw = create_api_token(instructor)
    body = json.dumps({"title": "Raced", "course_ids": [course.pk]})
    answers, _refused, errors = at_once(
        lambda: Client().post("/api/v1/lists", data=body, content_type="application/json",
                              headers={"Authorization": f"Bearer {raw}", "Idempotency-Key": "raced-key"}),
        4, timeout=120)
    assert not errors, errors
    assert [r.status_code for r in answers] == [201] * 4, [r.content for r in answers]
    assert len({r.content for r in answers}) == 1
    assert sum(1 for r in answers if r.get("Idempotent-Replayed") == "true") == 3
    assert ResourceList.objects.filter(title="Raced").count() == 1
    assert IdempotencyKey.objects.filter(key="raced-key").count() == 1


def test_openapi_documents_the_key_on_every_creating_post(client, db):
    doc = client.get("/api/v1/openapi.json").json()
    creating = [(path, op) for path, item in doc["paths"].items() for method, op in item.items()
                if method == "post" and "201" in op["responses"]]
    assert len(creating) >= 15
    for path, op in creating:
        assert any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in op.get("parameters", [])), path
        assert "Idempotency-Key" in op["responses"]["422"]["description"], path


RIS_TWO = (b"TY  - BOOK\nAU  - Austen, Jane\nTI  - Pride and Prejudice\nPY  - 2003\nER  - \n"
           b"TY  - JOUR\nAU  - Thompson, E. P.\nTI  - Time, Work-Discipline, and Industrial Capitalism\n"
           b"JO  - Past & Present\nPY  - 1967\nER  - \n")


def test_a_retried_import_with_its_key_adds_the_entries_once(api, instructor, built_list):
    """Session 24 (outside walk): the list import answers 200 (its report) or 202 (a background
    import), not 201, so it took no Idempotency-Key — a client retrying an upload whose answer it
    lost added every entry twice."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    me = api(instructor)
    lst = built_list["list"]
    before = Citation.objects.filter(resource_list=lst).count()
    path = f"/api/v1/lists/{lst.pk}/import"

    def send(data=RIS_TWO, key="import-2f9c"):
        return me.client.post(path, {"file": SimpleUploadedFile("refs.ris", data)}, headers={"Idempotency-Key": key},
                              **me.headers)

    first, again = send(), send()
    assert first.status_code == again.status_code == 200, first.content
    assert first.json()["created"] == 2 and again.content == first.content and again["Idempotent-Replayed"] == "true"
    assert Citation.objects.filter(resource_list=lst).count() == before + 2
    other = send(data=RIS_TWO.replace(b"2003", b"2004"))
    assert other.status_code == 422 and problem(other)["rule"] == "API-IDEMPOTENCY"
    assert Citation.objects.filter(resource_list=lst).count() == before + 2
    doc = me.client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/lists/{list_id}/import"]["post"]
    assert any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in doc["parameters"])

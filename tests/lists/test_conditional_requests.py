"""Issue 17, acceptance 3: lists and citations answer an ``ETag``; an edit sent with a stale
``If-Match`` answers 412 problem details (rule API-ETAG) and changes nothing; an edit without
``If-Match`` behaves as before (last write wins)."""
from __future__ import annotations

from syllabus.lists.models import Citation, Section
from tests.problem import problem

from .conftest import ARTICLE


def test_a_list_and_a_citation_answer_an_etag_that_changes_only_when_they_do(api, instructor, built_list):
    me = api(instructor)
    lst, book = built_list["list"], built_list["book"]
    first = me.get(f"/api/v1/lists/{lst.pk}")
    assert first.status_code == 200 and first["ETag"].startswith('"')
    assert me.get(f"/api/v1/lists/{lst.pk}")["ETag"] == first["ETag"]  # reading twice: same version
    cit = me.get(f"/api/v1/citations/{book.pk}")
    assert cit["ETag"] and cit["ETag"] != first["ETag"]

    changed = me.patch(f"/api/v1/citations/{book.pk}", {"public_note": "Read chapters 1 and 2"},
                       headers={"If-Match": cit["ETag"]})
    assert changed.status_code == 200
    # the write answers the new version, which is what a GET now answers
    assert changed["ETag"] != cit["ETag"]
    assert me.get(f"/api/v1/citations/{book.pk}")["ETag"] == changed["ETag"]
    # a citation's change is a change of its list too
    assert me.get(f"/api/v1/lists/{lst.pk}")["ETag"] != first["ETag"]


def test_a_stale_if_match_answers_412_and_changes_nothing(api, instructor, built_list):
    me = api(instructor)
    lst = built_list["list"]
    read = me.get(f"/api/v1/lists/{lst.pk}")["ETag"]
    ok = me.patch(f"/api/v1/lists/{lst.pk}", {"title": "Mine"}, headers={"If-Match": read})
    assert ok.status_code == 200 and ok.json()["title"] == "Mine"

    # another client still holds the version read before that change
    stale = me.patch(f"/api/v1/lists/{lst.pk}", {"title": "Theirs"}, headers={"If-Match": read})
    assert stale.status_code == 412
    assert problem(stale)["rule"] == "API-ETAG"
    assert stale.json()["type"] == "/api/v1/problems/API-ETAG"
    assert me.get(f"/api/v1/lists/{lst.pk}").json()["title"] == "Mine"
    # the problem type is described
    assert "If-Match" in me.get("/api/v1/problems/API-ETAG").json()["description"]


def test_stale_citation_edits_moves_and_deletes_are_refused(api, instructor, built_list):
    me = api(instructor)
    book, article, site = built_list["book"], built_list["article"], built_list["site"]
    old = me.get(f"/api/v1/citations/{book.pk}")["ETag"]
    assert me.patch(f"/api/v1/citations/{book.pk}", {"tags": ["recommended"]}).status_code == 200  # no If-Match

    week2 = built_list["sections"][1]
    refused = [
        me.patch(f"/api/v1/citations/{book.pk}", {"public_note": "x"}, headers={"If-Match": old}),
        me.post(f"/api/v1/citations/{book.pk}/move", {"section_id": week2.pk, "position": 0}, headers={"If-Match": old}),
        me.delete(f"/api/v1/citations/{book.pk}", headers={"If-Match": old}),
        me.delete(f"/api/v1/citations/{book.pk}", headers={"If-Match": 'W/"weak-never-matches"'}),
    ]
    for r in refused:
        assert r.status_code == 412, r.content
        assert problem(r)["rule"] == "API-ETAG"
    book.refresh_from_db()
    assert book.section_id == built_list["sections"][0].pk and book.public_note == "Read chapter 1"

    # the current version (or any, with *) goes through
    current = me.get(f"/api/v1/citations/{article.pk}")["ETag"]
    moved = me.post(f"/api/v1/citations/{article.pk}/move", {"section_id": week2.pk, "position": 0},
                    headers={"If-Match": current})
    assert moved.status_code == 200 and moved.json()["section_id"] == week2.pk
    assert me.delete(f"/api/v1/citations/{site.pk}", headers={"If-Match": "*"}).status_code == 204
    assert not Citation.objects.filter(pk=site.pk).exists()
    # If-Match may list several versions; one current is enough
    now = me.get(f"/api/v1/citations/{book.pk}")["ETag"]
    assert me.delete(f"/api/v1/citations/{book.pk}", headers={"If-Match": f"{old}, {now}"}).status_code == 204


def test_section_operations_are_guarded_by_the_lists_version(api, instructor, built_list):
    me = api(instructor)
    lst = built_list["list"]
    week1, week2 = built_list["sections"]
    read = me.get(f"/api/v1/lists/{lst.pk}")["ETag"]
    # someone adds a citation: the list's version moves on
    assert me.post(f"/api/v1/lists/{lst.pk}/citations", {"section_id": week2.pk, "type": "article",
                                                       "metadata": ARTICLE}).status_code == 201
    for r in (
        me.patch(f"/api/v1/sections/{week1.pk}", {"title": "Renamed"}, headers={"If-Match": read}),
        me.post(f"/api/v1/sections/{week2.pk}/move", {"position": 0}, headers={"If-Match": read}),
        me.post(f"/api/v1/lists/{lst.pk}/sections", {"title": "Week 3"}, headers={"If-Match": read}),
        me.post(f"/api/v1/lists/{lst.pk}/citations", {"section_id": week2.pk, "type": "article", "metadata": ARTICLE},
                headers={"If-Match": read}),
        me.post(f"/api/v1/lists/{lst.pk}/publish", headers={"If-Match": read}),
    ):
        assert r.status_code == 412 and problem(r)["rule"] == "API-ETAG", r.content
    assert Section.objects.filter(resource_list=lst).count() == 2
    assert Citation.objects.filter(resource_list=lst).count() == 4

    current = me.get(f"/api/v1/lists/{lst.pk}")["ETag"]
    r = me.patch(f"/api/v1/sections/{week1.pk}", {"title": "Renamed"}, headers={"If-Match": current})
    assert r.status_code == 200 and r.json()["title"] == "Renamed"


def test_if_match_does_not_reveal_or_bypass_access(api, instructor, student, built_list):
    lst = built_list["list"]
    etag = api(instructor).get(f"/api/v1/lists/{lst.pk}")["ETag"]
    # a student who cannot see the (unpublished) list hears 404 whatever the If-Match
    r = api(student).patch(f"/api/v1/lists/{lst.pk}", {"title": "x"}, headers={"If-Match": etag})
    assert r.status_code == 404
    # an unknown list is 404, not 412
    assert api(instructor).patch("/api/v1/lists/999999", {"title": "x"}, headers={"If-Match": etag}).status_code == 404


def test_openapi_documents_etag_if_match_and_412(client, db):
    doc = client.get("/api/v1/openapi.json").json()
    get_list = doc["paths"]["/api/v1/lists/{list_id}"]["get"]
    assert "ETag" in get_list["responses"]["200"]["headers"]
    for path, method in [("/api/v1/lists/{list_id}", "patch"), ("/api/v1/citations/{citation_id}", "patch"),
                         ("/api/v1/citations/{citation_id}", "delete"), ("/api/v1/citations/{citation_id}/move", "post"),
                         ("/api/v1/sections/{section_id}/move", "post")]:
        op = doc["paths"][path][method]
        assert any(p["in"] == "header" and p["name"] == "If-Match" for p in op["parameters"]), (path, method)
        assert "application/problem+json" in op["responses"]["412"]["content"], (path, method)

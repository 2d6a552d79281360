"""Acceptance 1 (through the API): instructor builds, publishes and sends; the librarian finds it
under Unassigned, assigns it to self, completes items and the list; the instructor sees every
status change; an instructor change after sending shows up as a librarian task (LST-1..7)."""
from syllabus.lists.models import LibrarianTask

from .conftest import ARTICLE, BOOK


def _tab(api_client, tab):
    r = api_client.get("/api/v1/librarian/lists", {"tab": tab})
    assert r.status_code == 200, r.content
    return [row["id"] for row in r.json()["items"]]


def test_acceptance_1_full_round_trip_through_the_api(api, instructor, librarian, course, clock):
    teacher, lib = api(instructor), api(librarian)

    # the instructor builds a list with 2 sections and 5 citations
    r = teacher.post("/api/v1/lists", {"title": "HIST101 readings", "course_ids": [course.pk]})
    assert r.status_code == 201, r.content
    lst = r.json()
    list_id = lst["id"]
    assert lst["status"] == "being_prepared" and lst["visibility"] == "draft"
    assert lst["owners"] == ["instructor"] and lst["courses"][0]["code"] == "HIST101"
    s1 = teacher.post(f"/api/v1/lists/{list_id}/sections", {"title": "Week 1", "start_date": "2026-03-02", "end_date": "2026-03-08"})
    s2 = teacher.post(f"/api/v1/lists/{list_id}/sections", {"title": "Week 2"})
    assert s1.status_code == 201 and s2.status_code == 201
    s1, s2 = s1.json()["id"], s2.json()["id"]
    payloads = [
        (s1, "book", BOOK), (s1, "article", ARTICLE),
        (s1, "book_chapter", {"title": "The Moral Economy", "container-title": "Customs in Common",
                              "author": [{"family": "Thompson", "given": "E. P."}], "page": "185-258",
                              "issued": {"date-parts": [[1991]]}, "ISBN": "0850363934"}),
        (s2, "book", {"title": "Hard Times", "author": [{"family": "Dickens", "given": "Charles"}], "issued": {"date-parts": [[1854]]}}),
        (s2, "video_audio", {"title": "The Industrial Revolution", "issued": {"date-parts": [[2019]]}}),
    ]
    ids = []
    for section_id, ctype, meta in payloads:
        r = teacher.post(f"/api/v1/lists/{list_id}/citations", {"section_id": section_id, "type": ctype, "metadata": meta,
                                                               "tags": ["essential"]})
        assert r.status_code == 201, r.content
        assert r.json()["status"] == "being_prepared"
        ids.append(r.json()["id"])
    body = teacher.get(f"/api/v1/lists/{list_id}").json()
    assert [len(s["citations"]) for s in body["sections"]] == [3, 2]
    assert body["sections"][0]["citations"][2]["metadata"]["ISBN"] == "9780850363937"  # ISBN-10 → ISBN-13

    # publishes and sends
    assert teacher.post(f"/api/v1/lists/{list_id}/publish").json()["visibility"] == "published"
    sent = teacher.post(f"/api/v1/lists/{list_id}/send").json()
    assert sent["status"] == "sent_to_library"
    assert {c["status"] for s in sent["sections"] for c in s["citations"]} == {"ready_for_processing"}

    # the librarian finds it under Unassigned, assigns it to self: now under Assigned to me
    assert list_id in _tab(lib, "unassigned") and list_id not in _tab(lib, "mine")
    r = lib.post(f"/api/v1/lists/{list_id}/assign", {"username": "librarian"})
    assert r.status_code == 200 and r.json()["assignee"] == "librarian"
    assert list_id in _tab(lib, "mine") and list_id not in _tab(lib, "unassigned")

    # completes the items (the first move puts the list In process) and the list
    r = lib.patch(f"/api/v1/citations/{ids[0]}", {"status": "in_process"})
    assert r.status_code == 200 and r.json()["status"] == "in_process"
    assert teacher.get(f"/api/v1/lists/{list_id}").json()["status"] == "in_process"
    for cid in ids[:4]:
        r = lib.patch(f"/api/v1/citations/{cid}", {"status": "complete"})
        assert r.status_code == 200, r.content
    r = lib.patch(f"/api/v1/citations/{ids[4]}", {"status": "declined", "status_note": "no licence for streaming"})
    assert r.json()["status"] == "declined"

    # an instructor change after sending shows up as a librarian task
    r = teacher.patch(f"/api/v1/citations/{ids[1]}", {"public_note": "Read pages 56-70 only"})
    assert r.status_code == 200
    tasks = lib.get(f"/api/v1/lists/{list_id}/tasks").json()["items"]
    assert [t["kind"] for t in tasks] == ["changed"] and tasks[0]["citation_id"] == ids[1]
    assert tasks[0]["detail"].startswith("Item changed (Note for students)")  # LST-7: said with the field's label
    assert tasks[0]["detail_params"]["fields"] == ["public_note"]
    row = next(r for r in lib.get("/api/v1/librarian/lists", {"tab": "mine"}).json()["items"] if r["id"] == list_id)
    assert row["open_tasks"] == 1

    r = lib.patch(f"/api/v1/lists/{list_id}", {"status": "complete"})
    assert r.status_code == 200 and r.json()["status"] == "complete"
    assert r.json()["open_tasks"] == []  # completing the list closes its tasks

    # the instructor sees every status change
    mine = teacher.get(f"/api/v1/lists/{list_id}").json()
    assert mine["status"] == "complete" and mine["assignee"] == "librarian"
    statuses = [c["status"] for s in mine["sections"] for c in s["citations"]]
    assert statuses == ["complete", "complete", "complete", "complete", "declined"]
    declined = mine["sections"][1]["citations"][1]
    assert declined["status_note"] == "no licence for streaming"
    assert mine["open_tasks"] == []  # instructors never see the library's task list
    assert LibrarianTask.objects.filter(resource_list_id=list_id, resolved_at__isnull=True).count() == 0

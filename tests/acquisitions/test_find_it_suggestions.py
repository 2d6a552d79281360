"""Find it's next step (DSV-6, SRV-3; session 14): when no library of the consortium holds a title,
the link resolver's page offers "Suggest the library buy it" — a purchase request without a list
item, which the library's Acquisitions page lists and decides, each decision a letter to the
reader through the outbox; the reader sees and withdraws it on "My purchase requests"."""
from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.acquisitions.models import PurchaseRequest
from syllabus.citations import openurl
from syllabus.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db

NOBODY = {"type": "book", "title": "A History of the Nowhere Press", "author": [{"family": "Nobody", "given": "Ann"}],
          "ISBN": "9780306406157", "issued": {"date-parts": [[2021]]}}
KEV = openurl.from_csl(NOBODY)


def _letters(user):
    return list(OutboxMessage.objects.filter(recipient=user, channel="email").order_by("id").values_list("letter", "body"))


def test_find_it_for_a_title_nobody_holds_offers_a_purchase_suggestion(student, client, inst_a, library_a):
    from syllabus.catalog import services

    client.force_login(student)
    page = client.get(f"/openurl?{KEV}").content.decode()
    assert 'data-testid="next-steps"' in page and "Suggest the library buy it" in page
    suggest = reverse("acquisitions:suggest")
    assert f'href="{suggest}?' in page
    assert "inter-library loan" in page  # the desk can still borrow it from outside the consortium
    # a title a library holds: no next step, the holdings are the way
    held_csl = {"type": "book", "title": "Pride and prejudice", "author": [{"family": "Austen", "given": "Jane"}],
                "ISBN": "9780141439518"}
    services.add_item(None, services.save_record(None, inst_a, held_csl).record, library_a, "P-1", location="Stacks")
    held = client.get("/openurl?" + openurl.from_csl({"type": "book", "title": "Pride and prejudice", "ISBN": "9780141439518"}))
    assert b'data-testid="next-steps"' not in held.content and b"resolver-holdings" in held.content


def test_a_student_suggests_the_library_decides_and_writes(student, librarian, client):
    student.email = "sam@inst-a.example.edu"
    student.save()
    client.force_login(student)
    form = client.get(f"{reverse('acquisitions:suggest')}?{KEV}")
    assert form.status_code == 200 and b"A History of the Nowhere Press" in form.content
    r = client.post(f"{reverse('acquisitions:suggest')}?{KEV}", {"note": "For my HIST101 essay, by week 6."})
    assert r.status_code == 302 and r["Location"] == reverse("acquisitions:mine")
    req = PurchaseRequest.objects.get()
    assert (req.citation_id, req.requester, req.institution_id, req.title, req.isbn, req.status) == (
        None, student, student.institution_id, NOBODY["title"], "9780306406157", "library_processing")
    assert req.metadata["author"] == NOBODY["author"]
    (letter, body), = _letters(student)
    assert letter == "purchase_request_received" and f"buy {NOBODY['title']} (request {req.pk})" in body  # no "for <list>"
    mine = client.get(reverse("acquisitions:mine")).content.decode()
    assert NOBODY["title"] in mine and "Library processing" in mine and "Withdraw" in mine
    # the library sees it on its Acquisitions page, with the reader's note, and buys it
    client.force_login(librarian)
    tasks = client.get(reverse("acquisitions:tasks")).content.decode()
    assert NOBODY["title"] in tasks and "suggested by student from Find it" in tasks and "by week 6" in tasks
    r = client.post(reverse("acquisitions:purchase-action", args=[req.pk, "complete"]), {"next": reverse("acquisitions:tasks")})
    assert r.status_code == 302 and r["Location"] == reverse("acquisitions:tasks")
    req.refresh_from_db()
    assert req.status == "completed"
    assert _letters(student)[-1][0] == "purchase_request_completed" and "catalog" in _letters(student)[-1][1]
    # decided: the student can no longer withdraw it (SRV-3)
    client.force_login(student)
    assert "Withdraw" not in client.get(reverse("acquisitions:mine")).content.decode()


def test_the_library_declines_with_its_reason(student, librarian, api):
    rid = api(student).post("/api/v1/purchase-suggestions", {"citation": NOBODY, "note": "please"}).json()["id"]
    r = api(librarian).post(f"/api/v1/purchase-requests/{rid}/decline", {"reason": "Out of print; ask for an inter-library loan"})
    assert r.status_code == 200 and r.json()["status"] == "declined"
    letter, body = _letters(student)[-1]
    assert letter == "purchase_request_declined" and "Out of print" in body
    mine = api(student).get("/api/v1/me/purchase-requests").json()
    assert [(i["id"], i["status"], i["citation_id"], i["tags"]) for i in mine["items"]] == [(rid, "declined", None, [])]


def test_who_may_see_decide_and_withdraw_a_suggestion(student, librarian, librarian_b, make_user, api, client):
    r = api(student).post("/api/v1/purchase-suggestions", {"citation": NOBODY})
    assert r.status_code == 201 and r.json()["citation_id"] is None and r.json()["metadata"]["title"] == NOBODY["title"]
    rid = r.json()["id"]
    classmate = make_user("classmate")
    # another reader, and another institution's library: it does not exist for them
    for other in (classmate, librarian_b):
        assert api(other).get(f"/api/v1/purchase-requests/{rid}").status_code == 404
        for action in ("cancel", "complete", "decline"):
            assert api(other).post(f"/api/v1/purchase-requests/{rid}/{action}").status_code == 404
    client.force_login(classmate)
    assert client.post(reverse("acquisitions:purchase-action", args=[rid, "cancel"])).status_code == 404
    # the reader does not decide; the library does not withdraw the reader's suggestion
    assert api(student).post(f"/api/v1/purchase-requests/{rid}/complete").status_code == 403
    assert api(librarian).post(f"/api/v1/purchase-requests/{rid}/cancel").status_code == 403
    assert api(librarian).get(f"/api/v1/purchase-requests/{rid}").status_code == 200
    assert PurchaseRequest.objects.get().status == "library_processing"
    assert api(librarian_b).get("/api/v1/purchase-requests").json()["items"] == []
    # the reader withdraws it, and is told
    r = api(student).post(f"/api/v1/purchase-requests/{rid}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert _letters(student)[-1][0] == "purchase_request_cancelled"
    assert api(librarian).post(f"/api/v1/purchase-requests/{rid}/complete").json()["rule"] == "SRV-3"  # 409: decided


def test_refusals_name_the_rule(student, api, client, inst_a, clock):
    from syllabus.org import config

    no_title = api(student).post("/api/v1/purchase-suggestions", {"citation": {"type": "book", "ISBN": "9780306406157"}})
    assert no_title.status_code == 400 and no_title.json()["rule"] == "SRV-3" and "title" in no_title.json()["detail"]
    assert api(student).post("/api/v1/purchase-suggestions", {"citation": NOBODY}).status_code == 201
    twice = api(student).post("/api/v1/purchase-suggestions", {"citation": {**NOBODY, "title": NOBODY["title"].upper()}})
    assert twice.status_code == 409 and twice.json()["rule"] == "SRV-3" and "already suggested" in twice.json()["detail"]
    config.set_value("purchase_suggestions_max_open", 2, institution=inst_a)
    assert api(student).post("/api/v1/purchase-suggestions", {"citation": {**NOBODY, "title": "Second"}}).status_code == 201
    third = api(student).post("/api/v1/purchase-suggestions", {"citation": {**NOBODY, "title": "Third"}})
    assert third.status_code == 409 and "at most 2" in third.json()["detail"]
    assert PurchaseRequest.objects.count() == 2
    # switched off: no next step on Find it, and a suggestion sent anyway is refused
    config.set_value("purchase_suggestions_enabled", False, institution=inst_a)
    client.force_login(student)
    page = client.get(f"/openurl?{KEV}").content.decode()
    assert 'data-testid="next-steps"' in page and "Suggest the library buy it" not in page and "inter-library loan" in page
    off = api(student).post("/api/v1/purchase-suggestions", {"citation": {**NOBODY, "title": "Fourth"}})
    assert off.status_code == 409 and off.json()["rule"] == "SRV-3"
    # the page without a citation says so (DSV-6), and an over-long note is refused (SRV-3)
    bare = client.get(reverse("acquisitions:suggest"))
    assert bare.status_code == 400 and b"DSV-6" in bare.content
    config.set_value("purchase_suggestions_enabled", True, institution=inst_a)
    long = client.post(f"{reverse('acquisitions:suggest')}?{KEV}", {"note": "x" * 20_001})
    assert long.status_code == 400 and b"SRV-3" in long.content


def test_srv3_suggesting_and_withdrawing_in_a_loop_is_bounded_per_day(student, api, inst_a, clock):
    """Before: the open-suggestions ceiling counted only open ones, so suggest → withdraw → suggest
    wrote a row, an audit entry and two letters per turn without end.  Now at most
    ``purchase_suggestions_max_per_day`` suggestions in 24 hours, withdrawn ones included."""
    import datetime as dt

    from syllabus.org import config

    config.set_value("purchase_suggestions_max_per_day", 3, institution=inst_a)
    for n in range(3):
        r = api(student).post("/api/v1/purchase-suggestions", {"citation": {**NOBODY, "title": f"Loop {n}"}})
        assert r.status_code == 201
        assert api(student).post(f"/api/v1/purchase-requests/{r.json()['id']}/cancel").status_code == 200
    fourth = api(student).post("/api/v1/purchase-suggestions", {"citation": {**NOBODY, "title": "Loop 3"}})
    assert fourth.status_code == 409 and fourth.json()["rule"] == "SRV-3" and "at most 3 purchase suggestions a day" in fourth.json()["detail"]
    assert PurchaseRequest.objects.count() == 3
    clock.advance(dt.timedelta(hours=24, seconds=1))
    assert api(student).post("/api/v1/purchase-suggestions", {"citation": {**NOBODY, "title": "Loop 3"}}).status_code == 201

"""Purchase requests by instructors (SRV-3; issue 14 acceptance 2): each status sets its system tag
on the item and sends its letter to the instructor; the instructor cancels only while the library
is processing; a refused move is 409 with ``rule`` SRV-3."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db
OURS = {"new_edition_purchase_requested", "new_edition_available", "purchase_request_declined"}


def _letters(user):
    from syllabus.notify.models import OutboxMessage

    return [(m.letter, m.channel) for m in OutboxMessage.objects.filter(recipient=user, channel="email").order_by("id")]


def _tags(citation):
    citation.refresh_from_db()
    return [t for t in citation.tags if t in OURS]


def _request(api, instructor, citation, note="Please buy the 2nd edition"):
    r = api(instructor).post(f"/api/v1/citations/{citation.pk}/purchase-requests", {"note": note})
    assert r.status_code == 201, r.content
    body = r.json()
    assert set(body) >= {"id", "status"} and body["status"] == "library_processing"
    return body["id"]


def test_library_processing_then_completed(listed, instructor, librarian, api):
    _lst, citation, _record = listed
    rid = _request(api, instructor, citation)
    assert _tags(citation) == ["new_edition_purchase_requested"]
    assert _letters(instructor) == [("purchase_request_received", "email")]
    assert api(instructor).get(f"/api/v1/purchase-requests/{rid}").json()["status"] == "library_processing"
    r = api(librarian).post(f"/api/v1/purchase-requests/{rid}/complete")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    assert _tags(citation) == ["new_edition_available"]
    assert _letters(instructor)[-1] == ("purchase_request_completed", "email")
    # completed: the instructor can no longer cancel (409, SRV-3)
    refused = api(instructor).post(f"/api/v1/purchase-requests/{rid}/cancel")
    assert refused.status_code == 409 and refused.json()["rule"] == "SRV-3"
    assert api(instructor).get(f"/api/v1/purchase-requests/{rid}").json()["status"] == "completed"


def test_declined_sets_its_tag_and_letter_with_the_reason(listed, instructor, librarian, api):
    from syllabus.notify.models import OutboxMessage

    _lst, citation, _record = listed
    rid = _request(api, instructor, citation)
    r = api(librarian).post(f"/api/v1/purchase-requests/{rid}/decline", {"reason": "Out of print"})
    assert r.json()["status"] == "declined"
    assert _tags(citation) == ["purchase_request_declined"]
    letter = OutboxMessage.objects.filter(recipient=instructor, letter="purchase_request_declined", channel="email").get()
    assert "Out of print" in letter.body
    assert api(instructor).post(f"/api/v1/purchase-requests/{rid}/cancel").status_code == 409


def test_the_instructor_cancels_while_the_library_processes(listed, instructor, librarian, api):
    _lst, citation, _record = listed
    rid = _request(api, instructor, citation)
    r = api(instructor).post(f"/api/v1/purchase-requests/{rid}/cancel")
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert _tags(citation) == []
    assert _letters(instructor)[-1] == ("purchase_request_cancelled", "email")
    for action in ("complete", "decline"):
        refused = api(librarian).post(f"/api/v1/purchase-requests/{rid}/{action}")
        assert refused.status_code == 409 and refused.json()["rule"] == "SRV-3"
    # a new request may follow a cancelled one, not a processing one
    rid2 = _request(api, instructor, citation)
    dup = api(instructor).post(f"/api/v1/citations/{citation.pk}/purchase-requests", {"note": "again"})
    assert dup.status_code == 409 and dup.json()["rule"] == "SRV-3"
    assert rid2 != rid


def test_who_may_do_what(listed, instructor, librarian, librarian_b, student, make_user, api):
    _lst, citation, _record = listed
    stranger = make_user("stranger", group="faculty")
    for user in (student, stranger, librarian_b):
        r = api(user).post(f"/api/v1/citations/{citation.pk}/purchase-requests", {"note": "x"})
        assert r.status_code in (403, 404), user.username
    rid = _request(api, instructor, citation)
    for user in (student, stranger, librarian_b):
        for method, path in (("get", ""), ("post", "/cancel"), ("post", "/complete"), ("post", "/decline")):
            r = getattr(api(user), method)(f"/api/v1/purchase-requests/{rid}{path}")
            assert r.status_code in (403, 404), (user.username, path, r.status_code)
    for path in ("/complete", "/decline"):     # the instructor does not decide
        assert api(instructor).post(f"/api/v1/purchase-requests/{rid}{path}").status_code == 403
    assert api().get(f"/api/v1/purchase-requests/{rid}").status_code == 401
    assert api(librarian).get(f"/api/v1/purchase-requests/{rid}").json()["status"] == "library_processing"


def test_pages_request_and_cancel_from_the_editor_and_decide_from_the_library_view(listed, instructor, librarian, client):
    lst, citation, _record = listed
    client.force_login(instructor)
    edit = reverse("lists:edit", args=[lst.pk])
    item_page = reverse("lists:update-citation", args=[lst.pk, citation.pk])
    # the editor links to the item's own page, where the form is (not needed at a glance: session 20)
    editor = client.get(edit).content.decode()
    assert f'href="{item_page}#purchase"' in editor and 'name="note"' not in editor.split(f'id="item-{citation.pk}"')[1]
    page = client.get(item_page).content.decode()
    assert 'data-testid="purchase-forms"' in page and "Request purchase" in page and "Check for new edition" in page
    r = client.post(reverse("acquisitions:request-purchase", args=[citation.pk]), {"note": "for week 3", "next": item_page + "#purchase"})
    assert r.status_code == 302 and r["Location"] == item_page + "#purchase"
    assert _tags(citation) == ["new_edition_purchase_requested"]
    assert "Library processing" in client.get(edit).content.decode()
    assert "Library processing" in client.get(item_page).content.decode()
    client.force_login(librarian)
    page = reverse("lists:library", args=[lst.pk])
    assert "for week 3" in client.get(page).content.decode()
    from syllabus.acquisitions.models import PurchaseRequest

    req = PurchaseRequest.objects.get()
    client.post(reverse("acquisitions:purchase-action", args=[req.pk, "complete"]), {"next": page})
    assert _tags(citation) == ["new_edition_available"]

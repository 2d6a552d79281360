"""Holds on physical titles from a list (SRV-5; issue 12 acceptance 3): place → fulfil → letter →
pick up or expire; cancel by the patron and by staff; one open hold per patron and title; the
same through the API, with refusals as 409 {"rule": "SRV-5"}; every role checked."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from syllabus.catalog.models import Item
from syllabus.circulation import services
from syllabus.circulation.models import Hold
from syllabus.core.errors import RuleViolation
from syllabus.notify.models import OutboxMessage

from .conftest import add_items, cite, make_record

pytestmark = pytest.mark.django_db


@pytest.fixture
def title(published, instructor, inst_a, library_a):
    lst, section = published
    record = make_record(inst_a, "Middlemarch")
    add_items(record, library_a, [Item.Status.IN_PLACE, Item.Status.ON_LOAN])
    return cite(instructor, lst, section, record)


def test_place_fulfil_letter_pick_up(title, student, desk, library_a, clock, api):
    """SRV-5: the student places a hold through the API, staff fulfil it (copy on the hold shelf,
    a letter with the pickup deadline in the library's time zone), then record the pickup."""
    library_a.timezone = "America/New_York"
    library_a.save()
    r = api(student).post(f"/api/v1/citations/{title.pk}/holds", {"pickup_library": library_a.code,
                                                                   "not_needed_after": "2026-04-30"})
    assert r.status_code == 201, r.json()
    body = r.json()
    assert body["status"] == "waiting" and body["place_in_queue"] == 1 and body["pickup_library"] == library_a.code
    hold_id = body["id"]
    assert [h["id"] for h in api(student).get("/api/v1/me/holds").json()["items"]] == [hold_id]

    queue = api(desk).get("/api/v1/holds", {"library": library_a.code, "status": "waiting"}).json()
    assert [h["id"] for h in queue["items"]] == [hold_id] and queue["items"][0]["patron"] == "student"
    r = api(desk).post(f"/api/v1/holds/{hold_id}/fulfil")
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "on_hold_shelf" and r.json()["item_barcode"]
    letter = OutboxMessage.objects.get(letter="hold_on_shelf", channel="email", recipient=student)
    # Mon 2026-03-02 09:00 UTC + 5 library days = Mon 2026-03-09, 23:59 in New York (EDT from 8 March)
    assert "Middlemarch" in letter.subject and "2026-03-09 23:59 EDT" in letter.body
    r = api(desk).post(f"/api/v1/holds/{hold_id}/pick-up")
    assert r.json()["status"] == "picked_up"
    assert Hold.objects.get(pk=hold_id).closed_at is not None


def test_a_hold_not_picked_up_expires_and_the_patron_is_told(title, student, desk, library_a, clock):
    from syllabus.core.tasks import run_tick

    hold = services.place_hold(student, title, pickup_library=library_a)
    hold = services.fulfil_hold(desk, hold)
    clock.advance(dt.timedelta(days=8))  # past Mon 9 March 23:59, the fifth library day
    assert run_tick(clock.now())["circulation"] == 1
    assert run_tick(clock.now())["circulation"] == 0   # idempotent
    hold.refresh_from_db()
    assert hold.status == "expired" and hold.reason == "not picked up in time"
    assert OutboxMessage.objects.filter(letter="hold_expired", recipient=student).exists()


def test_a_waiting_hold_expires_after_not_needed_after(title, student, library_a, clock):
    from syllabus.circulation import selectors

    hold = services.place_hold(student, title, pickup_library=library_a, not_needed_after=dt.date(2026, 3, 4))
    clock.advance(dt.timedelta(days=3))
    mine = selectors.my_holds(student)   # reads expire what is due first
    assert mine["current"] == [] and [h.pk for h in mine["past"]] == [hold.pk]
    assert mine["past"][0].status == "expired"


def test_second_hold_on_the_same_title_is_refused(title, student, library_a, api):
    assert api(student).post(f"/api/v1/citations/{title.pk}/holds", {"pickup_library": library_a.code}).status_code == 201
    r = api(student).post(f"/api/v1/citations/{title.pk}/holds", {"pickup_library": library_a.code})
    assert r.status_code == 409 and r.json()["rule"] == "SRV-5" and "already" in r.json()["detail"]
    assert Hold.objects.filter(patron=student).count() == 1


def test_patron_cancels_own_hold_from_the_library_card(title, student, library_a, client):
    hold = services.place_hold(student, title, pickup_library=library_a)
    client.force_login(student)
    card = client.get(reverse("circulation:card")).content.decode()
    assert "Middlemarch" in card and "number 1 in the queue" in card
    r = client.post(reverse("circulation:hold-action", args=[hold.pk, "cancel"]))
    assert r.status_code == 302
    hold.refresh_from_db()
    assert hold.status == "cancelled" and hold.closed_by == student
    assert not OutboxMessage.objects.filter(letter="hold_cancelled").exists()  # one's own cancel needs no letter


def test_staff_cancel_tells_the_patron_and_moves_the_queue(title, student, desk, make_user, course, library_a, api):
    from syllabus.courses.models import Enrollment

    second = make_user("second")
    Enrollment.objects.create(course=course, user=second)
    first = services.place_hold(student, title, pickup_library=library_a)
    other = services.place_hold(second, title, pickup_library=library_a)
    assert api(second).get(f"/api/v1/holds/{other.pk}").json()["place_in_queue"] == 2
    r = api(desk).post(f"/api/v1/holds/{first.pk}/cancel", {"reason": "copy damaged"})
    assert r.status_code == 200 and r.json()["status"] == "cancelled"
    assert OutboxMessage.objects.filter(letter="hold_cancelled", recipient=student).exists()
    assert api(second).get(f"/api/v1/holds/{other.pk}").json()["place_in_queue"] == 1


def test_refusals_name_the_rule(published, title, student, instructor, inst_a, inst_b, library_a, library_b, api, clock):
    from syllabus.lists import services as lists

    lst, section = published
    online = lists.add_citation(instructor, lst, section, "website", {"title": "A website", "URL": "https://example.org/"})
    cases = [
        (online.pk, {"pickup_library": library_a.code}, 409, "not linked"),
        (title.pk, {"pickup_library": library_b.code}, 400, "no pickup library"),
        (title.pk, {"pickup_library": ""}, 400, "choose a pickup library"),
        (title.pk, {"pickup_library": library_a.code, "not_needed_after": "2026-03-01"}, 400, "in the past"),
        (title.pk, {"pickup_library": library_a.code, "not_needed_after": "2028-03-01"}, 400, "at most 366 days"),
    ]
    for cid, payload, status, words in cases:
        r = api(student).post(f"/api/v1/citations/{cid}/holds", payload)
        assert r.status_code == status, (payload, r.json())
        assert r.json()["rule"] == "SRV-5" and words in r.json()["detail"], r.json()
    assert not Hold.objects.exists()


def test_bad_state_moves_are_409(title, student, desk, library_a, api):
    hold = services.place_hold(student, title, pickup_library=library_a)
    r = api(desk).post(f"/api/v1/holds/{hold.pk}/pick-up")
    assert r.status_code == 409 and r.json()["rule"] == "SRV-5"
    services.cancel_hold(student, hold)
    r = api(desk).post(f"/api/v1/holds/{hold.pk}/fulfil")
    assert r.status_code == 409 and r.json()["rule"] == "SRV-5"


def test_fulfil_needs_a_copy_on_the_shelf(title, student, desk, library_a, make_user, course):
    from syllabus.courses.models import Enrollment

    second = make_user("second")
    Enrollment.objects.create(course=course, user=second)
    first = services.fulfil_hold(desk, services.place_hold(student, title, pickup_library=library_a))
    other = services.place_hold(second, title, pickup_library=library_a)
    with pytest.raises(RuleViolation) as exc:
        services.fulfil_hold(desk, other)   # the only copy in place is on the first hold's shelf
    assert exc.value.rule == "SRV-5" and "no copy" in exc.value.detail
    assert first.item_id is not None


def test_who_sees_and_moves_holds(title, student, desk, instructor, librarian, make_user, inst_b, library_a, api, client):
    """Every role: the patron sees their own; desk staff of the library see and move them;
    another student, an instructor, a librarian without the role, and another institution's
    staff see 404 (or 403 on the queue)."""
    from syllabus.org.roles import Role

    hold = services.place_hold(student, title, pickup_library=library_a)
    outsider_staff = make_user("outdesk", institution=inst_b, roles=[Role.REQUESTS_OPERATOR])
    nosy = make_user("nosy")
    for user in (nosy, instructor, librarian, outsider_staff):
        assert api(user).get(f"/api/v1/holds/{hold.pk}").status_code == 404, user
        assert api(user).post(f"/api/v1/holds/{hold.pk}/cancel").status_code == 404, user
        assert api(user).post(f"/api/v1/holds/{hold.pk}/fulfil").status_code == 404, user
    for user in (nosy, instructor, student):
        assert api(user).get("/api/v1/holds").status_code == 403
    assert api(outsider_staff).get("/api/v1/holds").json()["count"] == 0
    r = api(student).post(f"/api/v1/holds/{hold.pk}/fulfil")
    assert r.status_code == 403 and r.json()["rule"] == "SRV-5"
    assert api(desk).get("/api/v1/holds").json()["count"] == 1
    client.force_login(desk)
    page = client.get(reverse("circulation:holds")).content.decode()
    assert "Middlemarch" in page and "Put on hold shelf" in page
    client.force_login(student)
    assert client.get(reverse("circulation:holds")).status_code == 403
    # a student who does not see the list cannot hold from it
    assert api(nosy).post(f"/api/v1/citations/{title.pk}/holds", {"pickup_library": library_a.code}).status_code == 404


def test_bounds_on_the_queue_api(desk, api):
    for params in ({"limit": 0}, {"limit": 201}, {"offset": -1}):
        assert api(desk).get("/api/v1/holds", params).status_code == 422, params   # the API's one paginator
    r = api(desk).get("/api/v1/holds", {"status": "lost"})
    assert r.status_code == 400 and r.json()["rule"] == "SRV-5"


def test_place_a_hold_from_the_page(title, student, library_a, client):
    client.force_login(student)
    form = client.get(reverse("circulation:place-hold", args=[title.pk]))
    assert form.status_code == 200 and library_a.name in form.content.decode()
    r = client.post(reverse("circulation:place-hold", args=[title.pk]), {"pickup_library": library_a.code, "not_needed_after": "bad"})
    assert r.status_code == 400 and "SRV-5" in r.content.decode()
    r = client.post(reverse("circulation:place-hold", args=[title.pk]), {"pickup_library": library_a.code})
    assert r.status_code == 302 and r.url.endswith(f"#item-{title.pk}")
    page = client.get(reverse("lists:view", args=[title.resource_list_id])).content.decode()
    assert "You have a hold (pickup at" in page and "number 1 in the queue" in page

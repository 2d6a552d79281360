"""Acquisition tasks from a list item (SRV-3, librarian actions of SPEC §3; issue 14 acceptance 1):
each task's lifecycle moves the item's library status and, when done, its availability."""
from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import full_width

pytestmark = pytest.mark.django_db


def _access(api, user, lst, citation):
    body = api(user).get(f"/api/v1/lists/{lst.pk}").json()
    return {c["id"]: c for s in body["sections"] for c in s["citations"]}[citation.pk]


def test_order_a_copy_puts_a_copy_on_reserve(listed, librarian, student, api, library_a):
    lst, citation, _record = listed
    assert _access(api, student, lst, citation)["access"]["physical"] == []
    r = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks",
                            {"kind": "order", "vendor": "GOBI", "cost_amount": "24.99", "cost_currency": "gbp",
                             "expected_date": "2026-03-20", "notes": "2 copies wanted", "assignee": full_width("librarian")})
    assert r.status_code == 201, r.content  # the assignee typed in full width is the librarian (NFKC)
    task = r.json()
    assert (task["status"], task["vendor"], task["cost_amount"], task["cost_currency"], task["assignee"]) == (
        "requested", "GOBI", "24.99", "GBP", "librarian")
    started = api(librarian).post(f"/api/v1/acquisition-tasks/{task['id']}/start").json()
    assert started["status"] == "in_progress"
    citation.refresh_from_db()
    assert citation.status == "in_process"
    done = api(librarian).post(f"/api/v1/acquisition-tasks/{task['id']}/complete").json()
    assert done["status"] == "done"
    citation.refresh_from_db()
    assert citation.status == "complete"
    physical = _access(api, student, lst, citation)["access"]["physical"]
    assert [(p["library"], p["location"], p["available"], p["total"], p["reserve"]) for p in physical] == [
        (library_a.code, "Course reserve", 1, 1, True)]
    # finished: no second move (409 naming the rule)
    again = api(librarian).post(f"/api/v1/acquisition-tasks/{task['id']}/complete")
    assert again.status_code == 409 and again.json()["rule"] == "SRV-3"


def test_license_an_ebook_makes_the_link_appear(listed, librarian, student, api):
    lst, citation, _record = listed
    task = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks",
                               {"kind": "license", "vendor": "ProQuest Ebook Central", "concurrent_users": 3,
                                "url": "https://ebookcentral.example.com/lib/inst-a/detail.action?docID=42"}).json()
    assert not [o for o in _access(api, student, lst, citation)["access"]["online"] if o["kind"] == "eresource"]
    done = api(librarian).post(f"/api/v1/acquisition-tasks/{task['id']}/complete").json()
    assert done["status"] == "done"
    online = [o for o in _access(api, student, lst, citation)["access"]["online"] if o["kind"] == "eresource"]
    assert [(o["label"], o["url"]) for o in online] == [
        ("ProQuest Ebook Central", "https://ebookcentral.example.com/lib/inst-a/detail.action?docID=42")]
    citation.refresh_from_db()
    assert citation.status == "complete"


def test_a_licence_without_its_link_cannot_finish(listed, librarian, api):
    _lst, citation, _record = listed
    task = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks", {"kind": "license"}).json()
    r = api(librarian).post(f"/api/v1/acquisition-tasks/{task['id']}/complete")
    assert r.status_code == 400 and r.json()["rule"] == "SRV-3"
    assert api(librarian).get(f"/api/v1/acquisition-tasks/{task['id']}").json()["status"] == "requested"


def test_short_loan_moves_the_existing_copy_to_the_reserve(listed, librarian, student, api, library_a):
    from syllabus.catalog.models import Item

    lst, citation, record = listed
    Item.objects.create(record=record, library=library_a, barcode="HIST-0001", location="Main stacks", call_number="HD8390 .T5")
    before = _access(api, student, lst, citation)["access"]["physical"]
    assert [(p["location"], p["reserve"]) for p in before] == [("Main stacks", False)]
    task = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks",
                               {"kind": "short_loan", "location": "Short loan desk"}).json()
    api(librarian).post(f"/api/v1/acquisition-tasks/{task['id']}/complete")
    after = _access(api, student, lst, citation)["access"]["physical"]
    assert [(p["location"], p["reserve"], p["total"]) for p in after] == [("Short loan desk", True, 1)]
    assert Item.objects.get(barcode="HIST-0001").item_type == "short_loan"


def test_a_cancelled_task_changes_nothing(listed, librarian, student, api):
    lst, citation, _record = listed
    task = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks", {"kind": "order"}).json()
    assert api(librarian).post(f"/api/v1/acquisition-tasks/{task['id']}/cancel").json()["status"] == "cancelled"
    assert api(librarian).post(f"/api/v1/acquisition-tasks/{task['id']}/complete").status_code == 409
    assert _access(api, student, lst, citation)["access"]["physical"] == []
    citation.refresh_from_db()
    assert citation.status == "ready_for_processing"


@pytest.mark.parametrize("cost", [{"cost_amount": "-1", "cost_currency": "EUR"}, {"cost_amount": "10000000", "cost_currency": "EUR"},
                                  {"cost_amount": "12.345", "cost_currency": "EUR"}, {"cost_amount": "12", "cost_currency": "XXX"},
                                  {"cost_amount": "12"}])
def test_costs_are_bounded_and_carry_an_iso_currency(listed, librarian, api, cost):
    _lst, citation, _record = listed
    r = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks", {"kind": "order", **cost})
    assert r.status_code in (400, 422)
    from syllabus.acquisitions.models import AcquisitionTask
    assert not AcquisitionTask.objects.exists()


def test_tasks_are_for_the_institutions_librarians_only(listed, librarian, librarian_b, instructor, student, api):
    _lst, citation, _record = listed
    for user in (instructor, student, librarian_b):
        r = api(user).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks", {"kind": "order"})
        assert r.status_code in (403, 404), (user.username, r.status_code)
    task = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks", {"kind": "order"}).json()
    for user in (instructor, student, librarian_b):
        paths = [("get", f"/api/v1/acquisition-tasks/{task['id']}"), ("post", f"/api/v1/acquisition-tasks/{task['id']}/complete")]
        if user != librarian_b:
            paths.append(("get", "/api/v1/acquisition-tasks"))
        for method, path in paths:
            r = getattr(api(user), method)(path)
            assert r.status_code in (403, 404), (user.username, path, r.status_code)
    assert api(librarian_b).get("/api/v1/acquisition-tasks").status_code == 200
    assert api(librarian_b).get("/api/v1/acquisition-tasks").json()["count"] == 0
    assert api().get("/api/v1/acquisition-tasks").status_code == 401


def test_pages_task_on_the_item_and_in_the_task_list(listed, librarian, librarian_b, instructor, student, client):
    lst, citation, _record = listed
    client.force_login(librarian)
    page = reverse("lists:library", args=[lst.pk])
    r = client.post(reverse("acquisitions:create-task", args=[citation.pk]),
                    {"kind": "order", "vendor": "GOBI", "cost_amount": "30", "cost_currency": "EUR", "next": page})
    assert r.status_code == 302 and r["Location"] == page
    # SRV-3: the kind is read by the form — one not offered is refused naming the rule (it was a bare 404)
    bad = client.post(reverse("acquisitions:create-task", args=[citation.pk]), {"kind": "steal", "next": page})
    assert bad.status_code == 400 and "<strong>SRV-3:</strong>" in bad.content.decode() and "steal" in bad.content.decode()
    html = client.get(page).content.decode()
    assert "Order a copy" in html and "GOBI" in html and "30.00 EUR" in html
    listing = client.get(reverse("acquisitions:tasks")).content.decode()
    assert citation.title in listing and "GOBI" in listing
    from syllabus.acquisitions.models import AcquisitionTask
    task = AcquisitionTask.objects.get()
    client.post(reverse("acquisitions:task-action", args=[task.pk, "complete"]), {"next": page})
    assert 'data-testid="on-reserve"' in client.get(page).content.decode()
    for user in (instructor, student, librarian_b):
        client.force_login(user)
        listing = client.get(reverse("acquisitions:tasks"))
        if user == librarian_b:   # their own institution's (empty) task list
            assert listing.status_code == 200 and citation.title not in listing.content.decode()
        else:
            assert listing.status_code in (403, 404)
        assert client.get(reverse("acquisitions:task", args=[task.pk])).status_code in (403, 404)
        assert client.post(reverse("acquisitions:task-action", args=[task.pk, "cancel"])).status_code in (403, 404)
        assert client.post(reverse("acquisitions:create-task", args=[citation.pk]), {"kind": "order"}).status_code in (403, 404)
    assert AcquisitionTask.objects.count() == 1

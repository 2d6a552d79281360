"""Bought leads somewhere (SRV-3, DSV-6; session 15): when the library marks a purchase request or
a Find it suggestion Bought, the catalog gets the record of what was bought (the item's own, else
one of the institution's with the same ISBN or DOI, else a new one), a copy of it on order (In
process) in the institution's first library and the order task that receives it — the path of an
order task started from a list item (``complete_task``), not a second one.  Find it then shows
the library's holding, the decision letter links to the record, and a list item without a record
resolves to it."""
from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.acquisitions.models import AcquisitionTask, PurchaseRequest
from syllabus.catalog.models import Item, Record
from syllabus.citations import openurl
from syllabus.notify.models import OutboxMessage
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db

NOBODY = {"type": "book", "title": "A History of the Nowhere Press", "author": [{"family": "Nobody", "given": "Ann"}],
          "ISBN": "9780306406157", "issued": {"date-parts": [[2021]]}}
ARTICLE = {"type": "article-journal", "title": "Tides of the Nowhere Sea", "container-title": "Journal of Nowhere Studies",
           "DOI": "10.5555/nowhere.2021.7", "author": [{"family": "Nobody", "given": "Ann"}], "issued": {"date-parts": [[2021]]}}


def _suggest(api, user, csl=NOBODY) -> int:
    r = api(user).post("/api/v1/purchase-suggestions", {"citation": csl, "note": "for my essay"})
    assert r.status_code == 201, r.content
    return r.json()["id"]


def test_bought_puts_the_title_in_the_catalog_and_find_it_shows_the_holding(student, librarian, api, client, library_a,
                                                                           settings):
    settings.SITE_URL = "https://syllabus.example.edu"
    rid = _suggest(api, student)
    client.force_login(student)
    assert b'data-testid="next-steps"' in client.get(f"/openurl?{openurl.from_csl(NOBODY)}").content
    r = api(librarian).post(f"/api/v1/purchase-requests/{rid}/complete")
    assert r.status_code == 200 and r.json()["status"] == "completed"
    record = Record.objects.get(institution=student.institution, isbn="9780306406157")
    assert r.json()["record_id"] == record.pk and record.title == NOBODY["title"]
    item, = Item.objects.filter(record=record)
    assert (item.library, item.status) == (library_a, Item.Status.IN_PROCESS)  # on order
    task, = AcquisitionTask.objects.filter(purchase_request_id=rid)
    assert (task.kind, task.status, task.citation_id, task.record, task.item) == ("order", "requested", None, record, item)
    # Find it now shows the library's holding, and no longer offers to suggest a purchase (the copy
    # on order is not on the shelf yet: an inter-library loan is still offered, CON-2)
    page = client.get(f"/openurl?{openurl.from_csl(NOBODY)}").content.decode()
    assert "resolver-holdings" in page and 'data-testid="next-suggest"' not in page
    assert "No library of the consortium has this title yet." not in page and 'data-testid="next-ill"' in page
    # the decision letter links to the record; My purchase requests too
    letter = OutboxMessage.objects.filter(recipient=student, channel="email", letter="purchase_request_completed").get()
    assert f"https://syllabus.example.edu{reverse('catalog:record', args=[record.pk])}" in letter.body
    mine = client.get(reverse("acquisitions:mine")).content.decode()
    assert f'href="{reverse("catalog:record", args=[record.pk])}" data-testid="bought-record"' in mine
    assert api(student).get("/api/v1/me/purchase-requests").json()["items"][0]["record_id"] == record.pk
    # the copy arrives: the order task's completion puts the same copy on the shelf (no second copy)
    client.force_login(librarian)
    assert NOBODY["title"] in client.get(reverse("acquisitions:tasks")).content.decode()
    assert client.get(reverse("acquisitions:task", args=[task.pk])).status_code == 200
    r = api(librarian).post(f"/api/v1/acquisition-tasks/{task.pk}/complete")
    assert r.status_code == 200 and r.json()["status"] == "done" and r.json()["record_id"] == record.pk
    item.refresh_from_db()
    assert item.status == Item.Status.IN_PLACE and Item.objects.filter(record=record).count() == 1
    assert 'data-testid="received"' in client.get(reverse("acquisitions:task", args=[task.pk])).content.decode()


def test_bought_links_a_matching_record_by_isbn_or_doi_instead_of_a_second_one(student, librarian, api, inst_a, library_a):
    from syllabus.catalog import services as catalog

    by_isbn = catalog.save_record(None, inst_a, {**NOBODY, "ISBN": "0-306-40615-2"}).record  # the ISBN-10 of the same book
    monograph = {"type": "book", "title": "Nowhere: An Open Monograph", "DOI": "10.5555/nowhere.2021.7"}  # DOI, no ISBN
    by_doi = catalog.save_record(None, inst_a, {**monograph, "DOI": "https://doi.org/10.5555/NOWHERE.2021.7"}).record
    before = Record.objects.count()
    for csl, record in ((NOBODY, by_isbn), (monograph, by_doi)):
        rid = _suggest(api, student, csl)
        assert api(librarian).post(f"/api/v1/purchase-requests/{rid}/complete").json()["record_id"] == record.pk
        assert AcquisitionTask.objects.get(purchase_request_id=rid).record == record
    assert Record.objects.count() == before


def test_bought_for_a_list_item_without_a_record_links_the_item(listed, instructor, librarian, api, library_a):
    lst, citation, record = listed
    from syllabus.lists.models import Citation

    Citation.objects.filter(pk=citation.pk).update(record=None)
    rid = api(instructor).post(f"/api/v1/citations/{citation.pk}/purchase-requests", {"note": "two copies"}).json()["id"]
    r = api(librarian).post(f"/api/v1/purchase-requests/{rid}/complete")
    assert r.status_code == 200
    citation.refresh_from_db()
    bought = Record.objects.get(pk=r.json()["record_id"])
    assert citation.record == bought and bought.institution_id == lst.institution_id
    task = AcquisitionTask.objects.get(purchase_request_id=rid)
    assert (task.citation, task.location, task.item.status) == (citation, "Course reserve", Item.Status.IN_PROCESS)
    # the item now resolves to the library's copy: its availability shows it
    items = {c["id"]: c for sec in api(instructor).get(f"/api/v1/lists/{lst.pk}").json()["sections"] for c in sec["citations"]}
    assert items[citation.pk]["access"]["physical"], items[citation.pk]


def test_bought_for_a_list_item_with_its_record_reuses_it(listed, instructor, librarian, api, library_a):
    _lst, citation, record = listed
    rid = api(instructor).post(f"/api/v1/citations/{citation.pk}/purchase-requests", {}).json()["id"]
    assert api(librarian).post(f"/api/v1/purchase-requests/{rid}/complete").json()["record_id"] == record.pk


def test_a_new_edition_bought_gets_its_own_record_and_the_notice_points_at_it(listed, instructor, librarian, api, library_a):
    _lst, citation, record = listed
    rid = api(instructor).post(f"/api/v1/citations/{citation.pk}/purchase-requests",
                               {"title": "The Making of the English Working Class, 2nd ed.", "isbn": "9780306406157"}).json()["id"]
    bought = api(librarian).post(f"/api/v1/purchase-requests/{rid}/complete").json()["record_id"]
    assert bought != record.pk and Record.objects.get(pk=bought).isbn == "9780306406157"
    citation.refresh_from_db()
    assert citation.record == record  # the item is not silently replaced: the new-edition notice decides (SRV-3)


def test_the_order_of_a_suggestion_for_every_role_and_institution(student, librarian, api, client, make_user, inst_b,
                                                                 library_a, instructor):
    rid = _suggest(api, student)
    api(librarian).post(f"/api/v1/purchase-requests/{rid}/complete")
    task = AcquisitionTask.objects.get(purchase_request_id=rid)
    page, action = reverse("acquisitions:task", args=[task.pk]), reverse("acquisitions:task-action", args=[task.pk, "start"])
    everything = list(Role)
    outsider = make_user("outsider", institution=inst_b, group="staff", roles=everything)
    assert api(outsider).get(f"/api/v1/acquisition-tasks/{task.pk}").status_code == 404
    assert api(outsider).post(f"/api/v1/acquisition-tasks/{task.pk}/start").status_code == 404
    client.force_login(outsider)
    assert client.get(page).status_code == 404 and client.post(action).status_code == 404
    for role in everything:
        staff = make_user(f"staff-{role.value}"[:40], group="staff", roles=[role])
        allowed = role == Role.COURSE_RESERVES_OPERATOR
        assert api(staff).get(f"/api/v1/acquisition-tasks/{task.pk}").status_code == (200 if allowed else 403), role
        client.force_login(staff)
        assert client.get(page).status_code == (200 if allowed else 403), role
    for reader in (student, instructor):
        assert api(reader).get(f"/api/v1/acquisition-tasks/{task.pk}").status_code == 403
        assert api(reader).post(f"/api/v1/acquisition-tasks/{task.pk}/complete").status_code == 403
    task.refresh_from_db()
    assert task.status == "requested"
    assert PurchaseRequest.objects.get(pk=rid).status == "completed"


def test_a_doi_only_article_is_not_offered_as_a_purchase(student, client, api):
    """An article with a DOI and no ISBN: Find it offers no "Suggest the library buy it" but a way
    to get a copy — the inter-library loan request (CON-2) or, where the library takes none from
    readers, the advice to ask for one (document delivery / inter-library loan); the API refuses
    the purchase (SRV-3)."""
    from syllabus.org import config

    client.force_login(student)
    page = client.get(f"/openurl?{openurl.from_csl(ARTICLE)}").content.decode()
    assert 'data-testid="next-steps"' in page and "Suggest the library buy it" not in page
    assert 'data-testid="next-ill"' in page and 'data-testid="ask-for-a-copy"' not in page
    config.set_value("ill_reader_requests_enabled", False, institution=student.institution)
    page = client.get(f"/openurl?{openurl.from_csl(ARTICLE)}").content.decode()
    assert 'data-testid="ask-for-a-copy"' in page and "document delivery" in page and 'data-testid="next-ill"' not in page
    r = api(student).post("/api/v1/purchase-suggestions", {"citation": ARTICLE})
    assert r.status_code == 400 and r.json()["rule"] == "SRV-3" and "copy" in r.json()["detail"]
    assert not PurchaseRequest.objects.exists()


def test_bought_finds_the_record_by_any_of_its_isbns_as_find_it_does(student, librarian, api, client, inst_a, library_a):
    """SRV-3: a record the library holds under two ISBNs (here the suggested one is its second) is
    the record Bought links — the one Find it shows for the title — never a second record."""
    from syllabus.catalog import services as catalog

    both = catalog.save_record(None, inst_a, {**NOBODY, "ISBN": "9780131103627 9780306406157"}).record
    assert both.isbn != "9780306406157"  # the suggested ISBN is not the record's first
    before = Record.objects.count()
    rid = _suggest(api, student, NOBODY)
    assert api(librarian).post(f"/api/v1/purchase-requests/{rid}/complete").json()["record_id"] == both.pk
    assert Record.objects.count() == before


def test_bought_never_writes_another_institutions_list_item(student, librarian, api, client, make_user, inst_b,
                                                            library_a):
    """SRV-3/DSV-6, session 16.  A student of A cross-registered in a course of B opens Find it from
    an item of B's list (``from_item``) and suggests the purchase to A's library.  Before: A's
    librarian pressing Bought linked B's list item to A's catalog record — a write into another
    institution's list, whose students then saw A's copy.  Now a suggestion keeps only an item of
    the library's own institution, and Bought links only such an item."""
    from syllabus.courses.models import Enrollment
    from syllabus.lists import services as lists
    from syllabus.lists.models import Citation
    from tests.factories import CourseFactory

    teacher_b = make_user("teacher-b", institution=inst_b)
    course_b = CourseFactory(institution=inst_b, code="ARTS200", name="Arts of Nowhere", term="2026S")
    course_b.instructors.add(teacher_b)
    Enrollment.objects.create(course=course_b, user=student)
    lst = lists.create_list(teacher_b, title="Nowhere readings", courses=[course_b])
    section = lists.add_section(teacher_b, lst, title="Week 1")
    item = lists.add_citation(teacher_b, lst, section, "book", dict(NOBODY))
    lists.publish_list(teacher_b, lst)
    Citation.objects.filter(pk=item.pk).update(record=None)
    client.force_login(student)
    url = f"{reverse('acquisitions:suggest')}?{openurl.from_csl(NOBODY)}&from_item={item.pk}"
    assert client.post(url, {"note": "for my essay"}).status_code == 302
    suggestion = PurchaseRequest.objects.get(requester=student)
    assert suggestion.institution_id == student.institution_id and suggestion.from_citation_id is None
    # a row written before the fix: Bought still leaves B's item alone
    PurchaseRequest.objects.filter(pk=suggestion.pk).update(from_citation=item)
    r = api(librarian).post(f"/api/v1/purchase-requests/{suggestion.pk}/complete")
    assert r.status_code == 200
    item.refresh_from_db()
    assert item.record_id is None
    assert Record.objects.get(pk=r.json()["record_id"]).institution_id == student.institution_id

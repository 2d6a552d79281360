"""Why a copy is not on the shelf, said honestly (found by s21-outside on the demo's *Wealth of
Nations*, whose copies withdrawn for controlled digital lending said "on order or being
processed"): a print copy withdrawn so that its digital copy is lent (LDL-2) is "lent digitally"
— with when the first one is back — or "lent as a digital copy only" when no reader has it now,
and a hold, which could never be filled from it, is not offered; a copy the library bought is "on
order", with its expected date (SRV-3); the API's ``unavailable`` says the same (SRV-5, DSV-6)."""
from __future__ import annotations

import pytest
from bs4 import BeautifulSoup
from django.utils.timezone import localtime
from playwright.sync_api import expect

from syllabus.catalog.models import Item, Representation
from syllabus.core.errors import RuleViolation
from syllabus.org.roles import Role

from .conftest import add_items, cdl_policy, cite, make_record


@pytest.fixture
def lent(published, instructor, inst_a, library_a, make_user):
    """A title whose two print copies are withdrawn and lent digitally (two concurrent users)."""
    from syllabus.lending import services as lending

    lst, section = published
    record = make_record(inst_a, "The Wealth of Nations")
    copies = add_items(record, library_a, [Item.Status.IN_PROCESS, Item.Status.IN_PROCESS], location="Stack (withdrawn for CDL)")
    staff = make_user("cdl-staff", group="staff", roles=[Role.DIGITAL_INVENTORY_OPERATOR])
    policy = cdl_policy(staff, inst_a)
    rep = Representation.objects.create(record=record, library=library_a, label="Digitised print copy")
    lending.configure_representation(staff, rep, policy=policy, concurrent_users=2)
    lending.add_related_items(staff, rep, copies)
    ordered = make_record(inst_a, "Bought and on its way")
    add_items(ordered, library_a, [Item.Status.IN_PROCESS])
    return {"list": lst, "item": cite(instructor, lst, section, record), "on_order": cite(instructor, lst, section, ordered),
            "rep": rep}


def _physical(api, user, lst, citation) -> dict:
    body = api(user).get(f"/api/v1/lists/{lst.pk}").json()
    found = {c["id"]: c for s in body["sections"] for c in s["citations"]}
    return found[citation.pk]["access"]


def _why(client, user, lst, citation) -> str:
    client.force_login(user)
    page = BeautifulSoup(client.get(f"/lists/{lst.pk}/").content, "html.parser")
    item = page.select_one(f"#item-{citation.pk}")
    return " ".join(item.select_one("[data-testid=unavailable-why]").get_text(" ", strip=True).split())


@pytest.mark.django_db
def test_ldl2_a_copy_out_on_a_digital_loan_says_so_with_the_first_one_back(lent, student, make_user, api, client):
    from syllabus.lending import services as lending
    from syllabus.lending.models import LoanRequest

    lst, item = lent["list"], lent["item"]
    # nobody reads it: both copies are kept for digital lending, the digital loan is the way to them
    access = _physical(api, student, lst, item)
    assert access["physical"][0]["unavailable"] == {"digital_only": 2}
    assert access["physical"][0]["available"] == 0 and access["holdable"] is False
    assert _why(client, student, lst, item) == "2 lent as a digital copy only"

    # a reader opens one: one copy is out, back when their session ends
    reader = make_user("reader-a")
    req = lending.access(reader, lending.request_loan(reader, lent["rep"]))
    back = localtime(LoanRequest.objects.get(pk=req.pk).session_due_at).date().isoformat()
    access = _physical(api, student, lst, item)
    assert access["physical"][0]["unavailable"] == {"digital_loan": 1, "digital_only": 1}
    assert access["physical"][0]["digital_back"] == back
    assert _why(client, student, lst, item) == f"1 lent digitally (the first back by {back}), 1 lent as a digital copy only"

    # a second reader takes the other one (in their grace period: no session end known yet)
    lending.request_loan(make_user("reader-b"), lent["rep"])
    assert _physical(api, student, lst, item)["physical"][0]["unavailable"] == {"digital_loan": 2}
    assert _why(client, student, lst, item) == f"2 lent digitally (the first back by {back})"

    # a copy in process that no order of ours brings still says what it may be
    assert _physical(api, student, lst, lent["on_order"])["physical"][0]["unavailable"] == {"in_process": 1}
    assert _why(client, student, lst, lent["on_order"]) == "1 on order or being processed"


@pytest.mark.django_db
def test_srv5_no_hold_waits_for_a_copy_withdrawn_for_digital_lending(lent, student, library_a, client):
    from syllabus.circulation import services as circulation
    from syllabus.lending.models import AccessRightsPolicy

    with pytest.raises(RuleViolation, match=r"SRV-5: this title's copies are lent digitally only \(LDL-2\)"):
        circulation.place_hold(student, lent["item"], pickup_library=library_a)
    # the hold page reached by its address says so and leads to the digital loan, with no form to fail
    client.force_login(student)
    page = BeautifulSoup(client.get(f"/circulation/citations/{lent['item'].pk}/hold/").content, "html.parser")
    assert not page.select("[data-testid=hold-form]")
    assert "lent digitally only" in page.select_one("[data-testid=hold-none]").get_text()
    assert page.select_one("[data-testid=hold-none-loan]")["href"] == f"/lending/titles/{lent['rep'].pk}/"
    # once the title is no longer lent digitally, its copy in process is an ordinary one again
    AccessRightsPolicy.objects.filter(representations__representation=lent["rep"]).update(long_term_loan=False)
    assert circulation.place_hold(student, lent["item"], pickup_library=library_a).pk


@pytest.mark.django_db
def test_ldl3_the_digital_loan_opened_from_a_list_item_leads_back_to_the_list(lent, student, instructor, client):
    """LDL-3, DSV-6 (session 25's outside walk): from a list, the digital loan's page (join the
    waitlist) led only to "Digital loans", not back to the student's list as Find it, a hold or a
    scan do; an item of a list the reader cannot open, or a junk value, says nothing (never a 500)."""
    from syllabus.lists import services

    lst, item, rep = lent["list"], lent["item"], lent["rep"]
    client.force_login(student)
    page = BeautifulSoup(client.get(f"/lists/{lst.pk}/").content, "html.parser")
    href = page.select_one(f"#item-{item.pk} [data-kind=loan] a")["href"]
    assert href == f"/lending/titles/{rep.pk}/?from_item={item.pk}"
    title = BeautifulSoup(client.get(href).content, "html.parser")
    back = title.select_one("[data-testid=back-to-list]")
    assert back["href"] == f"/lists/{lst.pk}/#item-{item.pk}" and back.get_text(strip=True) == f"Back to {lst.title}"
    hidden = services.create_list(instructor, title="A draft of no course of the student's")
    foreign = services.add_citation(instructor, hidden, services.add_section(instructor, hidden, title="W1"), "book", {"title": "X"})
    for value in (str(foreign.pk), "abc", "9" * 30, ""):
        r = client.get(f"/lending/titles/{rep.pk}/", {"from_item": value})
        assert r.status_code == 200 and b'data-testid="back-to-list"' not in r.content and b"Digital loans" in r.content


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_ldl2_the_student_sees_lent_digitally_in_english_and_french(page, login, lent, make_user):
    from syllabus.lending import services as lending

    lending.request_loan(make_user("reader-c"), lent["rep"])
    login("student")
    page.goto(f"/lists/{lent['list'].pk}/")
    item = page.locator(f"#item-{lent['item'].pk}")
    expect(item.get_by_test_id("unavailable-why")).to_have_text("1 lent digitally, 1 lent as a digital copy only")
    expect(item.get_by_test_id("place-hold")).to_have_count(0)
    expect(item.locator("[data-kind=loan] a")).to_have_attribute("href", f"/lending/titles/{lent['rep'].pk}/?from_item={lent['item'].pk}")
    page.context.add_cookies([{"name": "django_language", "value": "fr", "url": page.url}])
    page.goto(f"/lists/{lent['list'].pk}/")
    expect(item.get_by_test_id("unavailable-why")).to_have_text("1 en prêt numérique, 1 prêté uniquement en version numérique")


@pytest.mark.django_db
def test_srv3_a_copy_the_library_bought_says_on_order_with_its_expected_date(published, instructor, librarian, student, api,
                                                                            client, inst_a, library_a):
    """A copy in process that an open order brings is "on order" — with the date the library
    expects it, once it gives one — not "on order or being processed" (SRV-3, SRV-5)."""
    from syllabus.acquisitions import services as acquisitions
    from syllabus.acquisitions.models import AcquisitionTask

    lst, section = published
    from syllabus.lists import services as lists

    # an item the library has no copy of: buying it brings the record and its copy on order
    wanted = lists.add_citation(instructor, lst, section, "book", {"title": "The British Industrial Revolution",
                                                                   "author": [{"family": "Allen", "given": "Robert C."}]})
    acquisitions.complete_purchase(librarian, acquisitions.request_purchase(instructor, wanted, note="For week 2"))
    wanted.refresh_from_db()
    access = _physical(api, student, lst, wanted)
    assert access["physical"][0]["unavailable"] == {"on_order": 1} and access["physical"][0]["on_order_expected"] is None
    assert _why(client, student, lst, wanted) == "1 on order"

    order = AcquisitionTask.objects.get(purchase_request__citation=wanted)
    acquisitions.update_task(librarian, order, expected_date="2026-12-20")
    assert _physical(api, student, lst, wanted)["physical"][0]["on_order_expected"] == "2026-12-20"
    assert _why(client, student, lst, wanted) == "1 on order (expected 2026-12-20)"

    # it arrives: on the shelf
    acquisitions.complete_task(librarian, order)
    assert _physical(api, student, lst, wanted)["physical"][0]["unavailable"] == {}

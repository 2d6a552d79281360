"""CON-2 / DSV-6: a reader's own inter-library loan request from Find it — offered when the
reader's institution has no copy available (never when it has, never to an anonymous visitor),
confirmed and bounded on a form, queued for the library's staff (a supplier outside the
consortium they choose, or the member that holds it), every change a reader must know of a
letter through the outbox, "My inter-library loan requests" with cancel while not sent, and the
readers' API."""
from __future__ import annotations

import datetime as dt
import urllib.parse
from pathlib import Path

import pytest
from lxml import etree

from syllabus.catalog.models import Item, Record
from syllabus.consortium.models import IllMessage, IllRequest
from syllabus.notify.models import OutboxMessage
from syllabus.org.roles import Role
from tests.factories import LibraryFactory, UserFactory

pytestmark = pytest.mark.django_db
XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "data" / "ISO-18626-v1_2.xsd")))
NS = {"i": "http://illtransactions.org/2013/iso18626"}

BOOK = {"rft_val_fmt": "info:ofi/fmt:kev:mtx:book", "rft.btitle": "A Book Nobody Has", "rft.au": "Nobody, Ann",
        "rft.isbn": "9780226458120", "rft.date": "1970"}
ARTICLE = {"rft_val_fmt": "info:ofi/fmt:kev:mtx:journal", "rft.genre": "article", "rft.atitle": "On nothing at all",
           "rft.jtitle": "Journal of Absences", "rft.issn": "0028-0836", "rft.volume": "12", "rft.spage": "3",
           "rft.epage": "9", "rft.date": "2001"}


def _kev(fields: dict) -> str:
    return urllib.parse.urlencode({"url_ver": "Z39.88-2004", **fields})


@pytest.fixture
def world(ill_readers):
    return ill_readers


def _letters(user, code=None) -> list[str]:
    rows = OutboxMessage.objects.filter(recipient=user, channel="email").order_by("pk")
    return [r.letter for r in rows if code is None or r.letter == code]


def _ask(client, kev: str, **data):
    form = {"kind": "book", "title": "A Book Nobody Has", "author": "Ann Nobody", "isbn": "978-0-226-45812-0", **data}
    return client.post(f"/consortium/ill/ask/?{kev}", form)


# --- Find it offers it (DSV-6) ----------------------------------------------------------------------

def test_dsv6_find_it_offers_the_request_only_when_the_institution_has_no_copy_available(client, world, inst_a, library_a):
    client.force_login(world["student"])
    page = client.get(f"/openurl?{_kev(BOOK)}").content.decode()
    assert 'data-testid="next-ill"' in page and "/consortium/ill/ask/?" in page
    assert 'data-testid="ask-for-a-copy"' not in page  # the step replaces the "ask at the desk" advice

    record = Record.objects.create(institution=inst_a, source_id="a-1", title="A Book Nobody Has", isbn="9780226458120")
    item = Item.objects.create(record=record, library=library_a, barcode="A-1")
    page = client.get(f"/openurl?{_kev(BOOK)}").content.decode()
    assert 'data-testid="resolver-holdings"' in page and 'data-testid="next-ill"' not in page  # on our shelf now

    Item.objects.filter(pk=item.pk).update(status="on_loan")  # every copy out: the request is offered again
    page = client.get(f"/openurl?{_kev(BOOK)}").content.decode()
    assert 'data-testid="next-ill"' in page

    client.logout()
    assert client.get(f"/openurl?{_kev(BOOK)}").status_code == 302  # anonymous: sign in first


def test_dsv6_find_it_offers_it_for_a_title_only_another_member_holds(client, world, inst_b, library_b):
    record = Record.objects.create(institution=inst_b, source_id="b-1", title="A Book Nobody Has", isbn="9780226458120")
    Item.objects.create(record=record, library=library_b, barcode="B-1")
    client.force_login(world["student"])
    page = client.get(f"/openurl?{_kev(BOOK)}").content.decode()
    assert "other members of the consortium hold it" in page and 'data-testid="next-ill"' in page
    assert "No library of the consortium has this title yet." not in page


def test_con2_the_request_is_not_offered_where_the_library_turned_it_off(client, world, inst_a):
    from syllabus.org import config

    config.set_value("ill_reader_requests_enabled", False, institution=inst_a)
    client.force_login(world["student"])
    assert 'data-testid="next-ill"' not in client.get(f"/openurl?{_kev(BOOK)}").content.decode()
    r = _ask(client, _kev(BOOK))
    assert r.status_code == 409 and "ill_reader_requests_enabled" in r.content.decode()
    assert not IllRequest.objects.exists()


# --- the whole way, outside the consortium ---------------------------------------------------------

def test_con2_a_book_outside_the_consortium_from_the_form_to_the_readers_shelf(client, world, library_a, clock):
    from syllabus.org.services import create_api_token

    student, staff = world["student"], world["staff"]
    client.force_login(student)
    form = client.get(f"/consortium/ill/ask/?{_kev(BOOK)}").content.decode()
    assert 'value="A Book Nobody Has"' in form and 'value="9780226458120"' in form  # pre-filled from the OpenURL
    needed = (clock.now().date() + dt.timedelta(days=30)).isoformat()
    r = _ask(client, _kev(BOOK), needed_by=needed, note="For my essay")
    assert r.status_code == 302 and r["Location"] == "/consortium/ill/mine/"
    ill = IllRequest.objects.get()
    assert (ill.status, ill.service_type, ill.requester, ill.reader_request) == ("New", "Loan", student, True)
    assert (ill.isbn, ill.needed_by.isoformat(), ill.pickup_library, ill.supplying_institution) == (
        "9780226458120", needed, library_a, None)
    assert _letters(student) == ["ill_request_received"]
    mine = client.get("/consortium/ill/mine/").content.decode()
    assert "A Book Nobody Has" in mine and "Your library is looking for a library to supply it" in mine

    # the library's queue, "Our requests": the staff send it to a supplier outside the consortium
    client.force_login(staff)
    queue = client.get("/consortium/ill/?side=requester").content.decode()
    assert "A Book Nobody Has" in queue and 'data-testid="ill-send"' in queue and "needed by" in queue
    assert client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "send", "agency": "INST-B", "side": "requester"}
                       ).status_code == 400  # a member: asked at once when it holds the title
    r = client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "send", "agency": "dk-710100", "side": "requester"})
    assert r.status_code == 302
    ill.refresh_from_db()
    assert (ill.status, ill.supplying_agency) == ("RequestReceived", "DK-710100")
    sent = IllMessage.objects.get(request=ill, direction="out", kind="request")
    doc = etree.fromstring(sent.xml.encode())
    assert XSD.validate(doc) and doc.findtext(".//i:needBeforeDate", namespaces=NS) == f"{needed}T23:59:59Z"

    # the outside supplier answers over ISO 18626 with an account of the requesting member
    gateway = UserFactory(username="dk-gw", institution=staff.institution)
    from syllabus.org.services import assign_role

    assign_role(gateway, Role.REQUESTS_OPERATOR)
    token = create_api_token(gateway, name="DK-710100")[1]
    for status in ("WillSupply", "Loaned"):
        answer = client.post("/api/v1/iso18626", data=_supplier_message(ill, status).encode(), content_type="application/xml",
                             HTTP_AUTHORIZATION=f"Bearer {token}")
        assert etree.fromstring(answer.content).findtext(".//i:messageStatus", namespaces=NS) == "OK"
    assert _letters(student) == ["ill_request_received", "ill_request_supplied"]
    client.force_login(student)
    assert "On its way to your library" in client.get("/consortium/ill/mine/").content.decode()
    assert 'data-testid="ill-cancel"' not in client.get("/consortium/ill/mine/").content.decode()  # sent: no cancel

    client.force_login(staff)
    client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "received", "side": "requester"})
    assert _letters(student)[-1] == "ill_request_arrived"
    arrived = OutboxMessage.objects.get(recipient=student, letter="ill_request_arrived", channel="email")
    assert "Library A1" in arrived.body
    client.force_login(student)
    assert "Ready for you at your library" in client.get("/consortium/ill/mine/").content.decode()


def _supplier_message(ill, status: str) -> str:
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626" xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">
  <supplyingAgencyMessage>
    <header>
      <supplyingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>{ill.supplying_agency}</agencyIdValue></supplyingAgencyId>
      <requestingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>{ill.requesting_agency}</agencyIdValue></requestingAgencyId>
      <multipleItemRequestId></multipleItemRequestId>
      <timestamp>2026-03-02T09:00:00Z</timestamp>
      <requestingAgencyRequestId>{ill.requesting_agency_request_id}</requestingAgencyRequestId>
    </header>
    <messageInfo><reasonForMessage>StatusChange</reasonForMessage></messageInfo>
    <statusInfo><status>{status}</status><lastChange>2026-03-02T09:00:00Z</lastChange></statusInfo>
  </supplyingAgencyMessage>
</ISO18626Message>"""


def test_con2_an_article_is_a_copy_and_the_staff_may_find_no_supplier(client, world):
    student, staff = world["student"], world["staff"]
    client.force_login(student)
    form = client.get(f"/consortium/ill/ask/?{_kev(ARTICLE)}").content.decode()
    assert 'value="article" selected' in form and 'value="Journal of Absences"' in form and 'value="0028-0836"' in form
    r = client.post(f"/consortium/ill/ask/?{_kev(ARTICLE)}", {"kind": "article", "title": "On nothing at all",
                                                             "container_title": "Journal of Absences", "issn": "00280836",
                                                             "volume": "12", "pages": "3-9"})
    assert r.status_code == 302
    ill = IllRequest.objects.get()
    assert (ill.service_type, ill.issn, ill.container_title, ill.pages) == ("Copy", "0028-0836", "Journal of Absences", "3-9")
    from syllabus.consortium import services

    with pytest.raises(Exception) as no_reason:
        services.move_loan_request(staff, ill, "no_supplier")
    assert "reason" in str(no_reason.value)
    services.move_loan_request(staff, ill, "no_supplier", reason="Not held by any library we deal with")
    ill.refresh_from_db()
    assert ill.status == "Unfilled" and _letters(student)[-1] == "ill_request_unfilled"
    assert "Not held by any library we deal with" in OutboxMessage.objects.get(letter="ill_request_unfilled", channel="email").body
    page = client.get("/consortium/ill/mine/").content.decode()
    assert "Could not be supplied" in page and "Not held by any library we deal with" in page


# --- the consortium's flow when a member holds it --------------------------------------------------

def test_con2_a_title_another_member_holds_goes_to_that_members_queue(client, world, inst_b, library_b):
    from syllabus.consortium import services

    record = Record.objects.create(institution=inst_b, source_id="b-1", title="A Book Nobody Has", isbn="9780226458120")
    Item.objects.create(record=record, library=library_b, barcode="B-1")
    student, b_staff = world["student"], world["b_staff"]
    client.force_login(student)
    assert _ask(client, _kev(BOOK)).status_code == 302
    ill = IllRequest.objects.get()
    assert (ill.status, ill.supplying_institution, ill.record, ill.reader_request) == ("RequestReceived", inst_b, record, True)
    client.force_login(b_staff)
    assert "A Book Nobody Has" in client.get("/consortium/ill/").content.decode()  # B's "Requests to us"
    services.answer_loan_request(b_staff, ill, "unfilled", reason="Missing from the shelf")
    assert _letters(student) == ["ill_request_received", "ill_request_unfilled"]


# --- bounds, each refusal naming its rule, nothing half-written ------------------------------------

@pytest.mark.parametrize("data, words", [
    ({"title": ""}, "CON-2:</strong> title: the title to ask for is required"),
    ({"isbn": "978-0-00-000000-1"}, "CON-2:</strong> isbn: ISBN 978-0-00-000000-1 is not valid"),
    ({"issn": "1234-5678"}, "CON-2:</strong> issn: ISSN 1234-5678 is not valid"),
    ({"doi": "not-a-doi"}, "CON-2:</strong> doi: DOI not-a-doi is not valid"),
    ({"needed_by": "2026-03-01"}, "CON-2:</strong> needed by: not in the past"),
    ({"needed_by": "2027-03-03"}, "CON-2:</strong> needed by: at most 365 days ahead"),
    ({"needed_by": "tomorrow"}, "CON-2:</strong> needed by: &#x27;tomorrow&#x27; is not a date"),
    ({"note": "x" * 2001}, "CON-2:</strong> note: Ensure this value has at most 2000 characters"),
    ({"kind": "film"}, "CON-2:</strong> kind:"),
    ({"kind": "article"}, "CON-2:</strong> container title: the journal or book"),
    ({"pickup_library": "999999"}, "CON-2:</strong> pickup library: one of your institution"),
])
def test_con2_bounds_name_the_rule_and_write_nothing(client, world, data, words):
    client.force_login(world["student"])
    r = _ask(client, _kev(BOOK), **data)
    assert r.status_code == 400 and words in r.content.decode()
    assert 'value="A Book Nobody Has"' in r.content.decode() or not data.get("title", "x")  # the input kept
    assert not IllRequest.objects.exists() and not OutboxMessage.objects.exists()


def test_con2_the_last_needed_by_day_is_accepted(client, world, clock):
    client.force_login(world["student"])
    assert _ask(client, _kev(BOOK), needed_by="2027-03-02").status_code == 302  # today + 365


def test_con2_where_the_institution_has_several_libraries_the_reader_chooses(client, world, inst_a, inst_b, library_b):
    second = LibraryFactory(institution=inst_a, code="lib-a2", name="Library A2")
    client.force_login(world["student"])
    r = _ask(client, _kev(BOOK))
    assert r.status_code == 400 and "CON-2:</strong> pickup library: choose where you collect it" in r.content.decode()
    assert _ask(client, _kev(BOOK), pickup_library=str(library_b.pk)).status_code == 400  # another institution's
    assert _ask(client, _kev(BOOK), pickup_library=str(second.pk)).status_code == 302
    assert IllRequest.objects.get().pickup_library == second


def test_con2_per_reader_limits_open_and_per_day_are_configurable_and_bounded(client, world, inst_a, clock):
    from syllabus.consortium import reader_requests
    from syllabus.org import config

    student = world["student"]
    config.set_value("ill_reader_max_open", 2, institution=inst_a)
    client.force_login(student)
    assert _ask(client, _kev(BOOK), title="One", isbn="").status_code == 302
    again = _ask(client, _kev(BOOK), title="one", isbn="")
    assert again.status_code == 409 and "you already asked for this title" in again.content.decode()
    assert _ask(client, _kev(BOOK), title="Two", isbn="").status_code == 302
    third = _ask(client, _kev(BOOK), title="Three", isbn="")
    assert third.status_code == 409 and "CON-2:</strong> at most 2 of your inter-library loan requests are open at once " \
                                        "(ill_reader_max_open)" in third.content.decode()
    # cancelling frees a place; the day's count still holds
    config.set_value("ill_reader_max_per_day", 3, institution=inst_a)
    reader_requests.cancel_my_request(student, IllRequest.objects.get(title="Two").pk)
    assert _ask(client, _kev(BOOK), title="Three", isbn="").status_code == 302
    reader_requests.cancel_my_request(student, IllRequest.objects.get(title="Three").pk)
    four = _ask(client, _kev(BOOK), title="Four", isbn="")
    assert four.status_code == 409 and "at most 3 inter-library loan requests a day (ill_reader_max_per_day)" in \
        four.content.decode()
    clock.advance(dt.timedelta(hours=25))
    assert _ask(client, _kev(BOOK), title="Four", isbn="").status_code == 302
    # a configured value above the ceiling counts as the ceiling
    config.set_value("ill_reader_max_open", 10_000, institution=inst_a)
    assert reader_requests._limit("ill_reader_max_open", inst_a) == reader_requests.LIMIT_CEILING == 50


def test_con2_a_title_available_in_the_readers_library_is_refused(world, inst_a, library_a):
    from syllabus.consortium import reader_requests
    from syllabus.core.errors import RuleViolation

    record = Record.objects.create(institution=inst_a, source_id="a-1", title="A Book Nobody Has", isbn="9780226458120")
    Item.objects.create(record=record, library=library_a, barcode="A-1")
    with pytest.raises(RuleViolation) as refused:
        reader_requests.ask_for_ill(world["student"], {"kind": "book", "title": "A Book Nobody Has", "isbn": "9780226458120"})
    assert refused.value.status == 409 and "your library has this title available" in refused.value.detail
    assert not IllRequest.objects.exists()


def test_con2_a_failed_letter_leaves_no_request(world, monkeypatch):
    from syllabus.consortium import reader_requests

    def broken(*args, **kwargs):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(reader_requests, "tell_reader", broken)
    with pytest.raises(RuntimeError):
        reader_requests.ask_for_ill(world["student"], {"kind": "book", "title": "A Book Nobody Has"})
    assert not IllRequest.objects.exists()


def test_con2_the_form_needs_its_csrf_token(world):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(world["student"])
    assert strict.post(f"/consortium/ill/ask/?{_kev(BOOK)}", {"kind": "book", "title": "X"}).status_code == 403
    assert not IllRequest.objects.exists()


# --- cancel rules ----------------------------------------------------------------------------------

def test_con2_the_reader_cancels_until_the_item_is_sent_and_only_their_own(client, world, inst_b, library_b, make_user):
    from syllabus.consortium import services

    student, b_staff = world["student"], world["b_staff"]
    client.force_login(student)
    _ask(client, _kev(BOOK), title="Not sent yet", isbn="")
    unsent = IllRequest.objects.get(title="Not sent yet")
    other = make_user("other-student")
    client.force_login(other)
    assert client.post(f"/consortium/ill/mine/{unsent.pk}/cancel/").status_code == 404  # not theirs
    client.force_login(student)
    assert client.post(f"/consortium/ill/mine/{unsent.pk}/cancel/").status_code == 302
    unsent.refresh_from_db()
    assert unsent.status == "Cancelled" and _letters(student)[-1] == "ill_request_cancelled"

    record = Record.objects.create(institution=inst_b, source_id="b-1", title="A Book Nobody Has", isbn="9780226458120")
    Item.objects.create(record=record, library=library_b, barcode="B-1")
    _ask(client, _kev(BOOK))
    asked = IllRequest.objects.get(title="A Book Nobody Has")
    services.answer_loan_request(b_staff, asked, "will_supply")
    assert client.post(f"/consortium/ill/mine/{asked.pk}/cancel/").status_code == 302  # Cancel to the member
    asked.refresh_from_db()
    assert asked.status == "Cancelled"
    assert IllMessage.objects.filter(request=asked, kind="requestingAgencyMessage").exists()

    _ask(client, _kev(BOOK))
    lent = IllRequest.objects.exclude(status="Cancelled").get(title="A Book Nobody Has")
    services.answer_loan_request(b_staff, lent, "will_supply")
    services.answer_loan_request(b_staff, lent, "loan")
    r = client.post(f"/consortium/ill/mine/{lent.pk}/cancel/")
    assert r.status_code == 409 and "can no longer be cancelled" in r.content.decode()
    lent.refresh_from_db()
    assert lent.status == "Loaned"


# --- from a list item --------------------------------------------------------------------------------

def test_dsv6_from_a_list_item_the_way_back_works_and_the_request_links_the_item(client, world, instructor, course):
    from syllabus.lists import services as lists

    lst = lists.create_list(instructor, title="Absences 101", courses=[course])
    item = lists.add_citation(instructor, lst, None, "book", {"title": "A Book Nobody Has", "ISBN": "9780226458120"})
    lists.publish_list(instructor, lst)
    client.force_login(world["student"])
    find_it = client.get(f"/openurl?{_kev(BOOK)}&from_item={item.pk}").content.decode()
    assert f"from_item={item.pk}" in find_it.split('data-testid="next-ill"')[0].rsplit("<a", 1)[1]
    form = client.get(f"/consortium/ill/ask/?{_kev(BOOK)}&from_item={item.pk}").content.decode()
    assert 'data-testid="back-to-list"' in form and "Absences 101" in form
    assert client.post(f"/consortium/ill/ask/?{_kev(BOOK)}&from_item={item.pk}",
                       {"kind": "book", "title": "A Book Nobody Has"}).status_code == 302
    assert IllRequest.objects.get().citation == item
    mine = client.get("/consortium/ill/mine/").content.decode()
    assert f"/lists/{lst.pk}/#item-{item.pk}" in mine


# --- the readers' API -------------------------------------------------------------------------------

def test_con2_the_readers_api_creates_lists_pages_and_cancels_with_problem_details(api, world, make_user):
    student = world["student"]
    me = api(student)
    r = me.post("/api/v1/me/ill-requests", {"kind": "article", "title": "On nothing at all",
                                            "container_title": "Journal of Absences", "doi": "10.1000/xyz123"})
    assert r.status_code == 201, r.content
    body = r.json()
    assert (body["service_type"], body["status"], body["doi"], body["cancellable"]) == ("Copy", "New", "10.1000/xyz123", True)
    assert body["status_text"] == "Your library is looking for a library to supply it"
    bad = me.post("/api/v1/me/ill-requests", {"title": "X", "needed_by": "2020-01-01"})
    assert bad.status_code == 400 and bad.json()["rule"] == "CON-2" and "not in the past" in bad.json()["detail"]
    assert bad["Content-Type"].startswith("application/problem+json")
    for n in range(2):
        assert me.post("/api/v1/me/ill-requests", {"title": f"Book {n}"}).status_code == 201
    page = me.get("/api/v1/me/ill-requests", {"limit": 2}).json()
    assert page["count"] == 3 and len(page["items"]) == 2 and page["items"][0]["title"] == "Book 1"
    other = api(make_user("other-student"))
    assert other.get("/api/v1/me/ill-requests").json()["count"] == 0
    assert other.get(f"/api/v1/me/ill-requests/{body['id']}").status_code == 404
    assert other.post(f"/api/v1/me/ill-requests/{body['id']}/cancel").status_code == 404
    done = me.post(f"/api/v1/me/ill-requests/{body['id']}/cancel")
    assert done.status_code == 200 and done.json()["status"] == "Cancelled" and done.json()["status_text"] == "Cancelled"
    again = me.post(f"/api/v1/me/ill-requests/{body['id']}/cancel")
    assert again.status_code == 409 and again.json()["rule"] == "CON-2"
    assert api().get("/api/v1/me/ill-requests").status_code == 401


# --- every role, both institutions -------------------------------------------------------------------

def test_con2_every_role_of_the_institution_may_ask_and_only_its_ill_staff_send(client, world, inst_b, make_user):
    from syllabus.consortium.permissions import ILL_STAFF_ROLES
    from syllabus.org.services import assign_role

    client.force_login(world["student"])
    _ask(client, _kev(BOOK))
    ill = IllRequest.objects.get()
    for role in Role:
        person = make_user(f"r-{role.value}"[:30], group="staff", roles=[role])
        client.force_login(person)
        assert client.get(f"/consortium/ill/ask/?{_kev(BOOK)}").status_code == 200, role
        mine = client.get("/consortium/ill/mine/")
        assert mine.status_code == 200 and "A Book Nobody Has" not in mine.content.decode(), role  # the student's
        assert client.post(f"/consortium/ill/mine/{ill.pk}/cancel/").status_code == 404, role
        sent = client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "send", "agency": "DK-1", "side": "requester"})
        allowed = role in ILL_STAFF_ROLES
        assert sent.status_code == (302 if allowed else 404), role
        if allowed:
            IllRequest.objects.filter(pk=ill.pk).update(status="New", supplying_agency="")
    # a person of the other institution holding every role sees nothing of it and moves nothing
    everything = UserFactory(username="b-all", institution=inst_b)
    for role in Role:
        assign_role(everything, role)
    client.force_login(everything)
    assert client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "send", "agency": "DK-1"}).status_code == 404
    assert client.post(f"/consortium/ill/mine/{ill.pk}/cancel/").status_code == 404
    assert "A Book Nobody Has" not in client.get("/consortium/ill/?side=requester").content.decode()
    ill.refresh_from_db()
    assert ill.status == "New"


def test_the_ask_form_is_prefilled_with_every_part_of_a_name_and_a_year_given_as_text():
    """CON-2: the form confirms the citation Find it had — "Vincent van Gogh", not "Vincent Gogh";
    a CSL date written as text (``raw``) still gives its year."""
    from syllabus.consortium.reader_requests import initial

    form = initial({"type": "book", "title": "Letters",
                    "author": [{"given": "Vincent", "non-dropping-particle": "van", "family": "Gogh"},
                               {"family": "King", "given": "Martin Luther", "suffix": "Jr."},
                               {"literal": "World Health Organization"}],
                    "issued": {"raw": "Spring 1999"}})
    assert form["author"] == "Vincent van Gogh; Martin Luther King Jr.; World Health Organization"
    assert form["year"] == "1999"


def test_an_empty_queue_points_to_the_other_side(client, world):
    """Session 17 (the new user's walk): the menu's count includes our readers' new requests, which
    are under *Our requests*; an empty *Requests to us* says so and leads there."""
    client.force_login(world["student"])
    assert _ask(client, _kev(BOOK), pickup_library="").status_code in (200, 302)
    client.force_login(world["staff"])
    page = client.get("/consortium/ill/").content.decode()
    assert 'data-testid="ill-none"' in page and 'href="?side=requester">Our requests:' in page
    ours = client.get("/consortium/ill/?side=requester").content.decode()
    assert "A Book Nobody Has" in ours and 'data-testid="ill-none"' not in ours

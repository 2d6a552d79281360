"""CON-2 acceptance 3: inter-library loan between the two members in ISO 18626 — the full happy
path and the Unfilled path, every message (and confirmation) valid against the standard's XSD
(tests/data/ISO-18626-v1_2.xsd), and an outside ILL system posting raw XML over HTTP."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from lxml import etree

from syllabus.catalog.models import Record
from syllabus.consortium import services
from syllabus.consortium.models import IllMessage, IllRequest
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.org.roles import Role
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "data" / "ISO-18626-v1_2.xsd")))
NS = {"i": "http://illtransactions.org/2013/iso18626"}


@pytest.fixture
def world(inst_a, inst_b, library_b, clock):
    from syllabus.org.services import assign_role

    a_staff = UserFactory(username="a-ill", institution=inst_a)
    assign_role(a_staff, Role.REQUESTS_OPERATOR)
    b_staff = UserFactory(username="b-ill", institution=inst_b)
    assign_role(b_staff, Role.REQUESTS_OPERATOR)
    record = Record.objects.create(institution=inst_b, source_id="b-991", title="The Structure of Scientific Revolutions",
                                   creators="Kuhn, Thomas S.", isbn="9780226458120")
    return {"a": a_staff, "b": b_staff, "record": record}


def _all_valid(ill=None):
    rows = IllMessage.objects.all() if ill is None else IllMessage.objects.filter(request=ill)
    kinds = []
    for m in rows.order_by("pk"):
        doc = etree.fromstring(m.xml.encode())
        assert XSD.validate(doc), f"{m.kind}: {XSD.error_log}"
        kinds.append((m.direction, m.kind))
    return kinds


def _status_of(message_xml: str) -> str:
    return etree.fromstring(message_xml.encode()).findtext(".//i:statusInfo/i:status", namespaces=NS)


def test_the_full_iso18626_happy_path_between_the_two_members(world, clock):
    a, b, record = world["a"], world["b"], world["record"]
    ill = services.raise_loan_request(a, record, note="For HIST101, week 3")
    assert (ill.requesting_agency, ill.supplying_agency, ill.status) == ("INST-A", "INST-B", "RequestReceived")
    assert ill.record == record and ill.requester == a and ill.supplying_agency_request_id == f"SYL-ILL-{ill.pk}"

    with pytest.raises(PermissionDenied):              # the requester does not answer its own request
        services.answer_loan_request(a, ill, "will_supply")
    for action in ("expect_to_supply", "will_supply"):
        ill = services.answer_loan_request(b, ill, action)
    ill = services.answer_loan_request(b, ill, "loan", due_days=21)
    assert ill.status == "Loaned" and ill.due_date == clock.now() + dt.timedelta(days=21)
    ill = services.act_on_loan_request(a, ill, "received")
    assert ill.received and ill.status == "Loaned"
    clock.advance(dt.timedelta(days=22))
    from syllabus.consortium.tasks import ill_overdue

    assert ill_overdue(clock.now()) == 1 and ill_overdue(clock.now()) == 0
    ill.refresh_from_db()
    assert ill.status == "Overdue"
    ill = services.answer_loan_request(b, ill, "recall", note="Needed back")
    assert ill.status == "Recalled"
    with pytest.raises(RuleViolation) as early:
        services.answer_loan_request(b, ill, "check_in")
    assert early.value.rule == "CON-2" and "ShippedReturn" in early.value.detail
    ill = services.act_on_loan_request(a, ill, "shipped_return")
    ill = services.answer_loan_request(b, ill, "check_in")
    assert ill.status == "LoanCompleted"

    kinds = _all_valid(ill)
    assert [k for d, k in kinds if d == "in"] == [
        "request", "supplyingAgencyMessage", "supplyingAgencyMessage", "supplyingAgencyMessage", "requestingAgencyMessage",
        "supplyingAgencyMessage", "supplyingAgencyMessage", "requestingAgencyMessage", "supplyingAgencyMessage"]
    assert {k for d, k in kinds if d == "out"} == {"requestConfirmation", "supplyingAgencyMessageConfirmation",
                                                   "requestingAgencyMessageConfirmation"}
    statuses = [_status_of(m.xml) for m in ill.messages.filter(kind="supplyingAgencyMessage", direction="in").order_by("pk")]
    assert statuses == ["ExpectToSupply", "WillSupply", "Loaned", "Overdue", "Recalled", "LoanCompleted"]


def test_the_unfilled_path(world):
    a, b, record = world["a"], world["b"], world["record"]
    ill = services.raise_loan_request(a, record)
    with pytest.raises(RuleViolation):
        services.answer_loan_request(b, ill, "unfilled")          # a reason is required
    ill = services.answer_loan_request(b, ill, "unfilled", reason="NotOnShelf")
    assert ill.status == "Unfilled" and ill.reason_unfilled == "NotOnShelf"
    with pytest.raises(RuleViolation) as closed:
        services.answer_loan_request(b, ill, "loan")
    assert closed.value.rule == "CON-2" and closed.value.status == 409
    _all_valid(ill)
    last = ill.messages.filter(kind="supplyingAgencyMessage").last()
    assert _status_of(last.xml) == "Unfilled"
    assert etree.fromstring(last.xml.encode()).findtext(".//i:reasonUnfilled", namespaces=NS) == "NotOnShelf"


def test_one_does_not_borrow_ones_own_record_and_students_raise_nothing(world, inst_a, student):
    own = Record.objects.create(institution=inst_a, source_id="a-1", title="Ours")
    with pytest.raises(RuleViolation):
        services.raise_loan_request(world["a"], own)
    with pytest.raises(PermissionDenied):
        services.raise_loan_request(student, world["record"])


OUTSIDE_REQUEST = """<?xml version="1.0" encoding="UTF-8"?>
<ISO18626Message xmlns="http://illtransactions.org/2013/iso18626" xmlns:ill="http://illtransactions.org/2013/iso18626" ill:version="1.2">
  <request>
    <header>
      <supplyingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>INST-B</agencyIdValue></supplyingAgencyId>
      <requestingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>DK-710100</agencyIdValue></requestingAgencyId>
      <multipleItemRequestId></multipleItemRequestId>
      <timestamp>2026-03-02T09:00:00Z</timestamp>
      <requestingAgencyRequestId>OUT-0001</requestingAgencyRequestId>
    </header>
    <bibliographicInfo>
      <title>The Structure of Scientific Revolutions</title>
      <bibliographicItemId><bibliographicItemIdentifier>9780226458120</bibliographicItemIdentifier>
        <bibliographicItemIdentifierCode>ISBN</bibliographicItemIdentifierCode></bibliographicItemId>
    </bibliographicInfo>
    <serviceInfo><serviceType>Loan</serviceType></serviceInfo>
  </request>
</ISO18626Message>"""


def _post(client, token, body: str):
    return client.post("/api/v1/iso18626", data=body.encode(), content_type="application/xml",
                       HTTP_AUTHORIZATION=f"Bearer {token}")


def test_an_outside_ill_system_posts_raw_xml_over_http(client, world, inst_b):
    from syllabus.org.services import create_api_token

    assert XSD.validate(etree.fromstring(OUTSIDE_REQUEST.encode()))
    # the outside system holds an account of the supplying member (a Requests Operator there)
    gateway = UserFactory(username="dk-710100", institution=inst_b)
    from syllabus.org.services import assign_role

    assign_role(gateway, Role.REQUESTS_OPERATOR)
    token = create_api_token(gateway, name="DK-710100 ILL")[1]
    r = _post(client, token, OUTSIDE_REQUEST)
    assert r.status_code == 200 and r["Content-Type"].startswith("application/xml")
    answer = etree.fromstring(r.content)
    assert XSD.validate(answer) and answer.findtext(".//i:messageStatus", namespaces=NS) == "OK"
    ill = IllRequest.objects.get(requesting_agency="DK-710100", requesting_agency_request_id="OUT-0001")
    assert ill.supplying_institution == inst_b and ill.requesting_institution is None and ill.record == world["record"]
    assert _post(client, token, OUTSIDE_REQUEST).status_code == 200          # sent twice: one request
    assert IllRequest.objects.filter(requesting_agency="DK-710100").count() == 1

    # the supplier answers in its queue; the message for the outside system is kept for it
    services.answer_loan_request(world["b"], ill, "will_supply")
    services.answer_loan_request(world["b"], ill, "loan")
    received = OUTSIDE_REQUEST.replace("<request>", "<requestingAgencyMessage>").replace("</request>", "</requestingAgencyMessage>")
    received = received.split("<bibliographicInfo>")[0] + "<action>Received</action></requestingAgencyMessage>\n</ISO18626Message>"
    r = _post(client, token, received)
    assert r.status_code == 200 and etree.fromstring(r.content).findtext(".//i:messageStatus", namespaces=NS) == "OK"
    ill.refresh_from_db()
    assert ill.received and ill.status == "Loaned"
    _all_valid(ill)

    # a message that is not ISO 18626 is refused with the rule; an unknown request is an ERROR confirmation
    bad = _post(client, token, "<ISO18626Message/>")
    assert bad.status_code == 400 and bad.json()["rule"] == "CON-2"
    unknown = _post(client, token, received.replace("OUT-0001", "OUT-9999"))
    doc = etree.fromstring(unknown.content)
    assert XSD.validate(doc) and doc.findtext(".//i:messageStatus", namespaces=NS) == "ERROR"


def test_an_outside_system_speaks_only_for_its_own_member(client, world, inst_a):
    from syllabus.org.services import assign_role, create_api_token

    other = UserFactory(username="intruder", institution=inst_a)
    assign_role(other, Role.REQUESTS_OPERATOR)
    token = create_api_token(other, name="x")[1]
    r = _post(client, token, OUTSIDE_REQUEST)          # a request to INST-B with INST-A's account
    assert r.status_code == 403 and r.json()["rule"] == "CON-2"
    assert not IllRequest.objects.exists()
    # nor may an account of INST-B speak for INST-A (a member's messages come from Syllabus itself)
    b_account = UserFactory(username="b-gateway", institution=world["record"].institution)
    assign_role(b_account, Role.REQUESTS_OPERATOR)
    spoof = _post(client, create_api_token(b_account, name="y")[1], OUTSIDE_REQUEST.replace("DK-710100", "INST-A"))
    doc = etree.fromstring(spoof.content)
    assert XSD.validate(doc) and doc.findtext(".//i:messageStatus", namespaces=NS) == "ERROR"
    assert not IllRequest.objects.exists()


def test_the_record_button_the_form_and_the_owners_queue(client, world):
    a, b, record = world["a"], world["b"], world["record"]
    client.force_login(a)
    page = client.get(f"/catalog/records/{record.pk}/").content.decode()
    assert f"/consortium/ill/new/{record.pk}/" in page
    assert client.get(f"/consortium/ill/new/{record.pk}/").status_code == 200
    # CON-2: the form reads the request — a service ISO 18626 has no name for, or a note past its
    # 2,000 characters (it was cut silently), is refused naming the rule; nothing is sent
    for bad in ({"service_type": "Teleport"}, {"service_type": "Loan", "note": "x" * 2001}):
        refused = client.post(f"/consortium/ill/new/{record.pk}/", bad)
        assert refused.status_code == 400 and "<strong>CON-2:</strong>" in refused.content.decode()
    assert not IllRequest.objects.exists()
    r = client.post(f"/consortium/ill/new/{record.pk}/", {"note": "Week 3", "service_type": "Loan"})
    assert r.status_code == 302
    ill = IllRequest.objects.get()
    assert b"Week 3" in client.get("/consortium/ill/?side=requester").content

    client.force_login(b)
    queue = client.get("/consortium/ill/").content.decode()
    assert "The Structure of Scientific Revolutions" in queue and 'data-testid="ill-will_supply"' in queue
    # the queue's tab to go back to is read by the form: one the queue has not is refused before the step
    sideways = client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "will_supply", "side": "sideways"})
    assert sideways.status_code == 400 and "<strong>CON-2:</strong>" in sideways.content.decode()
    assert IllRequest.objects.get().status == ill.status
    assert client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "will_supply"}).status_code == 302
    assert client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "loan"}).status_code == 302
    ill.refresh_from_db()
    assert ill.status == "Loaned"
    refused = client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "received"})
    assert refused.status_code == 403 and b"CON-2" in refused.content


def test_the_json_api(api, world):
    a, b, record = world["a"], world["b"], world["record"]
    r = api(a).post("/api/v1/consortium/ill", {"record_id": record.pk, "note": "x"})
    assert r.status_code == 201 and r.json()["status"] == "RequestReceived" and r.json()["moves"] == ["cancel"]
    ill_id = r.json()["id"]
    queue = api(b).get("/api/v1/consortium/ill").json()["items"]
    assert [q["id"] for q in queue] == [ill_id] and "will_supply" in queue[0]["moves"]
    moved = api(b).post(f"/api/v1/consortium/ill/{ill_id}/moves", {"action": "unfilled", "reason": "Lost"})
    assert moved.status_code == 200 and moved.json()["status"] == "Unfilled"
    assert api(b).get("/api/v1/consortium/ill").json()["items"] == []


@pytest.mark.parametrize("who", ["student", "instructor", "librarian_b_less"])
def test_others_do_not_see_the_loans(api, world, request, who, make_user):
    ill = services.raise_loan_request(world["a"], world["record"])
    user = make_user("plain-staff", group="staff", roles=[Role.LETTER_ADMINISTRATOR]) if who == "librarian_b_less" \
        else request.getfixturevalue(who)
    assert api(user).get(f"/api/v1/consortium/ill/{ill.pk}").status_code == 404
    assert api(user).get("/api/v1/consortium/ill").status_code == 403
    assert api(user).post("/api/v1/consortium/ill", {"record_id": world["record"].pk}).status_code == 403


def test_another_consortium_neither_borrows_nor_sees(api, world):
    from syllabus.org.services import assign_role
    from tests.factories import ConsortiumFactory, InstitutionFactory

    far = InstitutionFactory(consortium=ConsortiumFactory(code="far-c", name="Far"), code="far", name="Far College")
    staff = UserFactory(username="far-staff", institution=far)
    assign_role(staff, Role.REQUESTS_OPERATOR)
    ill = services.raise_loan_request(world["a"], world["record"])
    assert api(staff).post("/api/v1/consortium/ill", {"record_id": world["record"].pk}).status_code == 404
    assert api(staff).get(f"/api/v1/consortium/ill/{ill.pk}").status_code == 404
    assert api(staff).get("/api/v1/consortium/ill").json()["items"] == []
    assert api(staff).post("/api/v1/consortium/requests", {"record_id": world["record"].pk, "kind": "loan"}).status_code == 404


@pytest.mark.parametrize("days, loaned", [("21", True), ("365", True), ("366", False), ("9999", False), ("0", False), ("three", False)])
def test_the_queue_page_bounds_the_loan_period_like_the_api(client, world, clock, days, loaned):
    """CON-2: the supplier's loan period typed on the ILL queue page is 1..365 days, as in the API
    (the page used to take any number up to 10,000 — a loan due in 27 years); a refusal names the rule
    and leaves the request as it was."""
    a, b, record = world["a"], world["b"], world["record"]
    ill = services.raise_loan_request(a, record)
    ill = services.answer_loan_request(b, ill, "will_supply")
    client.force_login(b)
    r = client.post(f"/consortium/ill/{ill.pk}/move/", {"action": "loan", "due_days": days})
    ill.refresh_from_db()
    if loaned:
        assert r.status_code == 302 and ill.status == "Loaned"
        assert ill.due_date == clock.now() + dt.timedelta(days=int(days))
    else:
        assert r.status_code == 400 and b"CON-2" in r.content and b"due days" in r.content
        assert ill.status != "Loaned" and ill.due_date is None

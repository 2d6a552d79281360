"""CON-4 acceptance 4: a patron of one member asks another member for a digitization of its item;
the owner's own digitization workflow handles it under the owner's rules (its EDD rule, its
approval, its patron limit, its operators) and the file is delivered to the requester."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.catalog.models import Item, Record
from syllabus.consortium import services
from syllabus.consortium.models import CrossRequest
from syllabus.core.errors import RuleViolation
from syllabus.fulfillment import services as fulfillment
from syllabus.fulfillment.models import DigitizationDepartment, DigitizationRule, Status, TaskStatus
from syllabus.notify.models import OutboxMessage
from syllabus.org.roles import Role
from syllabus.org.services import assign_role
from tests.factories import UserFactory, UserGroupFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def owner(inst_b, library_b):
    """Member B: its record and item, its staff, and its rules — approval required, document
    delivery for everyone, at most one open request per undergraduate."""
    record = Record.objects.create(institution=inst_b, source_id="b-mm", title="Middlemarch", creators="George Eliot", year=1871)
    Item.objects.create(record=record, library=library_b, barcode="B-0001", location="Stacks", call_number="PR4662")
    staff = UserGroupFactory(institution=inst_b, code="staff", name="Staff")
    undergrad = UserGroupFactory(institution=inst_b, code="undergraduate", name="Undergraduate")

    def person(name, *roles):
        u = UserFactory(username=name, institution=inst_b, user_group=staff)
        for r in roles:
            assign_role(u, r)
        return u

    fadmin = person("b-fadmin", Role.FULFILLMENT_ADMINISTRATOR)
    manager = person("b-manager", Role.FULFILLMENT_SERVICES_MANAGER)
    operator = person("b-operator")
    fulfillment.add_operator(fadmin, DigitizationDepartment.objects.get(institution=inst_b, code="DIGI_DEPT_INST"), operator)
    fulfillment.save_edd_rule(fadmin, inst_b, name="Everyone", user_groups=[], allowed=True)
    rule = DigitizationRule.objects.get(institution=inst_b, is_default=True)
    fulfillment.save_digitization_rule(fadmin, inst_b, rule=rule, approval_required=True, approval_mode="blocking",
                                       target="attachment")
    fulfillment.set_patron_limit(fadmin, undergrad, 1)
    return {"record": record, "manager": manager, "operator": operator}


def test_cross_member_digitization_is_processed_under_the_owners_rules_and_delivered(owner, student, inst_a, inst_b, clock):
    # the requester's own institution has no EDD rule: a request there would be refused (DIG-8);
    # the owner's rule decides here
    cross = services.request_from_member(student, owner["record"], "digitization",
                                         {"chapters": "Book I", "page_ranges": [{"from": 1, "to": 20}]})
    req = cross.digitization
    assert (req.institution, req.requester, req.library.institution) == (inst_b, student, inst_b)
    assert req.status == Status.PENDING_APPROVAL and req.approval == TaskStatus.PENDING   # B's approval rule
    assert cross.requesting_institution == inst_a and cross.owning_institution == inst_b

    with pytest.raises(RuleViolation) as limit:            # B's limit for its undergraduates: one open request
        services.request_from_member(student, owner["record"], "digitization", {"chapters": "Book II"})
    assert limit.value.rule == "DIG-7"

    req = fulfillment.approve(owner["manager"], req)
    req = fulfillment.pick(owner["operator"], req)
    req = fulfillment.attach_file(owner["operator"], req, SimpleUploadedFile("scan.pdf", b"%PDF-1.4 pages", content_type="application/pdf"))
    req = fulfillment.deliver(owner["operator"], req, base_url="http://testserver")
    assert req.status == Status.DELIVERED
    letter = OutboxMessage.objects.get(recipient=student, channel="email")
    assert letter.letter == "ful_digitization_notification_item" and f"/services/requests/{req.pk}/file/" in letter.body


def test_the_requester_downloads_the_delivered_file(client, owner, student):
    cross = services.request_from_member(student, owner["record"], "digitization", {"chapters": "Book I"})
    req = fulfillment.approve(owner["manager"], cross.digitization)
    req = fulfillment.pick(owner["operator"], req)
    req = fulfillment.attach_file(owner["operator"], req, SimpleUploadedFile("scan.pdf", b"%PDF-1.4 pages", content_type="application/pdf"))
    fulfillment.deliver(owner["operator"], req)
    client.force_login(student)
    r = client.get(f"/services/requests/{req.pk}/file/")
    assert r.status_code == 200 and b"".join(r.streaming_content if r.streaming else [r.content]).startswith(b"%PDF")
    assert b"Middlemarch" in client.get("/consortium/requests/").content


def test_a_cross_member_loan_goes_to_the_owners_ill_queue(api, owner, student, inst_b):
    r = api(student).post("/api/v1/consortium/requests", {"record_id": owner["record"].pk, "kind": "loan", "note": "For my essay"})
    assert r.status_code == 201 and r.json()["status"] == "RequestReceived"
    cross = CrossRequest.objects.get()
    assert cross.ill.supplying_institution == inst_b and cross.ill.requester == student and cross.ill.note == "For my essay"


def test_the_page_and_the_refusals(client, api, owner, student, inst_a):
    client.force_login(student)
    assert f"/consortium/request/{owner['record'].pk}/" in client.get(f"/catalog/records/{owner['record'].pk}/").content.decode()
    r = client.post(f"/consortium/request/{owner['record'].pk}/", {"kind": "digitization", "chapters": "Ch. 1",
                                                                   "page_from": "1", "page_to": "9"})
    assert r.status_code == 302 and CrossRequest.objects.get().digitization.page_ranges == [{"from": 1, "to": 9}]
    own = Record.objects.create(institution=inst_a, source_id="a-own", title="Ours")
    refused = api(student).post("/api/v1/consortium/requests", {"record_id": own.pk, "kind": "digitization"})
    assert refused.status_code == 400 and refused.json()["rule"] == "CON-4"


def test_the_request_page_reads_its_form_and_names_con4(client, owner, student):
    """CON-4: the page's form — a kind not offered, or a page past 100,000, is refused naming the rule
    (the kind was cut to 20 characters and passed on); a scan of pages 3-9 reaches the owner."""
    client.force_login(student)
    url = f"/consortium/request/{owner['record'].pk}/"
    for bad in ({"kind": "teleport"}, {"kind": "digitization", "page_from": "1", "page_to": "100001"}):
        r = client.post(url, bad)
        assert r.status_code == 400 and "<strong>CON-4:</strong>" in r.content.decode()
    assert not CrossRequest.objects.exists()
    r = client.post(url, {"kind": "digitization", "chapters": "Book I", "page_from": "3", "page_to": "9"})
    assert r.status_code == 302
    req = CrossRequest.objects.get().digitization
    assert req.chapters == "Book I" and req.page_ranges == [{"from": 3, "to": 9}]

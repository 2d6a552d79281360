"""Demo data of the consortium: a consortium-wide value, shared lists both members see in the
gateway, and ISO 18626 loans between Riverside and Hillcrest (every message valid)."""
import io
from pathlib import Path

from django.core.management import call_command
from lxml import etree

from syllabus.consortium import selectors
from syllabus.consortium.models import CrossRequest, IllMessage, IllRequest
from syllabus.org import config
from syllabus.org.models import Institution, User

XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "data" / "ISO-18626-v1_2.xsd")))


def test_demo_consortium(db):
    call_command("demo", no_migrate=True, stdout=io.StringIO())
    hillcrest = Institution.objects.get(code="hillcrest")
    assert config.resolve("max_upload_mb_instructor", institution=hillcrest) == (50, "consortium")
    student2 = User.objects.get(username="student2")
    assert {lst.institution.code for lst in selectors.gateway_search(student2)} == {"riverside", "hillcrest"}
    assert sorted(IllRequest.objects.values_list("status", flat=True)) == ["Loaned", "New", "RequestReceived", "RequestReceived"]
    asked = IllRequest.objects.get(status="New")  # a reader's request from Find it, in Riverside's queue (CON-2)
    assert (asked.requester.username, asked.service_type, asked.reader_request) == ("student", "Copy", True)
    riverside_staff = User.objects.get(username="librarian")
    assert asked in selectors.ill_queue(riverside_staff, side="requester")
    assert CrossRequest.objects.filter(kind="loan", requester__username="student").count() == 1
    assert all(XSD.validate(etree.fromstring(m.xml.encode())) for m in IllMessage.objects.all())
    n = IllRequest.objects.count()
    call_command("demo", no_migrate=True, stdout=io.StringIO())
    assert IllRequest.objects.count() == n

"""CLA check (SRV-2; issue 14 acceptance 4): allowed / not allowed / unknown from the offline
provider (shipped sample data) and from the HTTP provider against a local fake server; a
"not permitted" answer stops the automatic approval of a digitization request."""
from __future__ import annotations

import pytest

from syllabus.org.models import ConfigValue

from .fake_servers import FakeServer, cla_routes

pytestmark = pytest.mark.django_db

ALGORITHMS = "978-0-262-03384-8"       # Introduction to Algorithms, 3rd ed. (scan not permitted in the sample)
THOMPSON = "9780140136036"             # The Making of the English Working Class (all permitted)
UNLISTED = "9780571084036"             # not in the sample data


def _use_http(inst, url):
    ConfigValue.objects.create(key="cla_provider", institution=inst, value="http")
    ConfigValue.objects.create(key="cla_service_url", institution=inst, value=url)


def test_offline_provider_allowed_not_allowed_unknown(instructor, api):
    ok = api(instructor).get("/api/v1/cla", {"isbn": THOMPSON}).json()
    assert ok == {"photocopy": "allowed", "scan": "allowed", "digital": "allowed", "source": "offline", "error": ""}
    no = api(instructor).get("/api/v1/cla", {"isbn": ALGORITHMS}).json()
    assert (no["photocopy"], no["scan"], no["digital"]) == ("allowed", "not_allowed", "not_allowed")
    journal = api(instructor).get("/api/v1/cla", {"issn": "0028-0836"}).json()
    assert (journal["scan"], journal["digital"]) == ("allowed", "not_allowed")
    unknown = api(instructor).get("/api/v1/cla", {"isbn": UNLISTED}).json()
    assert (unknown["photocopy"], unknown["scan"], unknown["digital"]) == ("unknown", "unknown", "unknown")


def test_bad_identifiers_are_refused(instructor, api):
    for params in ({}, {"isbn": "12345"}, {"issn": "1234"}):
        r = api(instructor).get("/api/v1/cla", params)
        assert r.status_code == 400 and r.json()["rule"] == "SRV-2"
    assert api().get("/api/v1/cla", {"isbn": THOMPSON}).status_code == 401


def test_http_provider_against_a_fake_permissions_service(inst_a, instructor, api):
    table = {"9780262033848": {"photocopy": "allowed", "scan": "not_allowed", "digital": "unknown"},
             "00368075": {"photocopy": "allowed", "scan": "allowed", "digital": "allowed"}}
    with FakeServer(cla_routes(table)) as server:
        _use_http(inst_a, server.url)
        no = api(instructor).get("/api/v1/cla", {"isbn": ALGORITHMS}).json()
        assert no == {"photocopy": "allowed", "scan": "not_allowed", "digital": "unknown", "source": "http", "error": ""}
        yes = api(instructor).get("/api/v1/cla", {"issn": "0036-8075"}).json()
        assert (yes["scan"], yes["digital"], yes["source"]) == ("allowed", "allowed", "http")
        unknown = api(instructor).get("/api/v1/cla", {"isbn": THOMPSON}).json()     # 404: not covered
        assert (unknown["photocopy"], unknown["scan"], unknown["digital"], unknown["error"]) == ("unknown",) * 3 + ("",)
        assert server.requests[0] == "/permissions?isbn=9780262033848"


def test_http_provider_down_answers_unknown_with_the_reason(inst_a, instructor, api):
    with FakeServer(cla_routes({})) as server:
        url = server.url
    _use_http(inst_a, url)        # the server is gone: connection refused
    r = api(instructor).get("/api/v1/cla", {"isbn": ALGORITHMS}).json()
    assert (r["scan"], r["source"]) == ("unknown", "http") and "unavailable" in r["error"]


# --- the answer feeds digitization's auto-approval (DIG-9) --------------------------------------------

@pytest.fixture
def automatic(inst_a, make_user):
    from syllabus.fulfillment import services
    from syllabus.fulfillment.models import DigitizationRule
    from syllabus.org.roles import Role

    fadmin = make_user("fadmin", group="staff", roles=[Role.FULFILLMENT_ADMINISTRATOR])
    services.save_edd_rule(fadmin, inst_a, name="Everyone", user_groups=[], allowed=True)
    rule = DigitizationRule.objects.get(institution=inst_a, is_default=True)
    services.save_digitization_rule(fadmin, inst_a, rule=rule, approval_required=True, copyright_required=True,
                                    approval_mode="automatic", approval_reason="Fair dealing: under 10%")


def _request(inst, library, student, isbn, title):
    from syllabus.catalog.models import Item, Record
    from syllabus.fulfillment import services

    record = Record.objects.create(institution=inst, source_id=f"cla-{isbn}", title=title, isbn=isbn.replace("-", ""))
    Item.objects.create(record=record, library=library, barcode=f"CLA-{isbn}", location="Stacks")
    return services.request_from_record(student, record, {"chapters": "Chapter 2", "page_ranges": [{"from": 10, "to": 20}]})


def test_not_permitted_stops_auto_approval_permitted_does_not(automatic, inst_a, library_a, student):
    from syllabus.core import audit
    from syllabus.fulfillment.models import Status, TaskStatus

    free = _request(inst_a, library_a, student, THOMPSON, "The Making of the English Working Class")
    assert free.status == Status.PICK_FROM_SHELF and free.copyright == TaskStatus.APPROVED
    stopped = _request(inst_a, library_a, student, "9780262033848", "Introduction to Algorithms")
    assert stopped.status == Status.PENDING_APPROVAL and stopped.copyright == TaskStatus.PENDING
    note = [e.note for e in audit.trail(stopped) if e.action == "auto_approval_stopped"]
    assert note and "SRV-2" in note[0] and "scan" in note[0]
    assert not [e for e in audit.trail(stopped) if e.action == "auto_approved"]


def test_not_permitted_from_the_http_provider_stops_auto_approval(automatic, inst_a, library_a, student):
    from syllabus.fulfillment.models import Status

    table = {"9780140136036": {"photocopy": "allowed", "scan": "not_allowed", "digital": "not_allowed"}}
    with FakeServer(cla_routes(table)) as server:
        _use_http(inst_a, server.url)
        req = _request(inst_a, library_a, student, THOMPSON, "The Making of the English Working Class")
    assert req.status == Status.PENDING_APPROVAL

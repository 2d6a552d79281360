"""CON-1 acceptance 1: every declared configuration parameter, set once at consortium level,
changes what both members' users meet; a member's override wins for that member only.

Each PROBE observes the parameter through the code that obeys it (the upload check, the hold
rule, the resolver link, the page...) for one member; ``test_every_setting_has_a_probe`` fails
the day a parameter is declared without one.
"""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from syllabus.catalog.models import Item, Record
from syllabus.core.errors import RuleViolation
from syllabus.courses.models import Enrollment
from syllabus.lists.models import Citation, ResourceList, Section
from syllabus.org import config
from syllabus.org.models import ConfigValue
from tests.acquisitions.fake_servers import FakeServer, cla_routes, open_library_routes
from tests.factories import CourseFactory, LibraryFactory, UserFactory

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n" + b" " * 200
ISBN = "9780262033848"


class Member:
    """One member's world: a library, an instructor owning a published, course-linked list with
    a web link, a DOI and a catalog record held by the library, and an enrolled student."""

    def __init__(self, inst, tag: str):
        self.inst = inst
        self.library = LibraryFactory(institution=inst, code=f"{tag}-main", name=f"{tag} Main")
        self.owner = UserFactory(username=f"{tag}-owner", institution=inst)
        self.student = UserFactory(username=f"{tag}-student", institution=inst)
        self.course = CourseFactory(institution=inst, code=f"{tag.upper()}101", name=f"{tag} course", term="2026S")
        self.course.instructors.add(self.owner)
        Enrollment.objects.create(course=self.course, user=self.student)
        self.record = Record.objects.create(institution=inst, source_id=f"{tag}-r", title="Introduction to Algorithms",
                                            isbn=ISBN, identifiers=ISBN)
        self.item = Item.objects.create(record=self.record, library=self.library, barcode=f"{tag}-b1", location="Stacks",
                                        item_type="short_loan")
        self.lst = ResourceList.objects.create(institution=inst, title=f"{tag} reading", visibility="published",
                                               status="complete")
        self.lst.courses.add(self.course)
        self.lst.owners.add(self.owner)
        section = Section.objects.create(resource_list=self.lst, title="Week 1")
        self.citation = Citation.objects.create(
            resource_list=self.lst, section=section, title="Introduction to Algorithms", record=self.record, type="book",
            metadata={"title": "Introduction to Algorithms", "ISBN": ISBN, "DOI": "10.1000/xyz", "URL": "https://example.org/algo"})


@pytest.fixture
def members(inst_a, inst_b, clock):
    return Member(inst_a, "ma"), Member(inst_b, "mb")


def _raises(fn) -> bool:
    try:
        fn()
    except RuleViolation:
        return True
    return False


# --- the probes: (member, extra) -> what a user meets ------------------------------------------

def _attachment_mb(m, x):
    from syllabus.notify.channels import MB, attachment_limit_bytes
    from syllabus.notify.models import OutboxMessage

    return attachment_limit_bytes(OutboxMessage(institution=m.inst)) // MB


def _page_language(m, x):
    client = Client()
    client.force_login(m.student)
    return client.get("/").headers["Content-Language"]


def _time_zone(m, x):
    from syllabus.web import middleware

    middleware._ZONES.clear()
    return middleware.institution_zone(m.inst.pk)


def _upload_refused(m, x, *, as_instructor: bool, mb: int) -> bool:
    from syllabus.lists import uploads

    upload = SimpleUploadedFile("a.pdf", PDF + b" " * (mb * 1024 * 1024), content_type="application/pdf")
    limit = uploads.limit_mb(m.owner, m.inst, as_instructor=as_instructor)
    return _raises(lambda: uploads.check(upload, institution=m.inst, max_mb=limit))


def _external_links_shown(m, x) -> bool:
    client = Client()
    client.force_login(m.student)
    page = client.get(f"/lists/{m.lst.pk}/").content.decode()
    return "https://example.org/algo" in page and "https://doi.org/10.1000/xyz" in page


def _digitization_refused(m, x) -> bool:
    from syllabus.fulfillment.citations import _common

    try:
        _common(m.citation, "DIG-1")
    except RuleViolation as exc:
        return "not enabled" in exc.detail
    return False


def _discussion_levels(m, x):
    from syllabus.discussion.services import enabled_levels

    return sorted(enabled_levels(m.inst))


def _grace_counts_closed_days(m, x) -> bool:
    from syllabus.lending.services import grace_due

    friday = dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.timezone.utc)
    return grace_due(m.library, friday, 1, "days").weekday() == 5   # Saturday: calendar days count


def _copyright_warning(m, x) -> bool:
    from syllabus.fulfillment.models import DigitizationRequest
    from syllabus.fulfillment.services import _window_check

    today = dt.date(2026, 3, 2)
    req = DigitizationRequest(institution=m.inst, end_date=today + dt.timedelta(days=5))
    return bool(_window_check(req, today).warning)


def _clearance_required(m, x) -> bool:
    from syllabus.fulfillment.citations import choose_copyright_option
    from syllabus.fulfillment.models import CopyrightOption

    opt, _ = CopyrightOption.objects.get_or_create(institution=m.inst, code=f"needs-{m.inst.code}",
                                                   defaults={"label": "Needs clearance", "copyright_status": "waiting"})
    assert opt.requires_clearance
    Citation.objects.filter(pk=m.citation.pk).update(file="lists/x.pdf", copyright_status="")
    m.citation.refresh_from_db()
    return choose_copyright_option(m.owner, m.citation, opt.code)["clearance_required"]


def _find_it(m, x) -> str:
    from syllabus.circulation.item_access import find_it_base

    return find_it_base(m.inst)


def _hold_refused(m, x) -> bool:
    from syllabus.circulation.services import place_hold

    try:
        place_hold(m.student, m.citation, pickup_library=m.library)
    except RuleViolation as exc:
        return "not enabled" in exc.detail
    return False


def _pickup_days(m, x) -> int:
    from syllabus.circulation.services import pickup_deadline

    monday = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)
    return (pickup_deadline(m.library, monday).date() - monday.date()).days


def _reserve_shown(m, x) -> bool:
    from syllabus.circulation.item_access import catalog_access

    rows = catalog_access(m.student, [m.citation])[m.citation.pk]["physical"]
    return any(r["reserve"] for r in rows)


def _accessible_addresses(m, x):
    from syllabus.circulation.services import accessible_addresses

    return accessible_addresses(m.inst)


def _accessible_format_refused(m, x) -> bool:
    from syllabus.circulation.services import request_accessible_file

    ConfigValue.objects.update_or_create(key="accessible_file_request_emails", institution=m.inst,
                                         defaults={"value": ["access@example.org"]})
    try:
        request_accessible_file(m.student, m.citation, format="Braille")
    except RuleViolation as exc:
        return "choose one of the formats" in exc.detail
    return False


def _accessible_pdf_refused(m, x) -> bool:
    from syllabus.circulation.models import AccessibleRequest
    from syllabus.circulation.services import attach_accessible_file
    from syllabus.org.roles import Role
    from syllabus.org.services import assign_role

    staff = UserFactory(username=f"{m.inst.code}-staff-{AccessibleRequest.objects.count()}", institution=m.inst)
    assign_role(staff, Role.COURSE_RESERVES_OPERATOR)
    req = AccessibleRequest.objects.create(citation=m.citation, requester=m.student, format="Accessible PDF")
    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    try:
        attach_accessible_file(staff, req, upload)
    except RuleViolation as exc:
        return exc.status == 415
    return False


def _initial_status(m, x, ctype: str, open_access: bool) -> str:
    from syllabus.lists.services import _initial_status

    return _initial_status(m.lst, ctype, open_access)


def _style(m, x) -> str:
    from syllabus.lists.services import citation_style

    return citation_style(m.lst)


def _pdf_upload_refused(m, x) -> bool:
    from syllabus.lists import uploads

    upload = SimpleUploadedFile("a.pdf", PDF, content_type="application/pdf")
    return _raises(lambda: uploads.check(upload, institution=m.inst, max_mb=5))


def _personal_article_refused(m, x) -> bool:
    from syllabus.lists.services import personal_copy_owner_of

    return _raises(lambda: personal_copy_owner_of(m.owner, m.lst, "article", ""))


def _licence_warning(m, x) -> bool:
    from syllabus.acquisitions.models import AcquisitionTask, Kind
    from syllabus.acquisitions.selectors import annotate_warnings

    for i in range(6):
        Enrollment.objects.get_or_create(course=m.course, user=UserFactory(username=f"{m.inst.code}-e{i}", institution=m.inst))
    task = AcquisitionTask.objects.create(institution=m.inst, citation=m.citation, kind=Kind.LICENSE, concurrent_users=1)
    annotate_warnings([task])
    task.delete()
    return task.licence_warning


def _cla_asks(m, x):
    from syllabus.acquisitions import cla

    before = len(x["cla"].requests)
    cla.check(m.inst, isbn=ISBN)
    return len(x["cla"].requests) > before


def _cla_server(m, x):
    from syllabus.acquisitions import cla

    for server in x["servers"].values():
        server.requests.clear()
    cla.check(m.inst, isbn=ISBN)
    return [name for name, server in x["servers"].items() if server.requests]


def _editions_server(m, x):
    from syllabus.acquisitions import editions

    for server in x["feeds"].values():
        server.requests.clear()
    editions.find(m.citation)
    return [name for name, server in x["feeds"].items() if server.requests]


def _raw_event_kept(m, x) -> bool:
    """ANL-1: a raw event 10 days old survives the rollup sweep only within the retention."""
    from syllabus.analytics import tasks
    from syllabus.analytics.models import UsageEvent
    from syllabus.core import clock

    day = clock.today() - dt.timedelta(days=10)
    event = UsageEvent.objects.create(kind="list_view", day=day, institution_id=m.inst.pk, resource_list_id=m.lst.pk)
    tasks.roll_up(clock.now())
    return UsageEvent.objects.filter(pk=event.pk).exists()


def _small_count_shown(m, x) -> str:
    """ANL-2: how a report shows 3 readers."""
    from syllabus.analytics import reports

    threshold = reports.small_threshold(m.inst)
    return "3" if 3 >= threshold else reports.fewer_than(threshold)


def _shared_for_suggestions(m, x) -> bool:
    """ANL-3: the other member's "often used with" counts this member's lists."""
    from syllabus.analytics import suggestions
    from syllabus.org.models import Institution

    other = Institution.objects.filter(consortium_id=m.inst.consortium_id).exclude(pk=m.inst.pk).first()
    return m.inst.pk in suggestions._sources(other)


_SUGGESTED = iter(range(1, 1_000))


def _suggestion_refused(m, x) -> bool:
    """SRV-3/DSV-6: a student's purchase suggestion from Find it (a new title each time) is refused."""
    from syllabus.acquisitions import services

    try:
        services.suggest_purchase(m.student, {"type": "book", "title": f"A title nobody holds {next(_SUGGESTED)}"})
    except RuleViolation as exc:
        assert exc.rule == "SRV-3"
        return True
    return False


_ASKED = iter(range(1, 1_000))


def _ill_refused(m, x) -> bool:
    """CON-2/DSV-6: a student's inter-library loan request from Find it (a new title each time) is refused."""
    from syllabus.consortium import reader_requests
    from syllabus.org.models import Library

    pickup = Library.objects.filter(institution_id=m.student.institution_id).order_by("pk").first()
    try:
        reader_requests.ask_for_ill(m.student, {"kind": "book", "title": f"A title nobody lends {next(_ASKED)}"},
                                    pickup_library_id=pickup.pk if pickup else None)
    except RuleViolation as exc:
        assert exc.rule == "CON-2"
        return True
    return False


def _lms_copy_automatic(m, x) -> bool:
    from syllabus.lti.services import copies_automatically

    return copies_automatically(m.inst)


# key -> (consortium value, member A's override, probe, {value: what a user meets})
PROBES = {
    "email_attachment_max_mb": (3, 7, _attachment_mb, None),
    "default_language": ("fr", "en", _page_language, None),
    "time_zone": ("Europe/Paris", "Asia/Tokyo", _time_zone, None),
    "max_upload_mb_instructor": (1, 40, lambda m, x: _upload_refused(m, x, as_instructor=True, mb=2), {1: True, 40: False}),
    "max_upload_mb_student": (1, 40, lambda m, x: _upload_refused(m, x, as_instructor=False, mb=2), {1: True, 40: False}),
    "external_links_enabled": (False, True, _external_links_shown, None),
    "digitization_requests_enabled": (False, True, _digitization_refused, {False: True, True: False}),
    "library_discussion": ("off", "list", _discussion_levels, {"off": [], "list": ["list"]}),
    "include_library_closing_days_in_digital_lending_grace_period": (True, False, _grace_counts_closed_days, None),
    "copyright_access_warning_days": (10, 1, _copyright_warning, {10: True, 1: False}),
    "copyright_clearance_auto_trigger": (False, True, _clearance_required, None),
    "link_resolver_base_url": ("https://c.example/openurl", "https://a.example/openurl", _find_it, None),
    "holds_enabled": (False, True, _hold_refused, {False: True, True: False}),
    "hold_pickup_days": (2, 10, _pickup_days, {2: 2, 10: 14}),
    "reserve_item_types": (["short_loan"], ["reserve"], _reserve_shown, {("short_loan",): True, ("reserve",): False}),
    "accessible_file_request_emails": (["c@example.org"], ["a@example.org"], _accessible_addresses, None),
    "accessible_file_formats": (["Audio"], ["Braille"], _accessible_format_refused, {("Audio",): True, ("Braille",): False}),
    "accessible_file_types": (["text/plain"], ["application/pdf"], _accessible_pdf_refused,
                              {("text/plain",): True, ("application/pdf",): False}),
    "citation_default_status_no_action": ("declined", "in_process", lambda m, x: _initial_status(m, x, "website", False), None),
    "citation_types_no_action": (["book"], ["website"], lambda m, x: _initial_status(m, x, "book", False),
                                 {("book",): "complete", ("website",): "ready_for_processing"}),
    "citation_open_access_no_action": (False, True, lambda m, x: _initial_status(m, x, "book", True),
                                       {False: "ready_for_processing", True: "complete"}),
    "citation_style": ("harvard-cite-them-right", "apa", _style, None),
    "list_upload_types": (["text/plain"], ["application/pdf"], _pdf_upload_refused,
                          {("text/plain",): True, ("application/pdf",): False}),
    "personal_copy_item_types": (["book"], ["article"], _personal_article_refused, {("book",): True, ("article",): False}),
    "lms_course_copy_lists": ("automatic", "offer", _lms_copy_automatic, {"automatic": True, "offer": False}),
    "licence_enrolment_factor": (1, 10, _licence_warning, {1: True, 10: False}),
    "cla_provider": ("http", "offline", _cla_asks, {"http": True, "offline": False}),
    "cla_service_url": ("consortium", "member", _cla_server, {"consortium": ["consortium"], "member": ["member"]}),
    "editions_feed_url": ("consortium", "member", _editions_server, {"consortium": ["consortium"], "member": ["member"]}),
    "purchase_suggestions_enabled": (False, True, _suggestion_refused, {False: True, True: False}),
    "purchase_suggestions_max_open": (0, 5, _suggestion_refused, {0: True, 5: False}),
    "purchase_suggestions_max_per_day": (0, 5, _suggestion_refused, {0: True, 5: False}),
    "ill_reader_requests_enabled": (False, True, _ill_refused, {False: True, True: False}),
    "ill_reader_max_open": (0, 5, _ill_refused, {0: True, 5: False}),
    "ill_reader_max_per_day": (0, 5, _ill_refused, {0: True, 5: False}),
    "analytics_retention_days": (5, 30, _raw_event_kept, {5: False, 30: True}),
    "analytics_small_count": (2, 9, _small_count_shown, {2: "3", 9: "fewer than 9"}),
    "analytics_share_with_consortium": (True, False, _shared_for_suggestions, None),
}


def _expected(spec, value):
    table = spec[3]
    if table is None:
        return value
    return table[tuple(value) if isinstance(value, list) else value]


def test_every_setting_has_a_probe():
    assert set(config.REGISTRY) == set(PROBES)


@pytest.fixture
def extra(members):
    """Local servers for the parameters that name one (CLA service, editions feed)."""
    with FakeServer(cla_routes({})) as c, FakeServer(cla_routes({})) as m, \
            FakeServer(open_library_routes({}, {})) as fc, FakeServer(open_library_routes({}, {})) as fm:
        yield {"cla": c, "servers": {"consortium": c, "member": m}, "feeds": {"consortium": fc, "member": fm},
               "urls": {"cla_service_url": {"consortium": c.url, "member": m.url},
                        "editions_feed_url": {"consortium": fc.url, "member": fm.url}}}


@pytest.mark.parametrize("key", sorted(PROBES))
def test_a_consortium_value_applies_to_both_members_and_a_member_override_wins(key, members, extra, consortium):
    a, b = members
    spec = PROBES[key]
    central, override, probe = spec[0], spec[1], spec[2]
    urls = extra["urls"].get(key)
    stored = (lambda v: urls[v]) if urls else (lambda v: v)
    if key == "cla_provider":
        config.set_value("cla_service_url", extra["cla"].url, consortium=consortium)
    if key == "cla_service_url":
        config.set_value("cla_provider", "http", consortium=consortium)
    assert _expected(spec, central) != _expected(spec, override), f"{key}: the two values must be told apart"

    config.set_value(key, stored(central), consortium=consortium)
    assert probe(a, extra) == _expected(spec, central), f"{key}: member A does not follow the consortium"
    assert probe(b, extra) == _expected(spec, central), f"{key}: member B does not follow the consortium"

    config.set_value(key, stored(override), institution=a.inst)
    assert probe(a, extra) == _expected(spec, override), f"{key}: member A's override does not win"
    assert probe(b, extra) == _expected(spec, central), f"{key}: member A's override reached member B"

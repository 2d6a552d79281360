"""Acceptance 5 (DIG-4, DIG-9): a student downloads a cleared file inside its range, is refused
outside it, and sees the warning in the last days; a link delivery refuses the (max+1)th access."""
import datetime as dt

import pytest

from syllabus.fulfillment import services
from syllabus.fulfillment.models import Kind

pytestmark = pytest.mark.django_db

UTC = dt.timezone.utc


def _letter_link(requester) -> str:
    """The link in the requester's delivery letter (only there is the link's token, SEC-KEY)."""
    import re

    from syllabus.notify.models import OutboxMessage

    body = OutboxMessage.objects.get(recipient=requester, channel="email", body__contains="/services/d/").body
    return re.search(r"/services/d/[A-Za-z0-9_-]+/", body).group(0)


@pytest.fixture
def cleared(clock, course, instructor, record, operator, manager, default_rule, scan):
    """An instructor's request for HIST101, copyright-cleared for 10–20 March, delivered."""
    default_rule(target="inventory", copyright_required=True, approval_mode="parallel")
    req = services.request_for_course(instructor, kind=Kind.DIGITIZATION, institution=course.institution, record=record,
                                      course=course, citation_id=None, title="Middlemarch ch. 1",
                                      data={"start_date": dt.date(2026, 3, 10), "end_date": dt.date(2026, 3, 20),
                                            "page_ranges": [{"from": 1, "to": 30}]})
    services.pick(operator, req)
    req = services.attach_file(operator, req, scan())
    req = services.approve(manager, req, copyright=True)
    return services.deliver(operator, req)


def test_student_downloads_inside_the_range_is_refused_outside_and_warned_in_the_last_days(client, clock, cleared, student):
    client.force_login(student)
    url = f"/services/requests/{cleared.pk}/file/"

    clock.set_now(dt.datetime(2026, 3, 9, 12, tzinfo=UTC))  # before the range
    r = client.get(url)
    assert r.status_code == 403 and b"DIG-4" in r.content and b"available from 2026-03-10" in r.content

    clock.set_now(dt.datetime(2026, 3, 12, 12, tzinfo=UTC))  # inside, 8 days left: no warning
    r = client.get(url)
    assert r.status_code == 200 and b"".join(r.streaming_content).startswith(b"%PDF")
    assert "X-Access-Warning" not in r.headers
    assert b"access-warning" not in client.get(f"/services/requests/{cleared.pk}/access/").content

    clock.set_now(dt.datetime(2026, 3, 19, 12, tzinfo=UTC))  # last days (N = 3): warned
    r = client.get(url)
    assert r.status_code == 200 and r.headers["X-Access-Warning"] == "Access to this file ends on 2026-03-20 (1 day left)"
    page = client.get(f"/services/requests/{cleared.pk}/access/")
    assert b'data-testid="access-warning"' in page.content and b"ends on 2026-03-20" in page.content

    clock.set_now(dt.datetime(2026, 3, 21, 9, tzinfo=UTC))  # after the range
    r = client.get(url)
    assert r.status_code == 403 and b"available until 2026-03-20" in r.content
    assert client.get(f"/services/requests/{cleared.pk}/access/").status_code == 403


def test_api_download_enforces_the_range_too(api, clock, cleared, student):
    clock.set_now(dt.datetime(2026, 3, 25, 12, tzinfo=UTC))
    r = api(student).get(f"/api/v1/digitization-requests/{cleared.pk}/file")
    assert r.status_code == 403 and r.json()["rule"] == "DIG-4"


def test_warning_days_are_configurable(client, clock, cleared, student, inst_a):
    from syllabus.org import config

    config.set_value("copyright_access_warning_days", 10, institution=inst_a)
    clock.set_now(dt.datetime(2026, 3, 12, 12, tzinfo=UTC))
    client.force_login(student)
    assert "8 days left" in client.get(f"/services/requests/{cleared.pk}/file/").headers["X-Access-Warning"]


def test_a_student_of_another_course_cannot_reach_the_file(client, clock, cleared, make_user):
    client.force_login(make_user("stranger"))
    clock.set_now(dt.datetime(2026, 3, 12, 12, tzinfo=UTC))
    assert client.get(f"/services/requests/{cleared.pk}/file/").status_code == 404


def test_the_instructor_and_staff_reach_the_file_outside_the_range(client, clock, cleared, instructor, operator):
    clock.set_now(dt.datetime(2026, 4, 30, 12, tzinfo=UTC))
    for user in (instructor, operator):
        client.force_login(user)
        assert client.get(f"/services/requests/{cleared.pk}/file/").status_code == 200


def test_link_delivery_refuses_the_access_after_the_maximum(client, default_rule, patron_request, student, operator, scan):
    default_rule(target="link", max_accesses=2)
    req = patron_request()
    services.pick(operator, req)
    req = services.deliver(operator, services.attach_file(operator, req, scan()))
    client.force_login(student)
    link = _letter_link(student)
    assert client.get(link).status_code == 200
    assert client.get(link).status_code == 200
    r = client.get(link)
    assert r.status_code == 403 and b"DIG-9" in r.content and b"allowed 2 accesses" in r.content
    req.refresh_from_db()
    assert req.access_count == 2
    # the plain download does not bypass the link's counter
    assert client.get(f"/services/requests/{req.pk}/file/").status_code == 403


def test_link_of_someone_else_is_not_found(client, default_rule, patron_request, operator, scan, make_user):
    default_rule(target="link", max_accesses=2)
    req = patron_request()
    services.pick(operator, req)
    req = services.deliver(operator, services.attach_file(operator, req, scan()))
    client.force_login(make_user("other"))
    assert client.get(_letter_link(req.requester)).status_code == 404


def test_an_inactive_file_is_not_served_to_the_requester(client, default_rule, patron_request, student, operator, scan):
    default_rule(approval_required=True, approval_mode="parallel")
    req = patron_request()
    services.pick(operator, req)
    services.attach_file(operator, req, scan())
    client.force_login(student)
    assert client.get(f"/services/requests/{req.pk}/file/").status_code == 403


# --- DIG-4 through the catalog: the inventory copy keeps the request's date window ---------------

def test_the_catalog_url_of_an_inventory_scan_keeps_the_approved_range(client, clock, cleared, student, make_user,
                                                                       instructor, operator):
    rep = cleared.representation
    assert rep.active and rep.discoverable
    url = f"/catalog/representations/{rep.pk}/file/"
    client.force_login(student)
    clock.set_now(dt.datetime(2026, 3, 12, 12, tzinfo=UTC))  # inside the range: the student reads it
    assert client.get(url).status_code == 200
    for day in (dt.datetime(2026, 3, 9, 12, tzinfo=UTC), dt.datetime(2026, 3, 21, 9, tzinfo=UTC)):
        clock.set_now(day)  # outside: refused as by /services/requests/{pk}/file/
        r = client.get(url)
        assert r.status_code == 403 and b"DIG-4" in r.content
        assert client.get(f"/catalog/representations/{rep.pk}/").status_code == 403
    clock.set_now(dt.datetime(2026, 3, 12, 12, tzinfo=UTC))
    client.force_login(make_user("stranger"))  # a student of another course: not even inside the range
    assert client.get(url).status_code == 404
    clock.set_now(dt.datetime(2026, 4, 30, 12, tzinfo=UTC))
    for user in (instructor, operator):  # the course's instructor and the staff who manage it
        client.force_login(user)
        assert client.get(url).status_code == 200


def test_an_undated_patron_scan_in_inventory_stays_open_to_the_consortium(client, default_rule, patron_request, student,
                                                                          operator, scan, make_user):
    default_rule(target="inventory")
    req = patron_request()
    services.pick(operator, req)
    req = services.attach_file(operator, req, scan())
    req = services.deliver(operator, req)
    client.force_login(make_user("reader"))
    assert client.get(f"/catalog/representations/{req.representation.pk}/file/").status_code == 200

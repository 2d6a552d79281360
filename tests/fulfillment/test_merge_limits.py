"""DIG-7 after a merge of two accounts (ORG-MERGE): the two accounts' open digitization requests
together may exceed the person's limit.  Nothing is cancelled — each request was placed within
its account's limit and the library may be working on it — the preview says so before the merge,
the page and the command after it, the audit trail keeps it, and new requests are refused,
naming DIG-7, until the person is under the limit again."""
from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from syllabus.core import audit
from syllabus.core.errors import RuleViolation
from syllabus.fulfillment import services
from syllabus.fulfillment.models import DigitizationRequest
from syllabus.org.merging import merge_people
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def gsa(make_user):
    return make_user("gsa", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR])


@pytest.fixture
def two_accounts(make_user, fadmin, record, edd_all, groups):
    """Limit 3 for undergraduates; the LMS's account and the SSO's account of one student each hold
    two open requests."""
    services.set_patron_limit(fadmin, groups["undergraduate"], 3)
    source, target = make_user("lms-ana"), make_user("ana")
    for person in (source, target):
        for _ in range(2):
            services.request_from_record(person, record, {})
    return source, target


def _open(person) -> int:
    return DigitizationRequest.objects.filter(requester=person, status__in=services.OPEN_STATUSES).count()


def test_dig7_the_preview_shows_the_excess_and_changes_nothing(two_accounts, gsa):
    source, target = two_accounts
    report = merge_people(source, target, by=gsa, apply=False)
    assert [(e.rule, e.count, e.limit) for e in report.excesses] == [("DIG-7", 4, 3)]
    assert "DIG-7: 4 open digitization requests, over the limit of 3" in str(report.excesses[0])
    assert _open(source) == 2 and _open(target) == 2   # a dry run


def test_dig7_the_merge_keeps_every_request_and_refuses_new_ones_until_under_the_limit(two_accounts, gsa, record):
    source, target = two_accounts
    report = merge_people(source, target, by=gsa)
    assert report.excesses and _open(target) == 4   # nothing cancelled
    entry = audit.trail(target).get(action="merged")
    assert entry.changes["over_limits"]["DIG-7"] == {"what": "open digitization requests", "count": 4, "limit": 3}
    with pytest.raises(RuleViolation) as refused:
        services.request_from_record(target, record, {})
    assert refused.value.rule == "DIG-7" and "(4 open)" in refused.value.detail
    assert _open(target) == 4   # nothing half-written
    for req in DigitizationRequest.objects.filter(requester=target)[:2]:
        services.cancel(target, req, reason="asked for the same chapter twice")
    assert services.request_from_record(target, record, {}).is_open   # 2 open: under 3 again


def test_dig7_under_the_limit_nothing_is_reported(make_user, fadmin, record, edd_all, groups, gsa):
    services.set_patron_limit(fadmin, groups["undergraduate"], 5)
    source, target = make_user("lms-bo"), make_user("bo")
    services.request_from_record(source, record, {})
    services.request_from_record(target, record, {})
    assert merge_people(source, target, by=gsa).excesses == []


def test_dig7_the_user_group_the_target_gains_from_the_source_counts(make_user, fadmin, record, edd_all, groups, gsa):
    """A target without a user group takes the source's (the profile's blanks are filled): its limit
    is the one checked, on the requests of both."""
    services.set_patron_limit(fadmin, groups["undergraduate"], 1)
    source, target = make_user("lms-cy"), make_user("cy", group=None)
    services.request_from_record(source, record, {})
    services.request_from_record(target, record, {})   # no group: no limit
    report = merge_people(source, target, by=gsa, apply=False)
    assert [(e.rule, e.count, e.limit) for e in report.excesses] == [("DIG-7", 2, 1)]


def test_dig7_the_page_shows_the_excess_before_and_after_the_merge(client, two_accounts, gsa):
    from django.contrib.messages import get_messages

    client.force_login(gsa)
    preview = client.post("/people/merge/", {"source": "lms-ana", "target": "ana", "action": "preview"})
    html = preview.content.decode()
    assert 'data-testid="merge-over-limits"' in html
    assert "DIG-7: ana will have 4 open digitization requests, over the limit of 3" in html
    assert "Nothing is cancelled" in html
    done = client.post("/people/merge/", {"source": "lms-ana", "target": "ana", "action": "apply"})
    said = [str(m) for m in get_messages(done.wsgi_request)]
    assert any("DIG-7: ana now has 4 open digitization requests, over the limit of 3" in m for m in said), said


def test_dig7_the_command_says_the_excess(two_accounts):
    out = io.StringIO()
    call_command("people", "merge", "lms-ana", "ana", stdout=out)
    assert "Over a limit: DIG-7: 4 open digitization requests, over the limit of 3" in out.getvalue()

"""Pages of long-term digital loans: who may see each one, and that each action shows its
result without a reload (htmx partials) — LDL-3, LDL-11, LDL-13, LDL-14."""
from __future__ import annotations

import datetime as dt

import re

import pytest
from django.core.files.base import ContentFile

from syllabus.core.audit import trail
from syllabus.lending import permissions, services
from syllabus.lending.models import LoanRequest, LoanSettings, Status, Step

HX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def loan(rep, patrons):
    return services.request_loan(patrons[0], rep)


def staff_pages(rep, req):
    return ["/lending/requests/", f"/lending/requests/{req.pk}/", f"/lending/requests/{req.pk}/edit/",
            f"/lending/requests/{req.pk}/cancel/", f"/lending/representations/{rep.pk}/queue/", "/lending/search/",
            f"/lending/representations/{rep.pk}/rights/", "/lending/policies/", "/lending/policies/new/"]


def patron_pages(rep, req):
    return ["/lending/", f"/lending/titles/{rep.pk}/", "/lending/card/", f"/lending/loans/{req.pk}/view/"]


def test_anonymous_is_sent_to_the_login_page(client, rep, loan):
    for url in staff_pages(rep, loan) + patron_pages(rep, loan):
        r = client.get(url)
        assert r.status_code == 302 and r["Location"].startswith("/login/"), url
    for url in [f"/lending/titles/{rep.pk}/request/", f"/lending/loans/{loan.pk}/finish/", f"/lending/representations/{rep.pk}/on-behalf/"]:
        assert client.post(url).status_code == 302


def test_a_student_gets_403_on_staff_pages(client, rep, loan, patrons):
    client.force_login(patrons[0])
    for url in staff_pages(rep, loan):
        assert client.get(url).status_code == 403, url
    assert client.post(f"/lending/representations/{rep.pk}/on-behalf/", {"patron": "p2"}).status_code == 403
    assert client.post(f"/lending/requests/{loan.pk}/cancel/", {"reason": "other"}).status_code == 403
    assert LoanRequest.objects.get(pk=loan.pk).status == Status.ACTIVE


def test_another_patrons_loan_and_another_institutions_title_are_404(client, rep, loan, patrons, make_user, inst_b):
    client.force_login(patrons[1])
    assert client.get(f"/lending/loans/{loan.pk}/view/").status_code == 404
    assert client.post(f"/lending/loans/{loan.pk}/view/start/").status_code == 404
    assert client.post(f"/lending/loans/{loan.pk}/finish/").status_code == 404
    client.force_login(make_user("outsider", institution=inst_b))
    assert client.get(f"/lending/titles/{rep.pk}/").status_code == 404
    assert client.post(f"/lending/titles/{rep.pk}/request/").status_code == 404


def test_staff_see_every_back_office_page(client, rep, loan, lending_staff):
    client.force_login(lending_staff)
    for url in staff_pages(rep, loan):
        assert client.get(url).status_code == 200, url


def test_patron_borrows_views_and_finishes_from_the_title_page_without_reload(client, clock, rep, patrons):
    client.force_login(patrons[0])
    page = client.get(f"/lending/titles/{rep.pk}/").content.decode()
    assert "Available now." in page and "3 days" in page
    panel = client.post(f"/lending/titles/{rep.pk}/request/", **HX)
    assert panel.status_code == 200 and 'id="loan-panel"' in panel.content.decode()
    assert "It is your turn" in panel.content.decode()
    req = LoanRequest.objects.get(patron=patrons[0])
    r = client.post(f"/lending/loans/{req.pk}/view/start/", **HX)
    assert r.status_code == 204 and r["HX-Redirect"] == f"/lending/loans/{req.pk}/view/"
    assert 'data-testid="viewer"' in client.get(f"/lending/loans/{req.pk}/view/").content.decode()
    panel = client.post(f"/lending/loans/{req.pk}/finish/", **HX).content.decode()
    assert "Available now." in panel
    assert client.get(f"/lending/loans/{req.pk}/view/").status_code == 410


def test_the_waitlist_page_shows_place_grace_session_and_the_limit_note(client, clock, rep, patrons):
    services.request_loan(patrons[0], rep)
    services.request_loan(patrons[1], rep)
    client.force_login(patrons[2])
    page = client.get(f"/lending/titles/{rep.pk}/").content.decode()
    assert "All copies are on loan: join the waitlist." in page
    assert "You would be number 2 in the waitlist" in page and "2 days to open it" in page and "3 days to read it" in page
    panel = client.post(f"/lending/titles/{rep.pk}/request/", **HX).content.decode()
    assert "You are number 2 in the waitlist." in panel


def test_the_viewer_link_stops_working_when_the_session_ends(client, clock, rep, patrons, settings, tmp_path):
    rep.file.save("scan.txt", ContentFile(b"page one of the scan"), save=True)
    rep.mime_type = "text/plain"
    rep.save()
    req = services.request_loan(patrons[0], rep)
    client.force_login(patrons[0])
    start_page = client.get(f"/lending/loans/{req.pk}/view/")
    assert start_page.status_code == 200 and "Start reading now" in start_page.content.decode()
    assert client.get(f"/lending/loans/{req.pk}/content/").status_code == 410   # not started yet
    client.post(f"/lending/loans/{req.pk}/view/start/")
    content = client.get(f"/lending/loans/{req.pk}/content/")
    assert content.status_code == 200 and b"".join(content.streaming_content) == b"page one of the scan"
    assert "no-store" in content["Cache-Control"] and content["Content-Security-Policy"].startswith("sandbox")
    clock.advance(dt.timedelta(days=3, seconds=1))
    assert client.get(f"/lending/loans/{req.pk}/view/").status_code == 410
    assert client.get(f"/lending/loans/{req.pk}/content/").status_code == 410


def test_library_card_lists_own_requests_and_cancels_while_waiting(client, clock, rep, make_rep, patrons):
    other = make_rep(1, title="Bleak House")
    services.request_loan(patrons[1], rep)
    waiting = services.request_loan(patrons[0], rep)
    services.request_loan(patrons[0], other)
    client.force_login(patrons[0])
    card = client.get("/lending/card/").content.decode()
    assert "Middlemarch" in card and "Bleak House" in card and "place 1" in card and "In grace period" in card
    part = client.post(f"/lending/loans/{waiting.pk}/cancel/", {"from": "card"}, **HX)
    assert part.status_code == 200 and 'id="library-card"' in part.content.decode()
    assert LoanRequest.objects.get(pk=waiting.pk).status == Status.REJECTED
    assert "Middlemarch" in part.content.decode()  # now under "Recent"


def test_monitoring_page_filters_and_links_to_the_queue(client, clock, rep, patrons, lending_staff):
    services.request_loan(patrons[0], rep)
    services.request_loan(patrons[1], rep)
    client.force_login(lending_staff)
    page = client.get("/lending/requests/").content.decode()
    assert "p1" in page and "p2" in page and f"/lending/representations/{rep.pk}/queue/" in page
    part = client.get("/lending/requests/", {"step": "in_waitlist"}, **HX).content.decode()
    assert "(p2)" in part and "(p1)" not in part and "<html" not in part
    queue = client.get(f"/lending/representations/{rep.pk}/queue/").content.decode()
    assert queue.index("(p1)") < queue.index("(p2)")


def test_staff_edit_and_cancel_with_reason_pages(client, clock, rep, patrons, lending_staff):
    services.request_loan(patrons[0], rep)
    waiting = services.request_loan(patrons[1], rep)
    client.force_login(lending_staff)
    r = client.post(f"/lending/requests/{waiting.pk}/edit/", {"priority": "4", "note": "course reserve"})
    assert r.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.priority, waiting.note) == (4, "course reserve")
    r = client.post(f"/lending/requests/{waiting.pk}/cancel/", {"reason": ""})
    assert r.status_code == 400 and LoanRequest.objects.get(pk=waiting.pk).status == Status.READY
    r = client.post(f"/lending/requests/{waiting.pk}/cancel/", {"reason": "no_longer_needed", "note": "course dropped"})
    assert r.status_code == 302
    waiting.refresh_from_db()
    assert (waiting.status, waiting.cancel_reason) == (Status.REJECTED, "no_longer_needed")
    detail = client.get(f"/lending/requests/{waiting.pk}/").content.decode()
    assert "course dropped" in detail and "cancel" in detail and "lender" in detail
    assert [e.action for e in trail(waiting)][:2] == ["cancel", "updated"]


def test_staff_request_on_behalf_and_staff_access_pages(client, clock, rep, patrons, lending_staff):
    client.force_login(lending_staff)
    r = client.post(f"/lending/representations/{rep.pk}/on-behalf/", {"patron": "p3", "priority": "6", "note": "n"})
    assert r.status_code == 302
    req = LoanRequest.objects.get(patron=patrons[2])
    assert (req.creator, req.priority, req.step) == (lending_staff, 6, Step.IN_GRACE_PERIOD)
    r = client.post(f"/lending/representations/{rep.pk}/staff-access/")
    assert r.status_code == 302 and r["Location"] == f"/lending/representations/{rep.pk}/queue/"
    assert LoanRequest.objects.get(patron=lending_staff).step == Step.IN_WAITLIST


def test_staff_title_search_shows_the_availability_indicator(client, clock, make_rep, patrons, lending_staff, inst_a, library_a):
    from syllabus.catalog.models import Record, Representation

    free = make_rep(2, title="Persuasion")
    full = make_rep(1, title="Emma")
    services.request_loan(patrons[0], full)
    record = Record.objects.create(institution=inst_a, source_id="plain", title="Sense and Sensibility")
    plain = Representation.objects.create(record=record, library=library_a)
    client.force_login(lending_staff)
    page = client.get("/lending/search/").content.decode()
    assert f'data-representation="{free.pk}"' in page
    from syllabus.lending.selectors import loan_availability

    assert loan_availability([free.pk, full.pk, plain.pk]) == {free.pk: "available", full.pk: "not_available", plain.pk: None}
    part = client.get("/lending/search/", {"q": "emma"}, **HX).content.decode()
    assert 'data-availability="not_available"' in part and "Persuasion" not in part


def test_loan_rights_page_assigns_policy_copies_and_related_items(client, lending_staff, policy, inst_a, library_a):
    from syllabus.catalog.models import Item, Record, Representation

    record = Record.objects.create(institution=inst_a, source_id="r1", title="Scan me")
    rep = Representation.objects.create(record=record, library=library_a)
    item = Item.objects.create(record=record, library=library_a, barcode="B-77")
    client.force_login(lending_staff)
    r = client.post(f"/lending/representations/{rep.pk}/rights/", {"policy": policy.pk, "concurrent_users": "2", "items": [item.pk]})
    assert r.status_code == 302
    st = LoanSettings.objects.get(representation=rep)
    assert (st.policy, st.concurrent_users) == (policy, 2) and list(rep.related_items.all()) == [item]


def test_loan_rights_page_saves_nothing_when_a_related_item_is_refused(client, lending_staff, policy, make_rep, inst_a,
                                                                        library_a):
    from syllabus.catalog.models import Item, Record, Representation

    record = Record.objects.create(institution=inst_a, source_id="r2", title="Scan me too")
    rep = Representation.objects.create(record=record, library=library_a)
    other = Item.objects.create(record=make_rep(1).record, library=library_a, barcode="B-78")
    client.force_login(lending_staff)
    r = client.post(f"/lending/representations/{rep.pk}/rights/", {"policy": policy.pk, "concurrent_users": "2", "items": [other.pk]})
    assert r.status_code == 400 and "LDL-2:</strong> item B-78 belongs to another title" in r.content.decode()
    assert not LoanSettings.objects.filter(representation=rep, concurrent_users__gt=0).exists()


def test_policy_form_creates_rules_per_group_and_rejects_grace_longer_than_session(client, lending_staff, groups):
    client.force_login(lending_staff)
    page = client.get("/lending/policies/new/").content.decode()
    assert "Faculty" in page and "Include grace period in session period" in page
    base = {"name": "Faculty first", "long_term_loan": "1", "limit_note": "Out", "rule_count": "5"}

    def rule(i, **kw):
        values = {"enabled": "1", "request_priority": "0", "session_period": "3", "session_period_unit": "days", "grace_period": "2",
                  "grace_period_unit": "days", "max_renewal_days": "0", "open_for_renewal_days": "1", "reloan_limit_days": "0"} | kw
        return {f"rule-{i}-{k}": v for k, v in values.items()}

    bad = client.post("/lending/policies/new/", base | rule(0) | rule(2, user_group="faculty", grace_period="5", grace_included_in_session="1"))
    assert bad.status_code == 400 and "grace period cannot be longer" in bad.content.decode()
    ok = client.post("/lending/policies/new/", base | rule(0) | rule(2, user_group="faculty", request_priority="5"))
    assert ok.status_code == 302
    from syllabus.lending.models import AccessRightsPolicy

    p = AccessRightsPolicy.objects.get(name="Faculty first")
    assert sorted((r.user_group.code if r.user_group else "", r.request_priority) for r in p.rules.all()) == [("", 0), ("faculty", 5)]


@pytest.mark.parametrize("field, value, words", [
    ("session_period", "99999999999999999999", "session period: Ensure this value is less than or equal to 10000"),
    ("request_priority", "-1", "request priority: Ensure this value is greater than or equal to 0"),
    ("session_period_unit", "weeks", "session period unit: weeks is not one of hours, days"),
    ("grace_period", "5", "the grace period cannot be longer than the session period"),   # the service's rule
])
def test_a_refused_access_rule_is_said_beside_its_field_and_nothing_is_saved(client, lending_staff, groups, field, value,
                                                                             words):
    """LDL-1 (issue 17): the access-rights form says a refusal beside the input it is about, tied to
    it (aria-invalid, aria-describedby), as the digitization configuration does — the faculty row
    is the page's third (row 2), and its rule the policy's second."""
    from syllabus.lending.models import AccessRightsPolicy

    client.force_login(lending_staff)
    row = {"enabled": "1", "user_group": "faculty", "session_period": "3", "grace_period": "2",
           "grace_included_in_session": "1"} | {field: value}
    data = {"name": "Checked", "rule_count": "5", "rule-0-enabled": "1", "rule-0-session_period": "3",
            "rule-0-grace_period": "2"} | {f"rule-2-{k}": v for k, v in row.items()}
    r = client.post("/lending/policies/new/", data)
    html = r.content.decode()
    assert r.status_code == 400
    assert (f'name="rule-2-{field}"' in html and 'aria-invalid="true" aria-describedby="form-error"' in
            html.split(f'name="rule-2-{field}"', 1)[1].split(">", 1)[0])
    assert re.search(r'<span class="error field-error" id="form-error" data-testid="field-error"><strong>LDL-1:</strong> '
                     + re.escape(words), html)
    assert html.count('aria-invalid="true"') == 1 and not AccessRightsPolicy.objects.filter(name="Checked").exists()


def test_the_access_rights_page_bounds_its_row_count(client, lending_staff):
    """LDL-1: the number of rows the page says it sent is bounded (a billion rows was a billion reads)."""
    client.force_login(lending_staff)
    r = client.post("/lending/policies/new/", {"name": "Many", "rule_count": "1000000000"})
    assert r.status_code == 400 and "rule count: Ensure this value is less than or equal to 200" in r.content.decode()


def test_navigation_by_role(client, lending_staff, patrons):
    client.force_login(patrons[0])
    page = client.get("/lending/").content.decode()
    assert "My library card" in page and "Digital loan requests" not in page
    client.force_login(lending_staff)
    page = client.get("/lending/").content.decode()
    assert "Digital loan requests" in page and "Access rights" in page


# --- the catalog's file links are no way around the waitlist (LDL-3, LDL-15) ----------------------

def test_the_catalog_file_link_of_a_lent_title_refuses_and_its_page_leads_to_the_loan(client, rep, patrons, lending_staff):
    from django.core.files.base import ContentFile

    rep.file.save("scan.pdf", ContentFile(b"%PDF-1.4 lent pages"), save=True)
    client.force_login(patrons[0])
    refused = client.get(f"/catalog/representations/{rep.pk}/file/")
    assert refused.status_code == 403 and "LDL-3" in refused.content.decode()
    page = client.get(f"/catalog/representations/{rep.pk}/")
    assert page.status_code == 302 and page["Location"] == f"/lending/titles/{rep.pk}/"

    client.force_login(lending_staff)  # the digital inventory operator who manages the file still opens it
    assert client.get(f"/catalog/representations/{rep.pk}/file/").status_code == 200


def _result_rows(html: str) -> dict[int, str]:
    """``{record id: its <li>}`` of the catalog's search results."""
    rows = {}
    for chunk in html.split('<li class="result" data-record="')[1:]:
        pk, _, rest = chunk.partition('"')
        rows[int(pk)] = rest.split("</li>")[0]
    return rows


def test_catalog_search_results_show_staff_the_digital_loan_availability(client, clock, make_rep, patrons, lending_staff,
                                                                          inst_a, library_a):
    """LDL-14: the indicator is in the catalog's own search results for staff, not only on the
    lending app's search page; patrons don't see it; titles not under loan show nothing."""
    from syllabus.catalog.models import Record, Representation

    free = make_rep(2, title="Persuasion")
    full = make_rep(1, title="Emma")
    services.request_loan(patrons[0], full)
    plain = Record.objects.create(institution=inst_a, source_id="plain", title="Sense and Sensibility")
    Representation.objects.create(record=plain, library=library_a)
    client.force_login(lending_staff)
    rows = _result_rows(client.get("/catalog/").content.decode())
    assert 'data-badge="loan_availability"' in rows[free.record_id] and ": Available" in rows[free.record_id]
    assert 'data-badge="loan_availability"' in rows[full.record_id] and ": Not available" in rows[full.record_id]
    assert "data-badge" not in rows[plain.pk]
    part = client.get("/catalog/", {"q": "emma"}, **HX).content.decode()           # the htmx fragment too
    assert "Not available" in _result_rows(part)[full.record_id]
    client.force_login(patrons[1])
    assert "data-badge" not in client.get("/catalog/").content.decode()


def test_catalog_result_availability_takes_the_same_queries_for_any_page_size(clock, make_rep, patrons, lending_staff):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from syllabus.catalog import actions
    from syllabus.catalog.models import Record

    reps = [make_rep(1) for _ in range(6)]
    services.request_loan(patrons[0], reps[0])
    staff = type(lending_staff).objects.get(pk=lending_staff.pk)
    assert permissions.is_lending_staff(staff)                                        # its roles, read once per request

    def queries(n: int) -> int:
        records = list(Record.objects.filter(pk__in=[r.record_id for r in reps[:n]]))
        with CaptureQueriesContext(connection) as ctx:
            actions.decorate_results(records, staff)
        assert {r.pk: [b["css"] for b in r.result_badges] for r in records}[reps[0].record_id] == ["unavailable ldl-unavailable"]
        return len(ctx.captured_queries)

    assert queries(2) == queries(6) <= 6


def test_an_empty_copies_field_is_an_error_not_a_withdrawal(client, lending_staff, rep, patrons):
    """0 withdraws the title and cancels its waitlist (LDL-2): an empty field must not mean 0."""
    from syllabus.lending import services as ldl

    ldl.request_loan(patrons[0], rep)
    waiting = ldl.request_loan(patrons[1], rep)
    client.force_login(lending_staff)
    r = client.post(f"/lending/representations/{rep.pk}/rights/", {"policy": rep.loan_settings.policy_id, "concurrent_users": ""})
    assert r.status_code == 400 and "LDL-2" in r.content.decode()
    waiting.refresh_from_db()
    assert waiting.status == "ready" and LoanSettings.objects.get(representation=rep).concurrent_users == 1


def test_the_catalog_page_of_a_lent_title_stays_open_to_its_managers_and_hidden_from_strangers(client, rep, lending_staff,
                                                                                                 make_user, inst_b):
    from syllabus.org.models import Consortium

    client.force_login(lending_staff)  # the digital inventory operator manages the file from the catalog page
    assert client.get(f"/catalog/representations/{rep.pk}/").status_code == 200
    inst_b.consortium = Consortium.objects.create(code="other", name="Another consortium")
    inst_b.save()
    client.force_login(make_user("stranger", institution=inst_b))
    assert client.get(f"/catalog/representations/{rep.pk}/").status_code == 404, "no redirect that reveals the title"


@pytest.fixture
def title(inst_a, library_a):
    from syllabus.catalog.models import Item, Record, Representation

    record = Record.objects.create(institution=inst_a, source_id="bounds-1", title="Bounded")
    return Representation.objects.create(record=record, library=library_a), Item.objects.create(
        record=record, library=library_a, barcode="B-BOUND")


@pytest.mark.parametrize("data,words", [
    ({"concurrent_users": "2000000000"}, "LDL-2:</strong> at most 10,000 concurrent users"),
    ({"concurrent_users": "2", "items": ["99999999999999999999"]}, "LDL-2:</strong> items: unknown item id"),
    ({"concurrent_users": "2", "items": [str(n) for n in range(1, 300)]}, "LDL-2:</strong> items: at most 200 copies at once"),
], ids=["two-billion-users", "id-past-2^63", "three-hundred-ids"])
def test_the_loan_rights_page_refuses_a_number_past_its_ceiling_and_saves_nothing(client, lending_staff, policy,
                                                                                   title, data, words):
    """LDL-2.  Before: the page stored two billion concurrent users (the API refused past 10,000)."""
    from syllabus.lending.models import LoanSettings

    rep, _item = title
    client.force_login(lending_staff)
    r = client.post(f"/lending/representations/{rep.pk}/rights/", {"policy": policy.pk, **data})
    assert r.status_code == 400 and words in r.content.decode()
    assert not LoanSettings.objects.filter(representation=rep, concurrent_users__gt=0).exists()
    assert not rep.related_items.exists()

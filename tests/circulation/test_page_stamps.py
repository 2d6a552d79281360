"""Issue 19: the student view finds its whole cached page by *stamps* read with the list in one
query (lists.item_access: each provider's signature of what its shared part reads), without
loading the items or their access.  Every kind of change a stamp covers shows at once in every
worker (two caches here) — even one written by a plain UPDATE —, a due lending timer is applied
before the page shows, the reader's own part is theirs, and a warm page costs a bounded number
of queries whatever the list holds."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from syllabus.catalog.models import EResource, Item
from syllabus.circulation import services
from syllabus.circulation.models import Hold, PersonalCopy
from syllabus.circulation.workflow import HoldStatus, PersonalCopyStatus
from syllabus.lending.models import LoanRequest, LoanSettings, Status
from syllabus.org import config

from .conftest import item_html
from .test_whole_page_cache import _page, _pages

pytestmark = pytest.mark.django_db


def _mine(page: str, citation) -> str:
    start = page.index(f'id="mine-{citation.pk}"')
    return page[start:page.index("</form>", start)]


def test_every_kind_of_change_a_stamp_covers_shows_at_once_in_every_worker(kept_view, shelf, classmate, inst_a, library_a,
                                                                          instructor):
    on_shelf, all_out, ebook = shelf["on_shelf"], shelf["all_out"], shelf["ebook"]
    kept_view(classmate, lambda p: "1 of 2 available" in item_html(p, on_shelf), "first view")
    kept_view(classmate, lambda p: "1 of 2 available" in item_html(p, on_shelf), "again, from the cache")
    assert any(":s:" in k for k in _pages()), "kept under its stamps"
    # a copy put on the hold shelf is not available to others
    copy = Item.objects.get(record_id=on_shelf.record_id, status=Item.Status.IN_PLACE, location="Main stacks")
    Hold.objects.create(patron=instructor, record_id=on_shelf.record_id, pickup_library=library_a,
                        status=HoldStatus.ON_HOLD_SHELF, item=copy)
    kept_view(classmate, lambda p: "0 of 2 available" in item_html(p, on_shelf), "hold shelf")
    # a copy's status changed by a plain UPDATE (no signal, no save)
    Item.objects.filter(record_id=all_out.record_id).update(status=Item.Status.IN_PLACE)
    kept_view(classmate, lambda p: "2 of 2 available" in item_html(p, all_out), "copy status (UPDATE)")
    # the library renamed
    library_a.name = "Renamed Library"
    library_a.save()
    kept_view(classmate, lambda p: "Renamed Library" in item_html(p, all_out), "library name")
    # an e-resource and a digital representation added, then the representation withdrawn
    EResource.objects.create(record_id=all_out.record_id, institution=inst_a, url="https://jstor.example/1", provider="JSTOR Books")
    kept_view(classmate, lambda p: "Online: JSTOR Books" in item_html(p, all_out), "e-resource")
    # the lending title's copies changed by a plain UPDATE
    LoanSettings.objects.filter(representation=shelf["loan_rep"]).update(concurrent_users=2)
    kept_view(classmate, lambda p: "all 2 copies in use" in item_html(p, shelf["loan"]), "copies of a lending title (UPDATE)")
    # an instructor's personal copy on reserve
    PersonalCopy.objects.create(citation=ebook, owner=instructor, library=library_a, status=PersonalCopyStatus.ON_RESERVE,
                                location="Reserve desk", call_number="PC 1")
    kept_view(classmate, lambda p: "Personal copy on reserve" in item_html(p, ebook), "personal copy")
    # configuration the services read: holds switched off
    config.set_value("holds_enabled", False, institution=inst_a)
    kept_view(classmate, lambda p: 'data-testid="place-hold"' not in p, "configuration")


def test_time_shows_at_once_lending_timers_and_scan_windows(kept_view, shelf, classmate, clock):
    loan, scan_in = shelf["loan"], shelf["scan_in"]
    kept_view(classmate, lambda p: "the only copy is in use, 1 waiting" in item_html(p, loan) and "until" in item_html(p, scan_in), "first view")
    minute = dt.timedelta(minutes=1)
    # the reader's copy waits in its grace period: a minute before it ends the page is kept; a
    # minute after, the same day, the timer is due — the page applies it before it shows: the
    # copy went to the waiting student
    active = LoanRequest.objects.get(representation=shelf["loan_rep"], status=Status.ACTIVE)
    assert active.step == "in_grace_period" and active.grace_due_at is not None
    clock.set_now(active.grace_due_at - minute)
    kept_view(classmate, lambda p: "the only copy is in use, 1 waiting" in item_html(p, loan), "grace")
    clock.set_now(active.grace_due_at + minute)
    assert clock.today() == (active.grace_due_at - minute).date()
    kept_view(classmate, lambda p: "the only copy is in use, 0 waiting" in item_html(p, loan), "grace over")
    # weeks later the scan's window has closed
    clock.advance(dt.timedelta(days=25))
    kept_view(classmate, lambda p: "no longer available" in item_html(p, scan_in), "scan window")


def test_the_readers_own_part_is_read_when_they_have_one_and_never_shared(kept_view, shelf, student, classmate, library_a):
    all_out = shelf["all_out"]
    kept_view(classmate, lambda p: 'data-testid="my-hold"' not in p and 'data-testid="my-loan"' not in p, "nothing of theirs")
    kept_view(student, lambda p: 'data-testid="my-loan"' in _mine(p, shelf["loan"]), "the student's waiting loan")
    services.place_hold(student, all_out, pickup_library=library_a)
    kept_view(student, lambda p: 'data-testid="my-hold"' in _mine(p, all_out), "the student's new hold")
    kept_view(classmate, lambda p: 'data-testid="my-hold"' not in p and 'data-testid="my-loan"' not in p, "still nothing of theirs")
    assert len([k for k in _pages() if ":s:" in k]) == 1, "one shared page for both readers"


def test_a_warm_page_costs_a_bounded_number_of_queries(kept_view, shelf, classmate, client, django_assert_max_num_queries):
    kept_view(classmate, lambda p: True, "warm")
    client.force_login(classmate)
    # session, user, configuration, roles, the list with every stamp, the navigation's two
    # badges, the usage event: nothing per item, nothing per provider
    with django_assert_max_num_queries(8):
        assert client.get(reverse("lists:view", args=[shelf["list"].pk])).status_code == 200


# --- the list query prepared once per PostgreSQL connection (issue 19, core.statements) --------

def _prepared_list_statements() -> int:
    from django.db import connection

    with connection.cursor() as cur:
        cur.execute("SELECT count(*) FROM pg_prepared_statements WHERE name LIKE 'lst_%%'")
        return cur.fetchone()[0]


@pytest.mark.django_db(transaction=True)
def test_the_prepared_list_query_shows_a_change_at_once_and_survives_a_reset_session(shelf, classmate, instructor,
                                                                                    client):
    from django.db import connection

    from syllabus.lists import services as list_services

    lst = shelf["list"]
    # seven views: PostgreSQL plans the first five for their values, then may keep a generic plan
    for _ in range(7):
        assert "1 of 2 available" in item_html(_page(client, classmate, lst), shelf["on_shelf"])
    if connection.vendor == "postgresql":
        assert _prepared_list_statements() == 1, "the list query is prepared once on this connection"
    list_services.update_list(instructor, lst, title="Renamed reading list")
    assert "Renamed reading list" in _page(client, classmate, lst), "a change of the list shows at once"
    Item.objects.filter(record_id=shelf["all_out"].record_id).update(status=Item.Status.IN_PLACE)
    assert "2 of 2 available" in item_html(_page(client, classmate, lst), shelf["all_out"]), "a change of a copy shows at once"
    if connection.vendor == "postgresql":
        for reset in ("DEALLOCATE ALL", "DISCARD ALL"):  # a pooler's reset between two requests
            with connection.cursor() as cur:
                cur.execute(reset)
            list_services.update_list(instructor, lst, title=f"After {reset}")
            assert f"After {reset}" in _page(client, classmate, lst), reset
            assert _prepared_list_statements() == 1, f"prepared again after {reset}"


def test_a_session_reset_inside_a_transaction_still_serves_the_page(shelf, classmate, instructor, client):
    """Inside a transaction (ATOMIC_REQUESTS, or these tests) the list query runs in a
    savepoint, so a session that lost its statements is recovered there too."""
    from django.db import connection

    from syllabus.lists import services as list_services

    lst = shelf["list"]
    assert "1 of 2 available" in item_html(_page(client, classmate, lst), shelf["on_shelf"])
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("DEALLOCATE ALL")
    list_services.update_list(instructor, lst, title="Renamed in the transaction")
    assert "Renamed in the transaction" in _page(client, classmate, lst)
    if connection.vendor == "postgresql":
        assert _prepared_list_statements() == 1


@pytest.mark.django_db(transaction=True)
def test_the_list_query_is_sent_as_it_is_when_preparing_is_switched_off(shelf, classmate, instructor, client,
                                                                       monkeypatch):
    from django.db import connection

    from syllabus.core import statements
    from syllabus.lists import services as list_services

    monkeypatch.setattr(statements, "PREPARED", False)
    lst = shelf["list"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            cur.execute("DEALLOCATE ALL")
    assert "1 of 2 available" in item_html(_page(client, classmate, lst), shelf["on_shelf"])
    list_services.update_list(instructor, lst, title="Renamed, not prepared")
    assert "Renamed, not prepared" in _page(client, classmate, lst)
    if connection.vendor == "postgresql":
        assert _prepared_list_statements() == 0

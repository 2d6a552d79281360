"""Fixtures of the circulation tests: a published list whose items lead to every kind of access
(on the shelf, all out, an e-book, a scan inside and outside its window, a digital loan title),
and the staff who work the hold shelf and reserves."""
from __future__ import annotations

import datetime as dt
import itertools

import pytest

from syllabus.org.roles import Role

_seq = itertools.count(1)

BOOK = {"title": "The Making of the English Working Class", "author": [{"family": "Thompson", "given": "E. P."}],
        "publisher": "Victor Gollancz", "publisher-place": "London", "issued": {"date-parts": [[1963]]},
        "ISBN": "978-0-14-013603-6"}


@pytest.fixture
def desk(make_user):
    """A Requests Operator of the institution (works every hold shelf of it)."""
    return make_user("desk", group="staff", roles=[Role.REQUESTS_OPERATOR], first_name="Dee", last_name="Desk")


@pytest.fixture
def reserves(make_user):
    return make_user("reserves", group="staff", roles=[Role.COURSE_RESERVES_OPERATOR], first_name="Rita", last_name="Reserves")


@pytest.fixture
def library_a2(inst_a):
    from tests.factories import LibraryFactory

    return LibraryFactory(institution=inst_a, code="law", name="Law Library", timezone="Europe/Paris")


def make_record(inst, title: str, *, csl: dict | None = None):
    from syllabus.catalog.models import Record

    n = next(_seq)
    data = dict(csl or BOOK, title=title)
    return Record.objects.create(institution=inst, source_id=f"circ-{n}", title=title, type=data.get("type", "book"), csl=data)


def add_items(record, library, statuses, *, item_type="book", location="Main stacks", call_number="HD8390 .T5"):
    from syllabus.catalog.models import Item

    return [Item.objects.create(record=record, library=library, barcode=f"B{next(_seq):06d}", location=location,
                                call_number=call_number, item_type=item_type, status=s) for s in statuses]


def cdl_policy(staff, inst):
    """A long-term-loan policy (LDL-1): 3-day sessions, 2 days of grace, renewable."""
    from syllabus.lending import services as lending

    return lending.create_policy(staff, inst, name="CDL", long_term_loan=True, limit_note="",
                                 rules=[dict(request_priority=0, session_period=3, session_period_unit="days", grace_period=2,
                                             grace_period_unit="days", grace_included_in_session=False, renewable=True,
                                             max_renewal_days=10, open_for_renewal_days=1, renewable_when_others_wait=False,
                                             limit_reloan=False, reloan_limit_days=0)])


def cite(instructor, lst, section, record, ctype="book"):
    from syllabus.lists import services

    return services.add_citation(instructor, lst, section, ctype, dict(record.csl), record=record)


@pytest.fixture
def published(instructor, course):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    services.publish_list(instructor, lst)
    return lst, section


@pytest.fixture
def shelf(published, instructor, student, inst_a, library_a, make_user, clock):
    """Six items, one of each kind of access."""
    from syllabus.catalog.models import EResource, Item, Representation
    from syllabus.fulfillment.models import DigitizationRequest, Kind, Source, Status
    from syllabus.lending import services as lending

    lst, section = published
    on_shelf = make_record(inst_a, "On the shelf")
    add_items(on_shelf, library_a, [Item.Status.IN_PLACE, Item.Status.ON_LOAN])
    add_items(on_shelf, library_a, [Item.Status.IN_PLACE], item_type="short_loan", location="Reserve desk", call_number="R 1")
    all_out = make_record(inst_a, "All out")
    add_items(all_out, library_a, [Item.Status.ON_LOAN, Item.Status.ON_LOAN])
    ebook = make_record(inst_a, "An e-book")
    EResource.objects.create(record=ebook, institution=inst_a, url="https://ebooks.example.com/42", provider="EBSCO eBooks")
    scanned = make_record(inst_a, "Scanned, in window")
    expired = make_record(inst_a, "Scanned, window over")
    loaned = make_record(inst_a, "Lent digitally")

    items = {"on_shelf": cite(instructor, lst, section, on_shelf), "all_out": cite(instructor, lst, section, all_out),
             "ebook": cite(instructor, lst, section, ebook), "scan_in": cite(instructor, lst, section, scanned),
             "scan_out": cite(instructor, lst, section, expired), "loan": cite(instructor, lst, section, loaned)}
    today = clock.now().date()
    for key, record, start, end in (("scan_in", scanned, today - dt.timedelta(days=5), today + dt.timedelta(days=20)),
                                    ("scan_out", expired, today - dt.timedelta(days=60), today - dt.timedelta(days=1))):
        rep = Representation.objects.create(record=record, library=library_a, label="Chapter scan", discoverable=False)
        DigitizationRequest.objects.create(institution=inst_a, kind=Kind.DIGITIZATION, source=Source.COURSE, requester=instructor,
                                           record=record, citation=items[key], title=record.title, start_date=start, end_date=end,
                                           status=Status.DELIVERED, representation=rep, delivered_at=clock.now())
    staff = make_user("lender", group="staff", roles=[Role.REQUESTS_OPERATOR, Role.DIGITAL_INVENTORY_OPERATOR])
    policy = cdl_policy(staff, inst_a)
    rep = Representation.objects.create(record=loaned, library=library_a, label="Digitized book")
    lending.configure_representation(staff, rep, policy=policy, concurrent_users=1)
    reader = make_user("reader1")
    lending.request_loan(reader, rep)
    lending.request_loan(student, rep)   # the student waits: place 1
    items["list"] = lst
    items["section"] = section
    items["loan_rep"] = rep
    return items


from tests.notify.conftest import SmtpInbox, smtp_server  # noqa: E402,F401  (a real SMTP server on loopback)

ACCESS_DESKS = ["access@inst-a.example.edu", "disability.services@inst-a.example.edu"]


@pytest.fixture
def accessible_desks(inst_a):
    from syllabus.org import config

    config.set_value("accessible_file_request_emails", ACCESS_DESKS, institution=inst_a)
    return ACCESS_DESKS


# --- the student view's kept pages (issue 19): shared by test_whole_page_cache and test_reader_page_cache

@pytest.fixture
def titles(published, instructor, inst_a, library_a):
    """A published list citing two catalogued titles with copies (one of them on loan), every
    page cache empty."""
    from django.core.cache import cache

    from syllabus.catalog.models import Item
    from syllabus.lists.templatetags import lists_tags

    lst, section = published
    cache.clear()
    lists_tags.page_cache().clear()
    one = make_record(inst_a, "Middlemarch")
    copies = add_items(one, library_a, [Item.Status.IN_PLACE, Item.Status.ON_LOAN])
    two = make_record(inst_a, "Bleak House")
    add_items(two, library_a, [Item.Status.IN_PLACE])
    return {"list": lst, "section": section, "one": cite(instructor, lst, section, one),
            "two": cite(instructor, lst, section, two), "copies": copies}


@pytest.fixture
def two_workers(monkeypatch):
    """``serve("a")`` / ``serve("b")``: the next requests are served as by one of two worker
    processes, each with its own caches (a change must show at once in both)."""
    from django.core.cache.backends.locmem import LocMemCache

    from syllabus.lists import selectors, views
    from syllabus.lists.templatetags import lists_tags

    caches = {name: LocMemCache(f"page-worker-{name}", {"OPTIONS": {"MAX_ENTRIES": 1000}})
              for name in ("a", "b", "a-pages", "b-pages")}
    for worker_cache in caches.values():  # (a LocMemCache's storage is shared by name: start empty)
        worker_cache.clear()

    def serve(name):
        for module in (selectors, views, lists_tags):
            monkeypatch.setattr(module, "cache", caches[name])
        monkeypatch.setattr(lists_tags, "page_cache", lambda: caches[f"{name}-pages"])
    return serve


def item_html(page: str, citation) -> str:
    """The markup of one item of a student view."""
    start = page.index(f'id="item-{citation.pk}"')
    return page[start:page.index("</li>", start)]


@pytest.fixture
def kept_view(shelf, client, two_workers):
    """``kept_view(user, check, what)``: the student view of the shelf's list as ``user`` sees
    it, served by each of two workers (their own caches), must pass ``check`` (not named
    ``page``: in the browser tests of this folder that is Playwright's page)."""
    from syllabus.lists import selectors
    from syllabus.lists.templatetags import lists_tags

    from .test_whole_page_cache import _page

    for worker in ("a", "b"):   # their caches outlive a test (LocMemCache by name)
        two_workers(worker)
        selectors.cache.clear()
        lists_tags.page_cache().clear()

    def both(user, check, what: str):
        for worker in ("a", "b"):
            two_workers(worker)
            shown = _page(client, user, shelf["list"])
            assert check(shown), f"{what} (worker {worker})"
    return both


@pytest.fixture
def classmate(make_user, course):
    """Another student of the course (nothing of their own on the shelf's list)."""
    from syllabus.courses.models import Enrollment

    other = make_user("classmate")
    Enrollment.objects.create(course=course, user=other)
    return other

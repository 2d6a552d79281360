"""Issue 19, session 13 (acceptance 4): the kept student view is found by a change stamp that
database triggers keep (lists.changes).  For every table a trigger watches, a change made
there — by a plain UPDATE or INSERT, as another process or a bulk load would, with no signal —
shows at once in a kept view, in every worker (two caches); a bulk load (the MARC loader) too.
The triggers installed are the ones lists.changes names, and every table the shared part of the
view reads is either watched or read live in the list's query (a new one must choose)."""
from __future__ import annotations

import datetime as dt
import re
from functools import partial

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.catalog.models import EResource, Item, Representation
from syllabus.circulation.models import Hold, PersonalCopy
from syllabus.circulation.workflow import HoldStatus, PersonalCopyStatus
from syllabus.courses.models import Course
from syllabus.fulfillment.models import DigitizationRequest
from syllabus.lending.models import AccessRightsPolicy, LoanSettings
from syllabus.lists import changes
from syllabus.lists.models import ListChange, RecordChange, ResourceList
from syllabus.org.models import Consortium, Institution, Library

from .conftest import item_html

pytestmark = pytest.mark.django_db


def _item(record, library, status=Item.Status.IN_PLACE):
    return Item.objects.create(record=record, library=library, barcode=f"X-{record.pk}-{library.pk}", location="Main stacks",
                               call_number="X 1", item_type="book", status=status)


def _hold_on_shelf(shelf, instructor, library_a, **kw):
    copy = Item.objects.get(record_id=shelf["on_shelf"].record_id, status=Item.Status.IN_PLACE, location="Main stacks")
    Hold.objects.create(patron=instructor, record_id=copy.record_id, pickup_library=library_a, status=HoldStatus.ON_HOLD_SHELF,
                        item=copy)
    return "0 of 2 available", "on_shelf"


def _item_status(shelf, **kw):
    Item.objects.filter(record_id=shelf["all_out"].record_id).update(status=Item.Status.IN_PLACE)
    return "2 of 2 available", "all_out"


def _eresource(shelf, inst_a, **kw):
    EResource.objects.create(record_id=shelf["all_out"].record_id, institution=inst_a, url="https://jstor.example/1",
                             provider="JSTOR Books")
    return "Online: JSTOR Books", "all_out"


def _representation(shelf, **kw):
    Representation.objects.filter(pk=shelf["loan_rep"].pk).update(label="Digitized first edition")
    return "Digitized first edition", "loan"


def _loan_settings(shelf, **kw):
    LoanSettings.objects.filter(representation=shelf["loan_rep"]).update(concurrent_users=2)
    return "all 2 copies in use", "loan"


def _policy(shelf, **kw):
    # the title is no longer lent: it shows as a plain digital copy
    AccessRightsPolicy.objects.filter(representations__representation=shelf["loan_rep"]).update(long_term_loan=False)
    return "!copies in use", "loan"


def _copy_in_process(shelf, library_a, **kw):
    Item.objects.create(record_id=shelf["loan_rep"].record_id, library=library_a, barcode="CDL-1", location="Stack",
                        call_number="CDL 1", status=Item.Status.IN_PROCESS)
    return "1 on order or being processed", "loan"


def _related_item(shelf, **kw):
    # LDL-2: the copy is withdrawn for the title's digital lending (a plain INSERT, as a bulk load would)
    Representation.related_items.through.objects.create(representation_id=shelf["loan_rep"].pk,
                                                        item_id=Item.objects.get(barcode="CDL-1").pk)
    return "1 lent digitally", "loan"


def _copy_to_order(shelf, library_a, **kw):
    Item.objects.create(record_id=shelf["ebook"].record_id, library=library_a, barcode="ORD-1", location="Course reserve",
                        call_number="", status=Item.Status.IN_PROCESS)
    return "1 on order or being processed", "ebook"


def _order(shelf, inst_a, **kw):
    # SRV-3: the library's order brings that copy (a plain INSERT)
    from syllabus.acquisitions.models import AcquisitionTask

    AcquisitionTask.objects.create(institution=inst_a, kind="order", status="in_progress", item=Item.objects.get(barcode="ORD-1"),
                                   expected_date=dt.date(2026, 12, 20))
    return "1 on order (expected 2026-12-20)", "ebook"


def _library(shelf, library_a, **kw):
    Library.objects.filter(pk=library_a.pk).update(name="Renamed Library")
    return "Renamed Library", "all_out"


def _member_scan(shelf, inst_b, **kw):
    lib_b = Library.objects.create(institution=inst_b, code="lib-b9", name="Library B9")
    Representation.objects.create(record_id=shelf["all_out"].record_id, library=lib_b, label="Member scan")
    return "Member scan", "all_out"


def _institution(shelf, inst_b, **kw):
    # a digital copy at a library of another member of the consortium shows (_member_scan); the
    # member leaves the consortium
    Institution.objects.filter(pk=inst_b.pk).update(consortium=Consortium.objects.create(code="other-c", name="Other"))
    return "!Member scan", "all_out"


def _citation(shelf, instructor, inst_a, library_a, **kw):
    from syllabus.lists import services

    from .conftest import add_items, make_record

    record = make_record(inst_a, "Hard Times")
    add_items(record, library_a, [Item.Status.IN_PLACE])
    services.add_citation(instructor, shelf["list"], shelf["section"], "book", dict(record.csl), record=record)
    return "Hard Times", None


def _personal_copy(shelf, instructor, library_a, **kw):
    PersonalCopy.objects.create(citation=shelf["ebook"], owner=instructor, library=library_a, status=PersonalCopyStatus.ON_RESERVE,
                                location="Reserve desk", call_number="PC 1")
    return "Personal copy on reserve", "ebook"


def _digitization(shelf, clock, **kw):
    DigitizationRequest.objects.filter(citation=shelf["scan_in"]).update(end_date=clock.today() - dt.timedelta(days=1))
    return "no longer available", "scan_in"


def _list_courses(shelf, inst_a, **kw):
    other = Course.objects.create(institution=inst_a, code="LIT220", name="Victorian novels", term="2026S")
    ResourceList.courses.through.objects.create(resourcelist_id=shelf["list"].pk, course_id=other.pk)
    return "Victorian novels", None


def _course(shelf, course, **kw):
    Course.objects.filter(pk=course.pk).update(name="History of the modern world")
    return "History of the modern world", None


CHANGES = {"catalog_item": _item_status, "circulation_hold": _hold_on_shelf, "catalog_eresource": _eresource,
           "catalog_representation": _representation, "lending_loansettings": _loan_settings,
           "lending_accessrightspolicy": _policy, "org_library": _library, "org_institution": _institution,
           "lists_citation": _citation, "circulation_personalcopy": _personal_copy,
           "fulfillment_digitizationrequest": _digitization, "lists_resourcelist_courses": _list_courses,
           "courses_course": _course, "catalog_representation_related_items": _related_item,
           "acquisitions_acquisitiontask": _order}


#: what a change needs shown first
BEFORE = {"org_institution": _member_scan, "catalog_representation_related_items": _copy_in_process,
          "acquisitions_acquisitiontask": _copy_to_order}


def test_every_watched_table_has_a_change_test():
    assert sorted(CHANGES) == sorted(w.table for w in changes.watched())


@pytest.mark.parametrize("table", sorted(CHANGES))
def test_a_change_of_a_watched_table_shows_at_once_in_a_kept_view(table, kept_view, shelf, classmate, instructor, inst_a, inst_b,
                                                                       library_a, course, clock):
    def shown(p, text, key):
        html = item_html(p, shelf[key]) if key else p
        return text[1:] not in html if text.startswith("!") else text in html

    people = dict(shelf=shelf, instructor=instructor, inst_a=inst_a, inst_b=inst_b, library_a=library_a, course=course,
                  clock=clock)
    if table in BEFORE:
        text, key = BEFORE[table](**people)
        kept_view(classmate, lambda p: shown(p, text, key), f"before the change of {table}")
    kept_view(classmate, lambda p: "1 of 2 available" in item_html(p, shelf["on_shelf"]), "first view")
    kept_view(classmate, lambda p: "1 of 2 available" in item_html(p, shelf["on_shelf"]), "again, kept")
    before = (ListChange.objects.filter(list_id=shelf["list"].pk).values_list("n", flat=True).first(),
              sorted(RecordChange.objects.values_list("record_id", "n")))
    text, key = CHANGES[table](**people)
    after = (ListChange.objects.filter(list_id=shelf["list"].pk).values_list("n", flat=True).first(),
             sorted(RecordChange.objects.values_list("record_id", "n")))
    assert after != before, f"a change of {table} bumped a stamp"
    kept_view(classmate, lambda p: shown(p, text, key), table)


def test_a_hand_over_on_a_lending_title_writes_no_stamp(shelf, student):
    """The hot loan path (issue 19's loans figures): the lock the lending verbs take on a title's
    loan settings (an UPDATE that changes nothing) and its requests fire no trigger."""
    from syllabus.lending import services as lending
    from syllabus.lending.models import CancelReason, LoanRequest, Status
    from syllabus.org.models import User

    before = sorted(RecordChange.objects.values_list("record_id", "n"))
    active = LoanRequest.objects.get(representation=shelf["loan_rep"], status=Status.ACTIVE)
    lending.cancel(User.objects.get(username="lender"), active, reason=CancelReason.PATRON_REQUEST)
    assert LoanRequest.objects.get(representation=shelf["loan_rep"], patron=student).status == Status.ACTIVE, "handed over"
    assert sorted(RecordChange.objects.values_list("record_id", "n")) == before


def test_a_bulk_load_shows_at_once(kept_view, shelf, classmate, library_a):
    """The MARC loader adds a copy to a title of the list: the kept view shows it."""
    import pymarc

    from syllabus.catalog.marc import import_marc, record_to_marc
    from syllabus.catalog.models import Record

    all_out = shelf["all_out"]
    kept_view(classmate, lambda p: "0 of 2 available" in item_html(p, all_out), "first view")
    kept_view(classmate, lambda p: "0 of 2 available" in item_html(p, all_out), "kept")
    rec = record_to_marc(Record.objects.get(pk=all_out.record_id))
    rec.add_field(pymarc.Field(tag="952", indicators=pymarc.Indicators(" ", " "),
                               subfields=[pymarc.Subfield("p", "BULK-1"), pymarc.Subfield("b", library_a.code),
                                          pymarc.Subfield("c", "Main stacks"), pymarc.Subfield("o", "HD8390 .T5")]))
    report = import_marc(rec.as_marc(), library_a)
    assert report.updated + report.unchanged == 1, report.summary()
    kept_view(classmate, lambda p: "1 of 3 available" in item_html(p, all_out), "bulk load")


def test_the_triggers_installed_are_the_ones_named():
    """Exactly the declared triggers, firing once per statement with their transition tables on
    PostgreSQL (lists.0006) — but the loan settings', once per row (lists.0007) — and once per
    row on SQLite (it has no statement-level triggers)."""
    found = changes.installed(connection)
    named = sorted((w.table, f"{changes.PREFIX}{w.table}_{e}") for w in changes.watched() for e in ("insert", "update", "delete"))
    assert sorted(found) == named
    how = changes.STATEMENT if connection.vendor == "postgresql" else changes.ROW
    assert changes.levels(connection) == changes.expected(connection) == {
        t: changes.ROW if t[0] == "lending_loansettings" else how for t in named}


@pytest.mark.django_db(transaction=True)
def test_two_bulk_writes_of_the_same_records_in_opposite_orders_both_commit(inst_a, library_a):
    """Two transactions update different copies of the same two records, one statement each, the
    first meeting record A's copy first, the second record B's (their copies' order on disk and by
    key).  Row triggers locked A's stamp row then B's in one and B's then A's in the other: on
    PostgreSQL a deadlock, one of them aborted.  Per statement the stamps are bumped in key order:
    the second waits for the first, both commit, and each record's stamp grew once per statement.
    On PostgreSQL a test-only trigger holds each stamp row 0.4 s once locked, so both writers
    hold their first stamp row before either asks for its second (on SQLite one writer waits for
    the other's commit: the same outcome)."""
    from django.db import transaction

    from tests.concurrency import at_once

    from .conftest import add_items, make_record

    rec_a, rec_b = make_record(inst_a, "Record A"), make_record(inst_a, "Record B")
    a1, b1, b2, a2 = (add_items(r, library_a, [Item.Status.IN_PLACE])[0] for r in (rec_a, rec_b, rec_b, rec_a))
    stamp = lambda: dict(RecordChange.objects.filter(record_id__in=[rec_a.pk, rec_b.pk]).values_list("record_id", "n"))  # noqa: E731
    before = stamp()
    assert set(before) == {rec_a.pk, rec_b.pk}, "the copies' inserts made the stamp rows"
    slow = connection.vendor == "postgresql"
    if slow:
        with connection.cursor() as cur:
            cur.execute("CREATE FUNCTION test_slow_stamp() RETURNS trigger LANGUAGE plpgsql AS "
                        "$$ BEGIN PERFORM pg_sleep(0.4); RETURN NEW; END $$")
            cur.execute("CREATE TRIGGER test_slow_stamp BEFORE UPDATE ON lists_recordchange FOR EACH ROW "
                        "EXECUTE FUNCTION test_slow_stamp()")

    def write(copies):
        with transaction.atomic():
            Item.objects.filter(pk__in=[c.pk for c in copies]).update(status=Item.Status.ON_LOAN)

    try:
        _done, _refused, errors = at_once([partial(write, [a1, b1]), partial(write, [b2, a2])])  # A then B, B then A
    finally:
        if slow:
            with connection.cursor() as cur:
                cur.execute("DROP TRIGGER IF EXISTS test_slow_stamp ON lists_recordchange")
                cur.execute("DROP FUNCTION IF EXISTS test_slow_stamp()")
    assert errors == [], "both commit (no deadlock)"
    assert Item.objects.filter(pk__in=[a1.pk, b1.pk, b2.pk, a2.pk], status=Item.Status.ON_LOAN).count() == 4
    assert stamp() == {rec_a.pk: before[rec_a.pk] + 2, rec_b.pk: before[rec_b.pk] + 2}


#: tables the student view reads that no trigger watches, and why: read live in the list's own
#: query (the list, the reader's flags and own parts, the lending requests and timers), part of
#: the list's revision (its sections), or the request's (session, person, roles, configuration,
#: usage, the menu's badges)
READ_LIVE = {
    "lists_resourcelist", "org_user", "lists_resourcelist_owners", "lists_resourcelist_collaborators", "courses_enrollment",
    "courses_course_instructors", "circulation_readingmark", "lending_loanrequest", "lists_section",
    "django_session", "org_roleassignment", "org_configvalue", "org_consortium", "analytics_usageevent",
    "lists_recordchange", "lists_listchange", "catalog_record", "org_usergroup", "org_user_groups", "notify_notification",
}


def test_every_table_the_view_reads_is_watched_or_read_live(shelf, classmate):
    """A table the student view reads must either be watched by a trigger (lists.changes) or be
    read live in the list's query: a new one makes this test fail until it is one or the other."""
    from django.core.cache import cache

    from syllabus.lists.templatetags import lists_tags

    cache.clear()
    lists_tags.page_cache().clear()
    client = Client()
    client.force_login(classmate)
    with CaptureQueriesContext(connection) as q:
        assert client.get(reverse("lists:view", args=[shelf["list"].pk])).status_code == 200
    tables = set()
    for sql in (c["sql"] for c in q.captured_queries):
        tables.update(re.findall(r'(?:FROM|JOIN)\s+"([a-z_0-9]+)"', sql))
    watched = {w.table for w in changes.watched()}
    assert tables - watched - READ_LIVE == set()
    assert {"catalog_item", "catalog_representation", "lending_loansettings"} <= tables, "the view was read cold"


@pytest.mark.django_db(transaction=True)
def test_0006_fires_per_statement_and_back_per_row(inst_a, library_a):
    """Migration lists.0006 (issue 19, session 14) is reversible: backwards the row triggers of
    0005 (the same set), forwards again per statement on PostgreSQL; a copy's change bumps its
    record's stamp at each step."""
    from tests.migrating import latest, migrate

    from .conftest import add_items, make_record

    record = make_record(inst_a, "Migrated")
    copy = add_items(record, library_a, [Item.Status.IN_PLACE])[0]

    def bumped(status):
        n = RecordChange.objects.get(record_id=record.pk).n
        Item.objects.filter(pk=copy.pk).update(status=status)
        return RecordChange.objects.get(record_id=record.pk).n - n

    named = {t: changes.ROW for t in changes.installed(connection)}
    try:
        migrate([("lists", "0005_change_stamps")])
        assert changes.levels(connection) == named
        assert bumped(Item.Status.ON_LOAN) == 1
    finally:
        migrate(latest())
    assert changes.levels(connection) == changes.expected(connection)
    assert bumped(Item.Status.IN_PLACE) == 1


@pytest.mark.django_db(transaction=True)
def test_0007_keeps_the_loan_settings_per_row_and_a_title_lock_bumps_nothing(shelf):
    """Migration lists.0007 (issue 19, session 15) is reversible: backwards every trigger fires as
    0006 made them (per statement on PostgreSQL), forwards the loan settings' fire once per row
    again.  At each step a hot loan title's lock — the no-op ``SET concurrent_users =
    concurrent_users`` — bumps no stamp, and a change of the number of copies bumps its record's."""
    from tests.migrating import latest, migrate

    rep = shelf["loan_rep"]
    settings = LoanSettings.objects.filter(representation=rep)

    def bumps(write) -> int:
        n = RecordChange.objects.filter(record_id=rep.record_id).values_list("n", flat=True).first() or 0
        with connection.cursor() as cur:
            cur.execute(write, [rep.pk])
        return (RecordChange.objects.filter(record_id=rep.record_id).values_list("n", flat=True).first() or 0) - n

    lock = "UPDATE lending_loansettings SET concurrent_users = concurrent_users WHERE representation_id = %s"
    change = "UPDATE lending_loansettings SET concurrent_users = concurrent_users + 1 WHERE representation_id = %s"
    table = "lending_loansettings"
    was = changes.STATEMENT if connection.vendor == "postgresql" else changes.ROW
    try:
        migrate([("lists", "0006_change_stamps_per_statement")])
        assert {t: how for t, how in changes.levels(connection).items() if t[0] == table} == {
            (table, f"{changes.PREFIX}{table}_{e}"): was for e in ("insert", "update", "delete")}
        assert (bumps(lock), bumps(change)) == (0, 1)
    finally:
        migrate(latest())
    assert changes.levels(connection) == changes.expected(connection)
    assert {how for t, how in changes.levels(connection).items() if t[0] == table} == {changes.ROW}
    assert (bumps(lock), bumps(change)) == (0, 1)
    assert settings.get().concurrent_users >= 2

"""Demo resource lists: realistic lists of 20 to 200 items on the demo courses, in every state —
being prepared (with a single item already sent), sent to library and unassigned (with changes
since sent), in process and assigned, complete, assigned to another librarian — on both
institutions.  Built through the services, so the audit trail and the tasks are real."""
from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password

from syllabus.core import clock
from syllabus.core.demodata import demo_data
from syllabus.courses.models import Course
from syllabus.org.demo import DEMO_PASSWORD, LOGINS
from syllabus.org.models import RoleAssignment, User, UserGroup
from syllabus.org.roles import Role, Scope
from syllabus.org.services import email_values

from . import services
from .models import ResourceList
from .workflow import ItemStatus, ListStatus

if not any(name == "reserves" for name, _ in LOGINS):
    LOGINS.insert(2, ("reserves", "Second course reserves librarian, Riverside University (lists assigned to others)"))


# What the demo lists cite, by subject: {type, metadata (CSL-JSON)}; and the notes on some items.
_DATA = demo_data(__package__)
READINGS: dict[str, list[dict]] = _DATA["readings"]
NOTES: list[str] = _DATA["notes"]
LIBRARY_NOTES: list[str] = _DATA["library_notes"]


def _sections(start: dt.date, weeks: int, topics: list[str]):
    return [(f"Week {n + 1}: {topics[n % len(topics)]}", start + dt.timedelta(weeks=n), start + dt.timedelta(weeks=n, days=6))
            for n in range(weeks)]


def _build(owner, course, title, pool, n_items, weeks, topics, rnd, *, description=""):
    lst = services.create_list(owner, title=title, description=description, courses=[course] if course else [])
    start = (course.start_date if course and course.start_date else clock.today())
    sections = [services.add_section(owner, lst, title=t, start_date=s, end_date=e) for t, s, e in _sections(start, weeks, topics)]
    for n in range(n_items):
        entry = pool[n % len(pool)]
        ctype, meta = entry["type"], entry["metadata"]
        tags = [rnd.choice(["essential", "recommended", "recommended", "optional"])]
        if n >= len(pool):  # the same work read again later in the term: another part of it
            part = n // len(pool)
            note = f"Part {part + 1}: chapters {3 * part + 1}–{3 * part + 3}."
        else:
            note = rnd.choice(NOTES) if rnd.random() < 0.3 else ""
        services.add_citation(owner, lst, sections[n * len(sections) // n_items], ctype, meta, tags=tags, public_note=note,
                              library_note=rnd.choice(LIBRARY_NOTES) if rnd.random() < 0.15 else "",
                              open_access=ctype == "article" and rnd.random() < 0.2)
    return lst


def _librarian2(librarian) -> User:
    user, created = User.objects.get_or_create(
        username="reserves",
        defaults=dict(first_name="Rita", last_name="Reserves",
                      **email_values(None, "reserves@riverside.example.edu", verified=True),
                      institution=librarian.institution, password=make_password(DEMO_PASSWORD),
                      user_group=UserGroup.objects.filter(institution=librarian.institution, code="staff").first()),
    )
    RoleAssignment.objects.get_or_create(user=user, role=Role.COURSE_RESERVES_OPERATOR, scope=Scope.INSTITUTION,
                                         institution=user.institution)
    return user


def _process(librarian, lst, rnd, share: float) -> None:
    for item in list(lst.citations.filter(status=ItemStatus.READY_FOR_PROCESSING).order_by("section__position", "position")):
        if rnd.random() >= share:
            continue
        if rnd.random() < 0.08:
            services.set_item_status(librarian, item, ItemStatus.DECLINED, note="Not available for purchase in this region")
        elif rnd.random() < 0.2:
            services.set_item_status(librarian, item, ItemStatus.IN_PROCESS)
        else:
            services.set_item_status(librarian, item, ItemStatus.COMPLETE)


def load(stdout) -> None:
    if ResourceList.objects.exists() or not User.objects.filter(username="instructor").exists():
        return
    rnd = random.Random(7)
    instructor = User.objects.get(username="instructor")
    librarian = User.objects.get(username="librarian")
    colleague = User.objects.get(username="prof.moreau")
    reserves = _librarian2(librarian)
    course = {c.code: c for c in Course.objects.filter(institution=instructor.institution)}
    history_topics = ["Revolutions", "Industrialisation", "Work and time", "Cotton and empire", "Cities", "Class",
                      "Protest", "Nation states", "Global divergence", "Empire", "Living standards", "Review"]

    # complete, published, assigned to the librarian: the list students read (HIST101)
    hist101 = _build(instructor, course["HIST101"], "Introduction to Modern History — readings", READINGS["history"], 40, 8, history_topics, rnd,
                     description="Core and further readings, week by week. Essential items are on short loan.")
    services.publish_list(instructor, hist101)
    services.send_list(instructor, hist101)
    services.assign_list(librarian, hist101, librarian.username)
    _process(librarian, hist101, rnd, 1.0)
    for item in hist101.citations.filter(status__in=[ItemStatus.READY_FOR_PROCESSING, ItemStatus.IN_PROCESS]):
        services.set_item_status(librarian, item, ItemStatus.COMPLETE)
    services.set_list_status(librarian, hist101, ListStatus.COMPLETE)

    # 120 items, in process, assigned to the librarian (HIST230)
    hist230 = _build(instructor, course["HIST230"], "The Industrial Revolution — full reading list", READINGS["history"], 120, 12, history_topics,
                     rnd)
    services.publish_list(instructor, hist230)
    services.send_list(instructor, hist230)
    services.assign_list(librarian, hist230, librarian.username)
    _process(librarian, hist230, rnd, 0.6)

    # sent, published, unassigned, with changes since sent (ENGL110)
    engl110 = _build(instructor, course["ENGL110"], "Reading Literature", READINGS["english"], 24, 6,
                     ["Realism", "The city", "Gender", "Industry", "Form", "Adaptation"], rnd)
    services.publish_list(instructor, engl110)
    services.send_list(instructor, engl110)
    first = engl110.citations.order_by("section__position", "position").first()
    services.update_citation(instructor, first, public_note="Read the Prelude and Book 1 for week 1.")
    services.add_citation(instructor, engl110, None, "book", {"title": "Aspects of the Novel", "author": [{"family": "Forster",
                          "given": "E. M."}], "issued": {"date-parts": [[1927]]}, "publisher": "Edward Arnold"}, tags=["optional"])

    # being prepared, draft, one item already sent on its own (ENGL245)
    engl245 = _build(instructor, course["ENGL245"], "The Victorian Novel", READINGS["english"], 30, 10,
                     ["Dickens", "The Brontës", "Eliot", "Gaskell", "Sensation fiction", "Hardy", "Trollope", "Criticism",
                      "Serial form", "Review"], rnd)
    services.send_citation(instructor, engl245.citations.filter(status=ItemStatus.BEING_PREPARED).order_by("id").first())

    # a colleague's list, assigned to the other librarian (BIOL101: "Assigned to others" for the librarian)
    biol101 = _build(colleague, course["BIOL101"], "Cell Biology — essential reading", READINGS["biology"], 22, 6,
                     ["The cell", "Membranes", "Proteins", "DNA", "Signalling", "Cancer"], rnd)
    services.publish_list(colleague, biol101)
    services.send_list(colleague, biol101)
    services.assign_list(reserves, biol101, reserves.username)
    _process(reserves, biol101, rnd, 0.4)

    # Hillcrest College: sent and unassigned
    instructor2 = User.objects.filter(username="instructor2").first()
    geog = Course.objects.filter(code="GEOG101", institution__code="hillcrest").first()
    if instructor2 and geog:
        geog.instructors.add(instructor2)
        geog101 = _build(instructor2, geog, "Physical Geography — readings", READINGS["geography"], 20, 5,
                         ["Earth systems", "Weather", "Landforms", "Ice", "Change"], rnd)
        services.publish_list(instructor2, geog101)
        services.send_list(instructor2, geog101)
    stdout.write(f"  resource lists: {ResourceList.objects.count()} lists, "
                 f"{sum(lst.citations.count() for lst in ResourceList.objects.all())} items")
    # the catalog's demo loaded first (INSTALLED_APPS order): point citations at its records
    from syllabus.catalog.demo import link_list_citations

    link_list_citations(stdout)

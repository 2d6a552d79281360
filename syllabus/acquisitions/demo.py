"""Demo data of acquisitions at Riverside University: the librarian orders a copy and licenses an
e-book for items of HIST101's list (one order already under way, one e-book licence done: its
link is on the list), the instructor asks the library to buy another item (bought: its copy is
on order), and the student suggests a title Find it found nowhere (SRV-3, DSV-6).  Through the services, so the audit trail, the item
statuses, the tags and the letters are there too."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from syllabus.core import clock
from syllabus.core.errors import RuleViolation
from syllabus.lists.models import Citation, ResourceList
from syllabus.lists.workflow import Visibility
from syllabus.org.models import Institution, User

from . import services
from .models import AcquisitionTask, Kind, PurchaseRequest


SUGGESTED = {"type": "book", "title": "Empire of Cotton: A Global History", "author": [{"family": "Beckert", "given": "Sven"}],
             "publisher": "Alfred A. Knopf", "issued": {"date-parts": [[2014]]}, "ISBN": "9780375414145"}

BOUGHT = {"type": "book", "title": "Capitalism and Slavery", "author": [{"family": "Williams", "given": "Eric"}],
          "publisher": "University of North Carolina Press", "issued": {"date-parts": [[2014]]}, "edition": "3",
          "ISBN": "9781469619491"}


def load(stdout) -> None:
    inst = Institution.objects.filter(code="riverside").first()
    if inst is None or AcquisitionTask.objects.exists() or PurchaseRequest.objects.exists():
        return
    users = {u.username: u for u in User.objects.filter(institution=inst, username__in=["librarian", "instructor", "student"])}
    librarian, instructor, student = users.get("librarian"), users.get("instructor"), users.get("student")
    lst = (ResourceList.objects.filter(institution=inst, visibility=Visibility.PUBLISHED, courses__code="HIST101")
           .order_by("pk").first())
    if lst is None or librarian is None or instructor is None:
        return
    books = list(Citation.objects.filter(resource_list=lst, type="book").order_by("section__position", "position")[4:8])
    today = clock.now().date()
    made = 0
    try:
        if len(books) >= 1:
            order = services.create_task(librarian, books[0], Kind.ORDER, vendor="GOBI Library Solutions",
                                         cost_amount=Decimal("42.50"), cost_currency="GBP",
                                         expected_date=today + dt.timedelta(days=14),
                                         notes="Second copy for the short-loan collection.", assignee=librarian)
            services.start_task(librarian, order)
            made += 1
        if len(books) >= 2:
            services.create_task(librarian, books[1], Kind.LICENSE, vendor="ProQuest Ebook Central",
                                 cost_amount=Decimal("135.00"), cost_currency="GBP", concurrent_users=3,
                                 notes="Three-user licence; the course has more students.")
            made += 1
        if len(books) >= 3:
            asked = services.request_purchase(instructor, books[2], note="The new edition has two extra chapters we use in week 5.")
            # bought: the list item's copy is on order (In process) until it arrives — what a student sees meanwhile
            services.complete_purchase(librarian, asked)
            made += 1
        ebook = Citation.objects.filter(resource_list=lst, title__startswith="A Farewell to Alms").order_by("pk").first()
        if ebook is not None:  # the item whose note says it is an e-book: the licence is done, its link on the list
            licence = services.create_task(librarian, ebook, Kind.LICENSE, vendor="Open Library", concurrent_users=1,
                                           url="https://openlibrary.org/search?q=a+farewell+to+alms&author=gregory+clark")
            services.start_task(librarian, licence)
            services.complete_task(librarian, licence)
            made += 1
        if student is not None:  # a title Find it found in no library of the consortium (DSV-6)
            services.suggest_purchase(student, SUGGESTED, note="For my HIST101 essay on the cotton trade (week 4).")
            made += 1
            # and one the library already bought: its copy is on order in the catalog (SRV-3's Bought)
            bought = services.suggest_purchase(student, BOUGHT, note="Chapter 7 is on this week's seminar sheet.")
            services.complete_purchase(librarian, bought)
            made += 1
    except RuleViolation as exc:  # the demo list may have changed shape: load what fits, say what did not
        stdout.write(f"  acquisitions demo: {exc}")
    stdout.write(f"  acquisitions: {made} tasks, purchase requests on HIST101's list and a student's Find it suggestion")

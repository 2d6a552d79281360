"""Demo data of circulation at Riverside University: the accessibility service's address for
accessible file requests (SRV-4), holds on HIST101's printed books (one on the hold shelf for the
demo ``student``), a personal copy expected from the ``instructor`` (SRV-1), and the student's
reading progress.  Through the services, so the audit trail and the letters are there too."""
from __future__ import annotations

from syllabus.core.errors import RuleViolation
from syllabus.lists.models import Citation, ResourceList
from syllabus.lists.workflow import Visibility
from syllabus.org import config
from syllabus.org.models import Institution, Library, User

from . import services
from .models import Hold, ReadingMark


def load(stdout) -> None:
    inst = Institution.objects.filter(code="riverside").first()
    if inst is None or Hold.objects.exists() or ReadingMark.objects.exists():
        return
    config.set_value("accessible_file_request_emails", ["accessibility@riverside.example.edu"], institution=inst)
    users = {u.username: u for u in User.objects.filter(institution=inst)}
    student, librarian, instructor = users.get("student"), users.get("librarian"), users.get("instructor")
    lst = (ResourceList.objects.filter(institution=inst, visibility=Visibility.PUBLISHED, courses__code="HIST101")
           .order_by("pk").first())
    if lst is None or student is None or librarian is None:
        return
    main = Library.objects.filter(code="riverside-main").first() or Library.objects.filter(institution=inst).first()
    books = list(Citation.objects.filter(resource_list=lst, record__items__library__institution=inst, type="book")
                 .distinct().order_by("section__position", "position")[:4])
    placed = 0
    for n, citation in enumerate(books[:3]):
        try:
            hold = services.place_hold(student if n != 1 else users.get("s001", student), citation, pickup_library=main)
            placed += 1
            if n == 0:
                services.fulfil_hold(librarian, hold)
        except RuleViolation:
            continue
    for citation in Citation.objects.filter(resource_list=lst).order_by("section__position", "position")[:5]:
        services.mark_done(student, citation)
    if instructor is not None and len(books) > 3:
        from syllabus.lists import services as lists

        try:
            lists.update_citation(instructor, books[3], personal_copy=True, personal_copy_owner=instructor.username)
        except RuleViolation:
            pass
    stdout.write(f"  circulation: {placed} holds (one on the hold shelf), reading progress, accessible file requests "
                 "to accessibility@riverside.example.edu")

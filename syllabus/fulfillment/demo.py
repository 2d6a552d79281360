"""Demo data of digitization: the default departments with an operator, patron limits, an EDD
rule, digitization rules, copyright options, and a few requests in different states."""
from __future__ import annotations

from django.core.files.base import ContentFile

from syllabus.catalog.models import Item, Record
from syllabus.org.models import Institution, Library, User, UserGroup

from . import services
from .models import DigitizationDepartment, DigitizationRequest, DigitizationRule

PDF = b"%PDF-1.4\n% Syllabus demo scan\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def load(stdout) -> None:
    inst = Institution.objects.filter(code="riverside").first()
    if inst is None or DigitizationRequest.objects.filter(institution=inst).exists():
        return
    for each in Institution.objects.all():
        services.ensure_defaults(each)
    admin = User.objects.get(username="admin")
    librarian = User.objects.get(username="librarian")
    main = Library.objects.get(code="riverside-main")
    dept = DigitizationDepartment.objects.get(institution=inst, code="DIGI_DEPT_INST")
    services.save_department(admin, inst, dept=dept, code=dept.code, work_time_days=5, email="scanning@riverside.example.edu",
                             description="Scans for patrons and course reserves")
    services.add_operator(admin, dept, librarian)
    services.save_desk(admin, main, code="MAIN-CIRC", name="Main circulation desk", supports_digitization=True, work_time_days=3)
    for group in UserGroup.objects.filter(institution=inst):
        services.set_patron_limit(admin, group, {"undergraduate": 3, "postgraduate": 5}.get(group.code))
    services.save_edd_rule(admin, inst, name="Students and staff", user_groups=["undergraduate", "postgraduate", "faculty", "staff"])
    services.save_digitization_rule(admin, inst, name="Course reserves: into the digital inventory, copyright cleared",
                                    position=1, sources=["course"], target="inventory", copyright_required=True,
                                    approval_mode="parallel")
    services.save_digitization_rule(admin, inst, name="Postgraduates: link, 5 accesses", position=2, user_groups=["postgraduate"],
                                    target="link", max_accesses=5, approval_required=True, approval_mode="automatic",
                                    approval_reason="Fair dealing (under 10%)")
    default = DigitizationRule.objects.get(institution=inst, is_default=True)
    services.save_digitization_rule(admin, inst, rule=default, target="attachment", approval_required=True,
                                    approval_mode="blocking")
    for code, label, status in [("self", "I own the rights / self declared", "self_declared"),
                                ("fair", "Fair use", "fair_use"), ("cc", "Creative Commons", "creative_commons"),
                                ("excerpt", "Excerpt of a published work (needs clearance)", "waiting")]:
        services.save_copyright_option(admin, inst, code=code, label=label, copyright_status=status)

    records = []
    for n, (title, creators, year) in enumerate([
        ("The Making of the English Working Class", "E. P. Thompson", 1963),
        ("Middlemarch", "George Eliot", 1871),
        ("The Age of Revolution: Europe 1789–1848", "Eric Hobsbawm", 1962),
    ], 1):
        rec, _ = Record.objects.get_or_create(institution=inst, source_id=f"demo-dig-{n}",
                                              defaults={"title": title, "creators": creators, "year": year})
        if not rec.items.exists():
            Item.objects.create(record=rec, library=main, barcode=f"DIG-DEMO-{n:03d}", location="Main stacks",
                                call_number=f"DA{n}00")
        records.append(rec)
    Record.objects.get_or_create(institution=inst, source_id="demo-dig-pamphlets",
                                 defaults={"title": "Riverside local history pamphlets, 1890–1910", "year": 1900})

    student = User.objects.get(username="student")
    waiting = services.request_from_record(student, records[0], {"chapters": "Chapter 6", "notes": ["For my essay"]})
    picked = services.request_from_record(student, records[1], {"page_ranges": [{"from": 1, "to": 24}]})
    services.approve(librarian, picked, reason="Within 10%")
    services.pick(librarian, picked)
    done = services.request_from_record(student, records[2], {"page_ranges": [{"from": 45, "to": 60}]})
    services.approve(librarian, done, reason="Within 10%")
    services.pick(librarian, done)
    services.attach_file(librarian, done, ContentFile(PDF, name="hobsbawm-45-60.pdf"))
    services.deliver(librarian, done)
    course_note = _course_request(records[0])
    stdout.write(f"  digitization: departments, rules, limits; requests #{waiting.pk} (waiting for approval), "
                 f"#{picked.pk} (in digitization), #{done.pk} (delivered){course_note}")


def _course_request(record) -> str:
    """An instructor's digitization request from the HIST101 list (DIG-1)."""
    from syllabus.lists import services as lists
    from syllabus.lists.models import ResourceList

    instructor = User.objects.get(username="instructor")
    lst = ResourceList.objects.filter(courses__code="HIST101", owners=instructor).order_by("id").first()
    if lst is None:
        return ""
    from . import citations

    week3 = lst.sections.filter(title__startswith="Week 3").first()
    citation = lists.add_citation(instructor, lst, week3, "book_chapter",
                                  {"title": "Exploitation", "container-title": record.title,
                                   "author": [{"family": "Thompson", "given": "E. P."}], "publisher": "Victor Gollancz",
                                   "issued": {"date-parts": [[record.year or 1963]]}, "page": "189-212"},
                                  record=record, tags=["essential"], public_note="Chapter 6, scanned for the week 3 seminar.")
    req = citations.request_digitization(instructor, citation, {"chapters": "Chapter 6", "page_ranges": [{"from": 189, "to": 212}],
                                                                "notes": ["Week 3 seminar"]})
    # the library clears it under its licence, scans it and delivers it into the list (a PDF students open)
    librarian = User.objects.get(username="librarian")
    req = services.approve(librarian, req, copyright=True, reason="Under the CLA licence (one chapter)")
    req = services.pick(librarian, req)
    req = services.attach_file(librarian, req, ContentFile(PDF, name="thompson-ch6-189-212.pdf"))
    req = services.deliver(librarian, req)
    return f", #{req.pk} (instructor, HIST101 list: delivered)"

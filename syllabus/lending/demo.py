"""Demo data of long-term digital loans: at Riverside University, access-rights policies with
rules per user group, and digitised titles lent with 1–3 concurrent users, with loans in their
grace period or being read, and waitlists (the demo ``student`` is in one of them).

Everything goes through the services, so the audit trail and the letters are there too."""
from __future__ import annotations

from django.core.files.base import ContentFile

from syllabus.catalog.models import Item, Record, Representation
from syllabus.org.models import Institution, Library, User

from . import services
from .models import AccessRightsPolicy

POLICY = "Controlled digital lending"

BASE_RULE = dict(request_priority=1, session_period=3, session_period_unit="days", grace_period=2, grace_period_unit="days",
                 grace_included_in_session=False, renewable=True, max_renewal_days=10, open_for_renewal_days=1,
                 renewable_when_others_wait=False, limit_reloan=True, reloan_limit_days=7)

# (title, creators, year, copies, holders (viewing), in grace, waiting)
TITLES = [
    ("Middlemarch", "George Eliot", 1871, 1, ["s001"], [], ["s002", "student", "s003", "s004"]),
    ("An Inquiry into the Nature and Causes of the Wealth of Nations", "Adam Smith", 1776, 2, ["s005"], ["s006"], ["s007", "s008", "s009"]),
    ("On the Origin of Species", "Charles Darwin", 1859, 3, ["student"], [], []),
    ("A Room of One's Own", "Virginia Woolf", 1929, 2, ["s010", "s011"], [], ["s012", "prof.moreau"]),
    ("The Structure of Scientific Revolutions", "Thomas S. Kuhn", 1962, 1, [], [], []),
    ("Principles of Economics", "Alfred Marshall", 1890, 1, ["s013"], [], ["s014"]),
]


def load(stdout) -> None:
    inst = Institution.objects.filter(code="riverside").first()
    if inst is None or AccessRightsPolicy.objects.filter(institution=inst, name=POLICY).exists():
        return
    library = Library.objects.get(code="riverside-main")
    librarian = User.objects.get(username="librarian")
    users = {u.username: u for u in User.objects.filter(institution=inst)}

    cdl = services.create_policy(
        librarian, inst, name=POLICY, long_term_loan=True,
        description="Digitised print copies lent one reader per physical copy",
        limit_note="All digital copies are on loan. Join the waitlist and we will e-mail you when it is your turn.",
        rules=[BASE_RULE,
               BASE_RULE | {"user_group": "postgraduate", "request_priority": 3, "session_period": 5},
               BASE_RULE | {"user_group": "faculty", "request_priority": 5, "session_period": 7, "grace_period": 3,
                            "max_renewal_days": 14, "limit_reloan": False, "reloan_limit_days": 0}],
    )
    short = services.create_policy(
        librarian, inst, name="Short loan (4 hours)", long_term_loan=True,
        limit_note="The copy is being read. Join the waitlist.",
        rules=[BASE_RULE | {"session_period": 4, "session_period_unit": "hours", "grace_period": 2, "grace_period_unit": "hours",
                            "grace_included_in_session": True, "renewable": False, "max_renewal_days": 0, "limit_reloan": False,
                            "reloan_limit_days": 0}],
    )

    lent = 0
    for n, (title, creators, year, copies, viewing, grace, waiting) in enumerate(TITLES, start=1):
        record, _ = Record.objects.get_or_create(
            institution=inst, source_id=f"ldl-demo-{n}",
            defaults=dict(title=title, creators=creators, year=year, type="book",
                          csl={"type": "book", "title": title, "author": [{"literal": creators}], "issued": {"date-parts": [[year]]}}))
        rep = Representation.objects.create(record=record, library=library, label="Digital loan copy",
                                            mime_type="text/plain")
        rep.file.save(f"ldl-demo-{n}.txt", ContentFile(
            f"{title}\n{creators}, {year}\n\n[Scanned pages of the library's print copy, lent digitally: one reader at a time for each print copy.]\n"
            .encode()), save=True)
        items = [Item.objects.create(record=record, library=library, barcode=f"LDL-DEMO-{n:02d}-{k}", location="Lent digitally",
                                     call_number=f"DL {n:03d}", status=Item.Status.IN_PROCESS) for k in range(1, copies + 1)]
        services.configure_representation(librarian, rep, policy=short if "Marshall" in creators else cdl, concurrent_users=copies)
        services.add_related_items(librarian, rep, items)
        for username in viewing:
            req = services.request_loan(users[username], rep)
            services.access(users[username], req)
        for username in grace:
            services.request_loan(users[username], rep)
        for username in waiting:
            services.request_loan(users[username], rep)
        lent += 1
    on_list = _cite_on_hist101(librarian.institution, "ldl-demo-2")
    stdout.write(f"  long-term digital loans: 2 access-rights policies, {lent} titles with 1–3 copies and waitlists{on_list}")


def _cite_on_hist101(inst, source_id: str) -> str:
    """The students of HIST101 reach a title lent digitally from their list: its copies in use and
    its waitlist under the item, and its page to join the queue (LDL-3)."""
    from syllabus.lists import services as lists
    from syllabus.lists.models import ResourceList

    instructor = User.objects.filter(username="instructor").first()
    record = Record.objects.filter(institution=inst, source_id=source_id).first()
    lst = (ResourceList.objects.filter(institution=inst, courses__code="HIST101", owners=instructor).order_by("pk").first()
           if instructor else None)
    if instructor is None or lst is None or record is None:
        return ""
    week2 = lst.sections.filter(title__startswith="Week 2").first()
    lists.add_citation(instructor, lst, week2, "book", {"title": record.title, "author": [{"family": "Smith", "given": "Adam"}],
                                                        "issued": {"date-parts": [[record.year]]}, "publisher": "W. Strahan and T. Cadell"},
                       record=record, tags=["recommended"], public_note="Book I, chapters 1–3. The library lends its digitised copy.")
    return " (one on HIST101's list)"

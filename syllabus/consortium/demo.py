"""Demo data of the consortium (CON-1..4), through the services: Riverside's administrator is
also the Consortium Administrator and sets a consortium-wide value; each member shares a list in
the lists gateway; Riverside's librarian borrows two Hillcrest titles by ISO 18626 (one on loan,
one waiting in Hillcrest's queue); Riverside's student asks Hillcrest for a scan, and asks Riverside
for a copy of an article no member holds (Find it's inter-library loan request)."""
from __future__ import annotations

from syllabus.catalog.models import Record
from syllabus.core.errors import RuleViolation
from syllabus.lists.models import ResourceList
from syllabus.lists.workflow import Visibility
from syllabus.org.models import Institution, RoleAssignment, User
from syllabus.org.roles import Role, Scope

from . import services
from .models import IllRequest, SharedList


def load(stdout) -> None:
    a = Institution.objects.filter(code="riverside").first()
    b = Institution.objects.filter(code="hillcrest").first()
    if a is None or b is None or SharedList.objects.exists() or IllRequest.objects.exists():
        return
    people = {u.username: u for u in User.objects.filter(username__in=["admin", "librarian", "librarian2", "instructor",
                                                                      "instructor2", "student"])}
    if len(people) < 6:
        return
    admin = people["admin"]
    RoleAssignment.objects.get_or_create(user=admin, role=Role.CONSORTIUM_ADMINISTRATOR, scope=Scope.INSTITUTION, institution=a)
    admin = User.objects.get(pk=admin.pk)  # fresh role cache
    services.set_consortium_value(admin, "max_upload_mb_instructor", 50)

    shared = 0
    for inst, owner in ((a, people["instructor"]), (b, people["instructor2"])):
        lst = (ResourceList.objects.filter(institution=inst, visibility=Visibility.PUBLISHED, owners=owner).order_by("pk").first())
        if lst is not None:
            services.share_list(owner, lst, True)
            shared += 1

    loans = 0
    records = list(Record.objects.filter(institution=b, source_id__startswith="demo:").order_by("source_id")[:3])
    try:
        if len(records) >= 2:
            first = services.raise_loan_request(people["librarian"], records[0], note="For HIST101 (demo)")
            services.answer_loan_request(people["librarian2"], first, "will_supply")
            services.answer_loan_request(people["librarian2"], first, "loan", due_days=28)
            services.act_on_loan_request(people["librarian"], first, "received")
            services.raise_loan_request(people["librarian"], records[1], note="Second copy for the reserve shelf")
            loans = 2
        if len(records) >= 3:
            services.request_from_member(people["student"], records[2], "loan", {"note": "For my essay"})
        # Riverside's directory of ILL partners outside the consortium (CON-2): where "Send to a
        # supplier" posts the ISO 18626 request (example.org: a demo address that answers nothing)
        from . import partners

        partners.save_partner(people["librarian"], {"agency_id": "US-EXAMPLE", "name": "Example University Library (demo)",
                                                    "endpoint_url": "https://ill.example.org/iso18626"})
        # a reader's own request from Find it for a title no member holds: New in Riverside's queue (CON-2)
        from syllabus.org.models import Library

        from . import reader_requests

        pickup = Library.objects.filter(institution=a).order_by("pk").first()
        reader_requests.ask_for_ill(people["student"], {"kind": "article",
                                                        "title": "The market for \"lemons\": quality uncertainty and the "
                                                                 "market mechanism",
                                                        "author": "George A. Akerlof",
                                                        "container_title": "The Quarterly Journal of Economics",
                                                        "volume": "84", "issue": "3", "pages": "488-500", "year": "1970",
                                                        "doi": "10.2307/1879431"},
                                    note="For the week 5 seminar (demo)", pickup_library_id=pickup.pk if pickup else None)
    except RuleViolation as exc:  # a demo without the catalog's items: keep what was made
        stdout.write(f"  consortium: stopped early ({exc.rule}: {exc.detail})")
    stdout.write(f"  consortium: a consortium-wide setting, {shared} shared lists, {loans} inter-library loans")

"""Reading acquisition work: per list page in a fixed number of queries, the task list, and the
licence vs enrolment warning."""
from __future__ import annotations

from collections import defaultdict

from django.db.models import Count

from syllabus.courses.models import Course
from syllabus.org import config

from .models import Kind, PurchaseRequest, AcquisitionTask, OPEN_TASK
from .workflow import PurchaseStatus


def enrolment_of_lists(list_ids) -> dict[int, int]:
    """The students a list serves: for each of its courses the larger of the declared number and
    the enrolled students, summed over the list's courses."""
    out: dict[int, int] = defaultdict(int)
    rows = (Course.objects.filter(resource_lists__in=list_ids).annotate(enrolled=Count("enrollments", distinct=True))
            .values_list("resource_lists", "number_of_students", "enrolled"))
    for list_id, declared, enrolled in rows:
        out[list_id] += max(declared or 0, enrolled or 0)
    return dict(out)


def licence_short(concurrent_users: int | None, enrolment: int, factor: int) -> bool:
    """An e-book licence too small for the course: its users times the factor stay below the enrolment."""
    if concurrent_users is None or enrolment <= 0:
        return False
    return concurrent_users * max(factor, 1) < enrolment


def annotate_warnings(tasks, *, institution=None) -> None:
    """Set ``licence_warning`` (and ``enrolment``) on each licence task; one query for the enrolments."""
    licences = [t for t in tasks if t.kind == Kind.LICENSE]
    if not licences:
        return
    factor = config.get("licence_enrolment_factor", institution=institution or licences[0].institution)
    enrolment = enrolment_of_lists({t.citation.resource_list_id for t in licences})
    for t in licences:
        t.enrolment = enrolment.get(t.citation.resource_list_id, 0)
        t.licence_warning = licence_short(t.concurrent_users, t.enrolment, factor)


def tasks_for_citations(citation_ids) -> dict[int, list[AcquisitionTask]]:
    out: dict[int, list] = defaultdict(list)
    tasks = list(AcquisitionTask.objects.filter(citation_id__in=citation_ids).select_related("assignee", "citation", "institution")
                 .order_by("-created_at", "-id"))
    annotate_warnings(tasks)
    for t in tasks:
        if t.citation_id is not None:
            out[t.citation_id].append(t)
    return dict(out)


def purchases_for_citations(citation_ids) -> dict[int, list[PurchaseRequest]]:
    out: dict[int, list] = defaultdict(list)
    for r in PurchaseRequest.objects.filter(citation_id__in=citation_ids).select_related("requester").order_by("-created_at", "-id"):
        if r.citation_id is not None:
            out[r.citation_id].append(r)
    return dict(out)


def task_list(institution, *, status: str = "open"):
    qs = (AcquisitionTask.objects.filter(institution=institution)
          .select_related("citation__resource_list", "record", "assignee", "institution").order_by("expected_date", "-created_at", "-id"))
    if status == "open":
        qs = qs.filter(status__in=OPEN_TASK)
    elif status:
        qs = qs.filter(status=status)
    return qs


def with_bought_record(qs):
    """Annotate ``bought_record_id``: the catalog record of what the library bought (the order task
    that Bought started, SRV-3), so that the reader follows it to the library's holding."""
    from django.db.models import OuterRef, Subquery

    bought = AcquisitionTask.objects.filter(purchase_request=OuterRef("pk"), record__isnull=False).order_by("pk")
    return qs.annotate(bought_record_id=Subquery(bought.values("record_id")[:1]))


def purchase_list(institution, *, status: str = "library_processing"):
    qs = with_bought_record(PurchaseRequest.objects.filter(institution=institution)
                            .select_related("citation__resource_list", "requester"))
    return qs.filter(status=status) if status else qs


def open_notices_for_citations(citation_ids) -> dict[int, list]:
    from .models import EditionNotice

    out: dict[int, list] = defaultdict(list)
    for n in EditionNotice.objects.filter(citation_id__in=citation_ids, status="open").order_by("-year", "-id"):
        out[n.citation_id].append(n)
    return dict(out)


def my_purchases(user):
    """A person's own purchase requests (list items) and suggestions (Find it), newest first."""
    return with_bought_record(PurchaseRequest.objects.filter(requester=user).select_related("citation__resource_list")
                              .order_by("-created_at", "-id"))


def with_find_it(reqs: list[PurchaseRequest]) -> list[PurchaseRequest]:
    """Set ``find_it`` on each Find it suggestion: the resolver's link for what was looked for."""
    from django.urls import reverse

    from syllabus.citations import openurl

    for r in reqs:
        r.find_it = f"{reverse('resolver:openurl')}?{openurl.from_csl(r.metadata)}" if r.citation_id is None else ""  # type: ignore[attr-defined]
    return reqs


#: declined suggestions of one page offered an inter-library loan (each one resolved like Find it)
DECLINED_WITH_ILL = 10


def with_ill(user, reqs: list[PurchaseRequest]) -> list[PurchaseRequest]:
    """Set ``ill`` on the reader's declined Find it suggestions (the newest
    :data:`DECLINED_WITH_ILL`): the address of Find it's *Request through inter-library loan* for
    the title when Find it offers it to ``user`` now (DSV-6, CON-2), else "". The step is
    consortium's, read through the catalog's Find it registry (acquisitions sits below consortium)."""
    from syllabus.catalog import actions, resolver

    declined = [r for r in reqs if r.citation_id is None and r.status == PurchaseStatus.DECLINED and r.metadata]
    for r in reqs:
        r.ill = ""  # type: ignore[attr-defined]
    for r in declined[:DECLINED_WITH_ILL]:
        r.ill = actions.next_step("ill", resolver.resolve(user, r.metadata), user) or ""  # type: ignore[attr-defined]
    return reqs

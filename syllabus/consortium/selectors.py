"""Reads shared by the consortium's pages and API (CON-2, CON-3)."""
from __future__ import annotations

from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from syllabus.core.errors import NotFound
from syllabus.courses.models import Course
from syllabus.lists.models import Citation, ResourceList, Section
from syllabus.lists.workflow import Visibility

from .workflow import IllStatus as S

# --- CON-3: the lists gateway -------------------------------------------------------------------


def _shared(user) -> QuerySet:
    """Lists of the user's consortium that are published AND shared by their owners; a list
    that is only for its course (not shared) never shows, nor an unpublished one."""
    if not getattr(user, "institution_id", None):
        return ResourceList.objects.none()
    return ResourceList.objects.filter(institution__consortium_id=user.institution.consortium_id,
                                       visibility=Visibility.PUBLISHED, consortium_share__isnull=False)


def gateway_search(user, *, q: str = "", institution: str = "", term: str = "") -> QuerySet:
    """CON-3: search the shared lists by title, course code or name, instructor, and the titles,
    ISBNs and DOIs of their items; filter by institution (code) and term."""
    qs = _shared(user)
    if institution:
        qs = qs.filter(institution__code=institution)
    if term:
        qs = qs.filter(courses__term=term)
    for word in (q or "").split()[:8]:
        compact = word.replace("-", "")
        cond = (Q(title__icontains=word) | Q(courses__code__icontains=word) | Q(courses__name__icontains=word)
                | Q(owners__last_name__icontains=word) | Q(owners__first_name__icontains=word)
                | Q(courses__instructors__last_name__icontains=word)
                | Q(citations__title__icontains=word) | Q(citations__record__isbn=compact)
                | Q(citations__metadata__ISBN__icontains=compact) | Q(citations__metadata__DOI__iexact=word)
                | Q(citations__record__doi__iexact=word))
        qs = qs.filter(pk__in=ResourceList.objects.filter(cond).values("pk"))
    return (qs.distinct().select_related("institution")
            .prefetch_related(Prefetch("courses", queryset=Course.objects.order_by("code")), "owners")
            .order_by("title", "pk"))


def gateway_facets(user, *, q: str = "", institution: str = "", term: str = "") -> dict:
    """Counts of the matching lists by institution and by term (each facet ignores its own filter)."""
    by_inst = (gateway_search(user, q=q, term=term).order_by().values("institution__code", "institution__name")
               .annotate(n=Count("pk", distinct=True)).order_by("institution__code"))
    ids = gateway_search(user, q=q, institution=institution).order_by().values("pk")
    by_term = (Course.objects.filter(resource_lists__in=ids).values("term").annotate(n=Count("resource_lists", distinct=True))
               .order_by("-term"))
    return {"institutions": [{"code": r["institution__code"], "name": r["institution__name"], "count": r["n"]} for r in by_inst],
            "terms": [{"term": r["term"], "count": r["n"]} for r in by_term if r["term"]]}


def gateway_list(user, list_id: int) -> ResourceList:
    """A shared list with its sections and items, read-only; any other list does not exist (404)."""
    lst = (_shared(user).filter(pk=list_id).select_related("institution")
           .prefetch_related("courses", "owners",
                             Prefetch("sections", queryset=Section.objects.order_by("position", "pk")),
                             Prefetch("citations", queryset=Citation.objects.select_related("record__institution").order_by("position", "pk")))
           .first())
    if lst is None:
        raise NotFound("CON-3", "no such list in the consortium's gateway")
    by_section: dict[int, list] = {}
    for c in lst.citations.all():
        by_section.setdefault(c.section_id, []).append(c)
    lst.section_list = [s for s in lst.sections.all()]
    for s in lst.section_list:
        s.items = by_section.get(s.pk, [])
    return lst


def my_editable_lists(user) -> QuerySet:
    """The lists the user may copy items into: those they own or collaborate on."""
    if not getattr(user, "is_authenticated", False):
        return ResourceList.objects.none()
    return (ResourceList.objects.filter(Q(owners=user) | Q(collaborators=user), institution_id=user.institution_id)
            .distinct().order_by("title", "pk"))


# --- CON-2: inter-library loan ------------------------------------------------------------------


def consortium_record(user, record_id: int):
    """A catalog record of another member of the user's consortium (404 otherwise)."""
    from syllabus.catalog.models import Record

    record = Record.objects.select_related("institution").filter(pk=record_id).first()
    if record is None or not user.institution_id or record.institution.consortium_id != user.institution.consortium_id:
        raise NotFound("CON-2", "no such record in the consortium")
    return record


def ill_queue(user, *, side: str = "supplier", open_only: bool = True) -> QuerySet:
    from .models import IllRequest
    from .workflow import CLOSED

    qs = IllRequest.objects.select_related("requesting_institution", "supplying_institution", "record", "requester",
                                           "pickup_library")
    qs = qs.filter(supplying_institution_id=user.institution_id) if side == "supplier" else qs.filter(
        requesting_institution_id=user.institution_id)
    if open_only:
        qs = qs.exclude(status__in=CLOSED)
    return qs.order_by("-created_at", "-id")


def ill_counts(user) -> dict[str, int]:
    """How many open inter-library loans each tab holds — requests to us, our requests (CON-2):
    one aggregate query."""
    from .models import IllRequest
    from .workflow import CLOSED

    qs = IllRequest.objects.exclude(status__in=CLOSED).filter(Q(supplying_institution_id=user.institution_id)
                                                              | Q(requesting_institution_id=user.institution_id))
    return qs.aggregate(supplier=Count("id", filter=Q(supplying_institution_id=user.institution_id)),
                        requester=Count("id", filter=Q(requesting_institution_id=user.institution_id)))


def ill_for(user, ill_id: int):
    """An inter-library loan the user's library is a party to, as its staff (404 otherwise)."""
    from .permissions import is_ill_staff
    from .models import IllRequest

    ill = (IllRequest.objects.select_related("requesting_institution", "supplying_institution", "record")
           .filter(pk=ill_id).filter(Q(supplying_institution_id=user.institution_id)
                                      | Q(requesting_institution_id=user.institution_id)).first())
    if ill is None or not is_ill_staff(user):
        raise NotFound("CON-2", "no such inter-library loan")
    return ill


#: moves only a supplier's own ISO 18626 message makes (it names the status, or the new due date)
MESSAGE_ONLY = ("cancel_refused", "renew")


def ill_moves(user, ill) -> list[str]:
    """The moves of the state table open to the user's side of the loan."""
    from .workflow import ILL_WORKFLOW, REQUESTER, SUPPLIER

    sides = set()
    if user.institution_id and ill.supplying_institution_id == user.institution_id:
        sides.add(SUPPLIER)
    if user.institution_id and ill.requesting_institution_id == user.institution_id:
        sides.add(REQUESTER)
        if ill.supplying_institution_id is None and ill.supplying_agency:
            sides.add(SUPPLIER)  # an outside supplier's answers, recorded by the requesting library's staff
    moves = [t.action for t in ILL_WORKFLOW.moves(ill.status) if t.permission in sides and t.action not in MESSAGE_ONLY]
    if "check_in" in moves and not ill.shipped_return:
        moves.remove("check_in")
    if "received" in moves and ill.received:
        moves.remove("received")
    if "shipped_return" in moves and ill.shipped_return:
        moves.remove("shipped_return")
    return moves


# --- CON-4 ----------------------------------------------------------------------------------------


def cross_requests_of(user) -> QuerySet:
    from .models import CrossRequest

    return (CrossRequest.objects.filter(requester_id=user.pk)
            .select_related("owning_institution", "record", "digitization", "ill").order_by("-created_at", "-id"))


# --- CON-2: a reader's own requests ------------------------------------------------------------------

def my_ill_requests(user) -> QuerySet:
    """The inter-library loan requests the reader made from Find it, newest first."""
    from .models import IllRequest

    if not getattr(user, "is_authenticated", False):
        return IllRequest.objects.none()
    return (IllRequest.objects.filter(requester_id=user.pk, reader_request=True)
            .select_related("pickup_library", "citation__resource_list").order_by("-created_at", "-id"))


#: what the reader reads of each ISO 18626 status; a loan (Loaned, Overdue, Recalled) is said by
#: :func:`reader_status` from where the copy is
_READER_STATUS = {
    S.NEW: _("Your library is looking for a library to supply it"),
    S.REQUEST_RECEIVED: _("Requested from another library"),
    S.EXPECT_TO_SUPPLY: _("Requested from another library"),
    S.WILL_SUPPLY: _("Another library will supply it"),
    S.LOAN_COMPLETED: _("Completed"),
    S.COPY_COMPLETED: _("The copy was sent to you"),
    S.CANCEL_REQUESTED: _("Cancelling: waiting for the supplying library's answer"),
    S.UNFILLED: _("Could not be supplied"),
    S.CANCELLED: _("Cancelled"),
}
_LOAN_AT_READER = {
    S.OVERDUE: _("Overdue: please return it to your library"),
    S.RECALLED: _("Recalled by the lending library: please return it"),
    S.LOANED: _("Ready for you at your library"),
}


def reader_status(ill) -> str:
    """What the reader reads of the ISO 18626 status (and the requester's Received/ShippedReturn)."""
    if ill.status not in _LOAN_AT_READER:
        return str(_READER_STATUS.get(ill.status, _READER_STATUS[S.CANCELLED]))
    if ill.shipped_return:
        return str(_("Returned to the lending library"))
    if not ill.received:
        return str(_("On its way to your library"))
    return str(_LOAN_AT_READER[ill.status])


def last_deliveries(ill_ids: list[int]) -> dict:
    """The last message posted (or to post) to an outside partner of each loan: its delivery."""
    from .models import IllMessage

    out: dict = {}
    for msg in (IllMessage.objects.filter(request_id__in=ill_ids, direction="out").exclude(delivery="")
                .only("pk", "request_id", "kind", "delivery", "attempts", "next_attempt_at", "last_error", "error_type",
                      "error_value").order_by("id")):
        out[msg.request_id] = msg
    return out

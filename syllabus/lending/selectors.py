"""Reads of long-term digital loans shared by the pages and the API.

Every read first applies the timers that are due for what it shows (``services.settle``:
one indexed query, and a write only when something is overdue), so no page or API answer
shows a grace period or session whose time has passed.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from django.db import connection
from django.db.models import Count, Prefetch, Q, QuerySet

from syllabus.org.permissions import is_superuser
from syllabus.catalog.models import Representation
from syllabus.core import clock
from syllabus.core.errors import RuleViolation
from syllabus.core.forms import MAX_ID
from syllabus.org.models import User, typed_username

from . import permissions, rows, services
from .models import AccessRightsPolicy, AccessRule, LoanRequest, LoanSettings, Source, Status, Step

AVAILABLE = "available"
NOT_AVAILABLE = "not_available"

_REQUEST_RELATED = ("patron", "creator", "user_group", "representation__record", "representation__library__institution")


# --- representations ------------------------------------------------------------------------

def visible_representations(user: User) -> QuerySet[Representation]:
    """Representations of the user's institution (every institution for superusers)."""
    qs = Representation.objects.all()
    if not is_superuser(user):
        qs = qs.filter(library__institution_id=user.institution_id)
    return qs


def loan_representations(user: User, *, long_term_loan: bool | None = None, q: str = "") -> QuerySet[Representation]:
    """Representations with their loan settings and live counts (active, waiting)."""
    qs = visible_representations(user)
    if long_term_loan is True:
        qs = qs.filter(loan_settings__policy__long_term_loan=True)
    elif long_term_loan is False:
        qs = qs.exclude(loan_settings__policy__long_term_loan=True)
    for word in (q or "").split():
        qs = qs.filter(Q(record__title__icontains=word) | Q(record__creators__icontains=word) | Q(label__icontains=word)
                       | Q(record__isbn=word))
    services.settle(qs.values_list("pk", flat=True))
    return (qs.select_related("record", "library", "loan_settings__policy")
            .annotate(active_count=Count("loan_requests", filter=Q(loan_requests__status=Status.ACTIVE), distinct=True),
                      waiting_count=Count("loan_requests", filter=Q(loan_requests__status=Status.READY), distinct=True))
            .order_by("record__title", "pk"))


def representation_for(user: User, pk: int) -> Representation | None:
    return (visible_representations(user).select_related("record", "library__institution", "loan_settings__policy")
            .filter(pk=pk).first())


def _availability_of(settings: LoanSettings | None, active: int) -> str | None:
    if settings is None or not settings.is_long_term_loan:
        return None
    return AVAILABLE if active < settings.concurrent_users else NOT_AVAILABLE


def loan_availability(representation_ids: Iterable[int]) -> dict[int, str | None]:
    """LDL-14, for staff title search: ``{representation_id: "available" | "not_available" | None}``.

    ``None`` means the representation is not configured for long-term digital loans.  Two
    queries whatever the number of ids (the catalog search calls this for a page of results)."""
    ids = list(representation_ids)
    services.settle(ids)
    settings = {s.representation_id: s for s in LoanSettings.objects.filter(representation_id__in=ids).select_related("policy")}
    active = dict(LoanRequest.objects.filter(representation_id__in=ids, status=Status.ACTIVE).values("representation_id")
                  .annotate(n=Count("id")).values_list("representation_id", "n"))
    return {pk: _availability_of(settings.get(pk), active.get(pk, 0)) for pk in ids}


def record_loan_availability(record_ids: Iterable[int]) -> dict[int, str | None]:
    """LDL-14 per title: available when any of its long-term-loan representations has a free
    copy, not available when it has such representations and none is free, ``None`` otherwise."""
    ids = list(record_ids)
    reps = list(Representation.objects.filter(record_id__in=ids, loan_settings__policy__long_term_loan=True)
                .values_list("pk", "record_id"))
    per_rep = loan_availability([pk for pk, _ in reps])
    out: dict[int, str | None] = {pk: None for pk in ids}
    for rep_id, record_id in reps:
        value = per_rep.get(rep_id)
        if value == AVAILABLE or (value == NOT_AVAILABLE and out[record_id] is None):
            out[record_id] = value
    return out


@dataclass
class TitleView:
    """What a patron sees on a title's page (LDL-3, LDL-5, LDL-13)."""

    representation: Representation
    settings: LoanSettings | None
    rule: AccessRule | None
    request: LoanRequest | None
    place: int
    active_count: int
    waiting_count: int
    refusal: str = ""

    @property
    def lendable(self) -> bool:
        return self.settings is not None and self.settings.is_long_term_loan and self.settings.concurrent_users > 0 \
            and self.representation.active

    @property
    def available_now(self) -> bool:
        return self.lendable and self.active_count < self.settings.concurrent_users and self.waiting_count == 0

    @property
    def place_if_joining(self) -> int:
        return self.waiting_count + 1


def title_view(user: User, representation: Representation) -> TitleView:
    services.settle([representation.pk])
    settings = LoanSettings.objects.select_related("policy").filter(representation=representation).first()
    rule, refusal = None, ""
    if settings is not None and settings.is_long_term_loan:
        try:
            rule = services.rule_for(settings.policy, user)
        except RuleViolation as exc:
            refusal = exc.detail
    counts = LoanRequest.objects.filter(representation=representation).aggregate(
        active=Count("id", filter=Q(status=Status.ACTIVE)), waiting=Count("id", filter=Q(status=Status.READY)))
    mine = (LoanRequest.objects.select_related(*_REQUEST_RELATED)
            .filter(representation=representation, patron=user, status__in=[Status.READY, Status.ACTIVE]).first())
    return TitleView(representation, settings, rule, mine, services.place_in_queue(mine) if mine else 0,
                     counts["active"], counts["waiting"], refusal)


# --- requests ---------------------------------------------------------------------------------

def attach_places(requests: list[LoanRequest]) -> list[LoanRequest]:
    """Set ``place`` on each request (LDL-5): 1..n among the Ready requests of its
    representation, 0 otherwise — one query for the whole page."""
    rep_ids = sorted({r.representation_id for r in requests if r.status == Status.READY})
    places: dict[int, int] = {}
    if rep_ids:  # one statement, no ORM compilation (a waiting patron's page asks it often)
        with connection.cursor() as cur:
            cur.execute(f"SELECT id, row_number() OVER (PARTITION BY representation_id "
                        f"ORDER BY priority DESC, requested_at, id) FROM {LoanRequest._meta.db_table} "
                        f"WHERE status = %s AND representation_id IN ({', '.join(['%s'] * len(rep_ids))})",
                        [Status.READY.value, *rep_ids])
            places = {pk: int(place) for pk, place in cur.fetchall()}
    for r in requests:
        r.place = places.get(r.pk, 0)
    return requests


_REQUEST_ROW = rows.Joined(LoanRequest, _REQUEST_RELATED)
# with the request: whether a timer of its title is due (settle's check) and its place (LDL-5)
_REQUEST_EXTRA = (
    f"EXISTS (SELECT 1 FROM {LoanRequest._meta.db_table} d WHERE d.representation_id = t0.representation_id "
    f"AND d.status = 'active' AND ((d.step = 'in_grace_period' AND d.grace_due_at <= %s) "
    f"OR (d.step = 'is_being_viewed' AND d.session_due_at <= %s))), "
    f"CASE WHEN t0.status = 'ready' THEN 1 + (SELECT COUNT(*) FROM {LoanRequest._meta.db_table} a "
    f"WHERE a.representation_id = t0.representation_id AND a.status = 'ready' AND (a.priority > t0.priority "
    f"OR (a.priority = t0.priority AND (a.requested_at < t0.requested_at "
    f"OR (a.requested_at = t0.requested_at AND a.id < t0.id))))) ELSE 0 END")


# and, on PostgreSQL, the version of its row: a verb called with the request just read may
# decide from it alone (``services._access_at_once``)
_REQUEST_STAMP = {"postgresql": ", t0.xmin::text", "sqlite": ", NULL"}


def _request_row(pk: int) -> tuple[LoanRequest, bool, int] | None:
    """The request with its related objects, whether its title has a due timer, its place and
    its row's version (``row_stamp``) — one statement, no ORM compilation (a waiting patron
    reads it after every letter)."""
    at = connection.ops.adapt_datetimefield_value(clock.now())
    with connection.cursor() as cur:
        rows.execute(cur, [(_REQUEST_ROW.sql("t0.id = %s", _REQUEST_EXTRA + _REQUEST_STAMP[connection.vendor]), [at, at, pk])])
        found = _REQUEST_ROW.objects(cur.fetchall())
    if not found:
        return None
    req, (overdue, place, stamp) = found[0]
    req.row_stamp = stamp
    return req, bool(overdue), int(place)


def request_for(user: User, pk: int) -> LoanRequest | None:
    """A request the user may see: their own, or one of a library where they manage requests."""
    found = _request_row(pk)
    if found is None:
        return None
    req, overdue, place = found
    if req.patron_id != user.pk and not permissions.can_manage_requests(user, req.representation.library):
        return None
    if overdue and services.settle([req.representation_id]):
        found = _request_row(pk)
        if found is None:
            return None
        req, _, place = found
    req.place = place
    return req


def patron_named(username: str, institution_id: int) -> User | None:
    """The registered person of that institution a request on behalf names (LDL-3), or None."""
    return User.objects.filter(username=typed_username(username), institution_id=institution_id).first() if username else None


def library_card(user: User, *, history: int = 20) -> dict:
    """LDL-13: the patron's own requests — open ones, and the most recent finished ones."""
    rep_ids = LoanRequest.objects.filter(patron=user, status__in=[Status.READY, Status.ACTIVE]).values_list("representation_id", flat=True)
    services.settle(list(rep_ids))
    base = LoanRequest.objects.filter(patron=user).select_related(*_REQUEST_RELATED)
    current = attach_places(list(base.filter(status__in=[Status.READY, Status.ACTIVE]).order_by("requested_at", "id")))
    past = list(base.filter(status__in=[Status.COMPLETED, Status.REJECTED]).order_by("-completed_at", "-id")[:history])
    return {"current": current, "past": past}


ACTIVITY = {"active": [Status.READY, Status.ACTIVE], "inactive": [Status.COMPLETED, Status.REJECTED]}
REQUEST_TYPE = "long_term_digital_loan"


def monitor(user: User, *, activity: str = "", status: str = "", step: str = "", source: str = "", request_type: str = "",
            library: str = "", representation: int | None = None, q: str = "") -> QuerySet[LoanRequest]:
    """LDL-13: requests of the libraries where the user manages requests, filtered."""
    qs = LoanRequest.objects.all()
    libs = permissions.managed_library_ids(user)
    if libs is not None:
        qs = qs.filter(representation__library_id__in=libs)
    if request_type and request_type != REQUEST_TYPE:
        return qs.none()
    if activity in ACTIVITY:
        qs = qs.filter(status__in=ACTIVITY[activity])
    if status in Status.values:
        qs = qs.filter(status=status)
    if step in Step.values:
        qs = qs.filter(step=step)
    if source in Source.values:
        qs = qs.filter(source=source)
    if library:
        qs = qs.filter(representation__library__code=library)
    if representation:
        if not 1 <= representation <= MAX_ID:  # 20 digits overflowed the SQL integer (a 500 on the page)
            raise RuleViolation("LDL-13", f"representation: an id is 1..{MAX_ID}", field="representation")
        qs = qs.filter(representation_id=representation)
    for word in (q or "").split():
        qs = qs.filter(Q(patron__username__icontains=word) | Q(patron__last_name__icontains=word)
                       | Q(patron__first_name__icontains=word) | Q(representation__record__title__icontains=word))
    services.settle(None)
    return qs.select_related(*_REQUEST_RELATED).order_by("-requested_at", "-id")


def queue(representation: Representation) -> dict:
    """LDL-13: the queue of one representation — who holds the copies, then the waitlist in order."""
    services.settle([representation.pk])
    base = LoanRequest.objects.filter(representation=representation).select_related(*_REQUEST_RELATED)
    active = list(base.filter(status=Status.ACTIVE).select_related("slot").order_by("slot__number"))
    waiting = list(base.filter(status=Status.READY).order_by("-priority", "requested_at", "id"))
    for i, r in enumerate(waiting, start=1):
        r.place = i
    for r in active:
        r.place = 0
    return {"active": active, "waiting": waiting}


def policies(user: User) -> QuerySet[AccessRightsPolicy]:
    qs = AccessRightsPolicy.objects.all()
    if not is_superuser(user):
        qs = qs.filter(institution_id=user.institution_id)
    return qs.prefetch_related(Prefetch("rules", queryset=AccessRule.objects.select_related("user_group"))).order_by("name")


def staff_title_search(user: User, q: str = "", *, digital_only: bool = True):
    """Titles (catalog records) of the user's institution with their representations and the
    LDL-14 availability of each — a small back-office search until the catalog's own search
    page calls :func:`loan_availability`."""
    from syllabus.catalog.models import Record

    qs = Record.objects.all()
    if not is_superuser(user):
        qs = qs.filter(institution_id=user.institution_id)
    for word in (q or "").split():
        qs = qs.filter(Q(title__icontains=word) | Q(creators__icontains=word) | Q(isbn=word))
    if digital_only:
        qs = qs.filter(representations__isnull=False).distinct()
    records = list(qs.prefetch_related(Prefetch("representations", queryset=Representation.objects.select_related(
        "library", "loan_settings__policy").order_by("pk"))).order_by("title", "pk")[:100])
    reps = [rep for record in records for rep in record.representations.all()]
    availability = loan_availability([rep.pk for rep in reps])
    for rep in reps:
        rep.loan_availability = availability.get(rep.pk)
    return records

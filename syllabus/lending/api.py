"""API of long-term digital loans (LDL-1..15).

Patrons: place a request, see it, open it (access), finish, renew, cancel while waiting,
list their own requests.  Staff: the queue of a representation, monitoring with filters,
requests on behalf, edit (note, priority), cancel with a reason, audit trail.  Set-up
(Digital Inventory Operator / General System Administrator): access-rights policies with
their rules, and the policy and concurrent users of a representation.
"""
from __future__ import annotations

import datetime as dt
from typing import Literal

from django.urls import reverse
from ninja import Field, Router, Schema, Status

from syllabus.api.fields import ITEMS, ConcurrentUsers, Code, Days, Id, Period, Priority, Search, Term, Username, column
from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.api.schemas import AuditOut, audit_out, patch_of
from syllabus.api.steps import Resource
from syllabus.core import audit
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.org.models import User, typed_username

from . import permissions, selectors, services
from .models import AccessRightsPolicy, CancelReason, LoanRequest

router = Router(tags=["long-term digital loans"])


# --- schemas ------------------------------------------------------------------------------------

class PolicyRuleIn(Schema):
    user_group: Code | None = None
    request_priority: Priority = 0
    session_period: Period = 3
    session_period_unit: Literal["hours", "days"] = "days"
    grace_period: Period = 2
    grace_period_unit: Literal["hours", "days"] = "days"
    grace_included_in_session: bool = False
    renewable: bool = False
    max_renewal_days: Days = 0
    open_for_renewal_days: Days = 1
    renewable_when_others_wait: bool = False
    limit_reloan: bool = False
    reloan_limit_days: Days = 0


class PolicyRuleOut(PolicyRuleIn):
    id: int


class PolicyIn(Schema):
    name: str = Field(..., max_length=column(AccessRightsPolicy, "name"))
    long_term_loan: bool = True
    limit_note: str = Field("", max_length=column(AccessRightsPolicy, "limit_note"))
    description: str = Field("", max_length=column(AccessRightsPolicy, "description"))
    rules: list[PolicyRuleIn] = Field([], max_length=ITEMS)


@patch_of(PolicyIn)
class PolicyPatch(Schema):  # the fields of PolicyIn, each may be left out, none null
    pass


class PolicyOut(Schema):
    id: int
    institution: str
    name: str
    long_term_loan: bool
    limit_note: str
    description: str
    rules: list[PolicyRuleOut]


class LoanRepresentationOut(Schema):
    id: int
    record_id: int
    title: str
    label: str
    library: str
    active: bool
    long_term_loan: bool
    policy_id: int | None
    policy_name: str | None
    concurrent_users: int
    active_loans: int
    waiting: int
    availability: str | None
    related_item_ids: list[int]


class RepresentationPatch(Schema):
    policy_id: Id | None = None
    concurrent_users: ConcurrentUsers = None  # type: ignore[assignment]  # may be left out, never null
    related_item_ids: list[Id] = Field(None, max_length=ITEMS)  # type: ignore[arg-type]  # may be left out, never null


class LoanRequestIn(Schema):
    patron: Username | None = None
    note: str = Field("", max_length=column(LoanRequest, "note"))
    priority: Priority | None = None


class LoanRequestPatch(Schema):
    note: str = Field(None, max_length=column(LoanRequest, "note"))  # type: ignore[assignment]  # may be left out, never null
    priority: Priority = None  # type: ignore[assignment]  # may be left out, never null


class CancelIn(Schema):
    reason: str = Field("", max_length=column(LoanRequest, "cancel_reason"))
    note: str = Field("", max_length=column(LoanRequest, "cancel_note"))


class LoanRequestOut(Schema):
    id: int
    representation_id: int
    title: str
    patron: str
    patron_name: str
    user_group: str | None
    creator: str | None
    source: str
    status: Literal["ready", "active", "completed", "rejected"]
    step: Literal["in_waitlist", "in_grace_period", "is_being_viewed", "completed"]
    place_in_queue: int
    priority: int
    note: str
    requested_at: dt.datetime
    handed_over_at: dt.datetime | None
    grace_due_at: dt.datetime | None
    session_started_at: dt.datetime | None
    session_due_at: dt.datetime | None
    session_period: str
    grace_period: str
    renewals: int
    renewed_days: float
    completed_at: dt.datetime | None
    outcome: str
    cancel_reason: str
    cancel_note: str
    viewer_url: str | None


RequestPage = Page(LoanRequestOut)


class QueueOut(Schema):
    representation: LoanRepresentationOut
    active: list[LoanRequestOut]
    waiting: list[LoanRequestOut]



# --- helpers ------------------------------------------------------------------------------------

def _request_out(r: LoanRequest) -> dict:
    t = r.terms
    return {
        "id": r.pk, "representation_id": r.representation_id, "title": r.representation.record.title,
        "patron": r.patron.username, "patron_name": r.patron.get_full_name(),
        "user_group": r.user_group.code if r.user_group_id else None,
        "creator": r.creator.username if r.creator_id else None, "source": r.source,
        "status": r.status, "step": r.step, "place_in_queue": r.place if hasattr(r, "place") else services.place_in_queue(r),
        "priority": r.priority, "note": r.note, "requested_at": r.requested_at, "handed_over_at": r.handed_over_at,
        "grace_due_at": r.grace_due_at, "session_started_at": r.session_started_at, "session_due_at": r.session_due_at,
        "session_period": services.describe_period(t.get("session_period", 0), t.get("session_unit", "days")),
        "grace_period": services.describe_period(t.get("grace_period", 0), t.get("grace_unit", "days")),
        "renewals": r.renewals, "renewed_days": r.renewed_total.total_seconds() / 86400,
        "completed_at": r.completed_at, "outcome": r.outcome, "cancel_reason": r.cancel_reason, "cancel_note": r.cancel_note,
        "viewer_url": reverse("lending:viewer", args=[r.pk]) if r.status == "active" else None,
    }


def _representation_out(rep) -> dict:
    try:
        st = rep.loan_settings
    except Exception:  # RelatedObjectDoesNotExist: not configured
        st = None
    active = getattr(rep, "active_count", None)
    waiting = getattr(rep, "waiting_count", None)
    if active is None:
        active = rep.loan_requests.filter(status="active").count()
        waiting = rep.loan_requests.filter(status="ready").count()
    ltl = bool(st and st.is_long_term_loan)
    return {
        "id": rep.pk, "record_id": rep.record_id, "title": rep.record.title, "label": rep.label, "library": rep.library.code,
        "active": rep.active, "long_term_loan": ltl, "policy_id": st.policy_id if st else None,
        "policy_name": st.policy.name if st and st.policy_id else None, "concurrent_users": st.concurrent_users if st else 0,
        "active_loans": active, "waiting": waiting,
        "availability": (selectors.AVAILABLE if active < st.concurrent_users else selectors.NOT_AVAILABLE) if ltl else None,
        "related_item_ids": sorted(i.pk for i in rep.related_items.all()),
    }


def _policy_out(p: AccessRightsPolicy) -> dict:
    return {
        "id": p.pk, "institution": p.institution.code, "name": p.name, "long_term_loan": p.long_term_loan,
        "limit_note": p.limit_note, "description": p.description,
        "rules": [{"id": r.pk, "user_group": r.user_group.code if r.user_group_id else None,
                   **{f: getattr(r, f) for f in services.RULE_FIELDS}} for r in p.rules.all()],
    }


def _representation(request, representation_id: Id):
    rep = selectors.representation_for(request.user, representation_id)
    if rep is None:
        raise NotFound("NOT-FOUND", "no such representation")
    return rep


def _loan_request(request, pk: int) -> LoanRequest:
    req = selectors.request_for(request.user, pk)
    if req is None:
        raise NotFound("NOT-FOUND", "no such loan request")
    return req


def _fresh(request, req: LoanRequest) -> dict:
    return _request_out(selectors.request_for(request.user, req.pk) or req)


# --- set-up: policies and representations (LDL-1, LDL-2) ------------------------------------------

@router.get("/access-rights-policies", response=Page(PolicyOut), summary="Access-rights policies of your institution (LDL-1)")
def list_policies(request, page: PageQuery):
    return paginate(request, selectors.policies(request.user).select_related("institution"), page, _policy_out)


@router.post("/access-rights-policies", response={201: PolicyOut}, summary="Create an access-rights policy with its rules (LDL-1)")
def create_policy(request, payload: PolicyIn):
    if request.user.institution_id is None:
        raise RuleViolation("LDL-1", "the user belongs to no institution")
    policy = services.create_policy(request.user, request.user.institution, name=payload.name,
                                    long_term_loan=payload.long_term_loan, limit_note=payload.limit_note,
                                    description=payload.description, rules=[r.dict() for r in payload.rules])
    return Status(201, _policy_out(selectors.policies(request.user).select_related("institution").get(pk=policy.pk)))


def _policy(user, pk: int) -> AccessRightsPolicy:
    p = selectors.policies(user).select_related("institution").filter(pk=pk).first()
    if p is None:
        raise NotFound("NOT-FOUND", "no such access-rights policy")
    return p


def _change_policy(user, policy: AccessRightsPolicy, payload: PolicyPatch) -> None:
    data = payload.dict(exclude_unset=True)
    rules = data.pop("rules", None)
    services.update_policy(user, policy, rules=rules, **data)


POLICIES = Resource(router, "policy_id", find=_policy, render=lambda user, pk: _policy_out(_policy(user, pk)), response=PolicyOut)
POLICIES.read("/access-rights-policies/{policy_id}", name="get_policy", summary="One access-rights policy")
POLICIES.step("patch", "/access-rights-policies/{policy_id}", name="patch_policy", act=_change_policy,
              inputs={"payload": PolicyPatch}, summary="Change a policy; `rules` replaces all its rules")


@router.get("/representations", response=Page(LoanRepresentationOut),
            summary="Digital representations with their loan rights and availability (filter long_term_loan=true)")
def list_representations(request, page: PageQuery, long_term_loan: bool | None = None, q: Search = ""):
    qs = selectors.loan_representations(request.user, long_term_loan=long_term_loan, q=q).prefetch_related("related_items")
    return paginate(request, qs, page, _representation_out)


@router.patch("/representations/{representation_id}", response=LoanRepresentationOut,
              summary="Assign the access-rights policy and concurrent users of a representation (LDL-2)")
def patch_representation(request, representation_id: Id, payload: RepresentationPatch):
    rep = _representation(request, representation_id)
    data = payload.dict(exclude_unset=True)
    kwargs: dict = {}
    if "policy_id" in data:
        if data["policy_id"] is None:
            kwargs["policy"] = None
        else:
            policy = selectors.policies(request.user).filter(pk=data["policy_id"]).first()
            if policy is None:
                raise RuleViolation("LDL-2", "no such access-rights policy", field="policy_id")
            kwargs["policy"] = policy
    if "concurrent_users" in data:
        kwargs["concurrent_users"] = data["concurrent_users"]
    # one transaction: a bad related_item_ids leaves the policy and copies unchanged too
    services.save_representation_rights(request.user, rep, related_item_ids=data.get("related_item_ids"), **kwargs)
    rep = selectors.loan_representations(request.user).prefetch_related("related_items").get(pk=representation_id)
    return _representation_out(rep)


# --- requests (LDL-3..11) ---------------------------------------------------------------------------

@router.post("/representations/{representation_id}/loan-requests", response={201: LoanRequestOut},
             summary="Request a long-term digital loan: for yourself, or (staff) for `patron` with an optional priority")
def create_loan_request(request, representation_id: Id, payload: LoanRequestIn):
    rep = _representation(request, representation_id)
    patron = request.user
    named = typed_username(payload.patron)
    if named and named != request.user.username:
        if not permissions.can_manage_requests(request.user, rep.library):
            raise PermissionDenied("LDL-3", "only library staff place requests on behalf of a patron or set their priority")
        patron = User.objects.filter(username=named).select_related("institution").first()
        if patron is None:
            raise RuleViolation("LDL-3", f"no such patron {payload.patron!r}", field="patron")
    req = services.request_loan(request.user, rep, patron=patron, note=payload.note, priority=payload.priority)
    return Status(201, _fresh(request, req))


@router.post("/representations/{representation_id}/staff-access", response=LoanRequestOut,
             summary="Staff open the representation from the back office (LDL-3): a loan to themselves")
def staff_access(request, representation_id: Id):
    rep = _representation(request, representation_id)
    return _fresh(request, services.staff_access(request.user, rep))


@router.get("/representations/{representation_id}/loan-requests", response=QueueOut,
            summary="The queue of a representation (staff): active loans, then the waitlist in order")
def representation_queue(request, representation_id: Id):
    rep = _representation(request, representation_id)
    if not permissions.can_manage_requests(request.user, rep.library):
        raise PermissionDenied("LDL-13", "only library staff see the queue")
    q = selectors.queue(rep)
    rep = selectors.loan_representations(request.user).prefetch_related("related_items").get(pk=representation_id)
    return {"representation": _representation_out(rep), "active": [_request_out(r) for r in q["active"]],
            "waiting": [_request_out(r) for r in q["waiting"]]}


@router.get("/loan-requests", response=RequestPage,
            summary="Monitor loan requests (staff, LDL-13): filter by activity (active/inactive), status, step, type, source, library")
def monitor(request, page: PageQuery, activity: Term = "", status: Term = "", step: Term = "", type: Term = "", source: Term = "",
            library: Code = "", representation: Id | None = None, q: Search = ""):
    if not permissions.is_lending_staff(request.user):
        raise PermissionDenied("LDL-13", "only library staff monitor requests")
    qs = selectors.monitor(request.user, activity=activity, status=status, step=step, request_type=type, source=source,
                           library=library, representation=representation, q=q)
    return paginate(request, qs, page, _request_out, prepare=selectors.attach_places)


@router.get("/me/loan-requests", response=Page(LoanRequestOut), summary="Your own loan requests (library card, LDL-13)")
def my_requests(request, page: PageQuery):
    card = selectors.library_card(request.user)
    return paginate(request, list(card["current"]) + list(selectors.attach_places(card["past"])), page, _request_out)


@router.get("/loan-requests/{loan_request_id}", response=LoanRequestOut, summary="One loan request (its patron, or library staff)")
def get_loan_request(request, loan_request_id: Id):
    return _request_out(_loan_request(request, loan_request_id))


@router.patch("/loan-requests/{loan_request_id}", response=LoanRequestOut, summary="Edit the note and priority of a request (staff, LDL-11)")
def patch_loan_request(request, loan_request_id: Id, payload: LoanRequestPatch):
    req = _loan_request(request, loan_request_id)
    data = payload.dict(exclude_unset=True)
    services.edit_request(request.user, req, **data)
    return _fresh(request, req)


@router.post("/loan-requests/{loan_request_id}/access", response=LoanRequestOut,
             summary="Open the resource (workflow step 3): the session clock starts")
def access(request, loan_request_id: Id):
    return _fresh(request, services.access(request.user, _loan_request(request, loan_request_id)))


@router.post("/loan-requests/{loan_request_id}/finish", response=LoanRequestOut, summary="Finish viewing (workflow step 4)")
def finish(request, loan_request_id: Id):
    return _fresh(request, services.finish(request.user, _loan_request(request, loan_request_id)))


@router.post("/loan-requests/{loan_request_id}/renew", response=LoanRequestOut, summary="Renew the session (LDL-9)")
def renew(request, loan_request_id: Id):
    return _fresh(request, services.renew(request.user, _loan_request(request, loan_request_id)))


@router.post("/loan-requests/{loan_request_id}/cancel", response=LoanRequestOut,
             summary="Cancel a request not yet being viewed (staff, with a reason) or your own waiting request (LDL-11)")
def cancel(request, loan_request_id: Id, payload: CancelIn):
    reason = payload.reason
    if reason and reason not in CancelReason.values:
        raise RuleViolation("LDL-11", f"reason must be one of {', '.join(CancelReason.values)}", field="reason")
    return _fresh(request, services.cancel(request.user, _loan_request(request, loan_request_id), reason=reason, note=payload.note))


@router.get("/loan-requests/{loan_request_id}/history", response=Page(AuditOut), summary="Audit trail of a request (staff, LDL-13)")
def history(request, loan_request_id: Id, page: PageQuery):
    req = _loan_request(request, loan_request_id)
    if not permissions.can_manage_requests(request.user, req.representation.library):
        raise PermissionDenied("LDL-13", "only library staff see the audit trail")
    return paginate(request, audit.trail(req), page, audit_out)

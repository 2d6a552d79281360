"""Consortium verbs (CON-1..4).  Each runs in one transaction, checks its rule and is audited."""
from __future__ import annotations

from typing import Any

from django.db import transaction

from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.org import config
from syllabus.org.models import ConfigValue, Consortium, Institution, User

from .permissions import ensure_consortium_admin, is_consortium_admin, is_ill_staff  # noqa: F401  (re-exported)
from .models import SettingLock

# --- CON-1: consortium configuration --------------------------------------------------------------


def refuse_locked_override(key: str, institution: Institution) -> None:
    """The override guard of ``org.config``: a member may not set a value the consortium locked."""
    if SettingLock.objects.filter(consortium_id=institution.consortium_id, key=key).exists():
        raise RuleViolation("CON-1", f"{key} is set by the consortium for all its members; members may not override it")


def set_consortium_value(actor: User, key: str, value: Any):
    """Set (or with ``None`` remove) the consortium's value of ``key``."""
    consortium = ensure_consortium_admin(actor)
    return config.set_value(key, value, actor=actor, consortium=consortium)


def lock_setting(actor: User, key: str, locked: bool) -> int:
    """Lock (members may not override; their overrides are removed) or unlock ``key``.
    Returns the number of member overrides removed."""
    consortium = ensure_consortium_admin(actor)
    config.param(key)  # an unknown key is refused (ORG-4)
    removed = 0
    with transaction.atomic():
        existing = SettingLock.objects.filter(consortium=consortium, key=key).first()
        if not locked:
            if existing:
                audit.deleted(actor, existing)
                existing.delete()
            return 0
        if existing is None:
            lock = SettingLock.objects.create(consortium=consortium, key=key, created_by=actor, created_at=clock.now())
            audit.created(actor, lock)
        overrides = ConfigValue.objects.filter(key=key).filter(
            institution__consortium=consortium) | ConfigValue.objects.filter(key=key, library__institution__consortium=consortium)
        for cv in overrides.distinct():
            audit.deleted(actor, cv, note="CON-1: the consortium locked this setting")
            cv.delete()
            removed += 1
    return removed


def consortium_settings(consortium: Consortium) -> list[dict]:
    """Every declared parameter: the consortium's value (or none), the default, whether it is
    locked, and the members that override it (a fixed number of queries)."""
    values = {cv.key: cv.value for cv in ConfigValue.objects.filter(consortium=consortium)}
    locks = set(SettingLock.objects.filter(consortium=consortium).values_list("key", flat=True))
    overrides: dict[str, list[str]] = {}
    rows = ConfigValue.objects.filter(institution__consortium=consortium).values_list("key", "institution__code")
    rows2 = ConfigValue.objects.filter(library__institution__consortium=consortium).values_list("key", "library__code")
    for key, code in list(rows) + list(rows2):
        overrides.setdefault(key, []).append(code)
    out = []
    for key in sorted(config.REGISTRY):
        p = config.REGISTRY[key]
        out.append({"key": key, "type": p.type.__name__, "description": p.description, "default": p.default,
                    "choices": list(p.choices), "value": values.get(key), "set": key in values,
                    "locked": key in locks, "overrides": sorted(overrides.get(key, []))})
    return out


# --- CON-3: sharing lists and copying items ---------------------------------------------------------


def share_list(actor: User, lst, shared: bool) -> bool:
    """The list's owners, collaborators or librarians show it in (or take it out of) the gateway.
    The gateway shows published lists (CON-3): a draft is not shared — publish it first; a shared
    list put back to draft stays shared, out of the gateway until published again, and can be
    taken out at any time."""
    from syllabus.lists.permissions import ensure_edit

    from .models import SharedList

    ensure_edit(actor, lst)
    with transaction.atomic():
        existing = SharedList.objects.filter(resource_list=lst).first()
        if shared and existing is None and not lst.is_published:
            raise RuleViolation("CON-3", "only a published list is shared with the consortium: publish it first")
        if shared and existing is None:
            audit.created(actor, SharedList.objects.create(resource_list=lst, shared_by=actor, shared_at=clock.now()))
        elif not shared and existing is not None:
            audit.deleted(actor, existing)
            existing.delete()
    return shared


def copy_items(actor: User, source_list_id: int, citation_ids, target, section=None) -> list:
    """CON-3: copy items of a shared list of the consortium into one of the actor's own lists
    (through the lists' own ``add_citation``: the target list's rules apply)."""
    from syllabus.lists import services as list_services
    from syllabus.lists.task_details import Said

    from .selectors import gateway_list

    source = gateway_list(actor, source_list_id)
    wanted = [int(i) for i in citation_ids]
    if not wanted:
        raise RuleViolation("CON-3", "choose at least one item to copy")
    if len(wanted) > 200:
        raise RuleViolation("CON-3", "at most 200 items are copied at once")
    items = {c.pk: c for c in source.citations.all()}
    unknown = [i for i in wanted if i not in items]
    if unknown:
        raise RuleViolation("CON-3", f"item {unknown[0]} is not on that list")
    if section is not None and section.resource_list_id != target.pk:
        raise RuleViolation("CON-3", "the section belongs to another list")
    created = []
    # LST-6: on a list the library has, the copy is one librarian task naming its items
    with transaction.atomic(), list_services.one_task(target, Said("copied", institution=source.institution.code, list_id=source.pk)):
        for cid in wanted:
            c = items[cid]
            created.append(list_services.add_citation(
                actor, target, section, type=c.type, metadata=dict(c.metadata or {}), record=c.record,
                public_note=c.public_note, open_access=c.open_access,
                note=f"copied from {source.institution.code} list {source.pk} through the consortium gateway (CON-3)"))
    return created


# --- CON-2: inter-library loan (ISO 18626) ----------------------------------------------------------

ILL_DEFAULT_LOAN_DAYS = 28


def _confirmed(answer: bytes) -> None:
    """A confirmation with ``messageStatus`` ERROR becomes a CON-2 refusal naming its error."""
    from . import iso18626

    root = iso18626.read(answer, "the other agency's confirmation")
    status = root.find(f".//{{{iso18626.NS}}}messageStatus")
    if status is not None and status.text == "ERROR":
        value = root.find(f".//{{{iso18626.NS}}}errorValue")
        kind = root.find(f".//{{{iso18626.NS}}}errorType")
        raise RuleViolation("CON-2", f"the other agency refused the message: {kind.text if kind is not None else ''} "
                                     f"{value.text if value is not None else ''}".strip())


def ensure_ill_staff(user, institution) -> None:

    if institution is None or not is_ill_staff(user, institution):
        raise PermissionDenied("CON-2", "only the library staff of the member handle its inter-library loans")


def raise_loan_request(actor: User, record, *, note: str = "", service_type: str = "Loan", patron: bool = False):
    """CON-2: a librarian asks the member that owns ``record`` for a loan of it.  The ISO 18626
    ``request`` goes to the owner, whose confirmation opens the request in its queue.  With
    ``patron`` (CON-4) a patron of the member asks for themself: the loan is then theirs."""
    import uuid

    from . import iso18626
    from .models import IllRequest

    if not patron:
        ensure_ill_staff(actor, actor.institution)
    elif not actor.institution_id:
        raise PermissionDenied("CON-4", "only patrons of a member request from another member")
    mine = actor.institution
    assert mine is not None
    owner = record.institution
    if owner.pk == actor.institution_id:
        raise RuleViolation("CON-2", "the record is your own library's: lend it through your own circulation")
    if owner.consortium_id != mine.consortium_id:
        raise RuleViolation("CON-2", "the record belongs to another consortium")
    if service_type not in ("Loan", "Copy"):
        raise RuleViolation("CON-2", "the service type is Loan or Copy")
    draft = IllRequest(requesting_institution=mine, supplying_institution=owner,
                       requesting_agency=iso18626.agency_id(mine), supplying_agency=iso18626.agency_id(owner),
                       requesting_agency_request_id=f"{iso18626.agency_id(mine)}-{uuid.uuid4().hex[:12]}",
                       record=record, title=record.title[:1000], author=(record.creators or "")[:1000], isbn=record.isbn,
                       service_type=service_type, note=(note or "").strip()[:2000])
    with transaction.atomic():
        ill = send_request(draft, patron=actor.username)
        ill.requester = actor
        ill.save(update_fields=["requester"])
        audit.event(actor, ill, "requested", note=f"ISO 18626 request to {owner.code}")
    return ill


def send_request(draft, *, patron: str = ""):
    """The ISO 18626 ``request`` of ``draft`` (unsaved) to the member that supplies it, handled
    in-process: its confirmation opens the request in the supplier's queue (the row answered)."""
    from . import iso18626
    from .models import IllRequest

    with transaction.atomic():
        _confirmed(iso18626.receive(iso18626.request_message(draft, patron=patron)))
        return IllRequest.objects.get(requesting_agency=draft.requesting_agency,
                                      requesting_agency_request_id=draft.requesting_agency_request_id)


def _locked_ill(ill):
    from .models import IllRequest

    return (IllRequest.objects.select_for_update(of=("self",))
            .select_related("record", "supplying_institution", "requesting_institution").get(pk=ill.pk))


def answer_loan_request(actor: User | None, ill, action: str, *, note: str = "", reason: str = "", due_days: int | None = None):
    """CON-2: the supplying member's staff answer (expect to supply, will supply, unfilled, loan,
    recall, check in); the SupplyingAgencyMessage carries the new status to the requester."""
    import datetime as dt

    from . import iso18626
    from .models import IllStatus
    from .workflow import ILL_WORKFLOW, SUPPLIER, TIMER

    with transaction.atomic():
        ill = _locked_ill(ill)
        move = ILL_WORKFLOW.step(ill.status, action)
        if move.permission not in (SUPPLIER, TIMER) or (move.permission == TIMER and actor is not None):
            raise PermissionDenied("CON-2", f"{action.replace('_', ' ')} is the requesting library's move")
        if actor is not None:
            # a supplier outside the consortium that does not call our ISO 18626 address: the
            # requesting library's staff record its answers
            ensure_ill_staff(actor, ill.supplying_institution or ill.requesting_institution)
        if action == "check_in" and not ill.shipped_return:
            raise RuleViolation("CON-2", "the requesting library has not shipped the item back yet (ShippedReturn)", status=409)
        if action == "unfilled" and not (reason or "").strip():
            raise RuleViolation("CON-2", "say why the request is unfilled (ISO 18626 reasonUnfilled)")
        ill.status = move.target
        ill.updated_at = clock.now()
        if action == "loan":
            days = ILL_DEFAULT_LOAN_DAYS if due_days is None else int(due_days)
            if not 1 <= days <= 365:
                raise RuleViolation("CON-2", "a loan lasts 1 to 365 days")
            ill.due_date = clock.now() + dt.timedelta(days=days)
        if action == "unfilled":
            ill.reason_unfilled = reason.strip()[:200]
        xml = iso18626.supplying_agency_message(ill, note=(note or "").strip()[:2000])
        _confirmed(iso18626.receive(xml))
        ill.refresh_from_db()
        if actor is not None:
            audit.event(actor, ill, action)
        assert ill.status == move.target or ill.status == IllStatus.CANCELLED
    return ill


def act_on_loan_request(actor: User, ill, action: str, *, note: str = ""):
    """CON-2: the requesting member's staff say Received, ShippedReturn, or Cancel (a
    RequestingAgencyMessage to the supplier)."""
    from .workflow import ILL_WORKFLOW, REQUESTER

    with transaction.atomic():
        ill = _locked_ill(ill)
        move = ILL_WORKFLOW.step(ill.status, action)
        if move.permission != REQUESTER:
            raise PermissionDenied("CON-2", f"{action.replace('_', ' ')} is the supplying library's move")
        ensure_ill_staff(actor, ill.requesting_institution)
        send_requesting_message(ill, action, note)
        audit.event(actor, ill, action)
    return ill


def send_requesting_message(ill, action: str, note: str = "") -> None:
    """The RequestingAgencyMessage of ``action`` (Received, ShippedReturn, Cancel) about ``ill``
    (locked by the caller), handled by the supplier's side; ``ill`` is refreshed."""
    from . import iso18626
    from .workflow import REQUESTER_ACTIONS

    xml = iso18626.requesting_agency_message(ill, REQUESTER_ACTIONS[action], (note or "").strip()[:2000])
    _confirmed(iso18626.receive(xml))
    ill.refresh_from_db()
    if ill.supplying_institution_id is None:   # a supplier outside the consortium: the message is posted to it
        from .delivery import queue
        from .partners import endpoint_for

        if endpoint_for(ill) is not None:
            queue(ill, "requestingAgencyMessage", xml)


def sweep_overdue_loans(now) -> int:
    """Loans past their due date become Overdue (the requester is told by a SupplyingAgencyMessage)."""
    from .models import IllRequest, IllStatus

    moved = 0
    for ill in IllRequest.objects.filter(status=IllStatus.LOANED, due_date__lt=now).order_by("pk")[:500]:
        answer_loan_request(None, ill, "overdue")
        moved += 1
    return moved


def move_loan_request(actor: User, ill, action: str, **values):
    """One move of the state table, by whichever side it belongs to."""
    from . import reader_requests
    from .workflow import ILL_WORKFLOW, REQUESTER, IllStatus

    if ill.status == IllStatus.NEW:  # a reader's request no supplier was asked of yet
        if action == "send":
            return reader_requests.send_to_supplier(actor, ill, values.get("agency", ""), note=values.get("note", ""))
        return reader_requests.close_unsent(actor, ill, action, reason=values.get("reason", ""))
    values.pop("agency", None)
    move = ILL_WORKFLOW.get(ill.status, action)
    if move is not None and move.permission == REQUESTER:
        return act_on_loan_request(actor, ill, action, note=values.get("note", ""))
    return answer_loan_request(actor, ill, action, **values)


# --- CON-2: a purchase from another member's metadata --------------------------------------------

RECORD_FIELDS = ("type", "title", "creators", "year", "edition", "publisher", "isbn", "issn", "doi", "work_key",
                 "container_title", "subjects", "identifiers", "language", "notes", "csl")


def copy_record(actor: User, record):
    """The other member's record copied into the actor's own catalog (once: a second copy of the
    same record is the first one), its source named in ``source_id``."""
    from syllabus.catalog.models import Record

    source_id = f"consortium:{record.institution.code}:{record.source_id}"[:120]
    mine = actor.institution
    assert mine is not None
    existing = Record.objects.filter(institution=mine, source_id=source_id).first()
    if existing is not None:
        return existing
    copy = Record.objects.create(institution=mine, source_id=source_id,
                                 **{f: getattr(record, f) for f in RECORD_FIELDS}, created_at=clock.now(), updated_at=clock.now())
    audit.created(actor, copy, note=f"CON-2: copied from {record.institution.code} record {record.source_id}")
    return copy


def purchase_from_record(actor: User, record, target_list, *, kind: str = "order", notes: str = ""):
    """CON-2: start an acquisition task for another member's title, with its record copied into
    the actor's catalog and the title added to one of the actor's institution's lists."""
    from syllabus.acquisitions import services as acquisitions
    from syllabus.lists import services as list_services
    from syllabus.lists.permissions import ensure_process

    if record.institution_id == actor.institution_id:
        raise RuleViolation("CON-2", "the record is your own library's: start the purchase from your list")
    if actor.institution is None or record.institution.consortium_id != actor.institution.consortium_id:
        raise RuleViolation("CON-2", "the record belongs to another consortium")
    if target_list.institution_id != actor.institution_id:
        raise RuleViolation("CON-2", "the list belongs to another institution")
    ensure_process(actor, target_list)
    with transaction.atomic():
        copy = copy_record(actor, record)
        citation = list_services.add_citation(actor, target_list, record=copy,
                                              note=f"purchase from {record.institution.code}'s record (CON-2)")
        task = acquisitions.create_task(actor, citation, kind, notes=(notes or f"Metadata from {record.institution.name} "
                                                                             f"({record.source_id})")[:2000])
    return task


# --- CON-4: cross-member fulfillment ------------------------------------------------------------------


def request_from_member(actor: User, record, kind: str, data: dict | None = None, *, item=None):
    """CON-4: ``actor`` asks the member that owns ``record`` for a digitization (handled by that
    member's digitization workflow, rules and limits; the file is delivered to the actor) or a
    loan (an ISO 18626 inter-library loan, answered in the owner's queue)."""
    from .models import CrossRequest

    if actor.institution is None or record.institution.consortium_id != actor.institution.consortium_id:
        raise RuleViolation("CON-4", "the record belongs to another consortium")
    if record.institution_id == actor.institution_id:
        raise RuleViolation("CON-4", "the record is your own library's: request it from your library")
    with transaction.atomic():
        if kind == CrossRequest.DIGITIZATION:
            from syllabus.fulfillment import services as fulfillment

            req = fulfillment.request_from_record(actor, record, data or {}, item=item, consortium_member=True)
            cross = CrossRequest.objects.create(kind=kind, requester=actor, requesting_institution=actor.institution,
                                                owning_institution=record.institution, record=record, digitization=req,
                                                created_at=clock.now())
        elif kind == CrossRequest.LOAN:
            ill = raise_loan_request(actor, record, note=(data or {}).get("note", ""), patron=True)
            cross = CrossRequest.objects.create(kind=kind, requester=actor, requesting_institution=actor.institution,
                                                owning_institution=record.institution, record=record, ill=ill,
                                                created_at=clock.now())
        else:
            raise RuleViolation("CON-4", "ask for a digitization or a loan")
        audit.created(actor, cross)
    return cross

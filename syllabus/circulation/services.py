"""Every change of state of circulation and reader services, as verbs.  Each runs in one
transaction, checks its rule, writes the audit trail and queues its letters in the outbox.

Holds (SRV-5) — states and transitions in :data:`.workflow.HOLD_WORKFLOW`:

    place_hold → waiting ─fulfil→ on_hold_shelf ─pick_up→ picked_up
                    │                 │
                    └─expire/cancel───┴─expire (pickup period over)/cancel

Accessible file requests (SRV-4), personal copies (SRV-1) and reading progress follow.
"""
from __future__ import annotations

import datetime as dt
import zoneinfo
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse

from syllabus.catalog.models import Item, Record, Representation
from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.lists import selectors as list_selectors
from syllabus.lists.models import Citation
from syllabus.notify.services import queue_letter
from syllabus.org import calendar, config
from syllabus.org.models import Library, User

from . import workflow
from .item_access import accessible_eligible
from .models import AccessibleRequest, Hold, PersonalCopy, ReadingMark
from .permissions import can_manage_holds, is_reserves_staff
from .workflow import AccessibleStatus, HoldStatus, PersonalCopyStatus

MAX_HOLD_AHEAD_DAYS = 366
MAX_COMMENT = 2000


# --- time ----------------------------------------------------------------------------------------

def library_zone(library: Library | None) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo((library.timezone if library is not None else "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def pickup_deadline(library: Library, start: dt.datetime) -> dt.datetime:
    """The end (23:59 library time) of the N-th library day after ``start`` (``hold_pickup_days``)."""
    days = max(1, min(60, int(config.get("hold_pickup_days", library=library) or 5)))
    zone = library_zone(library)
    local = start.astimezone(zone)
    last = calendar.add_library_days(library, local.date(), days)
    return dt.datetime.combine(last, dt.time(23, 59), tzinfo=zone).astimezone(dt.timezone.utc)


def _when(value: dt.datetime | None, library: Library | None) -> str:
    if value is None:
        return ""
    local = value.astimezone(library_zone(library))
    return f"{local:%Y-%m-%d %H:%M} {local.tzname()}"


# --- holds (SRV-5) ----------------------------------------------------------------------------

def holdable_items(record: Record, institution_id: int):
    """The copies a hold may wait for: not missing, and not withdrawn so that their digital copy is
    lent (in process and related to a title lent digitally, LDL-2: the digital loan is the way to it)."""
    withdrawn = Representation.related_items.through.objects.filter(
        representation__record=record, representation__active=True,
        representation__loan_settings__policy__long_term_loan=True).values("item_id")
    return (Item.objects.filter(record=record, library__institution_id=institution_id).exclude(status=Item.Status.MISSING)
            .exclude(Q(status=Item.Status.IN_PROCESS) & Q(pk__in=withdrawn)))


def _letter_context(hold: Hold, **extra) -> dict:
    return {"patron": hold.patron.get_full_name() or hold.patron.username, "title": hold.record.title,
            "library": hold.pickup_library.name, "link": reverse("circulation:card"), **extra}


def place_hold(actor: User, citation: Citation, *, pickup_library: Library | str | None,
               not_needed_after: dt.date | None = None) -> Hold:
    """A student (anyone who sees the list) places a hold on the item's physical title (SRV-5)."""
    citation, acc = list_selectors.citation_for(actor, citation.pk)
    if not actor.institution_id:
        raise RuleViolation("SRV-5", "only registered patrons of an institution place holds", status=409)
    if not config.get("holds_enabled", institution=actor.institution):
        raise RuleViolation("SRV-5", "holds are not enabled at your institution", status=409)
    if citation.record_id is None:
        raise RuleViolation("SRV-5", "this item is not linked to a title of the library's catalog: "
                                     "there is no physical copy to hold", status=409)
    record = citation.record
    if record is None:
        raise RuleViolation("SRV-5", "this item's catalog title is gone", status=409)
    if not holdable_items(record, actor.institution_id).exists():
        if Item.objects.filter(record=record, library__institution_id=actor.institution_id).exclude(status=Item.Status.MISSING).exists():
            raise RuleViolation("SRV-5", "this title's copies are lent digitally only (LDL-2): borrow its digital copy "
                                         "or join its waitlist instead", status=409)
        raise RuleViolation("SRV-5", "your library has no physical copy of this title to hold", status=409)
    if isinstance(pickup_library, str):
        code = pickup_library.strip()
        pickup_library = Library.objects.filter(code=code, institution_id=actor.institution_id).first() if code else None
        if pickup_library is None and code:
            raise RuleViolation("SRV-5", f"no pickup library {code!r} at your institution", field="pickup_library")
    if pickup_library is None:
        raise RuleViolation("SRV-5", "choose a pickup library", field="pickup_library")
    if pickup_library.institution_id != actor.institution_id:
        raise RuleViolation("SRV-5", "the pickup library must be one of your institution's libraries", field="pickup_library")
    today = clock.today()
    if not_needed_after is not None:
        if not_needed_after < today:
            raise RuleViolation("SRV-5", "'not needed after' is in the past", field="not_needed_after")
        if (not_needed_after - today).days > MAX_HOLD_AHEAD_DAYS:
            raise RuleViolation("SRV-5", f"'not needed after' may be at most {MAX_HOLD_AHEAD_DAYS} days ahead",
                                field="not_needed_after")
    with transaction.atomic():
        # lock the patron's row: two clicks at once make one hold, not two (and not a 500)
        User.objects.select_for_update().filter(pk=actor.pk).first()
        if Hold.objects.filter(patron=actor, record=record, status__in=workflow.OPEN_HOLD).exists():
            raise RuleViolation("SRV-5", "you already have a hold on this title", status=409)
        try:
            with transaction.atomic():
                hold = Hold.objects.create(patron=actor, record=record, citation=citation, pickup_library=pickup_library,
                                           not_needed_after=not_needed_after, placed_at=clock.now())
        except IntegrityError:
            raise RuleViolation("SRV-5", "you already have a hold on this title", status=409) from None
        audit.created(actor, hold, note=f"from list item {citation.pk}")
    return hold


def _locked(hold: Hold) -> Hold:
    return Hold.objects.select_for_update().select_related("patron", "record", "pickup_library").get(pk=hold.pk)


def _move(actor, hold: Hold, action: str, audit_note: str = "", **values) -> Hold:
    new = workflow.HOLD_WORKFLOW.step(hold.status, action).target
    if new in (HoldStatus.PICKED_UP, HoldStatus.EXPIRED, HoldStatus.CANCELLED):
        values.setdefault("closed_at", clock.now())
        if actor is not None and getattr(actor, "pk", None):
            values.setdefault("closed_by", actor)
    audit.update(actor, hold, note=audit_note, status=new, **values)
    return hold


def ensure_hold_staff(actor, hold: Hold) -> None:
    if not can_manage_holds(actor, hold.pickup_library):
        if hold.patron_id == getattr(actor, "pk", None):
            raise PermissionDenied("SRV-5", "only the pickup library's staff do this")
        raise NotFound("SRV-5", "no such hold")


def fulfil_hold(actor: User, hold: Hold, *, item: Item | None = None) -> Hold:
    """Staff put a copy on the hold shelf; the patron gets a letter with the pickup deadline."""
    ensure_hold_staff(actor, hold)
    with transaction.atomic():
        hold = _locked(hold)
        workflow.HOLD_WORKFLOW.step(hold.status, "fulfil")
        taken = Hold.objects.filter(status=HoldStatus.ON_HOLD_SHELF, item__isnull=False).values("item_id")
        free = holdable_items(hold.record, hold.pickup_library.institution_id).filter(status=Item.Status.IN_PLACE).exclude(pk__in=taken)
        if item is None:  # a copy at the pickup library first
            item = free.filter(library=hold.pickup_library).order_by("barcode").first() or free.order_by("barcode").first()
        elif not free.filter(pk=item.pk).exists():
            raise RuleViolation("SRV-5", f"copy {item.barcode} is not on the shelf (or is held for someone else)", status=409)
        if item is None:
            raise RuleViolation("SRV-5", "no copy of this title is on the shelf to fulfil the hold", status=409)
        now = clock.now()
        deadline = pickup_deadline(hold.pickup_library, now)
        hold = _move(actor, hold, "fulfil", audit_note=f"copy {item.barcode}", item=item, on_shelf_at=now, pickup_by=deadline)
        queue_letter("hold_on_shelf", hold.patron,
                     _letter_context(hold, pickup_by=_when(deadline, hold.pickup_library), barcode=item.barcode,
                                     opening_hours=hold.pickup_library.opening_hours),
                     key=f"hold:{hold.pk}:on_shelf", institution=hold.pickup_library.institution)
    return hold


def pick_up_hold(actor: User, hold: Hold) -> Hold:
    ensure_hold_staff(actor, hold)
    with transaction.atomic():
        hold = _locked(hold)
        return _move(actor, hold, "pick_up")


def cancel_hold(actor: User, hold: Hold, *, reason: str = "") -> Hold:
    """The patron cancels their own hold; staff cancel any hold of their library (the patron is told)."""
    reason = (reason or "").strip()[:500]
    own = hold.patron_id == getattr(actor, "pk", None)
    if not own:
        ensure_hold_staff(actor, hold)
    with transaction.atomic():
        hold = _locked(hold)
        hold = _move(actor, hold, "cancel", audit_note=reason or ("cancelled by the patron" if own else "cancelled by the library"),
                     **({"reason": reason} if reason else {}))
        if not own:
            queue_letter("hold_cancelled", hold.patron, _letter_context(hold, reason=reason or "cancelled by the library"),
                         key=f"hold:{hold.pk}:cancelled", institution=hold.pickup_library.institution)
    return hold


def expire_hold(actor, hold: Hold, *, reason: str) -> Hold:
    with transaction.atomic():
        hold = _locked(hold)
        hold = _move(actor, hold, "expire", audit_note=reason, reason=reason)
        queue_letter("hold_expired", hold.patron, _letter_context(hold, reason=reason),
                     key=f"hold:{hold.pk}:expired", institution=hold.pickup_library.institution)
    return hold


def staff_expire_hold(actor: User, hold: Hold) -> Hold:
    ensure_hold_staff(actor, hold)
    return expire_hold(actor, hold, reason="expired by the library")


def expire_due_holds(now: dt.datetime) -> int:
    """Timer: a hold on the shelf past its pickup deadline, or waiting past its 'not needed after'
    date, expires (the patron is told).  Idempotent."""
    today = clock.today()
    due = list(Hold.objects.filter(Q(status=HoldStatus.ON_HOLD_SHELF, pickup_by__lt=now)
                                   | Q(status=HoldStatus.WAITING, not_needed_after__lt=today)).values_list("pk", "status"))
    n = 0
    for pk, status in due:
        hold = Hold(pk=pk, status=status)
        try:
            expire_hold(None, hold, reason="not picked up in time" if status == HoldStatus.ON_HOLD_SHELF
                        else "no longer needed after the date you gave")
            n += 1
        except RuleViolation:  # moved meanwhile
            continue
    return n


# --- accessible file requests (SRV-4) -----------------------------------------------------------

def accessible_addresses(institution) -> list[str]:
    return [a.strip() for a in (config.get("accessible_file_request_emails", institution=institution) or []) if a and a.strip()]


def request_accessible_file(actor: User, citation: Citation, *, format: str, comment: str = "", base_url: str = "") -> AccessibleRequest:
    """SRV-4: a reader asks for an accessible version; every configured address gets an e-mail."""
    citation, acc = list_selectors.citation_for(actor, citation.pk)
    lst = citation.resource_list
    addresses = accessible_addresses(lst.institution)
    if not addresses:
        raise RuleViolation("SRV-4", "accessible file requests are not set up at this institution", status=409)
    if not accessible_eligible(citation):
        raise RuleViolation("SRV-4", "this item is an open web page: your browser's reader and zoom make it accessible; "
                                     "ask for accessible files of books, chapters, articles and files", status=409)
    formats = config.get("accessible_file_formats", institution=lst.institution) or []
    format = (format or "").strip()
    if format not in formats:
        raise RuleViolation("SRV-4", f"choose one of the formats: {', '.join(formats)}", field="format")
    comment = (comment or "").strip()
    if len(comment) > MAX_COMMENT:
        raise RuleViolation("SRV-4", f"the comment may be at most {MAX_COMMENT} characters", field="comment")
    if not actor.email:
        raise RuleViolation("SRV-4", "your account has no e-mail address to send the accessible file to", status=409)
    with transaction.atomic():
        if AccessibleRequest.objects.filter(requester=actor, citation=citation, format=format,
                                            status=AccessibleStatus.OPEN).exists():
            raise RuleViolation("SRV-4", "you already asked for this item in this format", status=409)
        req = AccessibleRequest.objects.create(requester=actor, citation=citation, format=format, comment=comment,
                                               reply_to=actor.email, created_at=clock.now())
        audit.created(actor, req)
        courses = ", ".join(f"{c.code} {c.name}" for c in lst.courses.all()) or "—"
        item_link = f"{reverse('lists:view', args=[lst.pk])}#item-{citation.pk}"
        context = {"requester": actor.get_full_name() or actor.username, "requester_email": actor.email,
                   "citation": citation.title, "list": lst.title, "course": courses, "format": format,
                   "comment": comment or "—", "link": item_link, "send_to": actor.email,
                   "staff_link": reverse("circulation:accessible-detail", args=[req.pk])}
        for address in addresses:
            queue_letter("accessible_file_request", None, context, key=f"access:{req.pk}:{address.lower()}",
                         institution=lst.institution, address=address)
    return req


def attach_accessible_file(actor: User, req: AccessibleRequest, upload) -> AccessibleRequest:
    """Staff attach the accessible file; only the requester can open it, and is told."""
    from syllabus.lists import uploads

    institution = req.citation.resource_list.institution
    if not is_reserves_staff(actor, institution):
        raise NotFound("SRV-4", "no such request")
    if upload is None:
        raise RuleViolation("SRV-4", "choose the accessible file", field="file")
    max_mb = uploads.limit_mb(actor, institution, as_instructor=True)
    size = upload.size or 0
    if size <= 0:
        raise RuleViolation("SRV-4", "the file is empty", field="file")
    if size > max_mb * 1024 * 1024:
        raise RuleViolation("SRV-4", f"the file is {size / 1048576:.1f} MB; the limit is {max_mb} MB", field="file", status=413)
    content_type = uploads.sniff(upload)
    if content_type not in (config.get("accessible_file_types", institution=institution) or []):
        raise RuleViolation("SRV-4", f"files of type {content_type} are not accepted for accessible files", field="file", status=415)
    from django.core.files.storage import default_storage

    name = default_storage.save("accessible/" + uploads.storage_name(content_type).split("/", 1)[1], upload)
    try:
        with transaction.atomic():
            locked = AccessibleRequest.objects.select_for_update().select_related("requester", "citation").get(pk=req.pk)
            new = workflow.ACCESSIBLE_WORKFLOW.step(locked.status, "attach").target
            old = locked.file.name if locked.file else ""
            display = uploads.safe_display_name(upload.name)
            changes = {"status": [locked.status, new], "file": [old, name], "file_name": [locked.file_name, display],
                       "file_type": [locked.file_type, content_type], "file_size": [locked.file_size, size]}
            locked.status, locked.file.name, locked.file_name, locked.file_type, locked.file_size = new, name, display, content_type, size
            locked.fulfilled_at, locked.fulfilled_by = clock.now(), actor
            locked.save()
            audit.changed(actor, locked, changes, note="accessible file attached (SRV-4)")
            queue_letter("accessible_file_ready", locked.requester,
                         {"patron": locked.requester.get_full_name() or locked.requester.username, "title": locked.citation.title,
                          "format": locked.format, "link": reverse("circulation:accessible-file", args=[locked.pk])},
                         key=f"access:{locked.pk}:ready:{name}", institution=institution)
    except Exception:
        default_storage.delete(name)
        raise
    if old:
        transaction.on_commit(lambda: default_storage.delete(old))
    return locked


def accessible_file_for(user, pk: int) -> AccessibleRequest:
    """The request whose file ``user`` may open: the requester only (staff see the request page)."""
    req = AccessibleRequest.objects.select_related("citation").filter(pk=pk).first()
    if req is None or req.requester_id != getattr(user, "pk", None):
        raise NotFound("SRV-4", "no such file")
    if not req.file:
        raise RuleViolation("SRV-4", "the library has not attached the accessible file yet", status=409)
    return req


# --- personal copies (SRV-1) ----------------------------------------------------------------------

def _copy_for(actor, citation_id: int) -> PersonalCopy:
    pc = PersonalCopy.objects.select_related("citation__resource_list__institution", "owner").filter(citation_id=citation_id).first()
    if pc is None or not is_reserves_staff(actor, pc.citation.resource_list.institution):
        raise NotFound("SRV-1", "no personal copy is expected for this item")
    return pc


def sync_personal_copy(citation: Citation, owner: User | None) -> PersonalCopy | None:
    """Keep the circulation record in step with the citation's personal-copy flag (called by the
    lists app's signal inside its transaction)."""
    pc = PersonalCopy.objects.filter(citation=citation).first()
    if citation.personal_copy and owner is not None:
        end = max((c.end_date for c in citation.resource_list.courses.all() if c.end_date), default=None)
        if pc is None:
            return PersonalCopy.objects.create(citation=citation, owner=owner, return_due=end)
        values: dict[str, Any] = {"owner": owner, "return_due": end}
        expect = workflow.PERSONAL_COPY_WORKFLOW.get(pc.status, "expect")
        if expect is not None:
            values["status"] = expect.target
        audit.update(None, pc, **values)
        return pc
    withdraw = workflow.PERSONAL_COPY_WORKFLOW.get(pc.status, "withdraw") if pc is not None else None
    if pc is not None and withdraw is not None:
        audit.update(None, pc, status=withdraw.target)
    return pc


def receive_personal_copy(actor: User, citation_id: int, *, library: Library | None = None, barcode: str = "",
                          location: str = "", call_number: str = "") -> PersonalCopy:
    """Staff record the copy received: it goes on reserve for the course."""
    pc = _copy_for(actor, citation_id)
    inst = pc.citation.resource_list.institution
    if library is None or library.institution_id != inst.pk:
        raise RuleViolation("SRV-1", "choose one of the institution's libraries", field="library")
    for value, name in ((barcode, "barcode"), (location, "location"), (call_number, "call number")):
        if len(value or "") > 120:
            raise RuleViolation("SRV-1", f"the {name} may be at most 120 characters", field=name.replace(" ", "_"))
    with transaction.atomic():
        pc = PersonalCopy.objects.select_for_update().get(pk=pc.pk)
        new = workflow.PERSONAL_COPY_WORKFLOW.step(pc.status, "receive").target
        audit.update(actor, pc, status=new, library=library, barcode=(barcode or "").strip(), location=(location or "").strip(),
                     call_number=(call_number or "").strip(), received_at=clock.now())
    return pc


def return_personal_copy(actor: User, citation_id: int) -> PersonalCopy:
    pc = _copy_for(actor, citation_id)
    with transaction.atomic():
        pc = PersonalCopy.objects.select_for_update().get(pk=pc.pk)
        new = workflow.PERSONAL_COPY_WORKFLOW.step(pc.status, "return").target
        audit.update(actor, pc, status=new, returned_at=clock.now(), on_loan=False)
        from syllabus.lists.models import LibrarianTask

        LibrarianTask.objects.filter(citation_id=pc.citation_id, kind=PERSONAL_COPY_TASK, resolved_at__isnull=True).update(
            resolved_at=clock.now(), resolved_by=actor)
    return pc


PERSONAL_COPY_TASK = "personal_copy_return"


def raise_return_tasks(now: dt.datetime) -> int:
    """Timer: when a course ends, each personal copy on reserve for it puts a "return to owner"
    task on the librarians' task list (once).  Idempotent."""
    from syllabus.lists.services import raise_task
    from syllabus.lists.task_details import Said

    today = clock.today()
    due = PersonalCopy.objects.filter(status=PersonalCopyStatus.ON_RESERVE, return_due__lt=today, return_task_at__isnull=True)
    n = 0
    for pc in due.select_related("citation__resource_list", "owner"):
        with transaction.atomic():
            if not PersonalCopy.objects.select_for_update().filter(pk=pc.pk, return_task_at__isnull=True).exists():
                continue
            raise_task(pc.citation.resource_list, PERSONAL_COPY_TASK, citation=pc.citation,
                       detail=Said("personal_copy_return", title=pc.citation.title[:200], owner=str(pc.owner)))
            PersonalCopy.objects.filter(pk=pc.pk).update(return_task_at=now)
            n += 1
    return n


# --- reading progress -----------------------------------------------------------------------------

def mark_done(actor: User, citation: Citation) -> ReadingMark:
    citation, acc = list_selectors.citation_for(actor, citation.pk)
    mark, _created = ReadingMark.objects.get_or_create(user=actor, citation=citation, defaults={"done_at": clock.now()})
    return mark


def unmark_done(actor: User, citation: Citation) -> None:
    citation, acc = list_selectors.citation_for(actor, citation.pk)
    ReadingMark.objects.filter(user=actor, citation=citation).delete()


# --- merging two accounts of one person (ORG-MERGE) -------------------------------------------------

def merge_holds(actor, source: User, target: User, note: str) -> tuple[int, int]:
    """Move ``source``'s holds to ``target`` (ORG-MERGE), inside the caller's transaction.

    SRV-5 allows one open hold per patron and title: where both accounts hold the same title, the
    hold with the better place stays — one on the hold shelf before one waiting, then the earlier
    placed (the queue's order) — and the other is cancelled through the workflow with no letter (the
    person keeps the other; a copy it kept on the shelf is free again).  Returns (moved, cancelled)."""
    open_holds = list(Hold.objects.select_for_update().filter(patron__in=[source, target], status__in=workflow.OPEN_HOLD)
                      .order_by("record_id", "pk"))
    by_record: dict[int, list[Hold]] = {}
    for hold in open_holds:
        by_record.setdefault(hold.record_id, []).append(hold)
    cancelled = 0
    for holds in by_record.values():
        if len(holds) < 2:
            continue
        keep = min(holds, key=lambda h: (h.status != HoldStatus.ON_HOLD_SHELF, h.placed_at, h.pk))
        for hold in holds:
            if hold is not keep:
                _move(actor, hold, "cancel", audit_note=f"{note}: a duplicate of the person's other hold (SRV-5)",
                      reason="duplicate of the same person's other hold (accounts merged)")
                cancelled += 1
    moved = Hold.objects.filter(patron=source).update(patron=target)
    return moved, cancelled

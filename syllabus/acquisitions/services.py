"""Acquisition tasks and purchase requests: every change of state (SRV-3, librarian actions of SPEC §3).

A librarian starts a task from a list item; finishing it writes what the library now has into
the catalog (a copy on the course reserve, an e-book link), which is what each item's
availability reads.  An instructor asks the library to buy a title; each status of the request
sets its system tag on the item and sends its letter."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation

from django.db import transaction

from syllabus.catalog import resolver
from syllabus.catalog import services as catalog
from syllabus.catalog.models import Item, Record
from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation, refuse_too_big, refuse_too_long
from syllabus.lists import services as lists
from syllabus.lists.models import Citation
from syllabus.lists.permissions import access_for, ensure_edit, ensure_librarian, ensure_process, ensure_view
from syllabus.lists.workflow import ITEM_WORKFLOW, ItemStatus
from syllabus.notify.services import queue_letter
from syllabus.org.models import Library, User, typed_username

from .permissions import handles_suggestions
from .models import Kind, PurchaseRequest, PurchaseStatus, AcquisitionTask, TaskStatus
from .workflow import PURCHASE_WORKFLOW, TASK_WORKFLOW

MAX_COST = Decimal("10000000")
CURRENCIES = frozenset("""AED ARS AUD BGN BRL CAD CHF CLP CNY COP CZK DKK EGP EUR GBP HKD HUF IDR ILS INR ISK JPY KRW MXN
MYR NOK NZD PEN PHP PLN RON RUB SAR SEK SGD THB TRY TWD UAH USD ZAR""".split())

# the system tag each purchase status puts on the item (SRV-3; seeds: leganto-library-services)
PURCHASE_TAGS = {
    PurchaseStatus.LIBRARY_PROCESSING: "new_edition_purchase_requested",
    PurchaseStatus.COMPLETED: "new_edition_available",
    PurchaseStatus.DECLINED: "purchase_request_declined",
    PurchaseStatus.CANCELLED: None,
}
PURCHASE_LETTERS = {
    PurchaseStatus.LIBRARY_PROCESSING: "purchase_request_received",
    PurchaseStatus.COMPLETED: "purchase_request_completed",
    PurchaseStatus.DECLINED: "purchase_request_declined",
    PurchaseStatus.CANCELLED: "purchase_request_cancelled",
}
TASK_FIELDS = ("assignee", "vendor", "cost_amount", "cost_currency", "expected_date", "notes", "library", "location",
               "concurrent_users", "url")


# --- acquisition tasks ------------------------------------------------------------------------

def _clean_cost(amount, currency) -> tuple[Decimal | None, str]:
    if amount in (None, ""):
        return None, (currency or "").strip().upper()
    try:
        value = Decimal(str(amount))
    except InvalidOperation:
        raise RuleViolation("SRV-3", "the cost must be a number", field="cost_amount")
    if not value.is_finite() or value < 0 or value >= MAX_COST or value != value.quantize(Decimal("0.01")):
        raise RuleViolation("SRV-3", "the cost must be between 0 and 9,999,999.99 with at most two decimals", field="cost_amount")
    code = (currency or "").strip().upper()
    if code not in CURRENCIES:
        raise RuleViolation("SRV-3", "the cost needs an ISO 4217 currency code (EUR, GBP, USD...)", field="cost_currency")
    return value, code


def _clean_task_values(inst_id: int, values: dict) -> dict:
    out = {k: v for k, v in values.items() if k in TASK_FIELDS}
    if "cost_amount" in out or "cost_currency" in out:
        out["cost_amount"], out["cost_currency"] = _clean_cost(out.get("cost_amount"), out.get("cost_currency"))
    if out.get("assignee") is not None and not isinstance(out["assignee"], User):
        user = User.objects.filter(username=typed_username(out["assignee"]), institution_id=inst_id).first()
        if user is None:
            raise RuleViolation("SRV-3", "no such librarian in this institution", field="assignee")
        out["assignee"] = user
    if isinstance(out.get("assignee"), User) and out["assignee"].institution_id != inst_id:
        raise RuleViolation("SRV-3", "no such librarian in this institution", field="assignee")
    lib = out.get("library")
    if lib is not None and not isinstance(lib, Library):
        lib = Library.objects.filter(code=str(lib), institution_id=inst_id).first()
        if lib is None:
            raise RuleViolation("SRV-3", "no such library in this institution", field="library")
        out["library"] = lib
    if isinstance(lib, Library) and lib.institution_id != inst_id:
        raise RuleViolation("SRV-3", "no such library in this institution", field="library")
    for key, size in (("vendor", 200), ("location", 120)):
        if key in out:
            out[key] = (out[key] or "").strip()[:size]
    if out.get("url") and not str(out["url"]).lower().startswith(("http://", "https://")):
        raise RuleViolation("SRV-3", "the e-book link must be an http(s) URL", field="url")
    if out.get("concurrent_users") is not None and not 0 <= int(out["concurrent_users"]) <= 100_000:
        raise RuleViolation("SRV-3", "concurrent users must be between 0 and 100000", field="concurrent_users")
    return out


def _move_item(actor: User, citation: Citation | None, status: str) -> None:
    """The item follows its task where the LST-4 table allows the move (else it stays); the
    order of a Find it suggestion has no item."""
    if citation is None:
        return
    citation.refresh_from_db()
    if citation.status != status and ITEM_WORKFLOW.between(citation.status, status):
        lists.set_item_status(actor, citation, status)


def create_task(actor: User, citation: Citation, kind: str, **values) -> AcquisitionTask:
    """Start library work on a list item (librarian)."""
    ensure_process(actor, citation.resource_list)
    if kind not in Kind.values:
        raise RuleViolation("SRV-3", f"kind must be one of {', '.join(Kind.values)}", field="kind")
    clean = _clean_task_values(citation.resource_list.institution_id, values)
    if kind in (Kind.ORDER, Kind.SHORT_LOAN) and clean.get("library") is None:
        clean["library"] = citation.resource_list.institution.libraries.order_by("code").first()
    with transaction.atomic():
        task = AcquisitionTask.objects.create(institution_id=citation.resource_list.institution_id, citation=citation,
                                              kind=kind, created_by=actor, **clean)
        audit.created(actor, task)
    return task


def _ensure_works_on(actor: User, task: AcquisitionTask) -> None:
    """A list item's task: the list's processors (LST-7); a Find it suggestion's order: the
    library of its institution."""
    if task.citation is None:
        ensure_librarian(actor, task.institution_id)
    else:
        ensure_process(actor, task.citation.resource_list)


def update_task(actor: User, task: AcquisitionTask, **values) -> AcquisitionTask:
    _ensure_works_on(actor, task)
    if not task.is_open:
        raise RuleViolation("SRV-3", "a finished or cancelled task cannot be changed", status=409)
    clean = _clean_task_values(task.institution_id, values)
    with transaction.atomic():
        audit.update(actor, task, updated_at=clock.now(), **clean)
    return task


def _step(actor: User, task: AcquisitionTask, action: str) -> AcquisitionTask:
    _ensure_works_on(actor, task)
    task = AcquisitionTask.objects.select_for_update().get(pk=task.pk)
    target = TASK_WORKFLOW.step(task.status, action).target
    closed = clock.now() if target in (TaskStatus.DONE, TaskStatus.CANCELLED) else None
    audit.update(actor, task, note=action, status=target, updated_at=clock.now(), closed_at=closed)
    return task


def start_task(actor: User, task: AcquisitionTask) -> AcquisitionTask:
    with transaction.atomic():
        task = _step(actor, task, "start")
        _move_item(actor, task.citation, ItemStatus.IN_PROCESS)
    return task


def cancel_task(actor: User, task: AcquisitionTask) -> AcquisitionTask:
    with transaction.atomic():
        return _step(actor, task, "cancel")


def _record_of(actor: User, citation: Citation) -> Record:
    if citation.record is not None:
        return citation.record
    csl = {**(citation.metadata or {}), "type": citation.csl_type}
    csl.setdefault("title", citation.title or "Untitled")
    record = catalog.save_record(actor, citation.resource_list.institution, csl).record
    audit.update(actor, citation, record=record)
    return record


def complete_task(actor: User, task: AcquisitionTask, **values) -> AcquisitionTask:
    """Finish the work: the catalog now holds what the library got, so the item's availability
    shows it (a copy on the course reserve, or the e-book link), and the item becomes Complete."""
    if values:
        task = update_task(actor, task, **values)
    with transaction.atomic():
        task = _step(actor, task, "complete")
        citation = (Citation.objects.select_related("resource_list__institution", "record").get(pk=task.citation_id)
                    if task.citation_id else None)
        if task.record is not None:
            record = task.record
        else:
            assert citation is not None  # only a list item's task comes without its record
            record = _record_of(actor, citation)
        location = task.location or ("Course reserve" if citation is not None else "")
        if task.kind == Kind.LICENSE:
            if not task.url:
                raise RuleViolation("SRV-3", "a licensed e-book needs its link to finish the task", field="url")
            eres = catalog.add_eresource(None, record, task.url, provider=task.vendor or "E-book")
            audit.created(actor, eres)
            audit.update(actor, task, eresource=eres)
        elif task.kind == Kind.SHORT_LOAN and (task.item_id or record.items.filter(library__institution_id=task.institution_id).exists()):
            item = task.item or record.items.filter(library__institution_id=task.institution_id).order_by("pk").first()
            assert item is not None
            audit.update(actor, item, location=location, item_type="short_loan")
            audit.update(actor, task, item=item)
        elif task.kind == Kind.ORDER and task.item is not None:  # bought: the copy on order arrives (SRV-3)
            audit.update(actor, task.item, status=Item.Status.IN_PLACE,
                         **({"location": location} if location != task.item.location else {}))
        else:
            library = task.library or task.institution.libraries.order_by("code").first()
            if library is None:
                raise RuleViolation("SRV-3", "the institution has no library to receive the copy", field="library")
            item = catalog.add_item(None, record, library, f"ACQ-{task.institution_id}-{task.pk}", location=location,
                                    item_type="reserve", status=Item.Status.IN_PLACE)
            audit.created(actor, item)
            audit.update(actor, task, item=item)
        _move_item(actor, citation, ItemStatus.COMPLETE)
    return task


# --- purchase requests (SRV-3) -------------------------------------------------------------------

def _letter(req: PurchaseRequest, link: str = "") -> None:
    code = PURCHASE_LETTERS[PurchaseStatus(req.status)]
    user = req.requester
    queue_letter(code, user, {"patron": user.get_full_name() or user.username, "title": req.title, "request": req.pk,
                              "reason": req.reason, "list": req.citation.resource_list.title if req.citation is not None else "",
                              "link": link},
                 key=f"acq:purchase:{req.pk}:{req.status}", institution=req.institution)


def _tag(actor, req: PurchaseRequest) -> None:
    if req.citation_id is None:  # a Find it suggestion: no list item to tag
        return
    citation = Citation.objects.select_for_update().get(pk=req.citation_id)
    ours = {t for t in PURCHASE_TAGS.values() if t}
    tags = [t for t in (citation.tags or []) if t not in ours]
    new = PURCHASE_TAGS[PurchaseStatus(req.status)]
    if new:
        tags.append(new)
    audit.update(actor, citation, tags=tags)


def request_purchase(actor: User, citation: Citation, *, note: str = "", title: str = "", isbn: str = "") -> PurchaseRequest:
    """An instructor (or the library) asks the library to buy the item or its new edition."""
    acc = ensure_edit(actor, citation.resource_list)
    if not (acc.instructor or acc.process):
        raise PermissionDenied("SRV-3", "only the list's instructors request a purchase")
    with transaction.atomic():
        if PurchaseRequest.objects.filter(citation=citation, status=PurchaseStatus.LIBRARY_PROCESSING).exists():
            raise RuleViolation("SRV-3", "a purchase request for this item is already being processed", status=409)
        req = PurchaseRequest.objects.create(institution_id=citation.resource_list.institution_id, citation=citation,
                                             requester=actor, note=(note or "")[:5000],
                                             title=(title or citation.title)[:1000], isbn=(isbn or "")[:13])
        audit.created(actor, req)
        _tag(actor, req)
        _letter(req)
    return req


def ensure_may_see_purchase(user: User, req: PurchaseRequest) -> None:
    """The requester, the list's editors and library (a list item's request), or the library of
    the requester's institution (a Find it suggestion) see a purchase request; nobody else (404)."""
    if req.requester_id == user.pk:
        return
    if req.citation is None:
        if not handles_suggestions(user, req.institution_id):
            raise NotFound("SRV-3", "no such purchase request")
        return
    if not access_for(user, req.citation.resource_list).edit:
        raise NotFound("SRV-3", "no such purchase request")


def _ensure_library(actor: User, req: PurchaseRequest) -> None:
    if req.citation is None:
        ensure_librarian(actor, req.institution_id)
    else:
        ensure_process(actor, req.citation.resource_list)


def _bought_record(actor: User, req: PurchaseRequest) -> Record:
    """The catalog record of what was bought, in the request's institution: the list item's own
    record (the item is linked to it: the path of an order task, ``_record_of``), else a record of
    the institution with the same ISBN or DOI, else a new one from the request's metadata."""
    from syllabus.citations import identifiers

    citation = req.citation
    same_title = citation is not None and (not req.isbn or req.isbn in {
        identifiers.normalize_isbn(i) for i in identifiers.split_identifiers((citation.metadata or {}).get("ISBN"))}
        | ({citation.record.isbn} if citation.record is not None else set()))
    if citation is not None and same_title:
        return _record_of(actor, citation)
    if citation is not None:  # a new edition of the item (SRV-3): its own record
        csl = {**(citation.metadata or {}), "type": citation.csl_type, "title": req.title or citation.title, "ISBN": req.isbn}
    else:
        csl = dict(req.metadata or {})
        csl.setdefault("title", req.title)
    ids, _how = resolver.match_by_identifier({"DOI": csl.get("DOI"), "ISBN": req.isbn}, [req.institution_id])
    if ids:
        return Record.objects.get(pk=min(ids))
    return catalog.save_record(actor, req.institution, csl).record


def _order(actor: User, req: PurchaseRequest) -> AcquisitionTask:
    """Bought (SRV-3): the record of what was bought, a copy of it on order (In process) in the
    institution's first library (none while it has no library), so that Find it and the item's availability show the library's
    holding at once, and the order task that receives the copy (``complete_task``)."""
    library = req.institution.libraries.order_by("code").first()
    record = _bought_record(actor, req)
    if req.citation is not None and req.citation.record_id is None:
        audit.update(actor, req.citation, record=record)
    elif (req.citation is None and req.from_citation is not None and req.from_citation.record_id is None
          and req.from_citation.resource_list.institution_id == req.institution_id):
        # suggested from Find it opened on a list item with no record: the item now resolves to the copy
        # (only an item of this library's institution: a cross-registered reader's other list is not ours to change)
        audit.update(actor, req.from_citation, record=record)
    task = AcquisitionTask.objects.create(institution_id=req.institution_id, citation=req.citation, record=record,
                                          kind=Kind.ORDER, purchase_request=req, library=library, created_by=actor,
                                          location="Course reserve" if req.citation is not None else "")
    audit.created(actor, task, note="bought (SRV-3)")
    if library is None:  # no library yet to receive it: the order task's completion says so (SRV-3)
        return task
    item = catalog.add_item(None, record, library, f"ACQ-{req.institution_id}-{task.pk}", location=task.location,
                            status=Item.Status.IN_PROCESS)
    audit.created(actor, item)
    audit.update(actor, task, item=item)
    if req.citation is not None:
        from .models import EditionNotice

        EditionNotice.objects.filter(citation=req.citation, isbn=req.isbn, record__isnull=True).exclude(isbn="").update(record=record)
    return task


def _purchase_step(actor: User, req: PurchaseRequest, action: str, reason: str = "") -> PurchaseRequest:
    from django.urls import reverse

    with transaction.atomic():
        # of=self: a Find it suggestion's citation is the nullable side of the join (PostgreSQL locks no such side)
        req = (PurchaseRequest.objects.select_for_update(of=("self",)).select_related("citation__resource_list", "institution")
               .get(pk=req.pk))
        target = PURCHASE_WORKFLOW.step(req.status, action).target
        audit.update(actor, req, note=action, status=target, reason=(reason or "")[:500], updated_at=clock.now(),
                     closed_at=clock.now())
        link = ""
        if target == PurchaseStatus.COMPLETED:
            link = reverse("catalog:record", args=[_order(actor, req).record_id])
        _tag(actor, req)
        _letter(req, link)
    return req


def cancel_purchase(actor: User, req: PurchaseRequest, reason: str = "") -> PurchaseRequest:
    """The instructor withdraws the request — only while the library is processing it.  A Find it
    suggestion is withdrawn by the reader who made it."""
    if req.citation is None:
        ensure_may_see_purchase(actor, req)
        if req.requester_id != actor.pk:
            raise PermissionDenied("SRV-3", "only the reader who suggested the purchase withdraws it")
        return _purchase_step(actor, req, "cancel", reason)
    acc = ensure_view(actor, req.citation.resource_list)
    if not (req.requester_id == actor.pk or acc.instructor):
        ensure_may_see_purchase(actor, req)
        raise PermissionDenied("SRV-3", "only the instructor who asked (or the list's instructors) cancels a purchase request")
    return _purchase_step(actor, req, "cancel", reason)


def complete_purchase(actor: User, req: PurchaseRequest) -> PurchaseRequest:
    _ensure_library(actor, req)
    return _purchase_step(actor, req, "complete")


def decline_purchase(actor: User, req: PurchaseRequest, reason: str = "") -> PurchaseRequest:
    _ensure_library(actor, req)
    return _purchase_step(actor, req, "decline", reason)


# --- purchase suggestions from Find it (DSV-6, SRV-3) ---------------------------------------------

def suggest_purchase(actor: User, csl: dict, *, note: str = "", from_citation: Citation | None = None) -> PurchaseRequest:
    """A reader (student, instructor, staff) asks their library to buy a title that the link
    resolver found nowhere in the consortium (DSV-6's next step).  It is a purchase request without
    a list item: the library's Acquisitions page lists it, completes or declines it, and every
    decision is a letter to the reader (SRV-3's workflow and letters).  ``from_citation``: the list
    item Find it was opened from, which the reader sees (the caller checks): Bought links it to the
    record when it has none."""
    from syllabus.citations import csl as cslmod
    from syllabus.citations import identifiers
    from syllabus.org import config

    if not getattr(actor, "is_authenticated", False) or actor.institution_id is None:
        raise PermissionDenied("SRV-3", "only members of an institution suggest a purchase to its library")
    refuse_too_big("SRV-3", csl=csl)
    data = cslmod.clean(csl if isinstance(csl, dict) else {})
    title = " ".join(str(data.get("title") or "").split())
    if not title:
        raise RuleViolation("SRV-3", "the suggestion needs the title to buy", field="title")
    from syllabus.catalog.resolver import ARTICLE_TYPES

    if data.get("type") in ARTICLE_TYPES:
        raise RuleViolation("SRV-3", "a library does not buy a single article: ask it for a copy (document delivery, "
                                     "inter-library loan)", field="type")
    note = (note or "").strip()
    refuse_too_long("SRV-3", PurchaseRequest, note=note, title=title)
    isbn = next((n for n in (identifiers.normalize_isbn(i) for i in identifiers.split_identifiers(data.get("ISBN"))) if n), "")
    if not config.get("purchase_suggestions_enabled", institution=actor.institution):
        raise RuleViolation("SRV-3", "your library does not take purchase suggestions", status=409)
    limit = max(0, min(config.get("purchase_suggestions_max_open", institution=actor.institution), 1000))
    per_day = max(0, min(config.get("purchase_suggestions_max_per_day", institution=actor.institution), 10_000))
    with transaction.atomic():
        # one reader's suggestions one at a time (the limit and the duplicate check hold under concurrency)
        list(User.objects.select_for_update().filter(pk=actor.pk).values_list("pk", flat=True))
        suggestions = PurchaseRequest.objects.filter(requester=actor, citation__isnull=True)
        mine = suggestions.filter(status=PurchaseStatus.LIBRARY_PROCESSING)
        open_titles = [t.casefold() for t in mine.values_list("title", flat=True)]
        if title.casefold() in open_titles:
            raise RuleViolation("SRV-3", "you already suggested this title; the library is processing it", status=409)
        if len(open_titles) >= limit:
            raise RuleViolation("SRV-3", f"at most {limit} of your purchase suggestions are processed at once", status=409)
        # withdrawing and suggesting again must not write rows and letters without end
        if suggestions.filter(created_at__gt=clock.now() - dt.timedelta(hours=24))[:per_day].count() >= per_day:
            raise RuleViolation("SRV-3", f"at most {per_day} purchase suggestions a day; try again tomorrow", status=409)
        if from_citation is not None and from_citation.resource_list.institution_id != actor.institution_id:
            from_citation = None   # Bought links the item to the record: only an item of the library's own institution
        req = PurchaseRequest.objects.create(institution_id=actor.institution_id, citation=None, requester=actor,
                                             note=note, title=title, isbn=isbn[:13], metadata=data,
                                             from_citation=from_citation)
        audit.created(actor, req, note="suggested from Find it (DSV-6)")
        _letter(req)
    return req


# --- new editions (SRV-3) ----------------------------------------------------------------------------

def check_new_editions(actor: User | None, citation: Citation) -> list:
    """Look for a later edition of the item's work (local catalog, then the feed) and keep a
    notice per edition found; a declined, replaced or added one is not raised again."""
    from . import editions
    from .models import EditionNotice

    if actor is not None:
        ensure_edit(actor, citation.resource_list)
    found = editions.find(citation)
    with transaction.atomic():
        for e in found:
            notice, created = EditionNotice.objects.get_or_create(
                citation=citation, key=e.key[:200],
                defaults={"institution_id": citation.resource_list.institution_id, "source": e.source, "title": e.title[:1000],
                          "edition": e.edition, "year": e.year, "isbn": e.isbn, "publisher": e.publisher,
                          "record_id": e.record_id})
            if created:
                audit.created(actor, notice)
    return list(EditionNotice.objects.filter(citation=citation, status="open"))


def _edition_csl(citation: Citation, notice) -> dict:
    csl = dict(citation.metadata or {})
    if notice.record_id and notice.record.csl:
        csl = {**csl, **notice.record.csl}
    csl["title"] = notice.title or csl.get("title", "")
    if notice.year:
        csl["issued"] = {"date-parts": [[notice.year]]}
    if notice.isbn:
        csl["ISBN"] = notice.isbn
    if notice.edition:
        csl["edition"] = notice.edition
    if notice.publisher:
        csl["publisher"] = notice.publisher
    csl.pop("type", None)
    return csl


def act_on_notice(actor: User, notice, action: str):
    """The notice's actions: ``replace`` (the item becomes the new edition), ``add`` (the new
    edition is added to the list after the item), ``decline`` (no more notice for it).  "View
    original" is a link to the item and changes nothing."""
    from .models import EditionNotice, NoticeStatus

    citation = notice.citation
    ensure_edit(actor, citation.resource_list)
    with transaction.atomic():
        notice = EditionNotice.objects.select_for_update().get(pk=notice.pk)
        if notice.status != NoticeStatus.OPEN:
            raise RuleViolation("SRV-3", "this new edition was already dealt with", status=409)
        if action == "replace":
            lists.update_citation(actor, citation, metadata=_edition_csl(citation, notice), record=notice.record)
            status = NoticeStatus.REPLACED
        elif action == "add":
            lists.add_citation(actor, citation.resource_list, citation.section, citation.type, _edition_csl(citation, notice),
                               record=notice.record, position=citation.position + 1)
            status = NoticeStatus.ADDED
        elif action == "decline":
            status = NoticeStatus.DECLINED
        else:
            raise RuleViolation("SRV-3", "action must be replace, add or decline", field="action")
        audit.update(actor, notice, note=action, status=status, decided_at=clock.now(), decided_by=actor)
    return notice


def sweep_new_editions(now=None, *, limit: int = 200) -> int:
    """The periodic check of items of lists still in use whose record is in the catalog: each item
    at most once a day, ``limit`` items per run (idempotent).  Returns the notices raised."""
    import datetime as dt

    from syllabus.lists.workflow import ListStatus

    from .models import EditionCheck

    now = now or clock.now()
    fresh = EditionCheck.objects.filter(checked_at__gt=now - dt.timedelta(days=1)).values("citation_id")
    qs = (Citation.objects.filter(record__isnull=False).exclude(resource_list__status=ListStatus.COMPLETE).exclude(pk__in=fresh)
          .select_related("record", "resource_list__institution").order_by("pk")[:limit])
    raised = 0
    for citation in qs:
        before = citation.edition_notices.count()
        check_new_editions(None, citation)
        EditionCheck.objects.update_or_create(citation=citation, defaults={"checked_at": now})
        raised += citation.edition_notices.count() - before
    return raised

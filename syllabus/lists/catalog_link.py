"""The lists' side of the catalog (DSV-3, DSV-4, LST-9): add a record or harvested metadata to
a list, import RIS/BibTeX into a list, export a list.  Every change goes through this app's
own services (``add_citation``), so its rules, permissions, workflow tasks and audit trail
apply; this module only adapts.  The catalog's pages and API reach it through the catalog's
lists port (:mod:`syllabus.catalog.lists_port`), which :class:`ListsConfig` fills at start-up.
"""
from __future__ import annotations

import dataclasses
import json
import logging
import re
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.db import models, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils.translation import gettext

from syllabus.catalog import lookup
from syllabus.catalog.search import ParsedQuery, backend
from syllabus.catalog.selectors import visible_records
from syllabus.citations import csl as cslmod
from syllabus.citations import documents, formats, identifiers, references, tables
from syllabus.core import audit, clock, jsondata
from syllabus.core.text import strip_control
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation, refuse_too_long
from syllabus.core.limits import column, setting_within
from syllabus.core.loading import ImportReport
from syllabus.notify.services import queue_letter
from syllabus.org import config

from . import metadata as list_metadata
from . import selectors as list_selectors
from . import services as list_services
from . import tags as tag_vocabulary
from .forms import PASTE_CHARS
from .models import Citation, CitationType, ListImport, ListImportEntry, ResourceList, Section
from .permissions import ensure_edit
from .task_details import Said

log = logging.getLogger("syllabus.lists.import")


def lists_for_adding(user) -> list:
    """The lists ``user`` owns or collaborates on (the "add to list" picker), newest first."""
    if not getattr(user, "is_authenticated", False):
        return []
    return list(ResourceList.objects.filter(Q(owners=user) | Q(collaborators=user)).distinct()
                .prefetch_related("sections").order_by("-updated_at", "-id")[:50])


def list_and_section(user, list_id: int, section_id: int | None):
    lst, _access = list_selectors.list_for(user, list_id)
    return lst, list_selectors.section_of_list(lst.pk, section_id or None)


def add_record(user, list_id: int, record, *, section_id: int | None = None, **extra):
    """A citation made from a catalog record (its CSL-JSON, linked to the record)."""
    lst, section = list_and_section(user, list_id, section_id)
    return list_services.add_citation(user, lst, section, record=record, **extra)


def _identifiers(data: dict) -> list[tuple[str, str]]:
    """(kind, normalised value) of ``data``'s ISBNs, then its DOI, in the order they are tried;
    text that is no valid identifier is left out (the lists app refuses it, LST-2)."""
    found = []
    for identifier in [*identifiers.split_identifiers(data.get("ISBN")), *([data["DOI"]] if data.get("DOI") else [])]:
        kind_value = lookup.classify(str(identifier))
        if kind_value is not None:
            found.append(kind_value)
    return found


def _token(kind: str, value: str) -> str:
    """The search token of an ISBN or ISSN in ``Record.identifiers`` (``csl.identifier_tokens``)."""
    return (value.replace("-", "") if kind == "issn" else value).lower()


_UNION_CHUNK = 200  # below SQLite's limit of 500 SELECTs in one compound SELECT


class RecordMatcher:
    """The local catalog records (no network) whose ISBN, ISSN or DOI is one of those of many
    citations, read with one query over the records ``user`` may see; then, per citation, the
    record of its first identifier that has one — the user's own institution's record first,
    then the consortium's (the lowest id among equals), as the identifier lookup chooses."""

    def __init__(self, user, entries):
        from django.db.models.expressions import RawSQL

        self.own_institution = getattr(user, "institution_id", None)
        wanted = {kv for data in entries for kv in _identifiers(data)}
        dois = {identifiers.doi_key(v) for k, v in wanted if k == "doi"}
        tokens = {_token(k, v): k for k, v in wanted if k != "doi"}
        self.by_doi: dict[str, list] = {}
        self.by_token: dict[str, list] = {}
        if not dois and not tokens:
            return
        condition = Q(doi__in=dois)
        if tokens:  # the full-text index knows every ISBN of a record (Record.isbn only the first)
            engine = backend()
            queries = [ParsedQuery(**{kind: token}) for token, kind in sorted(tokens.items())]
            for i in range(0, len(queries), _UNION_CHUNK):
                parts = [engine.match_sql(query, ranked=False) for query in queries[i:i + _UNION_CHUNK]]
                sql = " UNION ALL ".join(part_sql for part_sql, _params in parts)
                params = [p for _sql, part_params in parts for p in part_params]
                condition |= Q(pk__in=RawSQL(f"SELECT id FROM ({sql}) AS identifier_matches", params))
        wanted_tokens = set(tokens)
        for record in visible_records(user).filter(condition).select_related("institution").order_by("id"):
            if record.doi and record.doi in dois:
                self.by_doi.setdefault(record.doi, []).append(record)
            for token in {t.lower() for t in (record.identifiers or "").split()} & wanted_tokens:
                self.by_token.setdefault(token, []).append(record)

    def match(self, data: dict):
        for kind, value in _identifiers(data):
            candidates = self.by_doi.get(identifiers.doi_key(value), []) if kind == "doi" else self.by_token.get(_token(kind, value), [])
            if candidates:  # in id order
                own = [r for r in candidates if r.institution_id == self.own_institution]
                return (own or candidates)[0] if self.own_institution else candidates[0]
        return None


def matching_record(user, data: dict):
    """The local catalog record (the user's library first, then the consortium; no network)
    whose ISBN or DOI is one of ``data``'s, else ``None`` — so that imported and harvested
    citations are linked to the catalog (course reserves, "lists containing it", DSV-5)."""
    return RecordMatcher(user, [data]).match(data)


def add_metadata(user, list_id: int, data: dict, *, record=None, section_id: int | None = None, note: str = ""):
    """A citation from stand-alone CSL-JSON (cite it, My collection, an import); linked to the
    local catalog record with the same ISBN or DOI when there is one."""
    lst, section = list_and_section(user, list_id, section_id)
    if record is None:
        record = matching_record(user, data)
    return list_services.add_citation(user, lst, section, metadata=dict(data), record=record, note=note)


def citation_form_type(csl_type: str | None) -> tuple[list, str]:
    """(the lists' citation type choices, the one matching CSL type ``csl_type``) for the
    citation form the identifier lookup fills."""
    try:
        chosen = list_metadata.citation_type(csl_type or "book")
    except RuleViolation:
        chosen = CitationType.OTHER.value
    return list_metadata.form_types(), list_metadata.form_type(chosen, {"type": csl_type})


# --- import / export (LST-9) ----------------------------------------------------------------

@dataclass
class EntryReport:
    position: int
    status: str  # created | rejected | note (a note for students on a section or the list: no citation)
    title: str = ""
    citation_id: int | None = None
    rule: str = ""
    detail: str = ""
    line: int = 0  # where the entry starts in the file
    dropped: list[str] = field(default_factory=list)  # its fields that were not imported (RIS tags, BibTeX fields)
    review: bool = False  # added tagged "Needs review" (a reference not read whole)


@dataclass
class ListImportReport(ImportReport):
    """The loaders' report (:class:`syllabus.core.loading.ImportReport`), counted in entries,
    with what a file imported into a list adds (issue 13, LST-9): its format, and every entry's
    outcome — imported, or refused (rule, line) — and the fields it dropped, named, never silently."""

    unit: ClassVar[str] = "entry"

    format: str = ""
    entries: list[EntryReport] = field(default_factory=list)

    def add(self, entry: EntryReport) -> None:
        self.entries.append(entry)
        if entry.status == "created":
            self.created += 1
        elif entry.status != "note":  # a note for students on a section or the list: no citation, nothing refused
            self.reject(entry.position, f"{entry.rule}: {entry.detail}")

    @property
    def read(self) -> int:
        return sum(1 for e in self.entries if e.status != "note")

    @property
    def dropped(self) -> list[str]:
        """Every field some entry lost, with how many entries lost it: ["N1 (2)", "file (1)"]."""
        counts: dict[str, int] = {}
        for e in self.entries:
            for name in e.dropped:
                counts[name] = counts.get(name, 0) + 1
        return [f"{name} ({n})" for name, n in sorted(counts.items())]


def refuse_empty_file(text: str, filename: str = "") -> None:
    """LST-9 (session 23): a file of nothing but blanks (0 bytes, or empty lines) is refused saying so —
    it was "neither RIS nor BibTeX" for a ``.biblatex`` and "no line starts 'TY  - '" for a ``.ris``."""
    if strip_control(text).strip(" \t\r\n\ufeff"):
        return
    name = f" {filename[:100]}" if filename else ""
    raise RuleViolation("LST-9", f"the file{name} is empty (no text at all, or only blank lines): nothing to import — "
                                 "export the entries again (RIS, BibTeX or CSL-JSON) and choose that file", field="file")


def _read(user, list_id: int, text: str, *, filename: str = "", fmt: str = "", section_id: int | None = None):
    """(list, section, format, entries) of a file about to be imported into a list; refused
    (LST-9) when it is no RIS/BibTeX/CSL-JSON or holds no entry."""
    lst, section = list_and_section(user, list_id, section_id)
    ensure_edit(user, lst)  # a reader gets 403 before anything is parsed
    refuse_empty_file(text, filename)
    # the boundary: control characters (NUL, ESC, ...) in an imported file are dropped (issue 18)
    detected, entries = formats.parse(strip_control(text), fmt, filename)
    if not detected:
        raise RuleViolation("LST-9", formats.not_a_citation_file(text), field="file")
    if not entries:  # an empty file, or RIS sent as format=bibtex: say so, not "0 imported, 0 refused"
        why = {"ris": "no line starts 'TY  - '", "bibtex": "no @type{key, ...}", "csl-json": "no item"}[detected]
        raise RuleViolation("LST-9", f"the file has no {'BibTeX' if detected == 'bibtex' else detected.upper()} entry "
                                     f"({why}): nothing to import", field="file")
    return lst, section, detected, entries




FORMAT_NAMES = formats.FORMAT_NAMES


def _note(detected: str, filename: str) -> str:
    return f"imported from {FORMAT_NAMES.get(detected, detected.upper())}" + (f" ({filename})" if filename else "")


def _imported(detected: str, filename: str) -> Said:
    """The import as its librarian task says it (LST-7: in the reader's language, when shown)."""
    return Said("imported", format=FORMAT_NAMES.get(detected, detected.upper()), filename=filename)


class _Sections:
    """The sections a spreadsheet's "Section" column or a Word document's headings name, by title:
    the list's section of that title (case and blanks aside), else a new one at the end (LST-1)."""

    def __init__(self, user, lst):
        self.user, self.lst, self.known = user, lst, {}

    def __call__(self, title: str, default):
        key = " ".join(title.split()).casefold()
        if not key:
            return default
        section = self.known.get(key)
        if section is None or not Section.objects.filter(pk=section.pk).exists():
            section = next((s for s in Section.objects.filter(resource_list=self.lst).order_by("position", "id")
                            if " ".join(s.title.split()).casefold() == key), None)
            if section is None:
                section = list_services.add_section(self.user, self.lst, title=title.strip())
            self.known[key] = section
        return section


def _looked_up(user, entry: formats.ParsedEntry) -> tuple[formats.ParsedEntry, object]:
    """(the entry, its catalog record) once its identifier is looked up (a spreadsheet row without a
    title, a Word paragraph with a DOI or ISBN) — by the identifier lookup of the citation editor
    (the local catalog, then Open Library / Crossref through the outbound rules), outside any
    transaction.  What nobody knows keeps the row's or paragraph's own text (a paragraph: marked
    "Needs review"); a row without a title is then refused, naming the row."""
    if not isinstance(entry, tables.RowEntry) or entry.csl is None or not entry.lookup:
        return entry, None
    try:
        found = lookup.lookup(user, entry.lookup)
    except RuleViolation as exc:  # the service failed (502: a timeout, a 5xx), or no valid identifier after all
        found, why = None, f"{exc.rule}: {exc.detail.removesuffix('; enter the details by hand')}"
    else:
        why = "nobody knows it (the catalog, Open Library, Crossref)"
    if found is not None:
        if entry.review or entry.parsed:  # a Word paragraph: what the lookup found, and the paragraph's web address
            csl = {**found.csl, **({"URL": entry.csl["URL"]} if entry.csl.get("URL") and not found.csl.get("URL") else {})}
        else:  # a spreadsheet row: what the row says wins over what the lookup found (but its guessed type)
            csl = {**found.csl, **{k: v for k, v in entry.csl.items() if k != "type"}}
        record = None
        if found.record_id is not None:
            record = visible_records(user).filter(pk=found.record_id).select_related("institution").first()
        label = csl.get("title", "")[:60] or entry.label
        return dataclasses.replace(entry, csl=csl, lookup="", review=False, label=label), record
    if not entry.csl.get("title"):
        return dataclasses.replace(entry, csl=None, lookup="", error=f"row {entry.line}: no title, and the lookup of "
                                                                      f"{entry.lookup} found none ({why})"), None
    # (LST-9, session 25: the import report says, for this entry, that its look-up failed and why)
    return dataclasses.replace(entry, lookup="", lookup_failed=f"{entry.lookup}: {why}"), None


#: the most characters of an entry's notes kept in the citation's note (the note field's ceiling)
NOTES_CHARS = column(Citation, "library_note")


def entry_notes(entry: formats.ParsedEntry, *, public: bool = False) -> tuple[str, str]:
    """LST-3 (session 20): (public note, library note) of an entry — its notes (Zotero's notes,
    biblatex's annotation...: plain text, a paragraph each) are the library's private note, never
    shown to students, unless the import says they are for students (the public note)."""
    text = "\n\n".join(entry.notes)
    if len(text) > NOTES_CHARS:
        text = text[:NOTES_CHARS - 1].rstrip() + "…"
    return (text, "") if public else ("", text)


def _add_entry(user, lst, section, entry: formats.ParsedEntry, matcher: RecordMatcher, note: str,
               batch: list_services.ChangeBatch, sections: _Sections | None = None, record=None, *,
               notes_public: bool = False) -> EntryReport:
    """One entry added to the list (or refused by the lists app's rules), as its report line; in a
    transaction of its own that takes its part of the import's librarian task (LST-6) with it.  An
    entry of a spreadsheet or Word file brings its section (by title), tags and notes; one kept as
    a Word paragraph's text is tagged "Needs review"."""
    if isinstance(entry, tables.RowEntry) and entry.kind:
        return _section_note(user, lst, section, entry, batch, sections)
    if entry.csl is None:
        return EntryReport(entry.position, "rejected", entry.label, rule="LST-9", detail=entry.error, line=entry.line)
    public_note, library_note = entry_notes(entry, public=notes_public)
    extra: dict = {"public_note": public_note, "library_note": library_note}
    if isinstance(entry, tables.RowEntry):  # a spreadsheet row's own note columns win
        extra = {"tags": [*entry.tags, *(["needs_review"] if entry.review else [])],
                 "public_note": entry.public_note or public_note, "library_note": entry.library_note or library_note}
    try:
        with batch.entry():
            if isinstance(entry, tables.RowEntry) and entry.section and sections is not None:
                section = sections(entry.section, section)
            citation = list_services.add_citation(user, lst, section, metadata=entry.csl, note=note,
                                                  record=record or matcher.match(entry.csl), **extra)
        # (a created entry's detail: the look-up that failed, and why — kept as written instead)
        return EntryReport(entry.position, "created", citation.title, citation.pk, line=entry.line,
                           detail=getattr(entry, "lookup_failed", ""), dropped=list(entry.dropped),
                           review=bool(getattr(entry, "review", False)))
    except RuleViolation as exc:
        if exc.status in (403, 404):
            raise
        return EntryReport(entry.position, "rejected", entry.csl.get("title", ""), rule=exc.rule,
                           detail=exc.detail, line=entry.line, dropped=list(entry.dropped))


def _noted(old: str, note: str) -> str | None:
    """``old`` with ``note`` added after it; None when it says it already (an import run twice)."""
    note = note.strip()
    if not note or note in old:
        return None
    return f"{old.rstrip()}\n\n{note}".strip()


def _section_note(user, lst, section, entry: tables.RowEntry, batch: list_services.ChangeBatch,
                  sections: _Sections | None) -> EntryReport:
    """LST-1, LST-3 (session 22): instructions in a Word document (or pasted with citations) as a
    note for students — under a heading, its section's description (the section of that title,
    made if the list has none; else the section the import goes to); above every heading and item,
    the list's description — added after what it already says, not twice."""
    with batch.entry():
        if entry.kind == "list":
            lst.refresh_from_db(fields=["description"])
            if (description := _noted(lst.description, entry.public_note)) is not None:
                refuse_too_long("LST-1", ResourceList, description=description)
                list_services.update_list(user, lst, description=description)
            return EntryReport(entry.position, "note", lst.title, line=entry.line)
        target = sections(entry.section, section) if sections is not None and entry.section else section
        if target is None:
            target = list_services.last_section(lst) or list_services.add_section(user, lst, title=entry.section or "Readings")
        target.refresh_from_db(fields=["description"])
        if (description := _noted(target.description, entry.public_note)) is not None:
            refuse_too_long("LST-1", Section, description=description)
            list_services.update_section(user, target, description=description)
    return EntryReport(entry.position, "note", target.title, line=entry.line)


def import_into_list(user, list_id: int, text: str, *, filename: str = "", fmt: str = "", section_id: int | None = None,
                     notes_public: bool = False) -> ListImportReport:
    """Add every readable RIS/BibTeX entry to the list; each entry is added (or refused by the
    lists app's rules, e.g. an invalid ISBN) on its own, and the report says which.  The entries'
    notes go to the library's note, or with ``notes_public`` to the public note (:func:`entry_notes`)."""
    lst, section, detected, entries = _read(user, list_id, text, filename=filename, fmt=fmt, section_id=section_id)
    return _import_entries(user, lst, section, detected, entries, filename, notes_public=notes_public)


def _import_entries(user, lst, section, detected: str, entries: list, filename: str, *,
                    notes_public: bool = False) -> ListImportReport:
    section = section or list_services.last_section(lst)  # read once, not per entry (None: the first entry makes one)
    report = ListImportReport(format=detected)
    matcher = RecordMatcher(user, [entry.csl for entry in entries if entry.csl is not None])  # one query for all
    note = _note(detected, filename)
    sections = _Sections(user, lst)
    # LST-6: on a list the library has, the import is one librarian task naming its items, not one per item
    # one read of the institution's configuration (style, initial status) for the whole file
    # session 24: the entries committed in chunks (IMPORT_CHUNK), each entry a savepoint of its own
    with config.read_once(), list_services.one_task(lst, _imported(detected, filename)) as batch:
        for start in range(0, len(entries), IMPORT_CHUNK):
            ready = [_looked_up(user, entry) for entry in entries[start:start + IMPORT_CHUNK]]  # outside the transaction
            failure = None
            with transaction.atomic():
                for entry, record in ready:
                    try:
                        with transaction.atomic():
                            report.add(_add_entry(user, lst, section, entry, matcher, note, batch, sections, record,
                                                  notes_public=notes_public))
                    except Exception as exc:  # the entries before it stay imported, as with a commit each
                        failure = exc
                        break
            if failure is not None:
                raise failure
    return report


# --- spreadsheets (.xlsx, .csv) and Word (.docx) (LST-9, session 20) ---------------------------

def _with_tag_codes(entries: list, *, may_set_system: bool) -> list:
    """The entries' tags as the list's tag codes; a tag the list does not know (or a system tag
    only the library sets) is left out and named in the entry's dropped fields, never silently."""
    names = tag_vocabulary.names()
    out = []
    for entry in entries:
        if not isinstance(entry, tables.RowEntry) or not entry.tags:
            out.append(entry)
            continue
        codes, dropped = [], list(entry.dropped)
        for tag in entry.tags:
            code = tag_vocabulary.tag_code(tag, names)
            if code is None or tag_vocabulary.TAGS[code].system and not may_set_system:
                dropped.append(f"tag {tag[:40]!r}")
            elif code not in codes:
                codes.append(code)
        out.append(dataclasses.replace(entry, tags=tuple(codes), dropped=tuple(dropped)))
    return out


@dataclass
class OfficeFile:
    """A spreadsheet or Word file read for the list import: its kind, its entries and, for a
    spreadsheet, its table and the mapping its entries were read with (the preview's columns)."""

    kind: str
    entries: list
    table: tables.Table | None = None
    mapping: list[str] = field(default_factory=list)


def _read_office(user, list_id: int, raw: bytes, *, filename: str, kind: str, mapping=None,
                 section_id: int | None = None, sheet=None, header_row: int | None = None, strict: bool = True):
    """(list, section, the file read) — who may not import hears 403/404 before the file is opened.
    A Word document kept as a table (its header row names known columns) is read as a spreadsheet."""
    lst, section = list_and_section(user, list_id, section_id)
    acc = ensure_edit(user, lst)
    table = documents.table_of(raw) if kind == "docx" else None
    if kind == "docx" and (sheet not in (None, "") or header_row is not None):
        raise RuleViolation("LST-9", "sheet and header_row are for spreadsheets: a Word document's table is found "
                                     "by its header row", field="sheet" if sheet not in (None, "") else "header_row")
    if kind == "docx" and table is None:
        read = OfficeFile(kind, documents.entries_of(raw))
        if not read.entries:
            raise RuleViolation("LST-9", "the Word document has no paragraph of text: nothing to import", field="file")
    else:
        table = table or tables.read_table(raw, filename, kind, sheet=sheet, header_row=header_row)
        columns = tables.parse_mapping(mapping, table.headers)
        read = OfficeFile(kind, tables.entries_of(table, columns, strict=strict), table, columns)
        if not read.entries:
            raise RuleViolation("LST-9", f"the spreadsheet has a header row (row {table.header_row}) and no row of "
                                         "citations below it: nothing to import", field="file")
    read.entries = _with_tag_codes(read.entries, may_set_system=bool(getattr(acc, "process", False)))
    return lst, section, read


def preview_office_file(user, list_id: int, raw: bytes, *, filename: str = "", kind: str, mapping=None,
                        rows: int = 20, sheet=None, header_row: int | None = None) -> dict:
    """What importing a spreadsheet or Word file would do, before anything is imported: its
    columns with their fields (guessed from the headers, or as ``mapping`` says), its first
    ``rows`` rows (paragraphs) with each one's problems, and how many rows will be refused."""
    _lst, _section, read = _read_office(user, list_id, raw, filename=filename, kind=kind, mapping=mapping,
                                        sheet=sheet, header_row=header_row, strict=False)
    table = read.table
    shown = []
    refused = 0
    for n, entry in enumerate(read.entries):
        problems = tables.problems(entry) + [f"not imported: {d}" for d in entry.dropped]
        refused += entry.csl is None and not entry.kind
        if n < rows:
            cells = (table.rows[n][1] if table is not None else [entry.csl["title"] if entry.csl else entry.public_note])
            shown.append({"row": entry.line, "values": cells, "section": entry.section, "problems": problems,
                          "refused": entry.csl is None and not entry.kind, "kind": entry.kind or "citation",
                          "public_note": entry.public_note if table is None else "",
                          "identifier": entry.lookup if table is None else "",
                          "review": bool(entry.review), "read": _fields_read(entry) if table is None else ""})
    columns = ([{"index": i, "header": h, "field": read.mapping[i]} for i, h in enumerate(table.headers)]
               if table is not None else [])
    return {"format": read.kind, "header_row": table.header_row if table is not None else 0, "columns": columns,
            "sheet": table.sheet if table is not None else "", "sheets": table.sheets if table is not None else [],
            "table": read.kind == "docx" and table is not None,
            "fields": [{"code": code, "label": str(label)} for code, label in tables.FIELDS],
            "total": len(read.entries), "refused": refused, "rows": shown}


def fields_read(csl: dict) -> list[tuple[str, str]]:
    """The fields read from a reference (a Word paragraph, a pasted citation), labelled in the reader's
    language as the item form labels them — the one way both previews say what was read."""
    names = csl.get("author") or csl.get("editor") or []
    authors = "; ".join((n.get("literal") or ", ".join(p for p in (n.get("family"), n.get("given")) if p)).replace("\n", " ")
                        for n in names[:10])
    fields = [(gettext("Authors"), authors), (gettext("Year"), str(((csl.get("issued") or {}).get("date-parts") or [[""]])[0][0] or "")),
              (gettext("Title"), csl.get("title", "")), (gettext("Book, journal or site title"), csl.get("container-title", "")),
              (gettext("Edition"), csl.get("edition", "")), (gettext("Volume"), csl.get("volume", "")),
              (gettext("Issue"), csl.get("issue", "")), (gettext("Pages"), csl.get("page", "")),
              (gettext("Publisher"), csl.get("publisher", "")), ("DOI", csl.get("DOI", "")), ("ISBN", csl.get("ISBN", "")),
              (gettext("Web address (URL)"), csl.get("URL", ""))]
    return [(label, str(value)) for label, value in fields if value]


def _fields_read(entry) -> str:
    """What a Word paragraph was read into, for the preview: "Authors: …; Year: …; Title: …"."""
    if getattr(entry, "review", False) or not entry.csl:
        return ""
    return "; ".join(f"{label}: {value}" for label, value in fields_read(entry.csl))


# --- citations pasted into the list editor (LST-2, LST-9, session 22) ----------------------------

#: the most entries read from a paste (its characters: ``forms.PASTE_CHARS``, about 150 references)
PASTE_ENTRIES = 200


#: a line that ends a sentence or a reference: a full stop, a bracket, or a web address / DOI at its end
_ENDS = re.compile(r"(?:[.!?)\]]|https?://\S+|\b10\.\d{4,9}/\S+)$")
_YEAR = re.compile(rf"\b{references.YEAR}\b")  # the readers' year (Harvard's "2001a" too)


def _starts_a_paragraph(previous: str, line: str) -> bool:
    """Whether ``line``, below ``previous`` in a block of lines with no blank line between them,
    is a paragraph of its own (LST-1, LST-9): a heading ("Week 2: Reactions") or the line under
    one; or, after a line that ends a sentence, an instruction ("Read chapters 1–3...") or a new
    reference ("Pauling, L. (1931)...": an author's name at its head and a year) — else it
    continues the reference above (wrapped over several lines)."""
    def heading(text: str) -> bool:
        return len(text) <= 120 and not text.endswith(".") and bool(documents.HEADING_TEXT.match(text))

    if heading(previous) or heading(line):
        return True
    if not _ENDS.search(previous):
        return False
    return bool(documents.INSTRUCTION.match(line) or (documents.AUTHOR_HEAD.match(line) and _YEAR.search(line)))


def _pasted_paragraphs(text: str) -> list[str]:
    """The references of a pasted text: one a line (a Word bibliography, a list of DOIs), or — when
    blank lines part them — one a block of lines (a reference wrapped over several lines); inside a
    block, a heading, an instruction or a new reference on a line of its own is still a paragraph of
    its own (a bibliography of one reference a line, its weeks parted by blank lines)."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if any(not line.strip() for line in lines) and any(len(block.strip().split("\n")) > 1
                                                       for block in re.split(r"\n\s*\n", text)):
        paragraphs: list[str] = []
        for block in re.split(r"\n\s*\n", text):
            current: list[str] = []
            for line in (" ".join(line.split()) for line in block.split("\n")):
                if not line:
                    continue
                if current and _starts_a_paragraph(current[-1], line):
                    paragraphs.append(" ".join(current))
                    current = []
                current.append(line)
            if current:
                paragraphs.append(" ".join(current))
        return paragraphs
    return [line.strip() for line in lines if line.strip()]


def read_pasted(text: str) -> tuple[str, list]:
    """(format, entries) of text an instructor pasted (LST-9): a RIS, BibTeX or CSL-JSON record,
    read by the import's readers; otherwise formatted references (APA, Harvard, Chicago, MLA...),
    DOIs or ISBNs, one a line, read as a Word document's paragraphs are (``documents``: a reference
    read into fields, else kept as its text and tagged "Needs review"; a DOI or ISBN looked up;
    an instruction a note for students).  Bounded: ``PASTE_CHARS`` characters, ``PASTE_ENTRIES``
    entries, ``LIST_IMPORT_INLINE_LOOKUPS`` identifiers to look up."""
    text = strip_control(text or "").strip()
    if not text:
        raise RuleViolation("LST-9", "paste one or more references (APA, Harvard, Chicago, MLA...), a RIS or BibTeX "
                                     "record, a DOI or an ISBN", field="text")
    if len(text) > PASTE_CHARS:
        raise RuleViolation("LST-9", f"at most {PASTE_CHARS} characters can be pasted at once ({len(text)} pasted): "
                                     "paste fewer references, or import them as a file", field="text")
    detected = formats.detect(text)
    if detected == "csl-json":
        try:
            jsondata.loads(text)
        except ValueError:  # "[1] Smith, J. (2010)...": a numbered reference, not JSON
            detected = ""
    entries: list[formats.ParsedEntry]
    if detected:
        detected, entries = formats.parse(text, detected)
    else:
        detected, entries = "text", list(documents.entries_of_paragraphs([("", p) for p in _pasted_paragraphs(text)]))
    if not any(not getattr(e, "kind", "") for e in entries):
        raise RuleViolation("LST-9", "nothing pasted reads as a reference, a DOI or an ISBN: nothing to add", field="text")
    if len(entries) > PASTE_ENTRIES:
        raise RuleViolation("LST-9", f"at most {PASTE_ENTRIES} references can be pasted at once ({len(entries)} "
                                     "pasted): import them as a file", field="text")
    lookups = sum(1 for e in entries if getattr(e, "lookup", "") and e.csl is not None)
    if lookups > inline_lookups():
        raise RuleViolation("LST-9", f"at most {inline_lookups()} DOIs or ISBNs are looked up at once ({lookups} "
                                     "pasted): paste fewer, or import them as a file", field="text")
    return detected, entries


def preview_pasted(user, list_id: int, text: str) -> dict:
    """What adding pasted citations would add (LST-9), before anything is added: the format it was
    read as, and each entry with the fields read, whether it needs review, the identifier it will be
    looked up by, and the notes for students it carries.  Who may not edit the list hears 403/404
    before anything is read."""
    lst, _section = list_and_section(user, list_id, None)
    ensure_edit(user, lst)
    detected, entries = read_pasted(text)
    rows = []
    for entry in entries:
        kind = getattr(entry, "kind", "") or "citation"
        csl = entry.csl or {}
        rows.append({"line": entry.line or entry.position, "kind": kind, "title": csl.get("title", ""),
                     "csl": csl, "read": _fields_read(entry) if kind == "citation" else "",
                     "fields": fields_read(csl) if kind == "citation" else [],
                     "section": getattr(entry, "section", ""), "public_note": getattr(entry, "public_note", ""),
                     "identifier": getattr(entry, "lookup", ""), "review": bool(getattr(entry, "review", False)),
                     "refused": entry.csl is None and kind == "citation",
                     "problems": ([entry.error] if entry.csl is None and kind == "citation" else
                                  tables.problems(entry) if isinstance(entry, tables.RowEntry) else [])
                                 + [f"not imported: {d}" for d in entry.dropped]})
    citations = [r for r in rows if r["kind"] == "citation"]
    return {"format": detected, "format_name": FORMAT_NAMES.get(detected, detected), "total": len(citations),
            "review": sum(1 for r in citations if r["review"]), "refused": sum(1 for r in citations if r["refused"]),
            "rows": rows}


def add_pasted(user, list_id: int, text: str, *, section_id: int | None = None) -> ListImportReport:
    """Add pasted citations to the list (LST-9), into the chosen section (else the sections their
    headings name, else the last one), as an import does: each entry on its own (refused by the
    lists app's rules, or added; a reference not read whole tagged "Needs review"), one librarian
    task for them all on a list the library has (LST-6); the per-entry report."""
    lst, section = list_and_section(user, list_id, section_id)
    ensure_edit(user, lst)
    detected, entries = read_pasted(text)
    if section is not None:  # the section chosen wins over the headings pasted with the references
        entries = [dataclasses.replace(e, section="") if isinstance(e, tables.RowEntry) else e for e in entries]
    return _import_entries(user, lst, section, detected, entries, "")


def inline_lookups() -> int:
    """How many identifier lookups an import makes within the request; more go to the background."""
    return int(setting_within("LIST_IMPORT_INLINE_LOOKUPS", 3, 0, 50))


def import_office_file(user, list_id: int, raw: bytes, *, filename: str = "", kind: str, mapping=None,
                       section_id: int | None = None, sheet=None, header_row: int | None = None):
    """Import a spreadsheet (by ``mapping``, else the guessed one) or a Word document into the list,
    through the same import as RIS/BibTeX: the per-entry report — or, for a file whose entries are
    over ``LIST_IMPORT_INLINE_BYTES`` or that needs more than ``LIST_IMPORT_INLINE_LOOKUPS``
    identifier lookups, its background import (a :class:`ListImport`), within the same bounds."""
    lst, section, read = _read_office(user, list_id, raw, filename=filename, kind=kind, mapping=mapping,
                                      section_id=section_id, sheet=sheet, header_row=header_row)
    pending = [dataclasses.asdict(e) for e in read.entries]
    lookups = sum(1 for e in read.entries if e.csl is not None and e.lookup)
    if len(json.dumps(pending, ensure_ascii=False)) > settings.LIST_IMPORT_INLINE_BYTES or lookups > inline_lookups():
        with transaction.atomic():
            _ensure_room(user, lst)
            return ListImport.objects.create(resource_list=lst, section=section, actor=user, filename=filename[:255],
                                             format=kind, text="", pending=pending, total=len(pending),
                                             created_at=clock.now())
    return _import_entries(user, lst, section, kind, read.entries, filename)


# --- a large file, in the background (LST-9, session 18) -------------------------------------

def queue_import(user, list_id: int, text: str, *, filename: str = "", fmt: str = "", section_id: int | None = None,
                 notes_public: bool = False):
    """Queue a file too large to import within the request (``formats.IMPORT_INLINE_BYTES``): who
    may not import, a section of another list and a file that is no citation file at all are
    refused at once, as in the request; so is a file over the bounds of imports waiting or running
    at once (:func:`_ensure_room`); the rest is read and imported by the timer's sweep
    (:func:`run_imports`), and the list's page and ``GET /api/v1/lists/{id}/imports/{id}`` show
    how far it has got."""
    lst, section = list_and_section(user, list_id, section_id)
    ensure_edit(user, lst)
    refuse_empty_file(text, filename)
    text = strip_control(text)
    if not (fmt or formats.detect(text, filename)):
        raise RuleViolation("LST-9", formats.not_a_citation_file(text), field="file")
    with transaction.atomic():
        _ensure_room(user, lst)
        return ListImport.objects.create(resource_list=lst, section=section, actor=user, filename=filename[:255],
                                         format=(fmt or "")[:20], text=text, created_at=clock.now(),
                                         notes_public=bool(notes_public))


def _ensure_room(user, lst) -> None:
    """LST-9 (session 19): at most ``LIST_IMPORT_MAX_ACTIVE_PER_LIST`` background imports waiting
    or running into one list (409: the list is busy) and ``LIST_IMPORT_MAX_ACTIVE_PER_PERSON`` of
    one person's (429, with when to try again) — a worker's minutes each; nothing is stored.  The
    list's and the person's rows are locked first, so that two files sent at once are counted."""
    per_list = int(setting_within("LIST_IMPORT_MAX_ACTIVE_PER_LIST", 2, 1, 10))
    per_person = int(setting_within("LIST_IMPORT_MAX_ACTIVE_PER_PERSON", 3, 1, 20))
    ResourceList.objects.select_for_update().filter(pk=lst.pk).exists()
    type(user).objects.select_for_update().filter(pk=user.pk).exists()
    active = ListImport.objects.filter(status__in=ListImport.ACTIVE)
    if active.filter(resource_list=lst).count() >= per_list:
        raise RuleViolation("LST-9", f"this list already has {per_list} file{'s' if per_list != 1 else ''} waiting or being "
                                     "imported: try again when one has finished, or cancel it", status=409, field="file")
    if active.filter(actor=user).count() >= per_person:
        raise RuleViolation("LST-9", f"you already have {per_person} file{'s' if per_person != 1 else ''} waiting or being "
                                     "imported: try again when one has finished, or cancel it", status=429, field="file",
                            headers={"Retry-After": str(max(int(settings.TICK_SECONDS), 1))})


def cancel_import(user, list_id: int, import_id: int):
    """Cancel a background import still waiting or running (LST-9, session 19): by the person who
    sent it, an owner of the list or the library (its librarians); a collaborator's own only.
    The entries imported before stay on the list (each was imported whole); the sweep stops before
    the next one.  Audited on the list.  409 when it has finished already."""
    lst, _section = list_and_section(user, list_id, None)
    acc = ensure_edit(user, lst)
    with transaction.atomic():
        job = ListImport.objects.select_for_update().filter(resource_list=lst, pk=import_id).first()
        if job is None:
            raise NotFound("LST-9", "no such import of this list")
        if not (job.actor_id == user.pk or acc.owner or acc.process):
            raise PermissionDenied("LST-9", "only who sent the file, the list's owners or the library cancel an import")
        if job.status not in ListImport.ACTIVE:
            raise RuleViolation("LST-9", f"this import is {job.status_label.lower()} already: there is nothing to cancel",
                                status=409)
        job.status, job.finished_at, job.lease_until = ListImport.CANCELLED, clock.now(), None
        job.text, job.pending = "", []
        job.save(update_fields=["status", "finished_at", "lease_until", "text", "pending"])
        audit.event(user, lst, "import cancelled", note=f"import {job.pk} of {job.filename or 'a file'}: "
                                                        f"{job.done} of {job.total} entries handled before",
                    changes={"import": job.pk, "status": [ListImport.RUNNING if job.started_at else ListImport.QUEUED,
                                                          ListImport.CANCELLED]})
    return job


def _entry_of(data: dict) -> formats.ParsedEntry:
    return tables.entry_from_dict(data)


class _Cancelled(Exception):
    """The import was cancelled while an entry was being added: that entry is rolled back."""


def run_imports(now, budget: float, *, max_entries: int | None = None) -> int:
    """The sweep: work on the queued imports, oldest first, for about ``budget`` seconds (and at
    most ``max_entries`` entries); each is leased while worked on (a second runner leaves it
    alone; one that stopped half-way is picked up again when its lease ends, from the first
    entry without a report). The number of entries handled."""
    started, moved = time.monotonic(), 0
    lease = timedelta(seconds=budget * 3 + 60)
    queue = ListImport.objects.filter(status__in=ListImport.ACTIVE).filter(
        Q(lease_until__isnull=True) | Q(lease_until__lte=now)).order_by("created_at", "id").values_list("pk", flat=True)
    for pk in list(queue[:20]):
        if time.monotonic() - started >= budget or (max_entries is not None and moved >= max_entries):
            break
        claimed = ListImport.objects.filter(pk=pk, status__in=ListImport.ACTIVE).filter(
            Q(lease_until__isnull=True) | Q(lease_until__lte=now)).update(lease_until=now + lease)
        if not claimed:
            continue
        job = ListImport.objects.select_related("actor").get(pk=pk)
        try:
            if job.status == ListImport.QUEUED and job.pending:  # a spreadsheet or Word file: read in the request
                job.status, job.started_at = ListImport.RUNNING, clock.now()
                if not ListImport.objects.filter(pk=job.pk, status=ListImport.QUEUED).update(
                        status=job.status, started_at=job.started_at):
                    continue  # cancelled meanwhile
            if job.status == ListImport.QUEUED:  # read the file: once
                lst, section, detected, entries = _read(job.actor, job.resource_list_id, job.text, filename=job.filename,
                                                        fmt=job.format, section_id=job.section_id)
                job.format, job.total, job.text = detected, len(entries), ""
                job.pending = [dataclasses.asdict(e) for e in entries]
                job.status, job.started_at = ListImport.RUNNING, clock.now()
                if not ListImport.objects.filter(pk=job.pk, status=ListImport.QUEUED).update(
                        format=job.format, total=job.total, text="", pending=job.pending, status=job.status,
                        started_at=job.started_at):
                    continue  # cancelled while it was read
            lst, section = list_and_section(job.actor, job.resource_list_id, job.section_id)
            section = section or list_services.last_section(lst)  # once per slice, not per entry
            ensure_edit(job.actor, lst)
            done = set(job.entries.values_list("position", flat=True))
            todo = [_entry_of(d) for d in job.pending if d["position"] not in done]
            matcher = RecordMatcher(job.actor, [e.csl for e in todo if e.csl is not None])
            note = _note(job.format, job.filename)
            sections = _Sections(job.actor, lst)
            finished, failure = True, None
            ready: deque = deque()  # entries looked up, waiting for their chunk's transaction
            position = 0
            # LST-6: one librarian task for the whole import, carried from slice to slice (job.batch)
            # the institution's configuration read once for the slice (session 20), not per entry
            with config.read_once(), list_services.one_task(lst, _imported(job.format, job.filename), resume=job.batch) as batch:
                while True:
                    # the network (identifier look-ups) before the chunk's transaction, never inside it
                    while (len(ready) < IMPORT_CHUNK and position < len(todo)
                           and not _spent(started, budget, max_entries, moved + len(ready))):
                        ready.append(_looked_up(job.actor, todo[position]))
                        position += 1
                    if not ready:
                        finished = position >= len(todo)
                        break
                    added, cancelled, failure = _import_chunk(job, lst, section, ready, matcher, note, batch, sections)
                    moved += added
                    if cancelled or failure is not None:
                        finished = False
                        break
            if failure is not None:  # the chunk's entries before it are committed; the import stops
                raise failure
            if finished:
                with transaction.atomic():
                    if ListImport.objects.filter(pk=job.pk, status=ListImport.RUNNING).update(
                            status=ListImport.DONE, pending=[], finished_at=clock.now(), lease_until=None,
                            notified_at=clock.now()):
                        _letter(job, lst, ListImport.DONE)
                continue
        except RuleViolation as exc:  # the file (no entry...), or the list or the right to edit it gone meanwhile
            _fail(job, exc.rule, exc.detail)
            continue
        except Exception:  # never retried for ever: said, and logged for the operator
            log.exception("list import %s stopped", job.pk)
            _fail(job, "LST-9", "the import stopped on an unexpected error; the entries before it were imported")
            continue
        ListImport.objects.filter(pk=job.pk).update(lease_until=None)  # out of time (or cancelled): the next tick goes on
    return moved


#: LST-9 (session 24): a background import commits its entries in chunks of at most this many —
#: one transaction (one commit, one disk flush) a chunk instead of one an entry; each entry is
#: still a savepoint of its own (an entry refused after it changed something takes its part back)
IMPORT_CHUNK = 25
#: ... and a chunk is closed after about this many seconds (SQLite has one writer at a time: a
#: chunk keeps the others' writes, a student's page view among them, waiting no longer than this)
IMPORT_CHUNK_SECONDS = 0.5


def _spent(started: float, budget: float, max_entries: int | None, moved: int) -> bool:
    return time.monotonic() - started >= budget or (max_entries is not None and moved >= max_entries)


def _import_chunk(job, lst, section, ready: deque, matcher: RecordMatcher, note: str,
                  batch: list_services.ChangeBatch, sections: _Sections) -> tuple[int, bool, Exception | None]:
    """The next entries of ``ready`` added in one transaction, each with its report line and the
    import's progress, until the chunk is full or :data:`IMPORT_CHUNK_SECONDS` have passed.
    Returns (entries added, whether the import was cancelled meanwhile, the error an entry
    stopped on): a cancel or an error rolls back that entry only, and the entries before it in
    the chunk are committed — progress stays durable, nothing is half-written."""
    added, cancelled, failure = 0, False, None
    opened = time.monotonic()
    with transaction.atomic():
        while ready and added < IMPORT_CHUNK and (added == 0 or time.monotonic() - opened < IMPORT_CHUNK_SECONDS):
            entry, record = ready[0]
            try:
                with transaction.atomic():
                    line = _add_entry(job.actor, lst, section, entry, matcher, note, batch, sections, record,
                                      notes_public=job.notes_public)
                    ListImportEntry.objects.create(job=job, position=line.position, status=line.status,
                                                   title=line.title[:2000], citation_id=line.citation_id,
                                                   rule=line.rule, detail=line.detail, line=line.line,
                                                   dropped=line.dropped)
                    if not ListImport.objects.filter(pk=job.pk, status=ListImport.RUNNING).update(
                            done=models.F("done") + 1, batch=batch.state()):
                        raise _Cancelled
            except _Cancelled:
                cancelled = True
                break
            except Exception as exc:  # said by run_imports once the entries before it are committed
                failure = exc
                break
            ready.popleft()
            added += 1
    return added, cancelled, failure


def _fail(job, rule: str, detail: str) -> None:
    with transaction.atomic():
        if type(job).objects.filter(pk=job.pk, status__in=ListImport.ACTIVE).update(
                status=type(job).FAILED, rule=rule[:20], detail=detail, text="", pending=[], finished_at=clock.now(),
                lease_until=None, notified_at=clock.now()):
            job.rule, job.detail = rule[:20], detail
            _letter(job, job.resource_list, ListImport.FAILED)


#: how many rules that skipped entries a letter names, with how many examples each (the rest: on the report's page)
LETTER_REASONS = 10
LETTER_EXAMPLES = 3


def _letter(job, lst, status: str) -> None:
    """LST-9 (session 19): the letter to who sent the file that its background import finished
    (``list_import_done``: how many entries were added, how many skipped and why) or failed
    (``list_import_failed``) — queued through the outbox in the transaction that marks the import
    finished, so that it goes exactly once whatever the timer retries (its key is the import's)."""
    actor = job.actor
    rows = ListImportEntry.objects.filter(job_id=job.pk)
    added = rows.filter(status="created").count()
    skipped = rows.exclude(status="created")
    n_skipped = skipped.count()
    reasons = []
    for group in skipped.values("rule").annotate(n=Count("id")).order_by("-n", "rule")[:LETTER_REASONS]:
        examples = list(skipped.filter(rule=group["rule"]).order_by("position").values_list("detail", flat=True)[:LETTER_EXAMPLES])
        more = "; …" if group["n"] > len(examples) else ""
        reasons.append(f"- {group['rule']} ({group['n']}): {'; '.join(examples)}{more}")
    context = {"owner": actor.get_full_name() or actor.username, "list_title": lst.title, "filename": job.filename or "—",
               "added": added, "skipped": n_skipped, "reasons": "\n".join(reasons),
               "link": reverse("lists:edit", args=[lst.pk]),
               "report_link": reverse("catalog:list-import-status", args=[lst.pk, job.pk])}
    if status == ListImport.FAILED:
        context.update(rule=job.rule, detail=job.detail, handled=added + n_skipped)
    code = "list_import_done" if status == ListImport.DONE else "list_import_failed"
    queue_letter(code, actor, context, key=f"lists:import:{job.pk}:finished", institution=lst.institution)


def import_report(job, *, entries: bool = True) -> dict:
    """A background import as the API and the list page show it: its progress, and when done the
    same report as an import within the request (format, read, created, refused, dropped, entries;
    ``entries=False``: the progress only, as the list's import panel shows it)."""
    rows = list(job.entries.all()) if entries and job.status in (job.DONE, job.FAILED, job.CANCELLED) else []
    report = ListImportReport(format=job.format if job.total else "")
    for r in rows:
        report.add(EntryReport(r.position, r.status, r.title, r.citation_id, r.rule, r.detail, r.line, list(r.dropped)))
    return {"import_id": job.pk, "list_id": job.resource_list_id, "status": job.status, "status_label": job.status_label,
            "filename": job.filename, "total": job.total, "done": job.done, "rule": job.rule, "detail": job.detail,
            "created_at": job.created_at, "finished_at": job.finished_at,
            "format": report.format, "read": report.read if rows else job.total, "created": report.created,
            "rejected": len(report.rejected), "dropped": report.dropped, "entries": [vars(e) for e in report.entries]}


def list_imports(user, list_id: int, *, limit: int = 5) -> list:
    """The list's latest background imports, for its editors (newest first)."""
    lst, _section = list_and_section(user, list_id, None)
    ensure_edit(user, lst)
    return list(ListImport.objects.filter(resource_list=lst).defer("text", "pending").order_by("-created_at", "-id")[:limit])


def list_import(user, list_id: int, import_id: int):
    """One background import of the list (404 for another list's, 403 for who may not edit it)."""
    lst, _section = list_and_section(user, list_id, None)
    ensure_edit(user, lst)
    job = ListImport.objects.filter(resource_list=lst, pk=import_id).defer("text", "pending").first()
    if job is None:
        raise NotFound("LST-9", "no such import of this list")
    return job


def item_context(user, citation_id: int) -> tuple[str, str] | None:
    """(list title, the item on the list's student view) when ``user`` sees the item's list, else
    None: Find it's "Back to <list>" (DSV-6) never names a list its reader cannot open."""
    citation = list_selectors.citation_seen_by(user, citation_id)
    if citation is None:
        return None
    lst = citation.resource_list
    return lst.title, reverse("lists:view", args=[lst.pk]) + f"#item-{citation.pk}"


def list_items(user, list_id: int) -> tuple[object, list[dict]]:
    """(list, the CSL-JSON of its citations in list order) for a user who may see the list."""
    lst, _access = list_selectors.list_for(user, list_id)
    citations = (Citation.objects.filter(resource_list=lst).select_related("section")
                 .order_by("section__position", "section_id", "position", "id"))
    items = []
    for c in citations:
        data = cslmod.clean(dict(c.metadata or {}))
        data.setdefault("title", c.title)
        data.setdefault("type", getattr(c, "csl_type", "book"))
        items.append(data)
    return lst, items

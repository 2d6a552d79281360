"""Changes of state in the catalog (DSV-1, DSV-3): records, holdings, items, e-resources,
digital representations, and each user's personal collection ("My collection").

Every verb runs in one transaction, checks who may do it, and writes the audit trail.
Bulk loaders (MARC import, demo, bench) call :func:`save_record` without an actor.
"""
from __future__ import annotations

import mimetypes
from dataclasses import dataclass
from typing import Iterable

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction

from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation, refuse_too_big, refuse_too_long
from syllabus.org.models import Institution, Library, User

from syllabus.citations import csl as cslmod
from syllabus.citations import identifiers

from .permissions import (  # noqa: F401  (re-exported: the services' old names)
    CATALOGUER_ROLES, INVENTORY_ROLES, can_catalog, can_manage_representations, ensure_can_catalog,
    ensure_can_manage_representations,
)
from .models import CollectionEntry, EResource, Holding, Item, Record, Representation, RepresentationFile

ITEM_STATUSES = set(Item.Status.values)


# --- records ------------------------------------------------------------------------------

@dataclass
class Saved:
    record: Record
    outcome: str  # created | updated | unchanged


def _record_columns(csl: dict) -> dict:
    """The plain columns of a catalog ``Record`` derived from its CSL-JSON."""
    isbns = [identifiers.normalize_isbn(v) for v in identifiers.split_identifiers(csl.get("ISBN"))]
    issns = [identifiers.normalize_issn(v) for v in identifiers.split_identifiers(csl.get("ISSN"))]
    return {
        "type": (csl.get("type") or "book")[:40],
        "title": (csl.get("title") or "")[:1000],
        "creators": cslmod.creators_text(csl),
        "year": cslmod.year_of(csl),
        "edition": str(csl.get("edition") or "")[:100],
        "publisher": (csl.get("publisher") or "")[:300],
        "isbn": next((i for i in isbns if i), "") or "",
        "issn": next((i for i in issns if i), "") or "",
        "doi": identifiers.doi_key(csl.get("DOI"))[:200],  # folded: the column is for comparing
        "container_title": (csl.get("container-title") or "")[:500],
        "language": (csl.get("language") or "")[:12],
        "notes": cslmod.notes_text(csl),
        "work_key": cslmod.work_key(csl),
    }


def _record_values(csl: dict, subjects: Iterable[str], extra_identifiers: Iterable[str]) -> dict:
    values = _record_columns(csl)
    values["subjects"] = "; ".join(dict.fromkeys(s.strip() for s in subjects if s and s.strip()))
    values["identifiers"] = " ".join(cslmod.identifier_tokens(csl, extra_identifiers))
    values["csl"] = csl
    return values


def record_values(csl: dict, subjects: Iterable[str] = (), extra_identifiers: Iterable[str] = ()) -> dict:
    """The column values of a record with this metadata (CSL-JSON cleaned, type defaulted)."""
    csl = cslmod.clean(csl)
    if not csl.get("title"):
        raise RuleViolation("DSV-1", "a record needs a title", field="title")
    csl.setdefault("type", "book")
    subjects = list(subjects) or [s.strip() for s in str(csl.get("keyword", "")).split(";") if s.strip()]
    return _record_values(csl, subjects, extra_identifiers)


_UNKNOWN = object()


def save_record(actor: User | None, institution: Institution, csl: dict, *, source_id: str | None = None,
                subjects: Iterable[str] = (), extra_identifiers: Iterable[str] = (), audit_trail: bool = True,
                existing=_UNKNOWN) -> Saved:
    """Create the record ``(institution, source_id)`` or bring it up to date: idempotent, so
    that a reload of the same data changes nothing (``outcome == "unchanged"``).  Bulk loaders
    pass ``existing`` (the record or None) when they have already looked it up."""
    values = record_values(csl, subjects, extra_identifiers)
    with transaction.atomic():
        if existing is _UNKNOWN:
            existing = None
            if source_id:
                existing = Record.objects.select_for_update().filter(institution=institution, source_id=source_id).first()
        if existing is None:
            record = Record(institution=institution, source_id=source_id or "", **values)
            record.save()
            if not source_id:
                record.source_id = f"syllabus:{record.pk}"
                record.save(update_fields=["source_id"])
            if audit_trail:
                audit.created(actor, record)
            return Saved(record, "created")
        changed = {k: v for k, v in values.items() if getattr(existing, k) != v}
        if not changed:
            return Saved(existing, "unchanged")
        changes = {k: [getattr(existing, k), v] for k, v in changed.items() if k != "csl"}
        for k, v in changed.items():
            setattr(existing, k, v)
        existing.updated_at = clock.now()
        existing.save(update_fields=[*changed, "updated_at"])
        if audit_trail:
            audit.changed(actor, existing, changes)
        return Saved(existing, "updated")


def create_record(actor: User, institution: Institution, csl: dict) -> Record:
    ensure_can_catalog(actor, institution)
    try:
        clean = cslmod.clean(csl, strict=True)
    except ValueError as exc:
        raise RuleViolation("DSV-1", str(exc))
    return save_record(actor, institution, clean).record


def update_record(actor: User, record: Record, csl: dict) -> Record:
    ensure_can_catalog(actor, record.institution)
    try:
        clean = cslmod.clean(csl, strict=True)
    except ValueError as exc:
        raise RuleViolation("DSV-1", str(exc))
    subjects = [s for s in record.subjects.split("; ") if s]
    return save_record(actor, record.institution, clean, source_id=record.source_id, subjects=subjects).record


# --- inventory ----------------------------------------------------------------------------

def _library_of(record: Record, library: Library) -> Library:
    if library.institution_id != record.institution_id:
        raise RuleViolation("DSV-1", f"library {library.code} is not a library of the institution that holds the record")
    return library


def add_item(actor: User | None, record: Record, library: Library, barcode: str, *, location: str = "", call_number: str = "",
             item_type: str = "", description: str = "", status: str = Item.Status.IN_PLACE,
             holding: Holding | None = None) -> Item:
    if actor is not None:
        ensure_can_catalog(actor, record.institution)
    _library_of(record, library)
    barcode = (barcode or "").strip()
    if not barcode:
        raise RuleViolation("DSV-1", "an item needs a barcode", field="barcode")
    if status not in ITEM_STATUSES:
        raise RuleViolation("DSV-1", f"item status must be one of {', '.join(sorted(ITEM_STATUSES))}", field="status")
    refuse_too_long("DSV-1", Item, barcode=barcode, location=location.strip(), call_number=call_number.strip(),
                    item_type=item_type, description=description.strip())
    try:
        with transaction.atomic():
            if holding is None:
                holding, _ = Holding.objects.get_or_create(record=record, library=library, location=location.strip(),
                                                           call_number=call_number.strip())
            item = Item.objects.create(record=record, library=library, barcode=barcode, location=location.strip(),
                                       call_number=call_number.strip(), item_type=item_type or _item_type(record),
                                       description=description.strip(), status=status, holding=holding)
            if actor is not None:
                audit.created(actor, item)
            return item
    except IntegrityError:
        raise RuleViolation("DSV-1", f"an item with barcode {barcode} already exists", status=409, field="barcode")


def _item_type(record: Record) -> str:
    return {"periodical": "journal", "motion_picture": "video", "song": "audio", "map": "map",
            "musical_score": "score", "thesis": "thesis"}.get(record.type, "book")


def set_item_status(actor: User, item: Item, status: str) -> Item:
    ensure_can_catalog(actor, item.record.institution)
    if status not in ITEM_STATUSES:
        raise RuleViolation("DSV-1", f"item status must be one of {', '.join(sorted(ITEM_STATUSES))}", field="status")
    with transaction.atomic():
        audit.update(actor, item, status=status)
    return item


def add_eresource(actor: User | None, record: Record, url: str, *, provider: str = "", coverage: str = "",
                  coverage_from: int | None = None, coverage_to: int | None = None, open_access: bool = False) -> EResource:
    if actor is not None:
        ensure_can_catalog(actor, record.institution)
    url = (url or "").strip()
    if not url.lower().startswith(("http://", "https://")):
        raise RuleViolation("DSV-1", "an e-resource needs an http(s) URL", field="url")
    if coverage_from and coverage_to and coverage_to < coverage_from:
        raise RuleViolation("DSV-1", "coverage ends before it starts", field="coverage_to")
    refuse_too_long("DSV-1", EResource, url=url, provider=provider, coverage=coverage)
    with transaction.atomic():
        if not coverage and (coverage_from or coverage_to):
            coverage = f"{coverage_from or ''}-{coverage_to or 'present'}"
        eres = EResource.objects.create(record=record, institution=record.institution, url=url, provider=provider,
                                        coverage=coverage, coverage_from=coverage_from, coverage_to=coverage_to,
                                        open_access=open_access)
        if actor is not None:
            audit.created(actor, eres)
        return eres


def _mime(upload) -> str:
    try:
        import magic

        head = upload.read(4096)
        upload.seek(0)
        return magic.from_buffer(head, mime=True)
    except Exception:  # libmagic missing: fall back on the name
        return mimetypes.guess_type(getattr(upload, "name", ""))[0] or "application/octet-stream"


def add_representation(actor: User | None, record: Record, library: Library, *, label: str = "",
                       files: Iterable[UploadedFile] = (), active: bool = True, related_items: Iterable[Item] = ()) -> Representation:
    """A digital representation of ``record`` held by ``library`` with its files; the first
    file is ``Representation.file``, the others ``extra_files`` in order."""
    if actor is not None:
        ensure_can_manage_representations(actor, record.institution)
    _library_of(record, library)
    files = list(files)
    related = list(related_items)
    if any(i.record_id != record.pk for i in related):
        raise RuleViolation("DSV-1", "related physical items must be items of the same record", field="related_items")
    with transaction.atomic():
        rep = Representation(record=record, library=library, label=label, active=active)
        if files:
            rep.mime_type = _mime(files[0])
            rep.file.save(_safe_name(files[0].name), files[0], save=False)
        rep.save()
        for n, upload in enumerate(files[1:], start=1):
            extra = RepresentationFile(representation=rep, label=upload.name[:300], mime_type=_mime(upload),
                                       size=upload.size or 0, sequence=n)
            extra.file.save(_safe_name(upload.name), upload, save=False)
            extra.save()
        if related:
            rep.related_items.set(related)
        if actor is not None:
            audit.event(actor, rep, "created", changes={
                "record": [None, record.pk], "library": [None, library.code], "label": [None, label], "active": [None, active],
                "files": [None, [getattr(f, "name", "") for f in files]], "related_items": [None, [i.barcode for i in related]]})
        return rep


def _safe_name(name: str) -> str:
    """A generated storage name that keeps only a safe extension."""
    import uuid
    from pathlib import Path

    ext = Path(name or "").suffix.lower()
    ext = ext if ext[1:].isalnum() and len(ext) <= 6 else ""
    return f"{uuid.uuid4().hex}{ext}"


def set_representation_active(actor: User, rep: Representation, active: bool) -> Representation:
    ensure_can_manage_representations(actor, rep.record.institution)
    with transaction.atomic():
        audit.update(actor, rep, active=active)
    return rep


# --- My collection (DSV-3) -----------------------------------------------------------------

def add_to_collection(user: User, *, record: Record | None = None, csl: dict | None = None, note: str = "",
                      source: str = CollectionEntry.Source.SEARCH) -> tuple[CollectionEntry, bool]:
    """Add a catalog record or stand-alone metadata to the user's personal collection.
    Adding a record twice keeps one entry (returns it with ``created=False``)."""
    if not user or not user.is_authenticated:
        raise PermissionDenied("DSV-3", "sign in to keep a personal collection")
    if record is None and not (csl or {}).get("title"):
        raise RuleViolation("DSV-3", "an entry of My collection needs a record or metadata with a title")
    refuse_too_big("DSV-3", csl=csl or {})
    refuse_too_long("DSV-3", CollectionEntry, note=note)
    if record is not None:
        data = dict(record.csl)
    else:
        try:
            data = cslmod.clean(csl or {}, strict=True)
        except ValueError as exc:
            raise RuleViolation("DSV-3", str(exc))
    if source not in CollectionEntry.Source.values:
        source = CollectionEntry.Source.MANUAL
    with transaction.atomic():
        if record is not None:
            existing = CollectionEntry.objects.filter(user=user, record=record).first()
            if existing:
                return existing, False
        entry = CollectionEntry.objects.create(user=user, record=record, title=data.get("title", "")[:1000], csl=data,
                                               note=note, source=source)
        audit.created(user, entry)
        return entry, True


def remove_from_collection(user: User, entry_id: int) -> None:
    with transaction.atomic():
        entry = CollectionEntry.objects.filter(user=user, pk=entry_id).first()
        if entry is None:
            raise NotFound("DSV-3", "no such entry in your collection")
        audit.deleted(user, entry)
        entry.delete()

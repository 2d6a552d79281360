"""Demo catalog: a few thousand real-looking records in the consortium's two catalogs, items in
riverside-main, riverside-science and hillcrest-main, holdings, e-journals and e-books with
coverage, and digital representations with files.

A handful of real classics carry their real ISBNs (Penguin Classics and friends) and a few
real journals their real ISSNs; the rest are generated from word lists with a fixed seed, so
that every run gives the same catalog.  Bulk inserts keep it fast (the full-text index
follows by itself: triggers on SQLite, a generated column on PostgreSQL).
"""
from __future__ import annotations

import random
from typing import Callable

from django.core.files.base import ContentFile
from django.db import transaction

from syllabus.citations import csl as cslmod
from syllabus.citations import identifiers
from syllabus.core.demodata import demo_data
from syllabus.org.models import Institution, Library

from .models import EResource, Holding, Item, Record, Representation
from .services import _record_values

SEED = 20260302
GENERATED = 3000

_DATA = demo_data(__package__)
# real classics with their real ISBNs ({title, family, given, year, publisher, ISBN, call_number, subjects}),
# real journals ({title, ISSN, publisher, url, coverage_from}) and articles (CSL-JSON)
CLASSICS: list[dict] = _DATA["classics"]
JOURNALS: list[dict] = _DATA["journals"]
ARTICLES: list[dict] = _DATA["articles"]
# the word lists the generated records are made of
ADJECTIVES: list[str] = _DATA["adjectives"]
NOUNS: list[str] = _DATA["nouns"]
FIELDS: list[str] = _DATA["fields"]
PLACES: list[str] = _DATA["places"]
TOPICS: list[str] = _DATA["topics"]
FIRST: list[str] = _DATA["first_names"]
LAST: list[str] = _DATA["last_names"]
PUBLISHERS: list[list[str]] = _DATA["publishers"]  # [publisher, place]
LC_CLASSES: dict[str, str] = _DATA["lc_classes"]  # field → LC class of its generated call numbers
LOCATIONS: dict[str, list[str]] = _DATA["locations"]  # library code → shelving locations
STATUSES = ["in_place"] * 15 + ["on_loan"] * 3 + ["in_process", "missing"]


def _isbn(rnd: random.Random) -> str:
    body = "9781" + "".join(str(rnd.randint(0, 9)) for _ in range(8))
    check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
    return body + str(check)


# How a generated title is made, each as likely (``field``: the record's subject field).
_TITLES: tuple[Callable[[random.Random, str], str], ...] = (
    lambda rnd, field: f"{rnd.choice(ADJECTIVES)} {rnd.choice(NOUNS).lower()}: {rnd.choice(TOPICS).lower()} in {rnd.choice(PLACES)}",
    lambda rnd, field: f"An introduction to {field.lower()}",
    lambda rnd, field: f"{field}: {rnd.choice(['a very short introduction', 'principles and practice', 'a critical reader', 'theory and method', 'new perspectives'])}",
    lambda rnd, field: f"{rnd.choice(TOPICS)} and {rnd.choice(TOPICS).lower()} in {rnd.choice(ADJECTIVES).lower()} {rnd.choice(PLACES)}",
    lambda rnd, field: f"The {rnd.choice(ADJECTIVES).lower()} {rnd.choice(NOUNS).lower()} of {rnd.choice(PLACES)}, {rnd.randint(1500, 1950)}-{rnd.randint(1951, 2020)}",
    lambda rnd, field: f"Handbook of {field.lower()}",
    lambda rnd, field: f"{rnd.choice(NOUNS)} of {rnd.choice(TOPICS).lower()}: essays on {field.lower()}",
)


def _title(rnd: random.Random, field: str) -> str:
    return rnd.choice(_TITLES)(rnd, field)


def _pdf(title: str) -> bytes:
    """A one-page PDF saying what it stands for (demo representations need a real file)."""
    text = title.replace("\\", "").replace("(", "").replace(")", "")[:80]
    stream = f"BT /F1 18 Tf 72 720 Td ({text}) Tj 0 -28 Td /F1 12 Tf (Syllabus demo scan) Tj ET".encode("latin-1", "replace")
    objects = [b"<< /Type /Catalog /Pages 2 0 R >>", b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
               b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R /Resources << /Font << /F1 5 0 R >> >> >>",
               b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
               b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
    out, offsets = b"%PDF-1.4\n", []
    for n, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % n + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1) + b"".join(b"%010d 00000 n \n" % o for o in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return out


def _record(institution, source_id: str, data: dict, subjects: list[str]) -> Record:
    data = cslmod.clean(data)
    return Record(institution=institution, source_id=source_id, **_record_values(data, subjects, []))


def load(stdout, *, generated: int = GENERATED) -> None:
    riverside = Institution.objects.filter(code="riverside").first()
    hillcrest = Institution.objects.filter(code="hillcrest").first()
    if riverside is None or hillcrest is None or Record.objects.filter(source_id__startswith="demo:").exists():
        return
    libs = {lib.code: lib for lib in Library.objects.filter(code__in=LOCATIONS)}
    if len(libs) < 3:
        return
    rnd = random.Random(SEED)
    records: list[tuple[Record, list[str]]] = []  # (record, libraries holding it)

    for n, c in enumerate(CLASSICS, start=1):
        author = {"family": c["family"], "given": c["given"]} if c["given"] else {"literal": c["family"]}
        data = {"type": "book", "title": c["title"], "author": [author], "issued": {"date-parts": [[c["year"]]]},
                "publisher": c["publisher"], "ISBN": c["ISBN"], "language": "eng", "call-number": c["call_number"]}
        subjects = c["subjects"]
        records.append((_record(riverside, f"demo:c{n:03d}", data, subjects), ["riverside-main", "riverside-main", "riverside-science"][: rnd.randint(1, 3)]))
        if n % 3 == 0:  # Hillcrest holds every third classic too (its own record of the same work)
            records.append((_record(hillcrest, f"demo:hc{n:03d}", dict(data, publisher="Oxford University Press",
                                                                           ISBN=None, edition="2"), subjects), ["hillcrest-main"]))
    for n, journal in enumerate(JOURNALS, start=1):
        data = {"type": "periodical", "title": journal["title"], "ISSN": journal["ISSN"], "publisher": journal["publisher"]}
        records.append((_record(riverside, f"demo:j{n:03d}", data, ["Periodicals"]), []))
        if n <= 4:
            records.append((_record(hillcrest, f"demo:hj{n:03d}", data, ["Periodicals"]), []))
    for n, data in enumerate(ARTICLES, start=1):
        records.append((_record(riverside, f"demo:a{n:03d}", data, []), []))
    for n in range(1, generated + 1):
        field = rnd.choice(FIELDS)
        people = [{"family": rnd.choice(LAST), "given": rnd.choice(FIRST)} for _ in range(rnd.choice([1, 1, 1, 2, 2, 3]))]
        publisher, place = rnd.choice(PUBLISHERS)
        year = rnd.randint(1955, 2025)
        data = {"type": "book", "title": _title(rnd, field), "issued": {"date-parts": [[year]]}, "publisher": publisher,
                "publisher-place": place, "ISBN": _isbn(rnd) if year >= 1970 else None, "language": "eng"}
        data["editor" if rnd.random() < 0.12 else "author"] = people
        if rnd.random() < 0.2:
            data["edition"] = str(rnd.randint(2, 6))
        subjects = [field, f"{field} -- {rnd.choice(['History', 'Textbooks', 'Study and teaching', 'Research', 'Methodology'])}"]
        institution = riverside if rnd.random() < 0.7 else hillcrest
        if institution == riverside:
            science = field in ("Cell Biology", "Genetics", "Organic Chemistry", "Classical Mechanics", "Linear Algebra", "Calculus",
                                "Data Structures", "Programming", "Statistics", "Climate Science", "Public Health")
            holders = [("riverside-science" if science else "riverside-main")] * rnd.choice([0, 1, 1, 1, 2, 3])
            if rnd.random() < 0.1:
                holders.append("riverside-main" if science else "riverside-science")
        else:
            holders = ["hillcrest-main"] * rnd.choice([0, 1, 1, 2])
        records.append((_record(institution, f"demo:g{n:05d}", data, subjects), holders))

    with transaction.atomic():
        Record.objects.bulk_create([r for r, _ in records], batch_size=500)
        holdings, items = [], []
        barcode = 0
        for record, holders in records:
            for code in dict.fromkeys(holders):
                lib = libs[code]
                location = rnd.choice(LOCATIONS[code])
                field = record.subjects.split("; ")[0] if record.subjects else ""
                call = record.csl.get("call-number") or f"{LC_CLASSES.get(field, 'Z')}{rnd.randint(1, 999)} .{record.title[:1].upper()}{rnd.randint(10, 99)} {record.year or ''}".strip()
                holding = Holding(record=record, library=lib, location=location, call_number=call)
                holdings.append(holding)
                for copy in range(holders.count(code)):
                    barcode += 1
                    items.append(Item(record=record, library=lib, holding=holding, barcode=f"{lib.code[:2].upper()}{barcode:07d}",
                                      location=location, call_number=call, item_type="book", description=f"c.{copy + 1}" if copy else "",
                                      status=rnd.choice(STATUSES)))
        Holding.objects.bulk_create(holdings, batch_size=500)
        for item in items:
            item.holding_id = item.holding.pk
        Item.objects.bulk_create(items, batch_size=500)

        eresources = []
        by_source = {r.source_id: r for r, _ in records}
        for n, journal in enumerate(JOURNALS, start=1):
            start = journal["coverage_from"]
            for prefix, inst in (("demo:j", riverside), ("demo:hj", hillcrest)):
                record = by_source.get(f"{prefix}{n:03d}")
                if record is None:
                    continue
                frm = start if inst == riverside else max(start, 1997)
                eresources.append(EResource(record=record, institution=inst, url=journal["url"], provider=f"{journal['publisher']} online",
                                            coverage=f"{frm}-present", coverage_from=frm))
        for record, _holders in records:
            if record.source_id.startswith("demo:g") and record.isbn and rnd.random() < 0.08:
                eresources.append(EResource(record=record, institution=record.institution, provider="Example e-books",
                                            url=f"https://ebooks.example.org/{record.institution.code}/{record.isbn}"))
            if record.source_id.startswith("demo:a") and record.doi:
                eresources.append(EResource(record=record, institution=record.institution, url=f"https://doi.org/{record.doi}",
                                            provider="Publisher's site (DOI)"))
        EResource.objects.bulk_create(eresources, batch_size=500)

        represented = [r for r, holders in records if r.source_id.startswith("demo:c") and holders][:10]
        for n, record in enumerate(represented):
            lib = libs["riverside-main"]
            rep = Representation(record=record, library=lib, label=f"Digitised copy of {record.title}"[:300],
                                 mime_type="application/pdf", active=n != 9)
            rep.file.save(f"demo-{record.source_id.replace(':', '-')}.pdf", ContentFile(_pdf(record.title)), save=False)
            rep.save()
            rep.related_items.set(Item.objects.filter(record=record, library=lib)[:2])
    stdout.write(f"  catalog: {len(records)} records, {len(items)} items in {len(libs)} libraries, {len(eresources)} e-resources, "
                 f"{len(represented)} digital representations")


def link_list_citations(stdout=None) -> int:
    """Point the demo lists' citations at the catalog records they describe (by DOI, ISBN, then
    title and author, in the list's own institution), as a librarian would when processing a
    list — so that course reserves, course-code search and "lists citing this" have data.
    Called by the lists demo, which loads after the catalog's."""
    try:
        from syllabus.lists.models import Citation
    except (ImportError, LookupError):
        return 0
    from .search import ParsedQuery, SearchParams, parse_query, search

    linked = 0
    for citation in Citation.objects.filter(record__isnull=True, type="book").select_related("resource_list"):
        data = cslmod.clean(dict(citation.metadata or {}))
        query = None
        isbn = identifiers.normalize_isbn((identifiers.split_identifiers(data.get("ISBN")) or [""])[0])
        people = cslmod.names(data, "author") or cslmod.names(data, "editor")
        if isbn:
            query = ParsedQuery(isbn=isbn)
        elif people and people[0].get("family"):
            words = parse_query(data.get("title", "").split(":")[0]).terms[:6]
            query = ParsedQuery(terms=words + parse_query(people[0]["family"]).terms[:2])
        if query is None or query.empty:
            continue
        ids = search(SearchParams(query=query, institution_ids=[citation.resource_list.institution_id], page_size=1,
                                  types=["book"], facets=False)).ids
        if ids:
            citation.record_id = ids[0]
            citation.save(update_fields=["record"])
            linked += 1
    if stdout is not None:
        stdout.write(f"  catalog: {linked} list citations linked to catalog records")
    return linked

"""Formats throughput (issue 13, acceptance 5): records per second for each format of the real
corpus under tests/data/ — RIS, BibTeX and CSL-JSON read (parse → CSL-JSON) and written, and
MARC (binary, MARC-8 and UTF-8) read and mapped, then loaded into a catalog.

The corpus is small, so each file set is read ``repeat`` times; the figure is records/s over
all repetitions (no pass/fail on seconds)."""
from __future__ import annotations

from pathlib import Path

from bench.common import line, setup_django, stopwatch

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def run(args) -> None:
    setup_django("formats")
    import io

    from syllabus.catalog.marc import import_marc, iter_binary, map_record
    from syllabus.citations import formats
    from syllabus.org.models import Consortium, Institution, Library

    repeat = 3 if args.quick else 20
    texts = {"ris": [p.read_text(encoding="utf-8") for p in sorted((DATA / "ris").glob("*.ris"))],
             "bibtex": [p.read_text(encoding="utf-8") for p in sorted((DATA / "bibtex").glob("*.bib"))]}
    items: list[dict] = []
    for fmt, files in texts.items():
        records = 0
        with stopwatch() as read:
            for _ in range(repeat):
                for text in files:
                    entries = formats.parse(text, fmt)[1]
                    records += len(entries)
        items.extend(e.csl for text in files for e in formats.parse(text, fmt)[1] if e.csl)
        line(f"{fmt} read", files=len(files), records=records, seconds=read["seconds"],
             records_per_s=records / read["seconds"])
    csl_json = formats.to_csl_json(items)
    for fmt, write in (("ris", formats.to_ris), ("bibtex", formats.to_bibtex), ("csl-json", formats.to_csl_json)):
        with stopwatch() as wrote:
            for _ in range(repeat):
                write(items)
        line(f"{fmt} write", records=len(items) * repeat, seconds=wrote["seconds"],
             records_per_s=len(items) * repeat / wrote["seconds"])
    with stopwatch() as read_json:
        for _ in range(repeat):
            formats.parse(csl_json, "csl-json")
    line("csl-json read", records=len(items) * repeat, seconds=read_json["seconds"],
         records_per_s=len(items) * repeat / read_json["seconds"])

    marc = b"".join(p.read_bytes() for p in sorted((DATA / "marc").iterdir()) if p.name != "pymarc-bad_records.mrc")
    mapped = 0
    with stopwatch() as parsed:
        for _ in range(repeat):
            for _position, record, _error, _warning in iter_binary(io.BytesIO(marc)):
                if record is not None:
                    map_record(record)
                    mapped += 1
    line("marc read and map", records=mapped, seconds=parsed["seconds"], records_per_s=mapped / parsed["seconds"])

    cons, _ = Consortium.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    inst, _ = Institution.objects.get_or_create(code="bench-u", defaults={"name": "Bench University", "consortium": cons})
    lib, _ = Library.objects.get_or_create(code="bench-l", defaults={"name": "Bench Library", "institution": inst})
    inst.records.all().delete()
    with stopwatch() as loaded:
        report = import_marc(marc, lib)
    line("marc load (first)", records=report.read, seconds=loaded["seconds"], records_per_s=report.read / loaded["seconds"])
    with stopwatch() as reloaded:
        again = import_marc(marc, lib)
    line("marc load (unchanged)", records=again.read, seconds=reloaded["seconds"],
         records_per_s=again.read / reloaded["seconds"])
    inst.records.all().delete()

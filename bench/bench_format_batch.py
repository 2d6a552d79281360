"""Would an import format its entries faster as one bibliography? (session 23; LST-9)

An import formats each entry on its own (``bibliography.format_citation``: one citeproc-py
bibliography of one entry, memoised per metadata).  This bench formats every entry of the real
corpus (RIS and BibTeX files of tests/data) both ways, in blocks of ``BLOCK`` entries alternating
between the two arms (the same load for both): one ``render([entry])`` per entry, and one
citeproc bibliography of the whole block, unsorted (so that its entries map back to the block's
items).  It prints CPU per entry for each arm, their ratio, and how many entries came out
different — a batch is only worth its code if it is faster *and* byte for byte the same.

Then the import itself: a RIS and a BibTeX file of ``ENTRIES`` entries (the corpus repeated, each
copy its own, as bench/bench_import.py makes them) imported into a list as the timer's sweep runs
it (slices of 50), with the time spent formatting (``bibliography.render``) summed apart: what
share of an import a faster formatting could save at most.

    python -m bench format_batch             # APA, Chicago author-date, MLA; 3 rounds; the imports
    python -m bench format_batch --quick     # APA, 1 round; the imports
"""
from __future__ import annotations

import re
import time
import warnings
from pathlib import Path

from bench.common import line, setup_django

BLOCK = 50
ENTRIES = 500
DATA = Path(__file__).resolve().parent.parent / "tests" / "data"


def _corpus() -> list[dict]:
    from syllabus.citations import formats

    items: list[dict] = []
    for path in sorted(DATA.glob("ris/*.ris")) + sorted(DATA.glob("bibtex/*.bib")):
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        parse = formats.parse_ris if path.suffix == ".ris" else formats.parse_bibtex
        try:
            entries = parse(text)
        except Exception:  # a file the importer refuses whole is not this bench's business
            continue
        items += [e.csl for e in entries if e.csl]
    return items


def _batch(items: list[dict], style: str, locale: str) -> list[str]:
    """``bibliography.render`` of the block as one bibliography, in the block's order."""
    from citeproc import Citation, CitationItem, CitationStylesBibliography, formatter
    from citeproc.source.json import CiteProcJSON

    from syllabus.citations import bibliography as b

    items = b.strip_control_deep(items)
    csl_locale = b.csl_locale(locale)
    csl_style = b.load_style(style, csl_locale)
    prepared = b._prepared(items)
    with b._lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        bib = CitationStylesBibliography(csl_style, CiteProcJSON(prepared), formatter.plain)
        for entry in prepared:
            bib.register(Citation([CitationItem(entry["id"])]))
        bib.formatter = csl_style.root.formatter = formatter.html
        entries = [str(e) for e in bib.bibliography()]
        piq = str(csl_style.root.get_locale_option("punctuation-in-quote")).lower() == "true"
    entries = [re.sub(r"^(\[\d+\]|\d+\.)(?=\S)", r"\1 ", e) for e in entries]
    return [b.tidy_punctuation(e, punctuation_in_quote=piq).rstrip(" ,;:") for e in entries]


def run(args) -> None:
    setup_django("format_batch")
    import os

    from syllabus.citations import bibliography as b

    items = _corpus()
    styles = ("apa",) if args.quick else ("apa", "chicago-author-date", "modern-language-association")
    rounds = 1 if args.quick else 3
    line("format batch: data", entries=len(items), block=BLOCK, rounds=rounds, load=round(os.getloadavg()[0], 2))
    for style in styles:
        b.render(items[:1], style, locale="en")   # the style loaded and its look-ups warmed
        _batch(items[:2], style, "en")
        single = batched = 0.0
        differ = 0
        for k in range(rounds):
            for start in range(0, len(items), BLOCK):
                block = items[start:start + BLOCK]
                c0 = time.process_time()
                one = [b.render([item], style, locale="en")[0] for item in block]
                c1 = time.process_time()
                many = _batch(block, style, "en")
                c2 = time.process_time()
                single += c1 - c0
                batched += c2 - c1
                if k == 0:
                    differ += sum(x != y for x, y in zip(one, many))
        n = rounds * len(items)
        line(f"format {style}", per_entry_ms=single / n * 1000, batch_ms=batched / n * 1000,
             ratio=single / batched if batched else float("nan"), differing=f"{differ}/{len(items)}")
    _imports()


def _exactly(fmt: str, text: str) -> str:
    """The first entries of ``text`` (at least ``ENTRIES``) cut at an entry's start so that it
    reads ``ENTRIES`` entries (BibTeX: its ``@string``s and comments count for none)."""
    from syllabus.citations import formats

    blocks = re.split(r"(?m)^(?=TY  - )" if fmt == "ris" else r"(?m)^(?=@)", text)
    k = ENTRIES
    while k <= len(blocks):
        n = len(formats.parse("".join(blocks[:k]), fmt)[1])
        if n >= ENTRIES:
            break
        k += ENTRIES - n
    return "".join(blocks[:k])


def _imports() -> None:
    """A 500-entry RIS and BibTeX import, run by the sweep, its formatting timed apart."""
    from bench.bench_import import _corpus as texts
    from bench.bench_import import _fixture, _scaled
    from syllabus.citations import bibliography, formats
    from syllabus.lists import catalog_link
    from syllabus.lists.models import ListImport

    user, course, list_services = _fixture()
    spent = {"s": 0.0, "calls": 0}
    real = bibliography.render

    def timed(*a, **kw):
        start = time.process_time()
        try:
            return real(*a, **kw)
        finally:
            spent["s"] += time.process_time() - start
            spent["calls"] += 1

    bibliography.render = timed
    try:
        for fmt, text in texts().items():
            if fmt not in ("ris", "bibtex"):
                continue
            body = _exactly(fmt, _scaled(fmt, text, len(text.encode()) * -(-ENTRIES // len(formats.parse(text, fmt)[1]))))
            entries = formats.parse(body, fmt)[1]
            lst = list_services.create_list(user, title=f"Import {fmt} {ENTRIES}", courses=[course])
            job = catalog_link.queue_import(user, lst.pk, body, filename=f"f.{fmt}", fmt=fmt)
            spent.update(s=0.0, calls=0)
            cpu0, wall0 = time.process_time(), time.perf_counter()
            while True:
                moved = catalog_link.run_imports(job.created_at, 3600, max_entries=50)
                job.refresh_from_db()
                if job.status in (ListImport.DONE, ListImport.FAILED) or not moved and job.status != ListImport.QUEUED:
                    break
            cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            line(f"import {fmt}", entries=job.total, parsed=len(entries), created=job.entries.filter(status="created").count(),
                 wall_s=wall, cpu_s=cpu, cpu_per_entry_ms=cpu / max(job.total, 1) * 1000,
                 formatting_cpu_s=spent["s"], formatting_share=spent["s"] / cpu if cpu else float("nan"),
                 renders=spent["calls"])
            lst.delete()
    finally:
        bibliography.render = real

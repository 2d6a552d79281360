"""Citation import at the upload ceiling (session 18, LST-9): what a file of 100 KB, 1 MB and the
ceiling (``formats.IMPORT_MAX_BYTES``) costs a worker, in each format a list imports — RIS, BibTeX
(Zotero, JabRef, Better BibTeX and biblatex files) and CSL-JSON — made of the real corpus of
tests/data repeated (BibTeX keys and CSL ids made unique per copy, as one library's export has
them), plus the hostile file the security review measured: LaTeX (``{\\'e}``, ``~``) in every
character of a field.

For each size it prints seconds per MB of parsing (detect → CSL-JSON) with p50/p95 over ``runs``
parses; for the ceiling, what the web request now spends on a file it queues (decode, detect,
store); and for the full import into a list as the timer's sweep runs it (citations written and
formatted), the seconds per MB and p50/p95 per entry.

    python -m bench import            # 100 KB, 1 MB and the ceiling
    python -m bench import --quick    # 100 KB and 1 MB, one full import
    BENCH_LOOKUP_CACHES=0 python -m bench import   # the same without the style's kept answers (session 19)

Session 20: ``python -m bench import_ab`` (bench/bench_import_ab.py) — the whole import with and without
session 20's changes, in alternating slices of one import.

Session 19: "format" lines — every corpus entry formatted once (citeproc-py, APA, as an import
stores it) with the loaded style's answers kept (``bibliography.LOOKUP_CACHES``) and without,
in alternating blocks at the same load: per-entry p50/p95 of each and their ratio.
"""
from __future__ import annotations

import json
import os
import re
import time
from pathlib import Path

from bench.common import line, setup_django, stopwatch, summary

DATA = Path(__file__).resolve().parent.parent / "tests" / "data"
KB = 1024


def _corpus() -> dict[str, str]:
    """One text per format: every UTF-8 corpus file of that format, joined."""
    bib = sorted((DATA / "bibtex").glob("*.bib")) + sorted((DATA / "bibtex" / "bbt").glob("*.bib")) + \
        sorted((DATA / "bibtex" / "jabref").glob("*.bib"))
    ris = sorted((DATA / "ris").glob("*.ris"))
    items: list = []
    for path in [DATA / "csl" / "items.json", DATA / "csl" / "zotero-CSL-JSON-00.json"]:
        value = json.loads(path.read_text(encoding="utf-8"))
        # items.json keeps each test-suite fixture's name next to its item
        items += [v.get("item", v) if isinstance(v, dict) else v for v in (value if isinstance(value, list) else [value])]
    return {"ris": "\n".join(p.read_text(encoding="utf-8") for p in ris),
            "bibtex": "\n".join(p.read_text(encoding="utf-8") for p in bib),
            "csl-json": json.dumps(items, ensure_ascii=False)}


def _scaled(fmt: str, text: str, size: int) -> str:
    """``text`` repeated to ``size`` bytes (UTF-8), each copy's keys/ids made its own and its
    titles marked "(copy n)" — or the formatted citation, memoised per metadata, would come from
    the memo for every copy after the first."""
    copies = max(1, size // len(text.encode()))
    if fmt == "csl-json":
        items = json.loads(text)
        return json.dumps([dict(item, id=f"{item.get('id', n)}-{c}", title=f"{item.get('title', '')} (copy {c})")
                           for c in range(copies) for n, item in enumerate(items)], ensure_ascii=False)
    if fmt == "bibtex":  # @type{key, → @type{key-c,  (a key used twice is read again on its own)
        head = re.compile(r"(@\s*(?!string|comment|preamble)\w+\s*[{(]\s*)([^,\s{}()]*)\s*,", re.I)
        title = re.compile(r"(?im)^(\s*title\s*=\s*[{\"])")
        return "\n".join(title.sub(lambda m, c=c: f"{m.group(1)}(copy {c}) ",
                                    head.sub(lambda m, c=c: f"{m.group(1)}{m.group(2)}-c{c},", text)) for c in range(copies))
    marked = re.compile(r"(?m)^((?:TI|T1)  - )")
    return "\n".join(marked.sub(lambda m, c=c: f"{m.group(1)}(copy {c}) ", text) for c in range(copies))


def _hostile(size: int) -> str:
    """The review's file: entries whose title is all LaTeX accents and ties."""
    title = "{\\'e}~\\c{c}{\\`a}~" * 200
    entry = "@article{{k{n},\n  title = {{{n} {t}}},\n  author = {{M{{\\\"u}}ller, J{{\\'e}}r{{\\^o}}me}},\n  year = {{2020}}\n}}\n"
    one = len(entry.format(n=0, t=title).encode())
    return "".join(entry.format(n=n, t=title) for n in range(max(1, size // one)))


def _fixture():
    from django.db import transaction

    from syllabus.courses.models import Course
    from syllabus.lists import services as list_services
    from syllabus.org.models import Consortium, Institution, User, UserGroup

    with transaction.atomic():
        cons, _ = Consortium.objects.get_or_create(code="bench-import", defaults={"name": "Bench import"})
        inst, _ = Institution.objects.get_or_create(code="bench-import-u", defaults={"name": "Bench Import U", "consortium": cons})
        group, _ = UserGroup.objects.get_or_create(institution=inst, code="faculty", defaults={"name": "Faculty"})
        user, _ = User.objects.get_or_create(username="bench-import-instructor",
                                             defaults={"institution": inst, "user_group": group})
        course, _ = Course.objects.get_or_create(institution=inst, code="IMP101", section="01",
                                                  defaults={"name": "Import", "term": "2026F"})
        course.instructors.add(user)
    return user, course, list_services


def _formatting(bibliography, formats, corpus: dict[str, str]) -> None:
    """Every entry of the corpus formatted once in APA (English), as an import stores it, with the
    style's lookups kept and without, in alternating blocks of 25 entries (the same load for both):
    per-entry p50/p95, and the ratio of the p50s.  ``render`` (``format_citation`` would answer
    repeated metadata from its memo)."""
    items = []
    for fmt, text in corpus.items():
        items += [e.csl for e in formats.parse(text, fmt)[1] if e.csl is not None]
    kept_setting = bibliography.LOOKUP_CACHES
    bibliography.render([items[0]], "apa", locale="en")  # the style loaded and parsed: not measured
    samples: dict[bool, list[float]] = {True: [], False: []}
    for block in range(0, len(items), 25):
        for kept in ((True, False) if block % 50 == 0 else (False, True)):
            bibliography.LOOKUP_CACHES = kept
            for item in items[block:block + 25]:
                start = time.perf_counter()
                bibliography.render([item], "apa", locale="en")
                samples[kept].append(time.perf_counter() - start)
    bibliography.LOOKUP_CACHES = kept_setting
    before, after = summary(samples[False]), summary(samples[True])
    for name, s in (("format apa without kept lookups", before), ("format apa with kept lookups", after)):
        line(name, entries=len(items), entry_p50_ms=s["p50_ms"], entry_p95_ms=s["p95_ms"], mean_ms=s["mean_ms"])
    line("format apa ratio (without / with)", p50=before["p50_ms"] / after["p50_ms"], p95=before["p95_ms"] / after["p95_ms"],
         mean=before["mean_ms"] / after["mean_ms"])


def alternating(job, arm, *, max_entries: int = 50) -> dict[bool, list[float]]:
    """A queued import run to its end by the timer's sweep, slices of ``max_entries`` entries, with
    ``arm(True)`` and ``arm(False)`` in turn before each (the same load for both): the seconds per
    entry of each slice, by arm — but the slice that read the file."""
    from syllabus.lists import catalog_link
    from syllabus.lists.models import ListImport

    samples: dict[bool, list[float]] = {True: [], False: []}
    now = True
    while True:
        arm(now)
        start = time.perf_counter()
        moved = catalog_link.run_imports(job.created_at, 3600, max_entries=max_entries)
        took = time.perf_counter() - start
        job.refresh_from_db()
        if moved and job.status != ListImport.QUEUED and job.done > moved:  # not the slice that read the file
            samples[now].append(took / moved)
        now = not now
        if import_ended(job, moved):
            return samples


def import_ended(job, moved: int) -> bool:
    """Whether the sweep's slice that moved ``moved`` entries ended ``job`` (done, failed, or nothing left to do)."""
    from syllabus.lists.models import ListImport

    return job.status in (ListImport.DONE, ListImport.FAILED) or not moved and job.status != ListImport.QUEUED


def run(args) -> None:
    setup_django("import")
    from syllabus.citations import formats
    from syllabus.lists import catalog_link

    ceiling = formats.IMPORT_MAX_BYTES
    sizes = [("100KB", 100 * KB), ("1MB", 1024 * KB)] + ([] if args.quick else [("ceiling", ceiling)])
    corpus = _corpus()
    files = [(fmt, label, _scaled(fmt, text, size)) for fmt, text in corpus.items() for label, size in sizes]
    files += [("bibtex-latex", label, _hostile(size)) for label, size in sizes]
    print(f"ceiling {ceiling / KB / KB:.1f} MB (formats.IMPORT_MAX_BYTES)", flush=True)
    from syllabus.citations import bibliography

    bibliography.LOOKUP_CACHES = os.environ.get("BENCH_LOOKUP_CACHES", "1") != "0"
    print(f"style lookups kept: {bibliography.LOOKUP_CACHES} (BENCH_LOOKUP_CACHES)", flush=True)
    _formatting(bibliography, formats, corpus)
    user, course, list_services = _fixture()
    for fmt, label, text in files:
        mb = len(text.encode()) / KB / KB
        runs = 5 if mb < 0.5 else (3 if mb < 2 else 1)
        samples, n = [], 0
        for _ in range(runs):
            start = time.perf_counter()
            detected, entries = formats.parse(text, "bibtex" if fmt == "bibtex-latex" else fmt)
            samples.append(time.perf_counter() - start)
            n = len(entries)
        s = summary(samples)
        line(f"parse {fmt} {label}", mb=mb, entries=n, runs=runs, s_per_mb=s["p50_ms"] / 1000 / mb,
             p50_s=s["p50_ms"] / 1000, p95_s=s["p95_ms"] / 1000)
    # the request's part of a file over LIST_IMPORT_INLINE_BYTES: decode, detect, queue (p50/p95 over 3)
    from django.conf import settings

    from syllabus.lists.models import ListImport

    inline = settings.LIST_IMPORT_INLINE_BYTES
    lst = list_services.create_list(user, title="Import queue", courses=[course])
    for fmt, label, text in files:
        if label != sizes[-1][0]:
            continue
        samples = []
        for _ in range(3):
            with stopwatch() as took:
                raw = text.encode()
                job = catalog_link.queue_import(user, lst.pk, formats.decode(raw), filename=f"f.{fmt}",
                                                fmt="bibtex" if fmt == "bibtex-latex" else fmt)
            samples.append(took["seconds"])
            job.delete()
        s = summary(samples)
        line(f"queue {fmt} {label}", mb=len(raw) / KB / KB, p50_s=s["p50_ms"] / 1000, p95_s=s["p95_ms"] / 1000)
    lst.delete()
    # the whole import (parse, catalog look-up, a citation per entry — each formatted in the list's
    # style) of 1 MB per format (--quick: 100 KB), as the timer's sweep runs it: per-entry p50/p95
    # over slices of 50 entries
    chosen = "100KB" if args.quick else "1MB"
    for fmt, label, text in [f for f in files if f[1] == chosen]:
        lst = list_services.create_list(user, title=f"Import {fmt} {label}", courses=[course])
        job = catalog_link.queue_import(user, lst.pk, text, filename=f"f.{fmt}", fmt="bibtex" if fmt == "bibtex-latex" else fmt)
        per_entry, total = [], 0.0
        while True:
            start = time.perf_counter()
            moved = catalog_link.run_imports(job.created_at, 3600, max_entries=50)
            took = time.perf_counter() - start
            total += took
            job.refresh_from_db()
            if moved:
                per_entry.append(took / moved)
            if job.status in (ListImport.DONE, ListImport.FAILED) or not moved and job.status != ListImport.QUEUED:
                break
        s = summary(per_entry)
        mb = len(text.encode()) / KB / KB
        line(f"import {fmt} {label}", mb=mb, entries=job.total, created=job.entries.filter(status="created").count(),
             seconds=total, s_per_mb=total / mb, entry_p50_ms=s["p50_ms"], entry_p95_ms=s["p95_ms"])
        lst.delete()
    # session 19: the same whole import with the style's lookups kept and without, in alternating
    # slices of one import (the same load for both): per-entry p50/p95 of each, and the ratio
    from syllabus.citations import bibliography

    kept_setting = bibliography.LOOKUP_CACHES
    for fmt, label, text in [f for f in files if f[1] == chosen and f[0] in ("ris", "csl-json")]:
        lst = list_services.create_list(user, title=f"Import A/B {fmt} {label}", courses=[course])
        job = catalog_link.queue_import(user, lst.pk, text, filename=f"f.{fmt}", fmt=fmt)
        ab = alternating(job, lambda kept: setattr(bibliography, "LOOKUP_CACHES", kept))
        before, after = summary(ab[False]), summary(ab[True])
        line(f"import a/b {fmt} {label}", slices=len(ab[True]) + len(ab[False]),
             without_p50_ms=before["p50_ms"], without_p95_ms=before["p95_ms"], with_p50_ms=after["p50_ms"],
             with_p95_ms=after["p95_ms"], ratio_p50=before["p50_ms"] / after["p50_ms"],
             ratio_p95=before["p95_ms"] / after["p95_ms"])
        lst.delete()
    bibliography.LOOKUP_CACHES = kept_setting
    print(f"(a file over {inline // KB} KB is queued: LIST_IMPORT_INLINE_BYTES)", flush=True)


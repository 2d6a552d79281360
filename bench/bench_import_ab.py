"""Session 20 (LST-9): what an imported entry costs with and without this session's changes, in
alternating timer slices of the same import (the same load for both; the shared machine's load moves
minute to minute, so runs minutes apart are not comparable — BENCHMARKS.md, session 19):

* the institution's configuration (citation style and language, the initial status: LST-5) read once
  per slice — ``org.config.read_once`` — instead of once per entry (off: a no-op block);
* the list's last section read once per slice instead of once per entry (off: ``last_section`` answers
  None, so that each entry reads it again, as before);
* no bibliography sort of a one-entry bibliography (off: citeproc sorts it again before rendering).

The consortium's row, which each configuration read loaded before (``config._levels`` now takes its id
from the institution's row), is not read in either arm: the "without" arm is a little cheaper than main.

    python -m bench import_ab            # RIS and CSL-JSON of 1 MB, slices of 25 entries
    python -m bench import_ab --quick    # 100 KB
"""
from __future__ import annotations

import contextlib

from bench.bench_import import KB, _corpus, _fixture, _scaled, alternating
from bench.common import line, setup_django, summary


def _arms():
    """(switch on, switch off) of the three changes."""
    from citeproc import CitationStylesBibliography

    from syllabus.lists import services as list_services
    from syllabus.org import config

    once, last_section, render = config.read_once, list_services.last_section, CitationStylesBibliography.bibliography

    def sorted_render(self):
        self.sort()
        return render(self)

    def on():
        config.read_once, list_services.last_section = once, last_section
        CitationStylesBibliography.bibliography = render

    def off():
        config.read_once, list_services.last_section = contextlib.nullcontext, (lambda lst: None)
        CitationStylesBibliography.bibliography = sorted_render

    return on, off


def run(args) -> None:
    setup_django("import")
    from syllabus.lists import catalog_link

    size = 100 * KB if args.quick else 1024 * KB
    corpus = _corpus()
    user, course, list_services = _fixture()
    on, off = _arms()
    try:
        for fmt in ("ris", "csl-json"):
            text = _scaled(fmt, corpus[fmt], size)
            lst = list_services.create_list(user, title=f"Import session 20 A/B {fmt}", courses=[course])
            job = catalog_link.queue_import(user, lst.pk, text, filename=f"f.{fmt}", fmt=fmt)
            samples = alternating(job, lambda now: (on if now else off)(), max_entries=25)
            before, after = summary(samples[False]), summary(samples[True])
            line(f"import session 20 a/b {fmt} {len(text.encode()) / KB / KB:.1f}MB", slices=len(samples[True]) + len(samples[False]),
                 without_p50_ms=before["p50_ms"], without_p95_ms=before["p95_ms"], without_mean_ms=before["mean_ms"],
                 with_p50_ms=after["p50_ms"], with_p95_ms=after["p95_ms"], with_mean_ms=after["mean_ms"],
                 ratio_p50=before["p50_ms"] / after["p50_ms"], ratio_p95=before["p95_ms"] / after["p95_ms"],
                 ratio_mean=before["mean_ms"] / after["mean_ms"])
            lst.delete()
    finally:
        on()

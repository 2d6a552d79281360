"""Session 24 (LST-9): a background import's entries committed in chunks (``catalog_link.IMPORT_CHUNK``
entries a transaction) against one commit per entry (the chunk set to 1: what an import did before),
in alternating timer slices of the same import, so that both arms see the same load (the shared
machine's load moves minute to minute: BENCHMARKS.md, session 19).

Per arm: the seconds of wall time and of CPU (``time.process_time``) per entry of each slice, their
p50/p95, the totals and wall ÷ CPU — an import that waits on its commits has a wall time far above its
CPU; the statements per entry.

    python -m bench import_chunks            # RIS and BibTeX of ~500 entries, slices of 50
    python -m bench import_chunks --quick    # ~150 entries
    BENCH_IMPORT_ENTRIES=1000 python -m bench import_chunks
"""
from __future__ import annotations

import os
import time

from bench.bench_import import _corpus, _fixture, _scaled, import_ended
from bench.common import line, percentile, setup_django, statements


def _run(job, slice_entries: int, chunk: int) -> dict:
    """Slices of ``slice_entries`` entries, chunk size ``chunk`` and 1 in turn, to the import's end."""
    from syllabus.lists import catalog_link

    arms: dict[bool, dict] = {a: {"wall": [], "cpu": [], "entries": 0, "wall_s": 0.0, "cpu_s": 0.0, "sql": 0} for a in (True, False)}
    chunked = False   # the first slice reads the file (not counted); then alternate, the unchunked arm first
    while True:
        catalog_link.IMPORT_CHUNK = chunk if chunked else 1
        c0, w0 = time.process_time(), time.perf_counter()
        with statements() as seen:
            moved = catalog_link.run_imports(job.created_at, 3600, max_entries=slice_entries)
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        job.refresh_from_db()
        if moved and job.done > moved:  # not the slice that read the file
            arm = arms[chunked]
            arm["wall"].append(wall / moved * 1000)
            arm["cpu"].append(cpu / moved * 1000)
            arm["entries"] += moved
            arm["wall_s"] += wall
            arm["cpu_s"] += cpu
            arm["sql"] += len(seen)
        chunked = not chunked
        if import_ended(job, moved):
            return arms


def run(args) -> None:
    setup_django("import")
    from django.db import connection

    from syllabus.lists import catalog_link
    from syllabus.lists.models import Citation

    chunk = catalog_link.IMPORT_CHUNK
    entries = int(os.environ.get("BENCH_IMPORT_ENTRIES", "150" if args.quick else "500"))
    corpus = _corpus()
    user, course, list_services = _fixture()
    line("import chunks: set-up", db=connection.vendor, chunk=chunk, load=round(os.getloadavg()[0], 2))
    try:
        for fmt in ("ris", "bibtex"):
            text = corpus[fmt]
            per_copy = max(1, text.count("\nER  -") + 1 if fmt == "ris" else text.count("\n@") + 1)
            size = int(len(text.encode()) * max(1, round(entries / per_copy)))
            text = _scaled(fmt, text, size)
            lst = list_services.create_list(user, title=f"Import session 24 chunks {fmt}", courses=[course])
            job = catalog_link.queue_import(user, lst.pk, text, filename=f"f.{fmt}", fmt=fmt)
            arms = _run(job, 50, chunk)
            job.refresh_from_db()
            for chunked, name in ((False, "commit per entry"), (True, f"chunks of {chunk}")):
                a = arms[chunked]
                n = max(a["entries"], 1)
                line(f"import {fmt} {job.total} entries, {name}", entries=a["entries"], slices=len(a["wall"]),
                     wall_p50_ms=percentile(a["wall"], 50), wall_p95_ms=percentile(a["wall"], 95),
                     cpu_p50_ms=percentile(a["cpu"], 50), cpu_p95_ms=percentile(a["cpu"], 95),
                     wall_s=a["wall_s"], cpu_s=a["cpu_s"], wall_per_cpu=a["wall_s"] / max(a["cpu_s"], 1e-9),
                     sql_per_entry=a["sql"] / n)
            off, on = arms[False], arms[True]
            line(f"import {fmt} ratio (per entry)", wall_p50=percentile(off["wall"], 50) / percentile(on["wall"], 50),
                 wall_p95=percentile(off["wall"], 95) / percentile(on["wall"], 95),
                 wall_mean=(off["wall_s"] / max(off["entries"], 1)) / (on["wall_s"] / max(on["entries"], 1)),
                 cpu_mean=(off["cpu_s"] / max(off["entries"], 1)) / (on["cpu_s"] / max(on["entries"], 1)),
                 created=Citation.objects.filter(resource_list=lst).count(), status=job.status)
            lst.delete()
    finally:
        catalog_link.IMPORT_CHUNK = chunk

"""Paired timing of two versions of the catalog search (session 25): another checkout's
``syllabus/catalog/search.py`` (``BASE_SEARCH``, e.g. main's, exported with ``git show``) loaded
beside this one in one process, each query of bench_catalog's mix run by both, the order
alternating — load drift on a shared machine cancels out.  Asserts identical ids, count and facets.

    git show main:syllabus/catalog/search.py > /tmp/main_search.py
    BASE_SEARCH=/tmp/main_search.py .venv/bin/python bench/catalog_paired.py   # DATABASE_URL for PostgreSQL

Needs the bench catalog (``make bench BENCH_ARGS="catalog --quick"`` first); ``ROUNDS`` (2)."""
from __future__ import annotations

import importlib.util
import os
import random
import sys
import time

sys.path.insert(0, os.getcwd())

from bench.common import percentile, setup_django, statements  # noqa: E402


def main() -> None:
    setup_django("catalog")
    from django.db import connection

    import syllabus.catalog.search as new
    from bench.bench_catalog import SEED, _vocab, queries
    from syllabus.org.models import Institution

    spec = importlib.util.spec_from_file_location("syllabus.catalog.search_base", os.environ["BASE_SEARCH"])
    assert spec is not None and spec.loader is not None
    old = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = old
    spec.loader.exec_module(old)
    a, b = Institution.objects.get(code="bench-cat-a"), Institution.objects.get(code="bench-cat-b")
    mix = queries(random.Random(SEED + 1), _vocab(random.Random(SEED)), 50_000)

    def params(mod, q: dict):
        year_from = year_to = None
        if q.get("year"):
            year_from, year_to = (int(x) for x in q["year"].split("-"))
        ids = [a.pk, b.pk] if q.get("scope") == "consortium" else [a.pk]
        return mod.SearchParams(text=q["q"], institution_ids=ids, availability=q.get("availability", ""),
                                year_from=year_from, year_to=year_to)

    times: dict[str, list[float]] = {"base": [], "this": []}
    counts: dict[str, list[int]] = {"base": [], "this": []}
    ratios = []
    for r in range(int(os.environ.get("ROUNDS", "2"))):
        for i, q in enumerate(mix):
            arms = [("base", old), ("this", new)]
            got = {}
            for name, mod in arms if (i + r) % 2 == 0 else arms[::-1]:
                with statements() as seen:
                    t0 = time.perf_counter()
                    res = mod.search(params(mod, q))
                    dt = time.perf_counter() - t0
                times[name].append(dt * 1000)
                counts[name].append(len(seen))
                got[name] = (res.ids, res.count, res.facets, dt)
            assert got["base"][:3] == got["this"][:3], q
            ratios.append(got["base"][3] / got["this"][3])
    print(f"{connection.vendor}: {len(ratios)} paired searches with facets, identical ids/count/facets, "
          f"load {os.getloadavg()[0]:.1f}")
    for name in ("base", "this"):
        t = times[name]
        print(f"  {name:<5} p50 {percentile(t, 50):7.2f} ms  p95 {percentile(t, 95):7.2f} ms  p99 {percentile(t, 99):7.2f} ms"
              f"  statements p50 {percentile(counts[name], 50):.0f} max {max(counts[name])}")
    print(f"  ratio base/this: p50 {percentile(times['base'], 50) / percentile(times['this'], 50):.2f}  "
          f"p95 {percentile(times['base'], 95) / percentile(times['this'], 95):.2f}  "
          f"median of per-query ratios {percentile(ratios, 50):.2f}")


if __name__ == "__main__":
    main()

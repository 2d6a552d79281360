"""Catalog benchmarks (DSV-1, DSV-2): search latency over ≥ 1,000,000 records, and MARC import
throughput.

* Data: records generated from word lists (fixed seed) with a long tail of rare words and
  names, written with bulk inserts straight into ``catalog_record`` (the full-text index
  follows: FTS5 triggers on SQLite, the generated tsvector on PostgreSQL) and ~1.2 items per
  record in three libraries of two member institutions.  Kept between runs: a second run
  reuses the data set when it is already there.
* Search: a fixed mix of queries (one common word, two words, a rare word, an author's
  surname, an ISBN, a word + a filter, consortium scope), each through the same selector the
  API uses (page of 20 records with their availability, count, and facets) — p50/p95/p99.
* MARC import: 5,000 MARC21 records with 852/876 holdings and items, loaded into an empty
  institution (all created), then loaded again (all unchanged): records/s.

``python -m bench catalog`` (1,000,000 records) or ``python -m bench catalog --quick`` (50,000).
"""
from __future__ import annotations

import io
import random
import time

from bench.common import line, setup_django, statements, stopwatch, summary

SEED = 7
SYLLABLES = ["ka", "lo", "mi", "ren", "tor", "vel", "an", "is", "or", "um", "bra", "dex", "fen", "gal", "hor", "jun", "kel",
             "lum", "mor", "nex", "pol", "qui", "ras", "sil", "tan", "ur", "vin", "wex", "yor", "zal"]


def _word(rnd: random.Random, parts: int) -> str:
    return "".join(rnd.choice(SYLLABLES) for _ in range(parts))


def _isbn13(n: int) -> str:
    body = f"9781{n:08d}"
    check = (10 - sum(int(d) * (1 if i % 2 == 0 else 3) for i, d in enumerate(body)) % 10) % 10
    return body + str(check)


def _vocab(rnd: random.Random):
    from syllabus.catalog.demo import ADJECTIVES, FIELDS, FIRST, LAST, NOUNS, PLACES, TOPICS

    rare = sorted({_word(rnd, rnd.randint(2, 4)) for _ in range(30_000)})
    surnames = LAST + sorted({_word(rnd, 2).capitalize() + rnd.choice(["son", "er", "ova", "ez", "ski", "man", ""]) for _ in range(20_000)})
    return {"adj": ADJECTIVES, "noun": NOUNS, "field": FIELDS, "place": PLACES, "topic": TOPICS, "first": FIRST, "last": surnames,
            "rare": rare}


def _title(rnd: random.Random, v: dict) -> str:
    pattern = rnd.randrange(5)
    if pattern == 0:
        return f"{rnd.choice(v['adj'])} {rnd.choice(v['noun']).lower()}: {rnd.choice(v['topic']).lower()} in {rnd.choice(v['place'])}"
    if pattern == 1:
        return f"{rnd.choice(v['field'])}: {rnd.choice(v['rare'])} and {rnd.choice(v['topic']).lower()}"
    if pattern == 2:
        return f"The {rnd.choice(v['rare'])} {rnd.choice(v['noun']).lower()}"
    if pattern == 3:
        return f"{rnd.choice(v['topic'])}, {rnd.choice(v['rare'])} and {rnd.choice(v['rare'])}"
    return f"An introduction to {rnd.choice(v['field']).lower()}"


def ensure_records(total: int, inst_a, inst_b, libs: list) -> float:
    """Bring the bench catalog to ``total`` records; returns seconds spent (0 when reused)."""
    import json

    from django.db import connection

    from syllabus.catalog.models import Record

    have = Record.objects.filter(institution__in=[inst_a, inst_b]).count()
    if have >= total:
        return 0.0
    rnd = random.Random(SEED + have)
    v = _vocab(random.Random(SEED))
    now = "2026-03-02 09:00:00"
    start = time.perf_counter()
    chunk = 5000
    next_barcode = have * 2 + 1
    with connection.cursor() as cursor:
        cursor.execute("SELECT COALESCE(MAX(id), 0) FROM catalog_record")
        next_id = cursor.fetchone()[0] + 1
    done = have
    while done < total:
        n = min(chunk, total - done)
        rows, items = [], []
        for k in range(n):
            rid = next_id + k
            serial = done + k
            title = _title(rnd, v)
            people = [(rnd.choice(v["last"]), rnd.choice(v["first"])) for _ in range(rnd.choice([1, 1, 2, 3]))]
            year = rnd.randint(1900, 2025)
            isbn = _isbn13(serial) if rnd.random() < 0.8 else ""
            field = rnd.choice(v["field"])
            subjects = f"{field}; {field} -- {rnd.choice(v['topic'])}"
            rtype = "book" if rnd.random() < 0.85 else rnd.choice(["article-journal", "chapter", "thesis", "report", "motion_picture"])
            creators = "; ".join(f"{f}, {g}" for f, g in people)
            csl = {"type": rtype, "title": title, "author": [{"family": f, "given": g} for f, g in people],
                   "issued": {"date-parts": [[year]]}}
            if isbn:
                csl["ISBN"] = isbn
            inst = inst_a if serial % 10 < 7 else inst_b
            identifiers = isbn
            rows.append((rid, inst.pk, f"bench:{serial}", rtype, title, creators, year, "", "Bench University Press", isbn, "", "",
                         f"{people[0][0].lower()}|{title.lower()}"[:200], "", subjects, identifiers, "eng", json.dumps(csl), now, now))
            owners = [lib for lib in libs if lib.institution_id == inst.pk]
            for _ in range(rnd.choice([0, 1, 1, 1, 2, 2])):
                lib = rnd.choice(owners)
                items.append((rid, lib.pk, f"B{next_barcode:09d}", "Stacks", "", "book", "",
                              "in_place" if rnd.random() < 0.75 else "on_loan"))
                next_barcode += 1
        if connection.vendor == "postgresql":  # COPY: several times faster than INSERTs for a fresh data set
            _copy_rows(rows, items)
        else:
            _insert_rows(rows, items)
        next_id += n
        done += n
        if done % 100_000 == 0 or done == total:
            print(f"  ... {done:,} records ({time.perf_counter() - start:.0f} s)", flush=True)
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            # the ids were given explicitly: move the sequence past them for the ORM's inserts
            cursor.execute("SELECT setval(pg_get_serial_sequence('catalog_record', 'id'), (SELECT MAX(id) FROM catalog_record))")
            cursor.execute("ANALYZE catalog_record")
            cursor.execute("ANALYZE catalog_item")
    elif connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            cursor.execute("INSERT INTO catalog_record_fts(catalog_record_fts) VALUES ('optimize')")
            cursor.execute("ANALYZE")
    return time.perf_counter() - start


RECORD_COLUMNS = ("id", "institution_id", "source_id", "type", "title", "creators", "year", "edition", "publisher", "isbn", "issn",
                  "doi", "work_key", "container_title", "subjects", "identifiers", "language", "csl", "created_at", "updated_at")
ITEM_COLUMNS = ("record_id", "library_id", "barcode", "location", "call_number", "item_type", "description", "status")


def _insert_rows(rows: list, items: list) -> None:
    from django.db import connection, transaction

    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(f"INSERT INTO catalog_record ({', '.join(RECORD_COLUMNS)}) VALUES ({', '.join(['%s'] * len(RECORD_COLUMNS))})",
                           rows)
        cursor.executemany(f"INSERT INTO catalog_item ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join(['%s'] * len(ITEM_COLUMNS))})",
                           items)


def _copy_rows(rows: list, items: list) -> None:
    from django.db import connection, transaction

    with transaction.atomic():
        connection.ensure_connection()
        with connection.connection.cursor() as cursor:
            with cursor.copy(f"COPY catalog_record ({', '.join(RECORD_COLUMNS)}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            with cursor.copy(f"COPY catalog_item ({', '.join(ITEM_COLUMNS)}) FROM STDIN") as copy:
                for item in items:
                    copy.write_row(item)


def queries(rnd: random.Random, v: dict, total: int) -> list[dict]:
    """The query mix (each dict: selector keyword arguments)."""
    mix = []
    for _ in range(40):
        mix.append({"q": rnd.choice(v["topic"]).lower()})                                   # one common word
    for _ in range(40):
        mix.append({"q": f"{rnd.choice(v['field']).split()[0].lower()} {rnd.choice(v['topic']).lower()}"})  # two words
    for _ in range(40):
        mix.append({"q": rnd.choice(v["rare"])})                                            # a rare word
    for _ in range(30):
        mix.append({"q": rnd.choice(v["last"][:200])})                                      # an author's surname
    for _ in range(20):
        mix.append({"q": _isbn13(rnd.randrange(int(total * 0.5)))})                         # an ISBN
    for _ in range(20):
        mix.append({"q": rnd.choice(v["noun"]).lower(), "availability": "available", "year": "1990-2020"})  # word + filters
    for _ in range(10):
        mix.append({"q": rnd.choice(v["adj"]).lower(), "scope": "consortium"})              # whole consortium
    rnd.shuffle(mix)
    return mix


def bench_search(user, total: int, rounds: int = 1) -> None:
    from syllabus.catalog import selectors

    rnd = random.Random(SEED + 1)
    v = _vocab(random.Random(SEED))
    mix = queries(rnd, v, total)
    for warm in mix[:10]:
        selectors.search_records(user, **warm)
    results = {}
    for facets in (True, False):
        samples, counts, sql_counts = [], [], []
        for _ in range(rounds):
            for params in mix:
                with statements() as seen:
                    t0 = time.perf_counter()
                    page = selectors.search_records(user, facets=facets, **params)
                    samples.append(time.perf_counter() - t0)
                counts.append(page.count)
                sql_counts.append(len(seen))
        s = results[facets] = summary(samples)
        counts.sort()
        sql_counts.sort()
        line(f"search {'with' if facets else 'without'} facets", records=f"{total:,}", queries=s["n"], p50_ms=s["p50_ms"],
             p95_ms=s["p95_ms"], p99_ms=s["p99_ms"], median_hits=counts[len(counts) // 2], max_hits=counts[-1],
             statements_p50=sql_counts[len(sql_counts) // 2], statements_max=sql_counts[-1])
    # session 25: what the facets add to a search (1.00 = nothing)
    line("ratio with ÷ without facets", p50_ratio=results[True]["p50_ms"] / results[False]["p50_ms"],
         p95_ratio=results[True]["p95_ms"] / results[False]["p95_ms"])


def bench_browse(user, institution, rounds: int = 15) -> None:
    """Issue 19: browsing a whole institution with facets (an empty query, page 1 and a later
    page, title order), beside a typical query (one common topic word) and a rare word, each
    with facets; p95 and the ratio browse ÷ typical query.  The facets of more matches than
    ``CATALOG_FACETS_EXACT_LIMIT`` are estimated (the page says "about")."""
    from django.conf import settings

    from syllabus.catalog import selectors
    from syllabus.catalog.models import Record

    rnd = random.Random(SEED + 3)
    v = _vocab(random.Random(SEED))
    size = Record.objects.filter(institution=institution).count()
    kinds = {
        "browse, page 1": lambda: {"q": ""},
        "browse, page 50": lambda: {"q": "", "page": 50},
        "browse + type filter": lambda: {"q": "", "types": ["book"]},
        "typical query (common word)": lambda: {"q": rnd.choice(v["topic"]).lower()},
        "rare word": lambda: {"q": rnd.choice(v["rare"])},
    }
    results = {}
    for name, make in kinds.items():
        selectors.search_records(user, **make())  # warm
        samples, estimated, count = [], False, 0
        for _ in range(rounds):
            params = make()
            t0 = time.perf_counter()
            page = selectors.search_records(user, facets=True, **params)
            samples.append(time.perf_counter() - t0)
            estimated, count = page.estimated, page.count
        s = summary(samples)
        results[name] = s
        line(f"{name}", institution_records=f"{size:,}", p50_ms=s["p50_ms"], p95_ms=s["p95_ms"], hits=f"{count:,}",
             facets="estimated" if estimated else "exact", exact_limit=settings.CATALOG_FACETS_EXACT_LIMIT)
    # the same browse with every facet counted exactly (what it cost before issue 19), a few rounds
    limit = settings.CATALOG_FACETS_EXACT_LIMIT
    settings.CATALOG_FACETS_EXACT_LIMIT = 100_000_000
    try:
        samples = []
        for _ in range(3):
            t0 = time.perf_counter()
            page = selectors.search_records(user, "", facets=True)
            samples.append(time.perf_counter() - t0)
    finally:
        settings.CATALOG_FACETS_EXACT_LIMIT = limit
    exact = summary(samples)
    line("browse, page 1, exact facets (before)", institution_records=f"{size:,}", p50_ms=exact["p50_ms"], max_ms=max(samples) * 1000,
         hits=f"{page.count:,}", facets="exact")
    line("ratio browse estimated ÷ exact", p50_ratio=results["browse, page 1"]["p50_ms"] / exact["p50_ms"])
    typical = results["typical query (common word)"]["p95_ms"]
    for name in ("browse, page 1", "browse, page 50", "browse + type filter"):
        line(f"ratio {name} ÷ typical query", p95_ratio=results[name]["p95_ms"] / typical)


def bench_marc(library, n: int) -> None:
    import pymarc
    from pymarc import Field, Indicators, Subfield

    from syllabus.catalog.marc import import_marc

    rnd = random.Random(SEED + 2)
    v = _vocab(random.Random(SEED))
    out = io.BytesIO()
    for k in range(n):
        rec = pymarc.Record(leader="00000nam a2200000 a 4500")
        rec.add_field(Field(tag="001", data=f"mb{k:07d}"))
        rec.add_field(Field(tag="008", data=f"010101s{rnd.randint(1950, 2025)}    enk           000 1 eng d"))
        rec.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", _isbn13(5_000_000 + k))]))
        rec.add_field(Field(tag="100", indicators=Indicators("1", " "),
                            subfields=[Subfield("a", f"{rnd.choice(v['last'])}, {rnd.choice(v['first'])}")]))
        rec.add_field(Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", _title(rnd, v) + " /")]))
        rec.add_field(Field(tag="264", indicators=Indicators(" ", "1"),
                            subfields=[Subfield("a", "London :"), Subfield("b", "Bench Press,"), Subfield("c", "2001.")]))
        rec.add_field(Field(tag="650", indicators=Indicators(" ", "0"), subfields=[Subfield("a", rnd.choice(v["field"]))]))
        rec.add_field(Field(tag="852", indicators=Indicators("0", " "), subfields=[
            Subfield("8", "1"), Subfield("b", library.code), Subfield("c", "Stacks"), Subfield("h", f"QA{rnd.randint(1, 999)}")]))
        for c in range(rnd.choice([1, 1, 2])):
            rec.add_field(Field(tag="876", indicators=Indicators(" ", " "), subfields=[
                Subfield("8", "1"), Subfield("p", f"MB{k:07d}{c}"), Subfield("j", "Item in place")]))
        out.write(rec.as_marc())
    data = out.getvalue()
    with stopwatch() as first:
        report = import_marc(data, library)
    assert report.created == n, report.summary()
    with stopwatch() as second:
        again = import_marc(data, library)
    assert again.unchanged == n and again.created == 0, again.summary()
    line("MARC import, first load", records=n, items=report.items_created, seconds=first["seconds"],
         records_per_s=n / first["seconds"])
    line("MARC import, same file again", records=n, seconds=second["seconds"], records_per_s=n / second["seconds"])


def run(args) -> None:
    """Parts (``BENCH_CATALOG_PARTS``, comma-separated; default all): ``browse`` (issue 19: an
    empty query over a whole institution, with facets), ``search`` (the query mix), ``marc``."""
    import os

    setup_django("catalog")
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction

    from syllabus.catalog.models import Item, Record
    from syllabus.org.models import Consortium, Institution, Library, User

    total = int(os.environ.get("BENCH_CATALOG_RECORDS", 50_000 if args.quick else 1_000_000))
    parts = set((os.environ.get("BENCH_CATALOG_PARTS") or "browse,search,marc").split(","))
    cons, _ = Consortium.objects.get_or_create(code="bench-cat", defaults={"name": "Bench consortium"})
    inst_a, _ = Institution.objects.get_or_create(code="bench-cat-a", defaults={"name": "Bench A", "consortium": cons})
    inst_b, _ = Institution.objects.get_or_create(code="bench-cat-b", defaults={"name": "Bench B", "consortium": cons})
    libs = [Library.objects.get_or_create(code=code, defaults={"name": code, "institution": inst})[0]
            for code, inst in (("bench-a-main", inst_a), ("bench-a-sci", inst_a), ("bench-b-main", inst_b))]
    user, _ = User.objects.get_or_create(username="bench-cat-reader", defaults={"institution": inst_a, "password": make_password("x")})

    seconds = ensure_records(total, inst_a, inst_b, libs)
    have = Record.objects.filter(institution__in=[inst_a, inst_b]).count()
    items = Item.objects.filter(library__in=libs).count()
    if seconds:
        line("catalog generated (bulk insert)", records=f"{have:,}", items=f"{items:,}", seconds=seconds,
             records_per_s=(have / seconds))
    else:
        line("catalog reused", records=f"{have:,}", items=f"{items:,}", database=connection.vendor)
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)
    if "browse" in parts:
        bench_browse(user, inst_a)
    if "search" in parts:
        bench_search(user, have)
    if "marc" in parts:
        marc_inst, _ = Institution.objects.get_or_create(code="bench-marc", defaults={"name": "Bench MARC", "consortium": cons})
        marc_lib, _ = Library.objects.get_or_create(code="bench-marc-lib", defaults={"name": "Bench MARC library", "institution": marc_inst})
        with transaction.atomic():
            Item.objects.filter(record__institution=marc_inst).delete()
            Record.objects.filter(institution=marc_inst).delete()
        bench_marc(marc_lib, 1000 if args.quick else 5000)
        with transaction.atomic():
            Item.objects.filter(record__institution=marc_inst).delete()
            Record.objects.filter(institution=marc_inst).delete()
    print(f"  load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}", flush=True)

"""Catalog search (DSV-1, DSV-2): one service interface, two full-text backends.

    result = search(SearchParams(text="pride prejudice", institution_ids=[1, 2], types=["book"]))
    result.ids      # the page of record ids, best first
    result.count    # how many records match
    result.facets   # {"type": [(value, n)], "year": [...], "library": [...], "availability": [...]}

The backend is chosen by the database vendor: :class:`SqliteFts5Backend` (the embedded
default: FTS5 ``MATCH`` ranked by ``bm25`` with per-column weights) or
:class:`PostgresBackend` (the ``search_vector`` tsvector with its GIN index, ranked by
``ts_rank_cd``).  A backend says which records match a query and how well (a SQL
fragment yielding ``id, rank`` with lower rank = better); scope, filters, paging and facets
are the same SQL on SQLite.  PostgreSQL gets its own statements for the same answers
(:func:`_search_postgres`: the match as a condition on the records, the facets, the count and
the page from one read of the matches, the items from a covering index), because at 1,000,000
records the generic SQL read each match three times.  The index itself is
:mod:`syllabus.catalog.fts`.

Query language: words (each matches as a prefix, all must match, any metadata field); an
ISBN (10 or 13, with or without hyphens), an ISSN or a DOI typed alone is looked up exactly.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from django.conf import settings
from django.db import connection, transaction

from syllabus.citations import identifiers

from . import languages
from .availability import available_sql
from .fts import FTS_TABLE, STEMS, WEIGHTS

MAX_TERMS = 16
AVAILABILITY_VALUES = ("available", "online", "unavailable")


@dataclass
class ParsedQuery:
    terms: list[str] = field(default_factory=list)
    isbn: str = ""
    issn: str = ""
    doi: str = ""

    @property
    def empty(self) -> bool:
        return not (self.terms or self.isbn or self.issn or self.doi)


def parse_query(text: str) -> ParsedQuery:
    text = (text or "").strip()
    if not text:
        return ParsedQuery()
    if re.match(r"^(?:doi:\s*|https?://(?:dx\.)?doi\.org/)?10\.\d{4,9}/\S+$", text, re.I):
        doi = identifiers.doi_key(text)
        if doi:
            return ParsedQuery(doi=doi)
    compact = re.sub(r"[\s-]", "", text)
    if re.fullmatch(r"(?:97[89])?\d{9}[\dXx]", compact):
        isbn = identifiers.normalize_isbn(compact)
        if isbn:
            return ParsedQuery(isbn=isbn)
    if re.fullmatch(r"\d{4}-?\d{3}[\dXx]", text):
        issn = identifiers.normalize_issn(text)
        if issn:
            return ParsedQuery(issn=issn.replace("-", ""))
    terms = [t.lower() for t in re.findall(r"[^\W_]+", text)][:MAX_TERMS]
    return ParsedQuery(terms=terms)


@dataclass
class SearchParams:
    text: str = ""
    institution_ids: list[int] = field(default_factory=list)  # the scope (DSV-2); empty = nothing
    types: list[str] = field(default_factory=list)
    year_from: int | None = None
    year_to: int | None = None
    library_ids: list[int] = field(default_factory=list)
    availability: str = ""
    restrict_ids: list[int] | None = None  # only these records (e.g. a course's reserves, DSV-5)
    page: int = 1
    page_size: int = 20
    offset: int | None = None  # rows to skip; when set, wins over ``page`` (the API pages by offset)
    sort: str = "relevance"  # relevance | title | year_desc | year_asc
    facets: bool = True
    query: ParsedQuery | None = None  # set instead of ``text`` when the caller already parsed it


@dataclass
class SearchResult:
    ids: list[int]
    count: int
    facets: dict[str, list[tuple]]
    query: ParsedQuery
    # issue 19: more matches than CATALOG_FACETS_EXACT_LIMIT: the facets (and on PostgreSQL the
    # count) are estimates, rounded to two significant digits; ``has_more`` then says whether a
    # next page exists (known without counting every match)
    count_estimated: bool = False
    facets_estimated: bool = False
    has_more: bool | None = None


def about(n: float) -> int:
    """An estimate as people read one: at least 1, two significant digits from 100 up (12,345 → 12,000)."""
    value = max(1, round(n))
    if value < 100:
        return value
    return round(value, 2 - len(str(value)))


def _scaled(facets: dict[str, list[tuple]], scale: float) -> dict[str, list[tuple]]:
    out = {}
    for key, values in facets.items():
        scaled = [(v, about(n * scale)) for v, n in values]
        out[key] = scaled if key in ("year", "availability") else sorted(scaled, key=lambda kv: (-kv[1], kv[0]))
    return out


class SearchBackend:
    """Which records match a query, and how well.  ``match_sql`` returns SQL selecting
    ``id, rank`` (lower rank = better) and its parameters."""

    vendor = ""

    def match_sql(self, query: ParsedQuery, *, ranked: bool = True) -> tuple[str, list]:
        """``ranked=False`` (counts and facets) skips computing the rank of every match."""
        if query.doi:
            return "SELECT id, 0.0 AS rank FROM catalog_record WHERE doi = %s", [identifiers.doi_key(query.doi)]
        if query.empty:
            return "SELECT id, 0.0 AS rank FROM catalog_record", []
        return self.fulltext_sql(query, ranked)

    def fulltext_sql(self, query: ParsedQuery, ranked: bool) -> tuple[str, list]:
        raise NotImplementedError


class SqliteFts5Backend(SearchBackend):
    vendor = "sqlite"

    @staticmethod
    def match_expression(query: ParsedQuery) -> str:
        if query.isbn:
            return f'identifiers : "{query.isbn}"'
        if query.issn:
            return f'identifiers : "{query.issn}"'
        # every word a quoted prefix term: no FTS5 syntax can leak in from the user's text; a word
        # also matches its Snowball stem in each non-English language, exactly, in the ``stems``
        # column (issue 13: "chevaux" finds the French record of "cheval"), as on PostgreSQL
        parts = []
        for t in query.terms:
            alternatives = [f'"{t}"*', *(f'{STEMS} : "{stem}"' for stem in languages.query_stems(t) if stem)]
            parts.append(f"({' OR '.join(alternatives)})")
        return " AND ".join(parts)

    def fulltext_sql(self, query: ParsedQuery, ranked: bool) -> tuple[str, list]:
        weights = ", ".join(str(w) for w in WEIGHTS)
        rank = f"bm25({FTS_TABLE}, {weights})" if ranked else "0.0"
        return (f"SELECT rowid AS id, {rank} AS rank FROM {FTS_TABLE} WHERE {FTS_TABLE} MATCH %s",
                [self.match_expression(query)])


class PostgresBackend(SearchBackend):
    """Each record's vector is in the configuration of its language (``syllabus_search_config``,
    migration 0008), so the query is parsed in every configuration (:meth:`parsed`) and a record
    matches the query parsed in its own: ``CASE syllabus_search_config(r.language) WHEN
    'syllabus_french' THEN <the French query> ...``.  That condition cannot use the GIN index, so
    it is preceded by one that can and that every match satisfies: each word's lexemes in all
    the configurations, OR-ed (a word that is an English stop word is left out of it, since
    English ignores it; only English has stop words)."""

    vendor = "postgresql"

    @staticmethod
    def parsed(query: ParsedQuery) -> tuple[str, list[str | None]]:
        """``(prefilter, [query per configuration of languages.PG_CONFIGS])`` as tsquery text
        (``""``: no prefilter; ``None``: no record of that configuration can match)."""
        configs = list(languages.PG_CONFIGS)
        with connection.cursor() as cursor:
            # English as always (each word a prefix); another language: the word's stem exactly, or
            # the word itself (accents folded) as a prefix — "chevaux" finds "cheval" and "chev" too,
            # but a short stem does not become a prefix of every longer word ("pow" of "power")
            cursor.execute("SELECT t.i, c.i, CASE WHEN c.i = 1 THEN to_tsquery(c.name::regconfig, t.term || ':*') "
                           "ELSE to_tsquery(c.name::regconfig, t.term) || to_tsquery('syllabus_simple'::regconfig, t.term || ':*') "
                           "END::text FROM unnest(%s::text[]) WITH ORDINALITY t(term, i), "
                           "unnest(%s::text[]) WITH ORDINALITY c(name, i)", [query.terms, configs])
            lexemes: dict[tuple[int, int], str] = {(ti - 1, ci - 1): text for ti, ci, text in cursor.fetchall()}
        per_config: list[str | None] = []
        for ci in range(len(configs)):
            parts = [f"({lexemes[ti, ci]})" for ti in range(len(query.terms)) if lexemes.get((ti, ci))]
            per_config.append(" & ".join(parts) or None)
        english_stop = [not lexemes.get((ti, 0)) for ti in range(len(query.terms))]
        prefilter = []
        for ti in range(len(query.terms)):
            others = range(1, len(configs)) if all(english_stop) else range(len(configs))
            if english_stop[ti] and not all(english_stop):
                continue  # an English record may match without this word
            alternatives = list(dict.fromkeys(lexemes[ti, ci] for ci in others if lexemes.get((ti, ci))))
            if alternatives:
                prefilter.append("(" + " | ".join(f"({a})" for a in alternatives) + ")")
        return " & ".join(prefilter), per_config

    def fulltext_parts(self, query: ParsedQuery, alias: str) -> tuple[str, str, str, list]:
        """``(from, where, rank, params)`` for ``catalog_record <alias>``: ``from`` (appended to the
        FROM clause) holds the parameters, the other two refer to it."""
        prefilter, per_config = self.parsed(query)
        names = [f"c{k}" for k in range(len(per_config))]
        frm = (f", (SELECT %s::tsquery, {', '.join('%s::tsquery' for _ in per_config)}) "
               f"AS q(prefilter, {', '.join(names)})")
        own = (f"CASE syllabus_search_config({alias}.language) "
               + " ".join(f"WHEN '{cfg}'::regconfig THEN q.{name}" for cfg, name in zip(languages.PG_CONFIGS, names, strict=True))
               + " END")
        cond = f"{alias}.search_vector @@ {own}"
        if prefilter:
            cond = f"{alias}.search_vector @@ q.prefilter AND {cond}"
        return frm, cond, f"-ts_rank_cd({alias}.search_vector, {own}, 32)", [prefilter or None, *per_config]

    def fulltext_sql(self, query: ParsedQuery, ranked: bool) -> tuple[str, list]:
        if query.isbn or query.issn:
            return ("SELECT id, 0.0 AS rank FROM catalog_record WHERE search_vector @@ to_tsquery('simple'::regconfig, %s)",
                    [query.isbn or query.issn])
        frm, cond, rank, params = self.fulltext_parts(query, "r0")
        return f"SELECT r0.id, {rank if ranked else '0.0'} AS rank FROM catalog_record r0{frm} WHERE {cond}", params

    def inline_sql(self, query: ParsedQuery) -> tuple[str, str, str, list]:
        """The match as a condition on ``catalog_record r`` itself: ``(from, where, rank, params)``
        (``from`` is appended to ``FROM catalog_record r``; the params of whichever of the two has
        any).  Searching ``r`` directly instead of joining a match subquery back to catalog_record
        reads each matching row once, and lets ``ORDER BY rank LIMIT`` sort only the top N."""
        if query.doi:
            return "", "r.doi = %s", "0.0", [identifiers.doi_key(query.doi)]
        if query.empty:
            return "", "TRUE", "0.0", []
        if query.isbn or query.issn:
            return "", "r.search_vector @@ to_tsquery('simple'::regconfig, %s)", "0.0", [query.isbn or query.issn]
        return self.fulltext_parts(query, "r")


BACKENDS = {"sqlite": SqliteFts5Backend, "postgresql": PostgresBackend}


def backend() -> SearchBackend:
    try:
        return BACKENDS[connection.vendor]()
    except KeyError:
        raise NotImplementedError(f"catalog search has no backend for {connection.vendor}") from None


def _in(column: str, values: list) -> tuple[str, list]:
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _filters(p: SearchParams) -> tuple[str, list]:
    clauses, params = [], []
    sql, args = _in("r.institution_id", p.institution_ids or [0])
    clauses.append(sql)
    params += args
    if p.types:
        sql, args = _in("r.type", p.types)
        clauses.append(sql)
        params += args
    if p.year_from is not None:
        clauses.append("r.year >= %s")
        params.append(p.year_from)
    if p.year_to is not None:
        clauses.append("r.year <= %s")
        params.append(p.year_to)
    if p.library_ids:
        sql, args = _in("i.library_id", p.library_ids)
        clauses.append(f"EXISTS (SELECT 1 FROM catalog_item i WHERE i.record_id = r.id AND {sql})")
        params += args
    if p.availability == "available":
        clauses.append(_available())
    elif p.availability == "online":
        clauses.append(ONLINE)
    elif p.availability == "unavailable":
        clauses.append(f"NOT {_available()} AND NOT {ONLINE}")
    if p.restrict_ids is not None:
        sql, args = _in("r.id", p.restrict_ids or [0])
        clauses.append(sql)
        params += args
    return " AND ".join(clauses), params


def _available() -> str:
    """Whether record ``r`` has a copy available (DSV-6): in place and held for nobody
    (``catalog.availability``: the hold shelf, filled by circulation at start-up)."""
    return f"EXISTS (SELECT 1 FROM catalog_item ia WHERE ia.record_id = r.id AND {available_sql('ia')})"
ONLINE = ("(EXISTS (SELECT 1 FROM catalog_eresource e WHERE e.record_id = r.id) OR "
          "EXISTS (SELECT 1 FROM catalog_representation rp WHERE rp.record_id = r.id AND rp.active "
          "AND rp.discoverable))")
ORDER = {
    "relevance": "m.rank, r.id",
    "title": "r.title, r.id",
    "year_desc": "r.year DESC, r.id",
    "year_asc": "r.year, r.id",
}


def search(p: SearchParams) -> SearchResult:
    """Run a search: the page of ids, the count, and (when asked) the facets."""
    query = p.query if p.query is not None else parse_query(p.text)
    engine = backend()
    if engine.vendor == "postgresql":
        return _search_postgres(p, query, engine)
    where, where_params = _filters(p)
    # CROSS JOIN keeps the matches as the outer loop on SQLite (whose planner would otherwise walk
    # the records and re-run the full-text query for each); PostgreSQL plans it as a plain join.
    template = "WITH m AS ({match}) SELECT {cols} FROM m CROSS JOIN catalog_record r WHERE r.id = m.id AND {where}"

    def sql(cols: str, *, ranked: bool = False) -> tuple[str, list]:
        match, match_params = engine.match_sql(query, ranked=ranked)
        return template.format(match=match, cols=cols, where=where), match_params + where_params

    sort, page_size, offset = _page_bounds(p, query)
    ids: list[int] | None = None
    with connection.cursor() as cursor:
        facets: dict[str, list[tuple]] = {}
        by_type: dict[str, int] = {}
        by_year: dict[int, int] = {}
        availability = {"available": 0, "online": 0, "unavailable": 0}
        estimated = False
        limit = settings.CATALOG_FACETS_EXACT_LIMIT
        if p.facets:
            # session 25: one statement reads the first limit + 1 matches once (a MATERIALIZED CTE)
            # and gives the type/year/availability facets, the library facet and — in relevance
            # order — the page; it used to be three further reads of every match (a probe counting
            # up to the limit, the grouped facets, the library join).  Up to the limit that is the
            # whole answer; beyond it (issue 19) the estimate below runs as before.
            first_sql, params = sql("r.id, r.type, r.year, m.rank", ranked=sort == "relevance")
            flags = (f"CASE WHEN {_available().replace('r.id', 's.id')} THEN 1 ELSE 0 END, "
                     f"CASE WHEN {ONLINE.replace('r.id', 's.id')} THEN 1 ELSE 0 END")
            page_branch = (" UNION ALL SELECT * FROM (SELECT 2, NULL, CAST(NULL AS INTEGER), CAST(NULL AS INTEGER), "
                           "CAST(NULL AS INTEGER), s.id, s.rank FROM s "
                           "ORDER BY s.rank, s.id LIMIT %s OFFSET %s) p") if sort == "relevance" else ""
            cursor.execute(f"WITH s AS MATERIALIZED ({first_sql} LIMIT %s) "
                           f"SELECT 0, s.type, s.year, {flags}, COUNT(*), CAST(NULL AS REAL) FROM s GROUP BY 2, 3, 4, 5 "
                           "UNION ALL SELECT 1, NULL, i.library_id, NULL, NULL, COUNT(DISTINCT s.id), NULL FROM s "
                           "CROSS JOIN catalog_item i WHERE i.record_id = s.id GROUP BY i.library_id" + page_branch,
                           params + [limit + 1] + ([page_size, offset] if page_branch else []))
            rows = cursor.fetchall()
            count = _tally((row[1:6] for row in rows if row[0] == 0), by_type, by_year, availability)
            estimated = count > limit
            if not estimated:
                facets.update(_facets(by_type, by_year, availability))
                if count:
                    facets["library"] = sorted(((row[2], row[5]) for row in rows if row[0] == 1), key=lambda kv: (-kv[1], kv[0]))
                if page_branch:  # (rank, id) sorted here exactly as ORDER BY would
                    ids = [row[5] for row in sorted((row for row in rows if row[0] == 2), key=lambda row: (row[6], row[5]))]
        if estimated:
            by_type, by_year, availability = {}, {}, {"available": 0, "online": 0, "unavailable": 0}
            # more matches than the limit (issue 19): the count exactly (one index pass), the facets
            # over the first ``limit`` matches, scaled to the count
            count_sql, params = sql("COUNT(*)")
            cursor.execute(count_sql, params)
            count = cursor.fetchone()[0]
            first_sql, params = sql("r.id, r.type, r.year")
            first = f"WITH s AS ({first_sql} LIMIT {int(limit)}) "
            flags = (f"CASE WHEN {_available().replace('r.id', 's.id')} THEN 1 ELSE 0 END, "
                     f"CASE WHEN {ONLINE.replace('r.id', 's.id')} THEN 1 ELSE 0 END")
            cursor.execute(first + f"SELECT s.type, s.year, {flags}, COUNT(*) FROM s GROUP BY 1, 2, 3, 4", params)
            sampled = _tally(cursor.fetchall(), by_type, by_year, availability)
            raw = _facets(by_type, by_year, availability)
            cursor.execute(first + "SELECT i.library_id, COUNT(DISTINCT s.id) FROM s CROSS JOIN catalog_item i "
                           "WHERE i.record_id = s.id GROUP BY i.library_id", params)
            raw["library"] = cursor.fetchall()
            facets = _scaled(raw, count / max(sampled, 1))
        elif not p.facets:
            count_sql, params = sql("COUNT(*)")
            cursor.execute(count_sql, params)
            count = cursor.fetchone()[0]
        if ids is None:
            page_sql, params = sql("r.id", ranked=sort == "relevance")
            cursor.execute(page_sql + f" ORDER BY {ORDER[sort]} LIMIT %s OFFSET %s", params + [page_size, offset])
            ids = [row[0] for row in cursor.fetchall()]
    return SearchResult(ids=ids, count=count, facets=facets, query=query, facets_estimated=estimated)


def _page_bounds(p: SearchParams, query: ParsedQuery) -> tuple[str, int, int]:
    sort = p.sort if p.sort in ORDER else "relevance"
    if sort == "relevance" and query.empty:
        sort = "title"
    page_size = max(1, min(int(p.page_size or 20), 200))
    if p.offset is not None:
        return sort, page_size, max(0, int(p.offset))
    return sort, page_size, (max(1, int(p.page or 1)) - 1) * page_size


def _tally(rows, by_type: dict, by_year: dict, availability: dict) -> int:
    """Add ``(type, year, available, online, n)`` rows into the facet counters; returns the count."""
    count = 0
    for rtype, year, available, online, n in rows:
        count += n
        by_type[rtype] = by_type.get(rtype, 0) + n
        if year:
            by_year[year] = by_year.get(year, 0) + n
        if available:
            availability["available"] += n
        if online:
            availability["online"] += n
        if not available and not online:
            availability["unavailable"] += n
    return count


def _facets(by_type: dict, by_year: dict, availability: dict) -> dict[str, list[tuple]]:
    return {"type": sorted(by_type.items(), key=lambda kv: (-kv[1], kv[0])),
            "year": sorted(by_year.items(), key=lambda kv: -kv[0]),
            "availability": [(v, availability[v]) for v in AVAILABILITY_VALUES if availability[v]],
            "library": []}


PG_ORDER = {**ORDER, "relevance": "rank, r.id"}
FEW_MATCHES = 2000  # up to this many matches (or the exact limit if lower), no sample is taken


def _search_postgres(p: SearchParams, query: ParsedQuery, engine: PostgresBackend) -> SearchResult:
    """The same answers as the generic SQL of :func:`search`, in fewer reads of catalog_record (DSV-1):

    * the full-text condition is on ``catalog_record r`` itself (no join of the matches back to
      the table: one heap read per match instead of a heap read plus a primary-key probe);
    * the facets are one statement: the matches are read once (a ``MATERIALIZED`` CTE), their
      items are read once from the covering index ``catalog_item_search_cover`` (index-only) and
      give both the availability flag and the library facet, instead of an ``EXISTS`` probe per
      match plus a second full join for the libraries;
    * more matches than ``CATALOG_FACETS_EXACT_LIMIT`` (issue 19: browsing a whole institution of
      700,000 records took ~5 s): the count and facets are estimated from a sample of the table
      (``TABLESAMPLE SYSTEM``, about ``CATALOG_FACETS_SAMPLE_ROWS`` rows, the same pages every
      time), scaled and rounded; the page is fetched with one row more than it shows, which says
      whether there is a next one — nothing counts every match;
    * JIT is off for these statements: their cost estimates are high (tens of thousands of
      matches), so PostgreSQL would compile them, which took longer than running them.
    """
    frm, cond, rank, match_params = engine.inline_sql(query)
    where, where_params = _filters(p)
    base = f"FROM catalog_record r{frm} WHERE {cond} AND {where}"
    params = match_params + where_params
    sort, page_size, offset = _page_bounds(p, query)
    ranked = sort == "relevance"
    order = PG_ORDER[sort]
    limit = settings.CATALOG_FACETS_EXACT_LIMIT
    facets: dict[str, list[tuple]] = {}
    ids: list[int] | None = None
    estimated = False
    has_more: bool | None = None
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('jit'), set_config('jit', 'off', true)")
        jit = cursor.fetchone()[0]
        sample_facets: dict[str, list[tuple]] | None = None
        few = min(limit, FEW_MATCHES)
        many = False
        if p.facets or query.empty:
            cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 {base} LIMIT %s) x", params + [few + 1])
            many = cursor.fetchone()[0] > few
        if many:
            # more than a few thousand matches (a rare word is settled by reading its few).  A
            # sample of the table (a few hundred pages, the same ones every time) gives the facets
            # and the count at once; when it says clearly more than the limit, or clearly fewer,
            # that decides; near the limit, the first limit + 1 matches do.  (A browse without
            # facets still counts: that count is capped too.)
            cursor.execute("SELECT reltuples FROM pg_class WHERE oid = 'catalog_record'::regclass")
            table_rows = cursor.fetchone()[0] or 0
            percent = 100.0 if table_rows <= settings.CATALOG_FACETS_SAMPLE_ROWS else \
                max(0.01, 100.0 * settings.CATALOG_FACETS_SAMPLE_ROWS / table_rows)
            sampled = f"FROM catalog_record r TABLESAMPLE SYSTEM (%s) REPEATABLE (0){frm} WHERE {cond} AND {where}"
            sample_params = [percent, *params]
            scale = 100.0 / percent
            if p.facets:
                sample_facets, sample_count, _page = _pg_facets(
                    cursor, f"SELECT r.id, r.type, r.year, 0.0 AS rank {sampled}", sample_params, probe_items=True)
            else:
                cursor.execute(f"SELECT COUNT(*) {sampled}", sample_params)
                sample_count = cursor.fetchone()[0]
            if percent >= 100.0 or limit / 2 <= sample_count * scale <= limit * 2:
                cursor.execute(f"SELECT COUNT(*) FROM (SELECT 1 {base} LIMIT %s) x", params + [limit + 1])
                estimated = cursor.fetchone()[0] > limit
            else:
                estimated = sample_count * scale > limit * 2
        if estimated:
            if sample_facets is not None:
                facets = _scaled(sample_facets, scale)
            count = max(limit + 1, about(sample_count * scale))
            cols = f"r.id, {rank} AS rank" if ranked else "r.id"
            cursor.execute(f"SELECT {cols} {base} ORDER BY {order} LIMIT %s OFFSET %s", params + [page_size + 1, offset])
            ids = [row[0] for row in cursor.fetchall()]
            has_more = len(ids) > page_size
            ids = ids[:page_size]
        elif p.facets:
            # the page rides along when it is in relevance order: (rank, id) come back and are
            # sorted here exactly as ORDER BY would (a float4 and a bigint)
            m_cols = f"r.id, r.type, r.year, {rank if ranked else '0.0'} AS rank"
            facets, count, page_rows = _pg_facets(cursor, f"SELECT {m_cols} {base}", params,
                                                  page=(page_size, offset) if ranked else None)
            if ranked:
                ids = [row[5] for row in sorted(page_rows, key=lambda row: (row[6], row[5]))]
        if ids is None:
            cols = f"r.id, {rank} AS rank" if ranked else "r.id"
            windowed = not p.facets and not query.empty
            if windowed:  # the count in the same read of the matches (a window over all of them, before LIMIT)
                cols += ", COUNT(*) OVER ()"
            if windowed and ranked:  # the rank computed in the scan: the window then holds (id, rank), not the vectors
                page_sql = (f"SELECT id, rank, COUNT(*) OVER () FROM (SELECT r.id, {rank} AS rank {base} OFFSET 0) r "
                            f"ORDER BY {order}")
            else:
                page_sql = f"SELECT {cols} {base} ORDER BY {order}"
            cursor.execute(page_sql + " LIMIT %s OFFSET %s", params + [page_size, offset])
            rows = cursor.fetchall()
            ids = [row[0] for row in rows]
            if windowed and (rows or not offset):
                count = rows[0][-1] if rows else 0
            elif not p.facets:  # browsing (an index-only count), or past the last page (no row to carry it)
                cursor.execute(f"SELECT COUNT(*) {base}", params)
                count = cursor.fetchone()[0]
        cursor.execute("SELECT set_config('jit', %s, true)", [jit])
    return SearchResult(ids=ids, count=count, facets=facets, query=query, count_estimated=estimated,
                        facets_estimated=estimated and p.facets, has_more=has_more)


def _pg_facets(cursor, matches_sql: str, params: list, *, page: tuple[int, int] | None = None,
               probe_items: bool = False) -> tuple[dict[str, list[tuple]], int, list[tuple]]:
    """Facets of the records ``matches_sql`` selects (``id, type, year, rank``) in one statement:
    ``(facets, count, page rows)``; the page rows (``(2, ..., id, rank)``) when ``page`` (size,
    offset) asks for the top of them by rank too.  ``probe_items``: the items of each match are
    looked up in the covering index one match at a time (LATERAL) — for a sample, whose ids are
    scattered over the whole table, where a join would read the index of every item."""
    page_branch = (" UNION ALL (SELECT 2, NULL, NULL, NULL, NULL, m.id, m.rank FROM m "
                   "ORDER BY m.rank, m.id LIMIT %s OFFSET %s)") if page else ""
    online = ONLINE.replace("r.id", "m.id")
    items = ("it AS MATERIALIZED (SELECT m.id AS record_id, x.library_id, x.available FROM m CROSS JOIN LATERAL "
             f"(SELECT i.library_id, bool_or({available_sql('i')}) AS available FROM catalog_item i "
             "WHERE i.record_id = m.id GROUP BY i.library_id) x) ") if probe_items else (
             f"it AS (SELECT i.record_id, i.library_id, bool_or({available_sql('i')}) AS available "
             "FROM m JOIN catalog_item i ON i.record_id = m.id GROUP BY i.record_id, i.library_id) ")
    cursor.execute(
        f"WITH m AS MATERIALIZED ({matches_sql}), " + items +
        "SELECT 0, m.type, m.year, COALESCE(a.available, FALSE), "
        f"CASE WHEN {online} THEN 1 ELSE 0 END, COUNT(*), NULL::real FROM m LEFT JOIN "
        "(SELECT record_id, bool_or(available) AS available FROM it GROUP BY record_id) a ON a.record_id = m.id "
        "GROUP BY 2, 3, 4, 5 "
        "UNION ALL SELECT 1, NULL, library_id, NULL, NULL, COUNT(*), NULL FROM it GROUP BY library_id"
        + page_branch, params + (list(page) if page else []))
    by_type: dict[str, int] = {}
    by_year: dict[int, int] = {}
    availability = {"available": 0, "online": 0, "unavailable": 0}
    rows = cursor.fetchall()
    count = _tally((row[1:6] for row in rows if row[0] == 0), by_type, by_year, availability)
    facets = _facets(by_type, by_year, availability)
    facets["library"] = sorted(((row[2], row[5]) for row in rows if row[0] == 1), key=lambda kv: (-kv[1], kv[0]))
    return facets, count, [row for row in rows if row[0] == 2]

"""The full-text index of the catalog (DSV-1), one per database vendor.

* SQLite (embedded default): an FTS5 virtual table ``catalog_record_fts`` with external content
  (the ``catalog_record`` table itself, so nothing is stored twice), kept in sync by triggers, so
  that rows written by any path — services, bulk inserts, the MARC loader, a bench generator —
  are searchable at once.
* PostgreSQL (at scale): a stored generated ``tsvector`` column ``search_vector`` with a GIN
  index, in the text search configuration of the record's language (migration 0008, issue 13):
  ``syllabus_search_config(language)`` picks ``syllabus_english``, ``syllabus_french``,
  ``syllabus_german`` ... (Snowball stemming, accents folded with ``unaccent`` when the server
  has it) or ``syllabus_simple`` (a language without a stemmer); a record without a language
  is English, as before.  Only English drops stop words (as it always did).  The weights (A title
  and identifiers, B creators, C subjects, D container, publisher, edition, language, abstract
  and notes) feed ``ts_rank_cd``.
* SQLite: the FTS5 tokenizer (porter) stems English; a further column ``stems`` holds the
  Snowball stems of a non-English record's title, subjects, container and notes, computed in
  Python (:func:`syllabus.catalog.languages.stems`, the SQL function ``syllabus_stems`` that
  :func:`register_sqlite_functions` gives every connection).  The FTS5 table keeps
  ``catalog_record`` as its external content; ``stems`` is not a column there, so the index is
  filled with ``delete-all`` + ``INSERT ... SELECT`` instead of ``rebuild`` and nothing reads
  that column back (search only needs ``MATCH`` and ``bm25``).  A program that writes
  ``catalog_record`` through another SQLite connection must register ``syllabus_stems`` too.

Django rebuilds a SQLite table to alter it (copy, drop, rename), which drops its triggers;
:func:`ensure` runs after every ``migrate`` (``post_migrate``) and puts them back (and
rebuilds the index) when they are missing.  Migration ``0004`` calls :func:`install`; ``0006``
(edition, language, abstract and notes) and ``0008`` (per-language stemming) rebuild it; each
passes the columns and vector of its time (``*_0004``, ``*_0006``), the latest are the defaults.
"""
from __future__ import annotations

import logging

from . import languages

log = logging.getLogger("syllabus.catalog")

FTS_TABLE = "catalog_record_fts"
# Columns of catalog_record that are indexed, in index order (bm25 weights follow this order):
# "search over all metadata fields" — title and creators above the abstract and notes.
COLUMNS_0006 = ("title", "creators", "subjects", "identifiers", "publisher", "container_title", "edition", "language", "notes")
# 0008: ``stems`` (computed, not a column of catalog_record): Snowball stems of a non-English record
STEMS = "stems"
COLUMNS = (*COLUMNS_0006, STEMS)
WEIGHTS = (10.0, 6.0, 3.0, 8.0, 1.0, 2.0, 1.0, 0.5, 0.5, 4.0)
STEMMED_TEXT = "coalesce({p}title, '') || ' ' || coalesce({p}subjects, '') || ' ' || coalesce({p}container_title, '') || ' ' || coalesce({p}notes, '')"
COLUMNS_0004 = ("title", "creators", "subjects", "identifiers", "publisher", "container_title")
TRIGGERS = ("catalog_record_fts_ai", "catalog_record_fts_ad", "catalog_record_fts_au")


def _values(columns: tuple[str, ...], prefix: str) -> str:
    """The values of ``columns`` for a row (``new.`` / ``old.`` / ``r.``), ``stems`` computed."""
    return ", ".join(f"syllabus_stems({prefix}language, {STEMMED_TEXT.format(p=prefix)})" if c == STEMS else f"{prefix}{c}"
                     for c in columns)


def sqlite_sql(columns: tuple[str, ...] = COLUMNS) -> tuple[str, list[str]]:
    """(the FTS5 table, its triggers) over ``columns`` of catalog_record."""
    cols = ", ".join(columns)
    new = _values(columns, "new.")
    old = _values(columns, "old.")
    watched = ", ".join(c for c in columns if c != STEMS)  # ``stems`` follows title... and language
    table = (f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5({cols}, content='catalog_record', "
             "content_rowid='id', tokenize='porter unicode61 remove_diacritics 2')")
    triggers = [
        f"CREATE TRIGGER IF NOT EXISTS catalog_record_fts_ai AFTER INSERT ON catalog_record BEGIN "
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new}); END",
        f"CREATE TRIGGER IF NOT EXISTS catalog_record_fts_ad AFTER DELETE ON catalog_record BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old}); END",
        f"CREATE TRIGGER IF NOT EXISTS catalog_record_fts_au AFTER UPDATE OF {watched} ON catalog_record BEGIN "
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, {cols}) VALUES ('delete', old.id, {old}); "
        f"INSERT INTO {FTS_TABLE}(rowid, {cols}) VALUES (new.id, {new}); END",
    ]
    return table, triggers


SQLITE_TABLE, SQLITE_TRIGGERS = sqlite_sql()

# Text search configurations of our own: English stemming, and accents folded by the
# ``unaccent`` dictionary when the server has that extension (else English as it is); since 0008
# one per stemmed language too, and ``syllabus_simple`` (no stemming).
PG_CONFIG = "syllabus_english"
PG_VECTOR_0004 = (
    f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(title, '')), 'A') || "
    "setweight(to_tsvector('simple'::regconfig, coalesce(identifiers, '')), 'A') || "
    f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(creators, '')), 'B') || "
    f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(subjects, '')), 'C') || "
    f"setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(container_title, '') || ' ' || coalesce(publisher, '')), 'D')"
)
# 0006: edition, language, abstract and notes too, with the lowest weight (D).
PG_VECTOR_0006 = PG_VECTOR_0004 + (
    f" || setweight(to_tsvector('{PG_CONFIG}'::regconfig, coalesce(edition, '') || ' ' || coalesce(language, '') "
    "|| ' ' || coalesce(notes, '')), 'D')"
)
# 0008: the same parts, each in the configuration of the record's language.
PG_VECTOR = PG_VECTOR_0006.replace(f"'{PG_CONFIG}'::regconfig", "syllabus_search_config(language)")


def pg_sql(vector: str = PG_VECTOR) -> list[str]:
    return [
        f"ALTER TABLE catalog_record ADD COLUMN IF NOT EXISTS search_vector tsvector GENERATED ALWAYS AS ({vector}) STORED",
        "CREATE INDEX IF NOT EXISTS catalog_record_search_gin ON catalog_record USING GIN (search_vector)",
    ]


PG_INSTALL = pg_sql()


def install(connection, *, columns: tuple[str, ...] = COLUMNS, pg_vector: str = PG_VECTOR) -> None:
    """Create the index for ``connection``'s vendor (idempotent)."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            table, triggers = sqlite_sql(columns)
            cursor.execute(table)
            for sql in triggers:
                cursor.execute(sql)
            if STEMS in columns:  # ``stems`` is not in the content table: 'rebuild' cannot read it
                cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('delete-all')")
                cursor.execute(f"INSERT INTO {FTS_TABLE}(rowid, {', '.join(columns)}) "
                               f"SELECT r.id, {_values(columns, 'r.')} FROM catalog_record r")
            else:
                cursor.execute(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
        elif connection.vendor == "postgresql":
            _pg_config(connection, cursor)
            if "syllabus_search_config" in pg_vector:
                _pg_language_configs(connection, cursor)
            for sql in pg_sql(pg_vector):
                cursor.execute(sql)


def _drop_index(connection, cursor) -> None:
    """Drop the full-text index (FTS5 table and triggers, or the tsvector column and its GIN index)."""
    if connection.vendor == "sqlite":
        for name in TRIGGERS:
            cursor.execute(f"DROP TRIGGER IF EXISTS {name}")
        cursor.execute(f"DROP TABLE IF EXISTS {FTS_TABLE}")
    elif connection.vendor == "postgresql":
        cursor.execute("DROP INDEX IF EXISTS catalog_record_search_gin")
        cursor.execute("ALTER TABLE catalog_record DROP COLUMN IF EXISTS search_vector")


def reinstall(connection, **kw) -> None:
    """Rebuild the index over another set of columns (a migration that changes them)."""
    with connection.cursor() as cursor:
        _drop_index(connection, cursor)
    install(connection, **kw)


def _pg_config(connection, cursor) -> None:
    from django.db import DatabaseError, transaction

    cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [PG_CONFIG])
    if cursor.fetchone():
        return
    try:
        with transaction.atomic(using=connection.alias):
            cursor.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
            cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = english)")
            cursor.execute(f"ALTER TEXT SEARCH CONFIGURATION {PG_CONFIG} ALTER MAPPING FOR hword, hword_part, word "
                           "WITH unaccent, english_stem")
    except DatabaseError:  # no unaccent on this server: English stemming without folding accents
        log.warning("PostgreSQL has no unaccent extension: catalog search will not fold accents")
        cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {PG_CONFIG} (COPY = english)")


def _pg_language_configs(connection, cursor) -> None:
    """One configuration per language of :mod:`syllabus.catalog.languages` (Snowball stemming
    without stop words, after ``unaccent`` when the server has it; ``syllabus_english`` is the one
    of 0004, stop words and all), and ``syllabus_search_config(language)`` choosing among them."""
    from django.db import DatabaseError, transaction

    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'unaccent'")
    unaccent = cursor.fetchone() is not None
    for lang in (*languages.STEMMED_OTHER, languages.UNSTEMMED):
        name = languages.pg_config(lang)
        cursor.execute("SELECT 1 FROM pg_ts_config WHERE cfgname = %s", [name])
        if cursor.fetchone():
            continue
        dictionary = "simple"
        if lang != languages.UNSTEMMED:
            dictionary = f"{name}_stem"
            cursor.execute(f"CREATE TEXT SEARCH DICTIONARY {dictionary} (TEMPLATE = snowball, Language = {lang})")
        cursor.execute(f"CREATE TEXT SEARCH CONFIGURATION {name} (COPY = simple)")
        chain = f"unaccent, {dictionary}" if unaccent else dictionary
        try:
            with transaction.atomic(using=connection.alias):
                cursor.execute(f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR hword, hword_part, word WITH {chain}")
        except DatabaseError:  # pragma: no cover - unaccent present but unusable
            cursor.execute(f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR hword, hword_part, word WITH {dictionary}")
        cursor.execute(f"ALTER TEXT SEARCH CONFIGURATION {name} ALTER MAPPING FOR asciiword, asciihword, hword_asciipart "
                       f"WITH {dictionary}")
    cursor.execute(languages.pg_config_function_sql())


def _pg_drop_language_configs(cursor) -> None:
    cursor.execute("DROP FUNCTION IF EXISTS syllabus_search_config(text)")
    for lang in (*languages.STEMMED_OTHER, languages.UNSTEMMED):
        name = languages.pg_config(lang)
        cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {name}")
        if lang != languages.UNSTEMMED:
            cursor.execute(f"DROP TEXT SEARCH DICTIONARY IF EXISTS {name}_stem")


def register_sqlite_functions(sender=None, connection=None, **kwargs) -> None:
    """``connection_created``: give a SQLite connection ``syllabus_stems(language, text)``, which
    the FTS5 triggers call (deterministic: the same row always gives the same stems)."""
    if connection is not None and connection.vendor == "sqlite":
        connection.connection.create_function("syllabus_stems", 2, languages.stems, deterministic=True)


def uninstall(connection, *, languages_too: bool = True) -> None:
    with connection.cursor() as cursor:
        _drop_index(connection, cursor)
        if connection.vendor == "postgresql":
            if languages_too:
                _pg_drop_language_configs(cursor)
                cursor.execute(f"DROP TEXT SEARCH CONFIGURATION IF EXISTS {PG_CONFIG}")


def is_installed(connection) -> bool:
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger') AND name IN (%s, %s, %s, %s)",
                           [FTS_TABLE, *TRIGGERS])
            return len(cursor.fetchall()) == 1 + len(TRIGGERS)
        if connection.vendor == "postgresql":
            cursor.execute("SELECT 1 FROM information_schema.columns WHERE table_name = 'catalog_record' "
                           "AND column_name = 'search_vector'")
            return cursor.fetchone() is not None
    return False


def ensure(connection) -> bool:
    """Re-create what a table rebuild dropped; returns True when something had to be repaired."""
    if connection.vendor not in ("sqlite", "postgresql"):
        return False
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    if "catalog_record" not in tables or "django_migrations" not in tables:
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1 FROM django_migrations WHERE app = 'catalog' AND name = '0004_fulltext_index'")
        if cursor.fetchone() is None:  # the migration will install it
            return False
    if is_installed(connection):
        return False
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM django_migrations WHERE app = 'catalog' AND name IN "
                       "('0006_search_all_fields', '0008_search_by_language')")
        applied = {row[0] for row in cursor.fetchall()}
    log.warning("catalog full-text index was missing (table rebuilt by a migration?): re-installing it")
    if "0008_search_by_language" in applied:
        install(connection)
    elif "0006_search_all_fields" in applied:
        install(connection, columns=COLUMNS_0006, pg_vector=PG_VECTOR_0006)
    else:
        install(connection, columns=COLUMNS_0004, pg_vector=PG_VECTOR_0004)
    return True

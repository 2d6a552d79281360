"""The languages the catalog's full-text search stems (DSV-1, issue 13): a record is indexed in
the language of its ``language`` column, so that a French catalogue finds "cheval" by "chevaux"
and a German one "Haus" by "Häuser", as an English one finds "horse" by "horses".

* :func:`snowball_language` maps a record's language (MARC/ISO 639-2 ``fre``/``fra``, ISO 639-1
  ``fr``, a tag like ``fr-CA``, or the English name) to a Snowball stemmer.  An empty language is
  English (what every record was indexed as before); a language we have no stemmer for is
  indexed without stemming (PostgreSQL ``simple``).
* PostgreSQL: one text search configuration per language (``syllabus_french`` ...), built by
  :mod:`syllabus.catalog.fts`, chosen per row by the SQL function ``syllabus_search_config``.
* SQLite: :func:`stems` (registered as the SQL function ``syllabus_stems``) produces the
  Snowball stems of a non-English record's text for the FTS5 column ``stems``; the query is
  stemmed by :func:`query_stems` with the same stemmers.
"""
from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

# Snowball language → the codes and names a record may carry for it.
LANGUAGES: dict[str, tuple[str, ...]] = {
    "english": ("en", "eng", "english"),
    "french": ("fr", "fre", "fra", "french"),
    "german": ("de", "ger", "deu", "german", "deutsch"),
    "spanish": ("es", "spa", "spanish"),
    "italian": ("it", "ita", "italian", "italiano"),
    "portuguese": ("pt", "por", "portuguese"),
    "dutch": ("nl", "dut", "nld", "dutch", "nederlands"),
}
DEFAULT = "english"  # a record without a language
UNSTEMMED = "simple"  # a language we have no stemmer for
CODES = {code: lang for lang, codes in LANGUAGES.items() for code in codes}
STEMMED_OTHER = tuple(lang for lang in LANGUAGES if lang != DEFAULT)  # SQLite's ``stems`` column
WORD = re.compile(r"[^\W_]+")


def fold(text: str) -> str:
    """Lower case without diacritics (what PostgreSQL's ``unaccent`` and FTS5's
    ``remove_diacritics`` do), before stemming."""
    decomposed = unicodedata.normalize("NFKD", text.lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c)).replace("ß", "ss")


def snowball_language(language: str | None) -> str:
    """``english``, ``french``, ... or :data:`UNSTEMMED`."""
    key = fold((language or "").strip()).replace("_", "-").split("-")[0]
    if not key:
        return DEFAULT
    return CODES.get(key, UNSTEMMED)


@lru_cache(maxsize=None)
def _stemmer(language: str):
    return snowballstemmer.stemmer(language)


def stems(language: str | None, text: str | None) -> str:
    """The Snowball stems of ``text`` in the record's language, space-separated; empty for an
    English record (the FTS5 porter tokenizer stems those) or one without a stemmer."""
    lang = snowball_language(language)
    if lang not in STEMMED_OTHER or not text:
        return ""
    return " ".join(_stemmer(lang).stemWords(WORD.findall(fold(text))))


def query_stems(term: str) -> list[str]:
    """The distinct stems of one query word in every non-English language we stem."""
    return list(_query_stems(fold(term)))


@lru_cache(maxsize=8192)   # the same words again and again (every student resolving the same readings)
def _query_stems(word: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(_stemmer(lang).stemWord(word) for lang in STEMMED_OTHER))


def pg_config(language: str) -> str:
    """The PostgreSQL text search configuration of a Snowball language (or ``simple``)."""
    return f"syllabus_{language}"


PG_CONFIGS = tuple(pg_config(lang) for lang in (*LANGUAGES, UNSTEMMED))


def pg_config_function_sql() -> str:
    """``syllabus_search_config(language)``: the configuration of a record's language, as
    :func:`snowball_language` chooses it (immutable: a generated column may call it)."""
    whens = " ".join(f"WHEN '{code}' THEN '{pg_config(lang)}'::regconfig" for code, lang in CODES.items())
    key = ("split_part(replace(lower(btrim(coalesce(language, ''))), '_', '-'), '-', 1)")
    return (f"CREATE OR REPLACE FUNCTION syllabus_search_config(language text) RETURNS regconfig "
            f"LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT CASE {key} WHEN '' THEN '{pg_config(DEFAULT)}'::regconfig "
            f"{whens} ELSE '{pg_config(UNSTEMMED)}'::regconfig END $$")

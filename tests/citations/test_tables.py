"""LST-9, session 20: the columns of a spreadsheet read as citation fields from their headers —
English and French, and the column names of Leganto, Talis Aspire and Alma exports — and cells
typed into Excel read back as what the person typed (no database: the citation core alone)."""
import datetime as dt

import pytest

from syllabus.citations import tables


@pytest.mark.parametrize("headers, fields", [
    # Talis Aspire's list export
    (["Item Type", "Title", "Author", "ISBN10", "ISBN13", "Importance", "Student Note", "Note for Library",
      "Online Resource Web Address"],
     ["type", "title", "author", "ISBN", "ISBN", "tag", "public_note", "private_note", "URL"]),
    # Leganto: a part's title, and the plain "Title" beside it is the journal or book
    (["Section", "Article Title", "Title", "Author", "ISSN", "Volume", "Issue", "Pages", "Public Note", "Citation Type"],
     ["section", "title", "container-title", "author", "ISSN", "volume", "issue", "page", "public_note", "type"]),
    # Alma
    (["MMS Id", "Title", "Author", "Publisher", "Publication Date", "Edition", "ISBN"],
     ["ignore", "title", "author", "publisher", "year", "edition", "ISBN"]),
    # French: "Éditeur" is the publisher
    (["Titre", "Auteur(s)", "Éditeur", "Année", "Semaine", "Étiquettes", "Note privée"],
     ["title", "author", "publisher", "year", "section", "tag", "private_note"]),
    # one value fields go to their first column only
    (["Title", "TITLE", "Colour"], ["title", "ignore", "ignore"]),
])
def test_columns_are_guessed_from_their_headers(headers, fields):
    assert tables.guess_mapping(headers) == fields


def test_numbers_and_dates_excel_stored_are_read_as_typed():
    assert tables._text(9780141439518.0) == "9780141439518"
    assert tables._text(2008.0) == "2008" and tables._text(12.5) == "12.5"
    assert tables._text(dt.datetime(2014, 6, 1, tzinfo=dt.UTC)) == "2014-06-01"  # openpyxl: naive; any will do
    entry = tables.row_entry(1, 4, {"title": ["X"], "ISBN": ["385527403"]})  # 0385527403 lost its zero
    assert entry.csl["ISBN"] == "9780385527408"


def test_a_row_is_refused_only_without_title_and_identifier():
    assert tables.row_entry(1, 7, {"author": ["Anon"]}).error == (
        "row 7: no title and no identifier (ISBN, ISSN or DOI): give at least one of them")
    untitled = tables.row_entry(2, 8, {"DOI": ["https://doi.org/10.1038/nature14539"]})
    assert untitled.csl["DOI"] == "10.1038/nature14539" and untitled.lookup == "10.1038/nature14539"
    web = tables.row_entry(3, 9, {"title": ["The Victorian Web"], "URL": ["https://victorianweb.org/"]})
    assert web.csl["type"] == "webpage"
    chapter = tables.row_entry(4, 10, {"title": ["The moral economy"], "container-title": ["Customs in common"],
                                       "ISBN": ["9780850367591"], "type": ["Chapitre"]})
    assert chapter.csl["type"] == "chapter"

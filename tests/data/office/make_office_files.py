"""Writes the spreadsheet and Word fixtures of tests/catalog/test_office_import.py (LST-9, session 20).

Every reference is a real one, copied from the Zotero/JabRef corpora of tests/data (each row names
the file it comes from); the shapes are those of real exports: a merged title row above the header,
blank rows, ISBNs and years typed into Excel as numbers (ISBN-10 0385527403 losing its leading zero),
a date cell, a CSV saved by Excel as "CSV UTF-8" (BOM, commas) and by a French Excel as "CSV"
(Windows-1252, semicolons, an ISBN saved in scientific notation), a Word document with headings,
Word-numbered paragraphs and hand-typed numbers.

    .venv/bin/python tests/data/office/make_office_files.py      # rewrites the files beside it
"""
from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

from docx import Document
from openpyxl import Workbook

HERE = Path(__file__).parent

# (source, section, title, authors, container title, ISBN, DOI, publisher, year, pages, tags, public note, library note)
ROWS = [
    ("bibtex/zotero-BibTeX-01", "Week 1: Baseball and memoir", "The Yankee Years", "Torre, Joe; Verducci, Tom", "",
     385527403, "", "Doubleday", 2008, "", "Essential", "Read the first three chapters", ""),
    ("ris/zotero-RIS-06", "Week 1: Baseball and memoir", "Eigentumsverfassung und Finanzkrise", "Depenheuer, Otto", "",
     9783642002304, "10.1007/978-3-642-00230-4", "Springer Berlin Heidelberg", 2009, "", "Recommended; Must read", "",
     "Order the e-book if the print copy is out"),
    None,  # a blank row between the weeks
    ("ris/zotero-RIS-05", "Week 2: Communication", "From Basic to Applied Research to Improve Outcomes for Individuals "
     "Who Require Augmentative and Alternative Communication: Potential Contributions of Eye Tracking Research Methods",
     "Light, Janice; McNaughton, David", "Augmentative and Alternative Communication", "", "10.3109/07434618.2014.906498",
     "Informa Allied Health", dt.date(2014, 6, 1), "99-105", "Optional", "", ""),
    ("ris/zotero-RIS-export-sample", "Week 2: Communication", "Migrations: une odyssée humaine",
     "Mazzella, Sylvie; Verna, Christine; Averbouh, Aline", "", 9782382790328, "", "Muséum national d'histoire naturelle",
     2024, "", "", "", ""),
    ("ris/zotero-RIS-export-sample", "Week 2: Communication", "", "Statistical Office of the European Communities", "",
     9789279215070, "", "", "", "", "", "", ""),  # no title: looked up by its ISBN
    ("ris/zotero-RIS-02 (author only)", "Week 2: Communication", "", "Name1, Name2", "", "", "", "", 2001, "", "", "", ""),
]
HEADERS = ["Section", "Title", "Author", "Journal Title", "ISBN", "DOI", "Publisher", "Publication Date", "Pages", "Tags",
           "Public Note", "Note for Library"]


def xlsx() -> bytes:
    book = Workbook()
    sheet = book.active
    sheet.title = "Reading list"
    sheet["A1"] = "SOC 210 – Reading list, Spring 2026"
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(HEADERS))
    sheet.append([])  # a blank row under the title
    sheet.append(HEADERS)
    for row in ROWS:
        if row is None:
            sheet.append([])
            continue
        _source, section, title, authors, container, isbn, doi, publisher, year, pages, tags, public, private = row
        sheet.append([section, title, authors, container, float(isbn) if isbn else None, doi, publisher, year, pages,
                      tags, public, private])
    sheet.append([])  # trailing blank rows, as Excel keeps formatted ones
    sheet.append([])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def csv_utf8_bom() -> bytes:
    """Excel's "CSV UTF-8 (Comma delimited)": BOM, commas, CRLF; non-Latin scripts kept."""
    rows = [["Title", "Authors", "Publisher", "Year", "ISBN", "Section", "Tags"],
            # ris/zotero-RIS-export-sample
            ["Ilíada = Ἰλιάς", "Homero", "Editora 34", "2020", "9786555250053", "Epic", "Essential"],
            ["Zanosni", "Prince; Принс", "IPC Media", "2022", "9788664630160", "Epic", ""],
            ["", "", "", "", "", "", ""],
            ["Evaluation in Deutschland und Österreich: Stand und Entwicklungsperspektiven in den Arbeitsfeldern der "
             "DeGEval - Gesellschaft für Evaluation", "Böttcher, Wolfgang", "Waxmann", "2014", "978-3-8309-3149-2",
             "Method", "Recommended"]]
    out = io.StringIO(newline="")
    csv.writer(out, lineterminator="\r\n").writerows(rows)
    return b"\xef\xbb\xbf" + out.getvalue().encode("utf-8")


def csv_french_excel() -> bytes:
    """A French Excel's "CSV (séparateur : point-virgule)": Windows-1252, semicolons; the ISBN of the
    second row was a number cell, saved as Excel displayed it (scientific notation: digits lost)."""
    rows = [["Titre", "Auteur(s)", "Éditeur", "Année", "ISBN", "DOI", "Section", "Note publique", "Note privée"],
            # ris/zotero-RIS-export-sample
            ["Migrations: une odyssée humaine", "Mazzella, Sylvie ; Verna, Christine", "Muséum national d’histoire naturelle",
             "2024", "9782382790328", "", "Séance 1", "À lire avant la séance", ""],
            ["Code criminel de l’empereur Charles V vulgairement appellé la Caroline", "", "", "1734", "9,78238E+12",
             "10.12763/ONA1045", "Séance 2", "", "Numérisation demandée"],
            ["", "", "", "", "", "", "", "", ""],
            ["", "Anonyme", "", "", "", "", "Séance 2", "", ""]]  # neither title nor identifier: refused
    out = io.StringIO(newline="")
    csv.writer(out, delimiter=";", lineterminator="\r\n").writerows(rows)
    return out.getvalue().encode("cp1252")


def docx() -> bytes:
    document = Document()
    document.add_paragraph("SOC 210 – Reading list", style="Title")
    document.add_paragraph("Week 1: Foundations", style="Heading 1")
    # Word-numbered paragraphs (the numbers are Word's, not in the text)
    document.add_paragraph("LeCun, Y., Bengio, Y., & Hinton, G. (2015). Deep learning. Nature, 521(7553), 436–444. "
                           "https://doi.org/10.1038/nature14539", style="List Number")   # crossref_10.1038_nature14539
    document.add_paragraph("Austen, J. (2003). Pride and prejudice. Penguin Books. ISBN 978-0-14-143951-8",
                           style="List Number")                                          # openlibrary_isbn_9780141439518
    document.add_paragraph("")
    document.add_paragraph("Week 2: Sources", style="Heading 1")
    # hand-typed numbers (bibtex/zotero-BibTeX-01, bibtex/zotero-BibTeX-11)
    document.add_paragraph("1. Abramowitz, M., & Stegun, I. A. (1964). Handbook of mathematical functions with formulas, "
                           "graphs, and mathematical tables (ninth Dover printing, tenth GPO printing). Dover.")
    document.add_paragraph("2. Smith, J. Testing identifier import. doi:10.12345/123456")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


if __name__ == "__main__":
    (HERE / "reading-list-leganto.xlsx").write_bytes(xlsx())
    (HERE / "reading-list-utf8-bom.csv").write_bytes(csv_utf8_bom())
    (HERE / "liste-de-lectures-excel-fr.csv").write_bytes(csv_french_excel())
    (HERE / "reading-list.docx").write_bytes(docx())

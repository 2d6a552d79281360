"""Writes the Office files of tests/catalog/test_office_formats.py with LibreOffice (LST-9, session 21):
files written by a real office suite, not by openpyxl or python-docx.

Each file is first written as flat OpenDocument XML (.fodt, .fods: what LibreOffice itself reads),
then converted by ``soffice --headless --convert-to docx|xlsx`` (LibreOffice 7.4+; Debian packages
``libreoffice-writer`` and ``libreoffice-calc``). The data is real:

* ``lo-bibliography-<style>.docx``: the 33 references of ``tests/data/csl/golden/<style>.en.txt``
  (the CSL test-suite's items rendered by citeproc in APA, Harvard Cite Them Right, Chicago
  author-date and MLA), one paragraph each under a "Heading 1", with the document's title in the
  "Title" style, a page header and footer, and a footnote;
* ``lo-reading-list-table.docx``: a reading list kept as two tables under "Week" headings (header
  row Title / Author(s) / Year / ISBN / Online resource; a title that is a hyperlink), an
  instruction paragraph with a footnote, a page header and footer — references of
  ``make_office_files.py`` (each names its corpus file);
* ``lo-reading-list-instructions.docx`` (session 22): a reading list as an instructor writes one —
  an instruction above everything, weeks typed as plain paragraphs ("Week 1: Foundations",
  "Semaine 3 – La ville") and one in "Heading 1", each with instructions to students under its
  heading and after an item ("Focus on...", "Lire..."), and references of the CSL test-suite
  rendered in APA, Chicago and MLA (``tests/data/csl/golden``);
* ``lo-talis-workbook.xlsx``: three sheets — "Notes" (text only), "All list items" with the column
  names of Talis Aspire's reporting data dictionary (techfromsage/advanced-mis ``topics/items.md``:
  ``title``, ``chapter_article_title``, ``authors``, ``type``, ``isbn10``, ``isbn13``, ``doi``,
  ``date_of_publication``, ``start_page``, ``end_page``, ``importance``...) and "Week plan" (a week
  cell merged down its rows, a date cell, a title cell that is a hyperlink, an ISBN as a number).

    .venv/bin/python tests/data/office/make_libreoffice_files.py      # rewrites the files beside it
"""
from __future__ import annotations

import shutil
import subprocess
import tempfile
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

HERE = Path(__file__).parent
GOLDEN = HERE.parent / "csl" / "golden"
STYLES = {"apa": "apa", "harvard": "harvard-cite-them-right", "chicago": "chicago-author-date",
          "mla": "modern-language-association"}
NS = ('xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
      'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
      'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
      'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
      'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
      'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
      'xmlns:xlink="http://www.w3.org/1999/xlink"')
TEXT_STYLES = ('<office:styles><style:style style:name="Heading_20_1" style:display-name="Heading 1" '
               'style:family="paragraph" style:default-outline-level="1"/>'
               '<style:style style:name="Title" style:family="paragraph"/></office:styles>')
MASTER = ('<office:automatic-styles><style:page-layout style:name="pm1"/></office:automatic-styles>'
          '<office:master-styles><style:master-page style:name="Standard" style:page-layout-name="pm1">'
          '<style:header><text:p>{header}</text:p></style:header>'
          '<style:footer><text:p>{footer}</text:p></style:footer></style:master-page></office:master-styles>')


def p(text: str, style: str = "") -> str:
    return f'<text:p{f" text:style-name={quoteattr(style)}" if style else ""}>{escape(text)}</text:p>'


def h(text: str) -> str:
    return f'<text:h text:style-name="Heading_20_1" text:outline-level="1">{escape(text)}</text:h>'


def footnote(text: str, note: str) -> str:
    return (f'<text:p>{escape(text)}<text:note text:id="ftn1" text:note-class="footnote"><text:note-citation>1'
            f'</text:note-citation><text:note-body>{p(note)}</text:note-body></text:note></text:p>')


def fodt(body: str, *, header: str, footer: str) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document {NS} office:version="1.3" '
            f'office:mimetype="application/vnd.oasis.opendocument.text">{TEXT_STYLES}'
            f'{MASTER.format(header=escape(header), footer=escape(footer))}'
            f'<office:body><office:text>{body}</office:text></office:body></office:document>')


def cell(value="", *, kind: str = "string", link: str = "", rows: int = 1) -> str:
    span = f' table:number-rows-spanned="{rows}" table:number-columns-spanned="1"' if rows > 1 else ""
    if value in ("", None):
        return f"<table:table-cell{span}/>"
    if kind == "float":
        return (f'<table:table-cell office:value-type="float" office:value="{value}"{span}>'
                f"{p(str(value))}</table:table-cell>")
    if kind == "date":
        return (f'<table:table-cell table:style-name="ce-date" office:value-type="date" office:date-value="{value}"{span}>'
                f"{p(str(value))}</table:table-cell>")
    text = escape(str(value))
    inner = f'<text:a xlink:type="simple" xlink:href={quoteattr(link)}>{text}</text:a>' if link else text
    return f'<table:table-cell office:value-type="string"{span}><text:p>{inner}</text:p></table:table-cell>'


def row(cells: list[str]) -> str:
    return f"<table:table-row>{''.join(cells)}</table:table-row>"


def table(name: str, rows: list[str], columns: int) -> str:
    return (f'<table:table table:name={quoteattr(name)}><table:table-column table:number-columns-repeated="{columns}"/>'
            f"{''.join(rows)}</table:table>")


def bibliography(style: str) -> str:
    lines = [line.split("\t", 1)[1] for line in (GOLDEN / f"{STYLES[style]}.en.txt").read_text(encoding="utf-8").splitlines()
             if "\t" in line]
    body = p("HIST 101 – Reading list", "Title")
    body += footnote("Read the starred items before the first seminar.", "Copies are on short loan at the library.")
    body += h("References") + "".join(p(line) for line in lines)
    return fodt(body, header="HIST 101 – Spring 2026", footer="Department of History")


# (corpus file, title, authors, year, ISBN, link): see make_office_files.py
WEEKS = {
    "Week 1: Baseball and memoir": [
        ("bibtex/zotero-BibTeX-01", "The Yankee Years", "Torre, Joe; Verducci, Tom", "2008", "0385527403", ""),
        ("ris/zotero-RIS-06", "Eigentumsverfassung und Finanzkrise", "Depenheuer, Otto", "2009", "9783642002304",
         "https://doi.org/10.1007/978-3-642-00230-4")],
    "Week 2: Communication": [
        ("ris/zotero-RIS-export-sample", "Migrations: une odyssée humaine", "Mazzella, Sylvie; Verna, Christine", "2024",
         "9782382790328", ""),
        ("ris/zotero-RIS-05", "From Basic to Applied Research to Improve Outcomes for Individuals Who Require "
         "Augmentative and Alternative Communication", "Light, Janice; McNaughton, David", "2014", "",
         "https://doi.org/10.3109/07434618.2014.906498")],
}


def _golden(style: str, number: int) -> str:
    for line in (GOLDEN / f"{STYLES[style]}.en.txt").read_text(encoding="utf-8").splitlines():
        if line.startswith(f"{number}\t"):
            return line.split("\t", 1)[1]
    raise KeyError(number)


def word_instructions() -> str:
    body = p("SOC 210 – Reading list", "Title")
    body += p("Read the starred items before the first seminar.")
    body += p("Week 1: Foundations") + p("Please read chapters 1–3 of the course reader before the seminar.")
    body += p(_golden("apa", 10)) + p("Focus on the discussion of method on pages 340 to 345.")
    body += p(_golden("apa", 15))
    body += h("Week 2: Sources") + p("Bring a printed copy of each text to class.")
    body += p(_golden("chicago", 10)) + p(_golden("chicago", 15))
    body += p("Semaine 3 – La ville") + p("Lire l'introduction avant la séance.")
    body += p(_golden("mla", 10))
    return fodt(body, header="SOC 210 – Spring 2026", footer="Department of Sociology")


def word_tables() -> str:
    header = ["Title", "Author(s)", "Year", "ISBN", "Online resource"]
    body = p("SOC 210 – Reading list", "Title")
    body += footnote("Items marked essential are on short loan.", "Ask at the desk for the e-book links.")
    for week, items in WEEKS.items():
        rows = [row([cell(c) for c in header])]
        for _source, title, authors, year, isbn, link in items:
            # the title is a hyperlink to the resource, and the "Online resource" column is empty
            rows.append(row([cell(title, link=link), cell(authors), cell(year), cell(isbn), cell("")]))
        body += h(week) + table(week[:6].replace(" ", ""), rows, len(header))
    return fodt(body, header="SOC 210 – Spring 2026", footer="Page footer: not a reference")


TALIS = ["status", "time_period", "list_url", "item_url", "title", "chapter_article_title", "authors", "type", "isbn10",
         "isbn13", "issn", "eissn", "lcn", "doi", "date_of_publication", "issue", "volume", "edition", "start_page",
         "end_page", "importance", "publisher", "format"]
TALIS_ROWS = [  # bibtex/zotero-BibTeX-01, ris/zotero-RIS-05, ris/zotero-RIS-06
    {"status": "Published", "time_period": "Spring 2026", "title": "The Yankee Years", "authors": "Joe Torre; Tom Verducci",
     "type": "Book", "isbn10": "0385527403", "date_of_publication": "2008", "importance": "Essential",
     "publisher": "Doubleday", "format": "print"},
    {"status": "Published", "time_period": "Spring 2026", "title": "Augmentative and Alternative Communication",
     "chapter_article_title": "From Basic to Applied Research to Improve Outcomes for Individuals Who Require "
     "Augmentative and Alternative Communication: Potential Contributions of Eye Tracking Research Methods",
     "authors": "Janice Light; David McNaughton", "type": "Article", "issn": "0743-4618",
     "doi": "10.3109/07434618.2014.906498", "date_of_publication": "2014", "issue": "2", "volume": "30",
     "start_page": "99", "end_page": "105", "importance": "Recommended", "publisher": "Informa Allied Health",
     "format": "electronic resource"},
    {"status": "Published", "time_period": "Spring 2026", "title": "Eigentumsverfassung und Finanzkrise",
     "authors": "Otto Depenheuer", "type": "Book", "isbn13": "9783642002304", "doi": "10.1007/978-3-642-00230-4",
     "date_of_publication": "c2009", "importance": "Optional", "publisher": "Springer Berlin Heidelberg",
     "format": "electronic resource"},
]


def workbook() -> str:
    notes = table("Notes", [row([cell("Exported from the reading list system; the list is on the next sheet.")])], 1)
    items = [row([cell(h) for h in TALIS])] + [row([cell(r.get(h, "")) for h in TALIS]) for r in TALIS_ROWS]
    plan = [row([cell(h) for h in ("Week", "Title", "Author", "ISBN", "Published")]),
            row([cell("Week 1", rows=2), cell("The Yankee Years", link="https://openlibrary.org/isbn/0385527403"),
                 cell("Torre, Joe"), cell("9780385527408", kind="float"), cell("2008-02-05", kind="date")]),
            row(["<table:covered-table-cell/>", cell("Eigentumsverfassung und Finanzkrise"), cell("Depenheuer, Otto"),
                 cell("9783642002304", kind="float"), cell("2009-03-01", kind="date")]),
            row([cell("Week 2"), cell("Migrations: une odyssée humaine"), cell("Mazzella, Sylvie"),
                 cell("9782382790328", kind="float"), cell("2024-01-15", kind="date")])]
    styles = ('<office:automatic-styles><number:date-style style:name="N37"><number:year number:style="long"/>'
              '<number:text>-</number:text><number:month number:style="long"/><number:text>-</number:text>'
              '<number:day number:style="long"/></number:date-style>'
              '<style:style style:name="ce-date" style:family="table-cell" style:data-style-name="N37"/>'
              '</office:automatic-styles>')
    return (f'<?xml version="1.0" encoding="UTF-8"?><office:document {NS} office:version="1.3" '
            f'office:mimetype="application/vnd.oasis.opendocument.spreadsheet">{styles}<office:body><office:spreadsheet>'
            f'{notes}{table("All list items", items, len(TALIS))}{table("Week plan", plan, 5)}'
            f"</office:spreadsheet></office:body></office:document>")


def convert(source: str, suffix: str, target: str, name: str) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    if soffice is None:
        raise SystemExit("LibreOffice is needed: apt-get install libreoffice-writer libreoffice-calc")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / f"{name}{suffix}"
        path.write_text(source, encoding="utf-8")
        subprocess.run([soffice, f"-env:UserInstallation=file://{tmp}/profile", "--headless", "--convert-to", target,
                        "--outdir", tmp, str(path)], check=True, capture_output=True, timeout=180)
        shutil.copy(Path(tmp) / f"{name}.{target.split(':')[0]}", HERE / f"{name}.{target.split(':')[0]}")


if __name__ == "__main__":
    import sys

    FILES = {f"lo-bibliography-{style}": (lambda style=style: bibliography(style), ".fodt", "docx:MS Word 2007 XML")
             for style in STYLES}
    FILES["lo-reading-list-table"] = (word_tables, ".fodt", "docx:MS Word 2007 XML")
    FILES["lo-reading-list-instructions"] = (word_instructions, ".fodt", "docx:MS Word 2007 XML")
    FILES["lo-talis-workbook"] = (workbook, ".fods", "xlsx:Calc MS Excel 2007 XML")
    for name in sys.argv[1:] or FILES:  # the names given (e.g. lo-reading-list-instructions), else every file
        make, suffix, target = FILES[name]
        convert(make(), suffix, target, name)

"""LST-9, session 20: fields every real corpus file was found to lose on import that a librarian
would notice — RIS CN (the call number: where the book stands), biblatex ``volumes`` (a multi-volume
work), ``pmid``/``pmcid`` (the identifiers the link resolver and PubMed know), ``version`` (a program,
a preprint's revision) — and the text of ``\\texttt{...}``, ``\\textsf``, ``\\mbox`` (pylatexenc
dropped it: "a typical \\texttt{article} entry" read "a typical  entry").  Each asserted on a real
entry imported into a list, and in the list's exports."""
from __future__ import annotations

from pathlib import Path

import pytest

from syllabus.citations import formats
from syllabus.lists import catalog_link, services
from syllabus.lists.models import Citation

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parent.parent / "data"


def _import(instructor, course, name: str) -> object:
    lst = services.create_list(instructor, title=name, courses=[course])
    path = DATA / name
    report = catalog_link.import_into_list(instructor, lst.pk, formats.decode(path.read_bytes()), filename=path.name)
    assert report.created
    return lst


def _item(lst, title_start: str) -> Citation:
    return Citation.objects.get(resource_list=lst, title__startswith=title_start)


def test_a_ris_call_number_is_kept_and_named_dropped_no_more(instructor, course):
    lst = _import(instructor, course, "ris/zotero-RIS-export-sample.ris")  # Zotero's own RIS export
    assert _item(lst, "How to pass armed forces tests").metadata["call-number"] == "UB336 .C64"
    assert _item(lst, "Die Aufnahme fremder Kultureinflüsse").metadata["call-number"] == "DG223 .A8 1981"  # (CN "DG223  .A8 1981")
    entries = formats.parse((DATA / "ris" / "zotero-RIS-export-sample.ris").read_text(encoding="utf-8"), "ris")[1]
    assert not any("CN" in e.dropped for e in entries)
    # a patent's call number is its M1: its CN is still named as dropped (Zotero's "every tag" file)
    every_tag = formats.parse((DATA / "ris" / "zotero-RIS-02.ris").read_text(encoding="utf-8"), "ris")[1]
    patent = next(e for e in every_tag if e.csl and e.csl["type"] == "patent")
    assert patent.csl["call-number"] == "Application Number" and "CN" in patent.dropped


def test_biblatex_volumes_and_version_are_kept_and_exported(instructor, course):
    lst = _import(instructor, course, "bibtex/biblatex-examples.bib")
    britannica = _item(lst, "The New Encyclopædia Britannica")  # volumes = {32}
    assert britannica.metadata["number-of-volumes"] == "32"
    assert "NV  - 32" in formats.to_ris([britannica.metadata])  # and the list's RIS export says so again
    markey = _item(lst, "Tame the BeaST")  # @online{markey, ..., version = {1.3}}
    assert markey.metadata["version"] == "1.3"
    software = _import(instructor, course, "bibtex/bbt/import-software-related-biblatex-entries-1544.bib")
    scilab = _item(software, "Scilab")
    assert scilab.metadata["version"] == "1.1" and '"version": "1.1"' in formats.to_csl_json([scilab.metadata])


def test_pubmed_identifiers_are_kept(instructor, course):
    lst = _import(instructor, course, "bibtex/bbt-excerpts.bib")
    assert _item(lst, "Poole-Frenkel Effect").metadata["PMID"] == "21053980"  # pmid = {21053980}
    zotero = _import(instructor, course, "bibtex/zotero-BibTeX-11.bib")  # Zotero's "Testing identifier import"
    item = _item(zotero, "Testing identifier import")
    assert (item.metadata["PMID"], item.metadata["PMCID"]) == ("P123456", "PMC123456")


def test_font_and_box_commands_keep_their_text():
    entry = formats.parse("@book{k, title = {The \\texttt{grep} command in \\textsf{sans} and \\mbox{one box}}}", "bibtex")[1][0]
    assert entry.csl["title"] == "The grep command in sans and one box"

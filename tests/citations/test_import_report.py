"""Import reports name what they drop (issue 13; LST-9): per file, entries read, imported, refused
(rule and line) and the fields dropped, named — on real files of the corpus."""
from syllabus.citations import formats

from .corpus import DATA


def test_a_real_scopus_ris_export_names_the_tags_it_does_not_import():
    entries = formats.parse_ris((DATA / "ris" / "jabref-RisImporterTestScopus.ris").read_text(encoding="utf-8"))
    assert all(e.csl for e in entries)
    assert entries[0].line == 1
    dropped = {tag for e in entries for tag in e.dropped}
    assert dropped and all(len(tag) == 2 and tag.isupper() or tag.isalnum() for tag in dropped)
    assert not {"TI", "AU", "PY", "DO", "SP", "EP", "VL", "IS", "T2", "JF"} & dropped  # read, so not dropped


def test_biblatex_examples_name_their_dropped_fields_and_lines():
    text = (DATA / "bibtex" / "biblatex-examples.bib").read_text(encoding="utf-8")
    entries = formats.parse_bibtex(text)
    lines = text.splitlines()
    for e in entries[:20]:
        assert "@" in lines[e.line - 1], e.label  # the line of the entry's "@type{key,"
    dropped = {name for e in entries for name in e.dropped}
    assert {"indextitle", "sorttitle"} <= dropped  # biblatex-only fields we keep nothing of
    assert "annotation" not in dropped  # read as the item's note (session 20, LST-3)
    assert not {"title", "author", "year", "subtitle", "crossref", "journaltitle"} & dropped

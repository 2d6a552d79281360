"""Catalog search (DSV-1, DSV-2): full text over every metadata field with ranking, facets,
identifier look-ups and scopes — the same answers from FTS5 (SQLite) and tsvector (PostgreSQL)."""
import pytest

from syllabus.catalog import selectors, services
from syllabus.catalog.search import SearchParams, parse_query, search
from syllabus.core.errors import RuleViolation


@pytest.fixture
def shelf(make_record, inst_a, inst_b, library_a, library_b, library_a2):
    austen = make_record(inst_a, title="Pride and prejudice", author=[{"family": "Austen", "given": "Jane"}],
                         ISBN="978-0-14-143951-8", issued={"date-parts": [[2003]]}, publisher="Penguin Books",
                         items=[(library_a, "A-1", "on_loan"), (library_a2, "A-2")], subjects=["Courtship -- Fiction"])
    emma = make_record(inst_a, title="Emma", author=[{"family": "Austen", "given": "Jane"}], issued={"date-parts": [[1996]]},
                       items=[(library_a, "A-3", "on_loan")])
    darwin = make_record(inst_a, title="On the origin of species", author=[{"family": "Darwin", "given": "Charles"}],
                         issued={"date-parts": [[1859]]}, eresources=["https://example.org/origin"],
                         subjects=["Evolution (Biology)", "Natural selection"])
    nature = make_record(inst_a, type="periodical", title="Nature", ISSN="0028-0836", publisher="Nature Publishing Group")
    article = make_record(inst_a, type="article-journal", title="Deep learning", DOI="10.1038/nature14539",
                          author=[{"family": "LeCun", "given": "Yann"}], **{"container-title": "Nature"},
                          issued={"date-parts": [[2015]]})
    elsewhere = make_record(inst_b, title="Persuasion", author=[{"family": "Austen", "given": "Jane"}],
                            items=[(library_b, "B-1")])
    return {"austen": austen, "emma": emma, "darwin": darwin, "nature": nature, "article": article, "elsewhere": elsewhere}


def _titles(page):
    return [r.title for r in page.records]


def test_search_finds_a_record_by_title_word(shelf, student):
    """Acceptance 2: by title word (a prefix of it, too)."""
    assert _titles(selectors.search_records(student, "prejudice")) == ["Pride and prejudice"]
    assert _titles(selectors.search_records(student, "prejud")) == ["Pride and prejudice"]


def test_search_finds_a_record_by_author(shelf, student):
    """Acceptance 2: by author."""
    assert set(_titles(selectors.search_records(student, "austen"))) == {"Pride and prejudice", "Emma"}
    assert _titles(selectors.search_records(student, "charles darwin")) == ["On the origin of species"]


def test_search_finds_a_record_by_isbn_in_any_form(shelf, student):
    """Acceptance 2: by ISBN — 13 or 10 digits, hyphens or not."""
    for isbn in ("9780141439518", "978-0-14-143951-8", "0141439513", "0-14-143951-3"):
        assert _titles(selectors.search_records(student, isbn)) == ["Pride and prejudice"], isbn


def test_search_by_issn_doi_subject_and_publisher(shelf, student):
    assert _titles(selectors.search_records(student, "0028-0836")) == ["Nature"]
    assert _titles(selectors.search_records(student, "https://doi.org/10.1038/NATURE14539")) == ["Deep learning"]
    assert _titles(selectors.search_records(student, "natural selection")) == ["On the origin of species"]
    assert _titles(selectors.search_records(student, "penguin")) == ["Pride and prejudice"]


def test_every_word_must_match_and_a_title_match_ranks_first(shelf, student, make_record, inst_a):
    make_record(inst_a, title="A history of courtship", author=[{"family": "Smith", "given": "Ann"}])
    page = selectors.search_records(student, "courtship")
    assert _titles(page) == ["A history of courtship", "Pride and prejudice"]  # title beats subject
    assert _titles(selectors.search_records(student, "courtship smith")) == ["A history of courtship"]
    assert _titles(selectors.search_records(student, "nothing-like-this")) == []


def test_query_syntax_cannot_break_the_search(shelf, student):
    for q in ('"unbalanced', "title:emma OR", "NEAR(a b)", "*", "a AND", "'; DROP TABLE catalog_record; --", "émma"):
        selectors.search_records(student, q)  # no error
    assert _titles(selectors.search_records(student, "ÉMMA")) == ["Emma"]


def test_scopes_restrict_results_to_the_chosen_members(shelf, student, inst_b):
    """Acceptance 2 (DSV-2): my library / another member / the whole consortium."""
    assert set(_titles(selectors.search_records(student, "austen", scope="mine"))) == {"Pride and prejudice", "Emma"}
    assert _titles(selectors.search_records(student, "austen", scope=inst_b.code)) == ["Persuasion"]
    assert set(_titles(selectors.search_records(student, "austen", scope="consortium"))) == {"Pride and prejudice", "Emma", "Persuasion"}


def test_another_consortium_is_no_scope(shelf, student):
    from tests.factories import ConsortiumFactory, InstitutionFactory

    foreign = InstitutionFactory(consortium=ConsortiumFactory(), code="foreign")
    with pytest.raises(RuleViolation) as exc:
        selectors.search_records(student, "austen", scope=foreign.code)
    assert exc.value.rule == "DSV-2"


def test_facets_count_type_year_library_and_availability(shelf, student, library_a, library_a2):
    page = selectors.search_records(student, "austen")
    assert page.count == 2
    assert page.facets["type"] == [{"value": "book", "label": "Book", "count": 2}]
    assert [(f["value"], f["count"]) for f in page.facets["year"]] == [("2003", 1), ("1996", 1)]
    assert {(f["value"], f["count"]) for f in page.facets["library"]} == {("lib-a1", 2), ("lib-a2", 1)}
    assert {(f["value"], f["count"]) for f in page.facets["availability"]} == {("available", 1), ("unavailable", 1)}


def test_filters_by_type_year_library_and_availability(shelf, student):
    assert _titles(selectors.search_records(student, "austen", availability="available")) == ["Pride and prejudice"]
    assert _titles(selectors.search_records(student, "austen", availability="unavailable")) == ["Emma"]
    assert _titles(selectors.search_records(student, "", availability="online", sort="title")) == ["On the origin of species"]
    assert _titles(selectors.search_records(student, "austen", libraries=["lib-a2"])) == ["Pride and prejudice"]
    assert _titles(selectors.search_records(student, "austen", year="1990-1999")) == ["Emma"]
    assert _titles(selectors.search_records(student, "nature", types=["periodical"])) == ["Nature"]
    with pytest.raises(RuleViolation):
        selectors.search_records(student, "austen", year="last year")


def test_an_empty_query_browses_the_scope_by_title(shelf, student):
    page = selectors.search_records(student, "")
    assert page.count == 5
    assert _titles(page)[0] == "Deep learning"


def test_paging(shelf, student):
    first = selectors.search_records(student, "", page=1, page_size=2)
    second = selectors.search_records(student, "", page=2, page_size=2)
    assert first.count == second.count == 5 and first.pages == 3
    assert not set(_titles(first)) & set(_titles(second))


def test_the_index_follows_updates_and_deletes(shelf, student, librarian):
    record = shelf["emma"]
    services.update_record(librarian, record, dict(record.csl, title="Emma: a novel in three volumes"))
    assert _titles(selectors.search_records(student, "volumes")) == ["Emma: a novel in three volumes"]
    record.delete()
    assert _titles(selectors.search_records(student, "volumes")) == []


def test_parse_query_recognises_identifiers():
    assert parse_query("0-14-143951-3").isbn == "9780141439518"
    assert parse_query("0028-0836").issn == "00280836"
    assert parse_query("doi:10.1038/nature14539").doi == "10.1038/nature14539"
    assert parse_query("Pride & Prejudice!").terms == ["pride", "prejudice"]


def test_the_service_interface_without_selectors(shelf, inst_a):
    result = search(SearchParams(text="austen", institution_ids=[inst_a.pk], facets=False))
    assert result.count == 2 and len(result.ids) == 2 and result.facets == {}


def test_search_covers_abstract_notes_edition_and_language_with_title_above_notes(shelf, student, make_record, inst_a, marc, library_a):
    """DSV-1 "search over all metadata fields": the abstract (MARC 520), notes, edition and
    language are searched too; a title match still ranks above a match in an abstract."""
    whale = make_record(inst_a, title="Cetacean biology", abstract="The migration of humpback whales across oceans.",
                        note="Donated by the Marine Society", edition="7th edition", language="wel")
    make_record(inst_a, title="Humpback", author=[{"family": "Moby", "given": "Ann"}])
    assert _titles(selectors.search_records(student, "humpback")) == ["Humpback", "Cetacean biology"]
    assert _titles(selectors.search_records(student, "oceans whale")) == ["Cetacean biology"]
    assert _titles(selectors.search_records(student, "marine society")) == ["Cetacean biology"]
    assert _titles(selectors.search_records(student, "cetacean 7")) == ["Cetacean biology"]
    assert _titles(selectors.search_records(student, "wel")) == ["Cetacean biology"]
    services.save_record(None, inst_a, dict(whale.csl, abstract="Songs of the blue whale."), source_id=whale.source_id)
    assert _titles(selectors.search_records(student, "oceans")) == []  # the index follows a changed abstract
    assert _titles(selectors.search_records(student, "songs blue")) == ["Cetacean biology"]
    # a MARC 520 abstract is searchable after an import
    from pymarc import Field, Indicators, Subfield

    from syllabus.catalog.marc import import_marc

    abstract = Field(tag="520", indicators=Indicators(" ", " "), subfields=[Subfield("a", "Shipwrecks of the Baltic sea.")])
    import_marc(marc("m-520", "A plain title", extra=[abstract]).as_marc(), library_a)
    assert _titles(selectors.search_records(student, "baltic shipwrecks")) == ["A plain title"]

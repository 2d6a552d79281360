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


def test_facets_and_pages_agree_with_a_plain_orm_computation(make_record, inst_a, inst_b, library_a, library_a2, library_b):
    """The facet SQL (one statement on PostgreSQL, with the items read once) gives exactly the
    counts a straightforward ORM computation gives, for every filter; on PostgreSQL the pages,
    counts and facets are also those of the generic SQL (the match joined back to the records)."""
    import random
    from collections import Counter

    from syllabus.catalog import search as search_mod
    from syllabus.catalog.models import Record, Representation

    rnd = random.Random(4)
    libraries = [library_a, library_a2]
    for n in range(60):
        inst = inst_a if n % 6 else inst_b
        words = "zorb" + (" quin" if n % 3 == 0 else "") + (" quintessence" if n % 7 == 0 else "")
        items = []
        for k in range(rnd.choice([0, 0, 1, 1, 2, 3])):
            lib = rnd.choice(libraries) if inst == inst_a else library_b
            items.append((lib, f"F-{n}-{k}", rnd.choice(["in_place", "on_loan", "missing"])))
        year = rnd.choice([None, 1990, 1991, 2005])
        csl = {"issued": {"date-parts": [[year]]}} if year else {}
        record = make_record(inst, type=rnd.choice(["book", "book", "chapter", "thesis"]), title=f"{words} volume {n}",
                             items=items, eresources=["https://example.org/e"] if n % 5 == 0 else [], **csl)
        if n % 4 == 0:
            Representation.objects.create(record=record, library=library_a, file="r.pdf", active=n % 8 != 0,
                                          discoverable=n % 12 != 0)

    def expected(p: SearchParams) -> tuple[int, dict, set]:
        records = [r for r in Record.objects.filter(institution_id__in=p.institution_ids).prefetch_related(
                   "items", "eresources", "representations") if all(w in r.title.split() or any(t.startswith(w) for t in r.title.split())
                                                                     for w in p.text.split())]

        def available(r):
            return any(i.status == "in_place" for i in r.items.all())

        def online(r):
            return bool(r.eresources.all()) or any(x.active and x.discoverable for x in r.representations.all())

        if p.types:
            records = [r for r in records if r.type in p.types]
        if p.year_from is not None:
            records = [r for r in records if r.year is not None and r.year >= p.year_from]
        if p.year_to is not None:
            records = [r for r in records if r.year is not None and r.year <= p.year_to]
        if p.library_ids:
            records = [r for r in records if any(i.library_id in p.library_ids for i in r.items.all())]
        if p.availability == "available":
            records = [r for r in records if available(r)]
        elif p.availability == "online":
            records = [r for r in records if online(r)]
        elif p.availability == "unavailable":
            records = [r for r in records if not available(r) and not online(r)]
        by_avail = Counter()
        for r in records:
            by_avail["available"] += available(r)
            by_avail["online"] += online(r)
            by_avail["unavailable"] += not available(r) and not online(r)
        libs = Counter(lib for r in records for lib in {i.library_id for i in r.items.all()})
        facets = {"type": sorted(Counter(r.type for r in records).items(), key=lambda kv: (-kv[1], kv[0])),
                  "year": sorted(Counter(r.year for r in records if r.year).items(), key=lambda kv: -kv[0]),
                  "availability": [(v, by_avail[v]) for v in ("available", "online", "unavailable") if by_avail[v]],
                  "library": sorted(libs.items(), key=lambda kv: (-kv[1], kv[0]))}
        return len(records), facets, {r.pk for r in records}

    both = [inst_a.pk, inst_b.pk]
    cases = [SearchParams(text="zorb", institution_ids=both, page_size=200),
             SearchParams(text="zorb", institution_ids=[inst_a.pk], page_size=200),
             SearchParams(text="zorb quin", institution_ids=both, page_size=200),
             SearchParams(text="quint", institution_ids=both, page_size=200),
             SearchParams(text="zorb", institution_ids=both, availability="available", page_size=200),
             SearchParams(text="zorb", institution_ids=both, availability="online", page_size=200),
             SearchParams(text="zorb", institution_ids=both, availability="unavailable", page_size=200),
             SearchParams(text="zorb", institution_ids=both, library_ids=[library_a2.pk], page_size=200),
             SearchParams(text="zorb", institution_ids=both, types=["book", "thesis"], year_from=1991, year_to=2010, page_size=200),
             SearchParams(text="", institution_ids=both, page_size=200),
             SearchParams(text="nomatchatall", institution_ids=both)]
    for p in cases:
        count, facets, ids = expected(p)
        result = search(p)
        assert (result.count, result.facets, set(result.ids)) == (count, facets, ids), p
        assert search(SearchParams(**{**p.__dict__, "facets": False})).count == count
    # pages (relevance, title, year; beyond the last page) are the same with and without facets,
    # and on PostgreSQL the same as the generic SQL's
    for sort in ("relevance", "title", "year_desc"):
        for page in (1, 2, 9):
            p = SearchParams(text="zorb", institution_ids=both, sort=sort, page=page, page_size=7)
            with_facets, without = search(p), search(SearchParams(**{**p.__dict__, "facets": False}))
            assert with_facets.ids == without.ids and with_facets.count == without.count
            if search_mod.backend().vendor == "postgresql":
                original = search_mod.PostgresBackend.vendor
                search_mod.PostgresBackend.vendor = "generic"
                try:
                    generic = search(p)
                finally:
                    search_mod.PostgresBackend.vendor = original
                assert (generic.ids, generic.count, generic.facets) == (with_facets.ids, with_facets.count, with_facets.facets)


def test_one_doi_rule_stored_as_given_compared_without_case(shelf, student, make_record, inst_a):
    """Issue 13 (DSV-1, LST-2): a DOI is kept as the registrant wrote it and matches in any case
    — search, the OpenURL resolver and the list-to-catalog link all compare it folded."""
    from syllabus.catalog.resolver import resolve
    from syllabus.citations import identifiers
    from syllabus.lists.catalog_link import matching_record

    mind = make_record(inst_a, type="article-journal", title="Computing machinery and intelligence",
                       DOI="https://doi.org/10.1093/MIND/LIX.236.433", author=[{"family": "Turing", "given": "A. M."}])
    assert mind.csl["DOI"] == "10.1093/MIND/LIX.236.433"  # as given, without the resolver
    assert mind.doi == "10.1093/mind/lix.236.433"  # the compared column
    for typed in ("10.1093/mind/lix.236.433", "doi:10.1093/MIND/LIX.236.433", "https://doi.org/10.1093/Mind/Lix.236.433"):
        assert _titles(selectors.search_records(student, typed)) == ["Computing machinery and intelligence"], typed
    assert identifiers.check_doi("doi:10.1093/MIND/LIX.236.433") == identifiers.normalize_doi("10.1093/MIND/LIX.236.433")
    assert identifiers.same_doi("10.1093/MIND/LIX.236.433", "https://doi.org/10.1093/mind/lix.236.433")
    assert not identifiers.same_doi("10.1093/mind/lix.236.433", "10.1093/mind/lix.236.434")
    assert resolve(student, {"DOI": "10.1093/mind/lix.236.433"}).matched_by == "doi"
    assert matching_record(student, {"DOI": "10.1093/Mind/LIX.236.433"}) == mind

"""Issue 19, catalog line (DSV-1): facets over very large result sets are estimated beyond
``CATALOG_FACETS_EXACT_LIMIT`` matches and the page says so ("about"); below it they are exact.
Paging past an estimated count asks for one row more instead of counting every match.  The
tests set a small limit, so that a dozen records are "many"."""
import pytest

from syllabus.catalog import selectors
from syllabus.catalog.models import Record
from syllabus.catalog.search import SearchParams, about, search


@pytest.fixture
def many(make_record, inst_a, library_a, library_a2):
    records = []
    for n in range(12):
        items = [(library_a if n % 2 else library_a2, f"EST-{n}", "in_place" if n % 3 else "on_loan")]
        records.append(make_record(inst_a, type="book" if n % 4 else "thesis", title=f"Zorb volume {n}",
                                   issued={"date-parts": [[2000 + n % 3]]}, items=items))
    return records


def _exact_types(inst_a):
    from collections import Counter

    return Counter(Record.objects.filter(institution=inst_a, title__startswith="Zorb").values_list("type", flat=True))


def test_facets_are_exact_up_to_the_limit(many, inst_a, library_a, library_a2, settings):
    settings.CATALOG_FACETS_EXACT_LIMIT = 12  # exactly as many matches as the limit: still exact
    result = search(SearchParams(text="zorb", institution_ids=[inst_a.pk]))
    assert not result.facets_estimated and not result.count_estimated
    assert result.count == 12
    assert dict(result.facets["type"]) == dict(_exact_types(inst_a)) == {"book": 9, "thesis": 3}
    assert dict(result.facets["library"]) == {library_a.pk: 6, library_a2.pk: 6}
    assert dict(result.facets["availability"]) == {"available": 8, "unavailable": 4}


@pytest.mark.parametrize("text", ["zorb", ""])
def test_facets_are_marked_estimated_beyond_the_limit(many, inst_a, settings, text):
    settings.CATALOG_FACETS_EXACT_LIMIT = 5
    result = search(SearchParams(text=text, institution_ids=[inst_a.pk], page_size=5))
    assert result.facets_estimated
    assert result.count >= 6  # never fewer than the limit it went past
    types = dict(result.facets["type"])
    assert types and set(types) <= {"book", "thesis"} and all(n >= 1 for n in types.values())
    assert set(dict(result.facets["year"])) <= {2000, 2001, 2002}
    assert len(result.ids) == 5
    # the same search without facets finds the same first page
    assert search(SearchParams(text=text, institution_ids=[inst_a.pk], page_size=5, facets=False)).ids == result.ids


def test_pages_of_an_estimated_result_know_whether_a_next_one_exists(many, student, settings):
    settings.CATALOG_FACETS_EXACT_LIMIT = 5
    first = selectors.search_records(student, "zorb", page_size=5, sort="title")
    last = selectors.search_records(student, "zorb", page_size=5, page=3, sort="title")
    assert first.has_next and not last.has_next
    assert len(last.records) == 2
    seen = [r.title for p in (1, 2, 3) for r in selectors.search_records(student, "zorb", page_size=5, page=p, sort="title").records]
    assert sorted(seen) == sorted(f"Zorb volume {n}" for n in range(12))


def test_the_search_page_says_the_counts_are_estimates(many, client, student, settings):
    client.force_login(student)
    settings.CATALOG_FACETS_EXACT_LIMIT = 50
    html = client.get("/catalog/", {"q": "zorb"}).content.decode()
    results = html[html.index('data-testid="result-count"'):]  # the results, not the menus ("What is recorded about me")
    assert "12 results" in html and 'data-testid="facets-estimated"' not in html and "about" not in results.lower()
    settings.CATALOG_FACETS_EXACT_LIMIT = 5
    page = selectors.search_records(student, "zorb")
    html = client.get("/catalog/", {"q": "zorb"}).content.decode()
    assert 'data-testid="facets-estimated"' in html
    assert f'(about {dict((f["value"], f["count"]) for f in page.facets["type"])["book"]})' in html
    if page.count_estimated:  # PostgreSQL estimates the count too; SQLite counts exactly
        assert f"About {page.count} results" in html
    else:
        assert "12 results" in html


def test_the_api_says_the_counts_are_estimates(many, api, student, settings):
    settings.CATALOG_FACETS_EXACT_LIMIT = 5
    body = api(student).get("/api/v1/search", {"q": "zorb", "limit": 5}).json()
    assert body["facets_estimated"] is True and len(body["items"]) == 5 and body["next"]
    last = api(student).get("/api/v1/search", {"q": "zorb", "limit": 5, "offset": 10}).json()
    assert len(last["items"]) == 2 and last["next"] is None
    settings.CATALOG_FACETS_EXACT_LIMIT = 50
    body = api(student).get("/api/v1/search", {"q": "zorb"}).json()
    assert body["facets_estimated"] is False and body["count_estimated"] is False and body["count"] == 12


def test_estimates_read_as_people_read_them():
    assert [about(x) for x in (0.2, 7, 99.6, 487, 12_345, 493_811)] == [1, 7, 100, 490, 12_000, 490_000]


def test_an_exact_search_reads_its_matches_once(many, inst_a, settings):
    """Session 25 (DSV-1): up to the limit, SQLite answers a relevance search — page, count and
    every facet — in one statement (the matches read once; no count beforehand); another order
    adds the page's statement.  PostgreSQL keeps its own plan (_search_postgres), held here too."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.CATALOG_FACETS_EXACT_LIMIT = 12
    with CaptureQueriesContext(connection) as ranked:
        by_rank = search(SearchParams(text="zorb", institution_ids=[inst_a.pk]))
    with CaptureQueriesContext(connection) as titled:
        by_title = search(SearchParams(text="zorb", institution_ids=[inst_a.pk], sort="title"))
    without = search(SearchParams(text="zorb", institution_ids=[inst_a.pk], facets=False))
    assert by_rank.count == by_title.count == without.count == 12
    assert by_rank.ids == without.ids and by_title.facets == by_rank.facets
    # SQLite: 4 and 5 before.  PostgreSQL: the query parsed per language, a savepoint, jit set, a
    # count of up to 2,001 matches, the facets (with the page in relevance order), jit restored, release
    expected = (1, 2) if connection.vendor == "sqlite" else (7, 8)
    assert (len(ranked), len(titled)) == expected, [q["sql"][:100] for q in ranked.captured_queries + titled.captured_queries]

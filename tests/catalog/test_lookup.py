"""Identifier lookup: the local catalog first, then real HTTP clients for Open Library (ISBN)
and Crossref (DOI), here pointed at a fake server on 127.0.0.1 serving recorded answers."""
import pytest

from syllabus.catalog import lookup
from syllabus.core.errors import RuleViolation


@pytest.fixture
def served(fake_http):
    fake_http.route("/openlibrary/api/books?bibkeys=ISBN%3A9780141439518&format=json&jscmd=data",
                    file="openlibrary_isbn_9780141439518.json")
    fake_http.route("/openlibrary/api/books", body="{}", content_type="application/json")  # unknown ISBNs
    fake_http.route("/crossref/works/10.1038/nature14539", file="crossref_10.1038_nature14539.json")
    fake_http.route("/crossref/works/10.5555/chapter.example", file="crossref_10.5555_chapter.json")
    return fake_http


def test_an_isbn_in_the_local_catalog_needs_no_web_request(served, student, make_record, inst_a):
    record = make_record(inst_a, title="Pride and prejudice (our copy)", ISBN="9780141439518")
    found = lookup.lookup(student, "978-0-14-143951-8")
    assert (found.source, found.record_id, found.csl["title"]) == ("catalog", record.pk, "Pride and prejudice (our copy)")
    assert served.requests == []


def test_an_isbn_from_open_library(served, student):
    found = lookup.lookup(student, "0141439513")
    assert found.source == "openlibrary" and found.kind == "isbn" and found.record_id is None
    assert found.csl == {
        "type": "book", "title": "Pride and Prejudice: a novel", "ISBN": "9780141439518",
        "author": [{"family": "Austen", "given": "Jane"}], "publisher": "Penguin Books", "publisher-place": "London",
        "issued": {"date-parts": [[2003]]}, "number-of-pages": "480",
        "keyword": "Fiction; Courtship; Sisters; Social classes; England -- Fiction", "note": "OCLC 51445318"}
    request = served.requests[0]
    assert request["path"] == "/openlibrary/api/books"
    assert request["query"] == {"bibkeys": ["ISBN:9780141439518"], "format": ["json"], "jscmd": ["data"]}
    assert request["headers"]["User-Agent"].startswith("Syllabus/")


def test_a_doi_from_crossref(served, student, settings):
    settings.CROSSREF_MAILTO = "library@example.edu"
    found = lookup.lookup(student, "https://doi.org/10.1038/nature14539")
    assert found.source == "crossref"
    assert found.csl == {
        "type": "article-journal", "title": "Deep learning", "container-title": "Nature",
        "author": [{"family": "LeCun", "given": "Yann"}, {"family": "Bengio", "given": "Yoshua"}, {"family": "Hinton", "given": "Geoffrey"}],
        "issued": {"date-parts": [[2015, 5, 27]]}, "volume": "521", "issue": "7553", "page": "436-444",
        "DOI": "10.1038/nature14539", "ISSN": "0028-0836 1476-4687", "publisher": "Springer Science and Business Media LLC",
        "URL": "http://dx.doi.org/10.1038/nature14539", "language": "en"}
    assert "mailto:library@example.edu" in served.requests[0]["headers"]["User-Agent"]


def test_crossref_types_and_editors(served, student):
    found = lookup.lookup(student, "10.5555/chapter.example")
    assert found.csl["type"] == "chapter" and found.csl["container-title"] == "Handbook of Course Reserves"
    assert found.csl["editor"] == [{"family": "Editor", "given": "Ann"}] and found.csl["ISBN"] == "9780306406157"


def test_unknown_identifiers_are_none(served, student):
    assert lookup.lookup(student, "9780306406157") is None  # Open Library answers {}
    assert lookup.lookup(student, "10.1000/unknown") is None  # Crossref answers 404


def test_invalid_text_is_refused(served, student):
    with pytest.raises(RuleViolation) as exc:
        lookup.lookup(student, "978-0-00-000000-1")
    assert exc.value.rule == "LST-2"


def test_a_failing_service_is_a_502_with_a_clear_message(served, student, settings):
    settings.CROSSREF_URL = "http://127.0.0.1:9"  # nothing listens there
    with pytest.raises(RuleViolation) as exc:
        lookup.lookup(student, "10.1038/nature14539")
    assert exc.value.status == 502 and "Crossref did not answer" in exc.value.detail
    served.route("/crossref/works/10.1038/nature14539", body="oops", status=500)
    settings.CROSSREF_URL = served.url + "/crossref"
    with pytest.raises(RuleViolation) as exc:
        lookup.lookup(student, "10.1038/nature14539")
    assert exc.value.status == 502 and "answered 500" in exc.value.detail


def test_web_lookups_can_be_switched_off(served, student, settings):
    settings.LOOKUP_ENABLED = False
    assert lookup.lookup(student, "9780141439518") is None
    assert served.requests == []


def test_lookup_api(served, api, student):
    r = api(student).get("/api/v1/lookup", {"identifier": "9780141439518"})
    assert r.status_code == 200 and r.json()["source"] == "openlibrary" and r.json()["csl"]["title"] == "Pride and Prejudice: a novel"
    r = api(student).get("/api/v1/lookup", {"identifier": "10.1000/unknown"})
    assert r.status_code == 404 and r.json()["rule"] == "LST-2"
    assert api(student).get("/api/v1/lookup", {"identifier": "hello"}).json()["rule"] == "LST-2"

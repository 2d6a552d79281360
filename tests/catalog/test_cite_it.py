"""Cite it (DSV-4): each embedded-metadata convention, harvested from a saved page, lands as
a citation with the right fields; the most trusted convention wins field by field."""
from pathlib import Path

import pytest

from syllabus.catalog import citeit
from syllabus.catalog.models import CollectionEntry
from syllabus.core.errors import RuleViolation

PAGES = Path(__file__).parent / "fixtures" / "citeit"

EXPECTED = {
    "coins": {"type": "book", "title": "The structure of scientific revolutions", "ISBN": "9780226458083",
              "author": [{"family": "Kuhn", "given": "Thomas S."}], "issued": {"date-parts": [[1996]]},
              "publisher": "University of Chicago Press", "publisher-place": "Chicago", "edition": "3"},
    "highwire": {"type": "article-journal", "title": "Deep learning", "container-title": "Nature", "volume": "521", "issue": "7553",
                 "page": "436-444", "DOI": "10.1038/nature14539", "ISSN": "0028-0836", "issued": {"date-parts": [[2015, 5, 28]]},
                 "author": [{"family": "LeCun", "given": "Yann"}, {"family": "Bengio", "given": "Yoshua"},
                            {"family": "Hinton", "given": "Geoffrey"}]},
    "dublin_core": {"type": "report", "title": "Reading lists and student engagement: a mixed-methods study",
                    "author": [{"family": "Okafor", "given": "Ngozi"}, {"family": "Lindqvist", "given": "Erik"}],
                    "issued": {"date-parts": [[2019, 6, 30]]}, "publisher": "Riverside University Library",
                    "DOI": "10.5555/repo.2019.001", "URL": "https://repository.riverside.example.edu/items/2019-001"},
    "json_ld": {"type": "article-journal", "title": "The Moral Machine experiment", "container-title": "Nature", "volume": "563",
                "issue": "7729", "page": "59-64", "DOI": "10.1038/s41586-018-0637-6", "ISSN": "0028-0836",
                "issued": {"date-parts": [[2018, 10, 24]]},
                "author": [{"family": "Awad", "given": "Edmond"}, {"family": "Dsouza", "given": "Sohan"}, {"family": "Kim", "given": "Richard"}]},
    "opengraph": {"type": "webpage", "title": "How to read an academic paper", "container-title": "The Reading Room",
                  "URL": "https://readingroom.example.org/2021/09/how-to-read-a-paper", "issued": {"date-parts": [[2021, 9, 14]]},
                  "author": [{"family": "Gonzalez", "given": "Maria"}]},
}


@pytest.mark.parametrize("fmt", list(EXPECTED))
def test_each_cite_it_format_is_harvested_from_a_saved_page_and_lands_with_the_right_fields(fmt, api, student, clock):
    """Acceptance 3 (My collection): the saved page goes through the API and is stored."""
    html = (PAGES / f"{fmt}.html").read_text()
    r = api(student).post("/api/v1/cite-it", {"html": html, "url": f"https://pages.example.org/{fmt}", "target": "collection"})
    assert r.status_code == 201, r.content
    assert r.json()["formats"] == [fmt]
    entry = CollectionEntry.objects.get(pk=r.json()["collection_entry_id"])
    for key, value in EXPECTED[fmt].items():
        assert entry.csl.get(key) == value, (fmt, key, entry.csl.get(key))
    assert entry.source == "cite_it" and entry.user == student


def test_a_web_page_gets_its_access_date(clock):
    h = citeit.harvest((PAGES / "opengraph.html").read_text())
    assert h.csl["accessed"] == {"date-parts": [[2026, 3, 2]]}


def test_the_most_trusted_format_wins_field_by_field():
    h = citeit.harvest((PAGES / "all_formats.html").read_text(), "https://example.org/x")
    assert h.formats == ["coins", "highwire", "dublin_core", "json_ld", "opengraph"]
    assert h.csl["title"] == "Thinking, fast and slow" and h.sources["title"] == "coins"
    assert h.csl["author"] == [{"family": "Highwire", "given": "Hannah"}] and h.sources["author"] == "highwire"
    assert (h.csl["publisher"], h.sources["publisher"]) == ("Dublin Core Press", "dublin_core")
    assert (h.csl["edition"], h.sources["edition"]) == ("2", "json_ld")  # "2nd ed." → CSL's number
    assert (h.csl["abstract"], h.sources["abstract"]) == ("Only OpenGraph has a description.", "opengraph")
    assert h.csl["ISBN"] == "9780374275631"


def test_a_page_without_metadata_gives_its_title_and_address():
    h = citeit.harvest('<html lang="fr"><head><title>Une page</title><link rel="canonical" href="/canon"></head></html>',
                       "https://example.org/a/b")
    assert h.formats == [] and h.csl["title"] == "Une page" and h.csl["URL"] == "https://example.org/canon"
    assert h.csl["type"] == "webpage" and h.csl["language"] == "fr"


def test_broken_json_ld_does_not_hide_the_rest():
    html = '<script type="application/ld+json">{not json</script><meta property="og:title" content="Still here">'
    assert citeit.harvest(html).csl["title"] == "Still here"


def test_the_endpoint_fetches_a_url(fake_http, api, student):
    fake_http.route("/article", file="../citeit/highwire.html")
    r = api(student).post("/api/v1/cite-it", {"url": fake_http.url + "/article"})
    assert r.status_code == 200 and r.json()["csl"]["DOI"] == "10.1038/nature14539"


def test_redirects_are_followed_and_a_loop_is_stopped(fake_http):
    fake_http.route("/article", file="../citeit/highwire.html")
    fake_http.route("/old", status=301, headers={"Location": "/article"})
    url, html = citeit.fetch(fake_http.url + "/old")
    assert url == fake_http.url + "/article" and b"citation_doi" in html
    fake_http.route("/loop", status=302, headers={"Location": "/loop"})
    with pytest.raises(RuleViolation, match="too many redirects"):
        citeit.fetch(fake_http.url + "/loop")


def test_private_addresses_are_refused_unless_allowed(fake_http, settings):
    fake_http.route("/page", body="<title>Internal</title>")
    settings.OUTBOUND_PRIVATE_HOSTS = []
    with pytest.raises(RuleViolation) as exc:
        citeit.fetch(fake_http.url + "/page")
    assert exc.value.rule == "DSV-4" and "private or local" in exc.value.detail
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1"]
    assert citeit.fetch(fake_http.url + "/page")[1] == b"<title>Internal</title>"


def test_only_web_pages_are_read(fake_http):
    fake_http.route("/file.pdf", body=b"%PDF-1.4", content_type="application/pdf")
    with pytest.raises(RuleViolation, match="not a web page"):
        citeit.fetch(fake_http.url + "/file.pdf")
    with pytest.raises(RuleViolation, match="http"):
        citeit.fetch("ftp://example.org/x")

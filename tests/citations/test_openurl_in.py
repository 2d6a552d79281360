"""OpenURL in (DSV-6, issue 13): the forms vendors really send are read — PubMed's id=pmid:,
Google Scholar's id=doi:, values encoded twice, proceedings with their volume — and the HTML
/openurl page reads a link exactly as GET /api/v1/resolve does."""
from __future__ import annotations

import pytest

from syllabus.citations import openurl
from tests.citations.corpus import DATA

VENDOR_LINKS = [line for line in (DATA / "openurl" / "vendors.txt").read_text().splitlines()
                if line.strip() and not line.startswith("#")]


@pytest.mark.parametrize("link", VENDOR_LINKS)
def test_pubmed_links_in_every_documented_form_carry_the_pmid(link):
    kev = openurl.parse_kev(link)
    assert openurl.is_openurl(kev)
    assert openurl.to_csl(kev)["PMID"] == "15622423"


def test_the_sfx_article_context_object_is_read_whole():
    csl = openurl.to_csl(openurl.parse_kev(VENDOR_LINKS[-1]))
    assert csl["type"] == "article-journal" and csl["title"].startswith("[Individual outpatient care")
    assert csl["container-title"] == "JORNAL DE PEDIATRIA ORGAO OFICIAL"
    assert (csl["volume"], csl["issue"], csl["page"], csl["ISSN"]) == ("80", "6", "468-474", "0021-7557")


def test_google_scholar_doi_and_values_encoded_twice():
    kev = openurl.parse_kev("sid=google&auinit=J&aulast=Smith%252C+Jr.&atitle=Cats%2520%2526%2520dogs&id=doi:10.1000/XYZ123"
                            "&genre=article&title=Nature&date=2015")
    csl = openurl.to_csl(kev)
    assert csl["title"] == "Cats & dogs"
    assert csl["author"][0]["family"] == "Smith, Jr."
    assert csl["DOI"].lower() == "10.1000/xyz123"  # DOIs compare without case


def test_a_proceedings_paper_keeps_its_volume():
    csl = openurl.to_csl(openurl.parse_kev(
        "url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.genre=proceeding&rft.atitle=Deep+nets"
        "&rft.btitle=Proceedings+of+NeurIPS&rft.volume=27&rft.spage=1&rft.epage=9&rft.date=2014"))
    assert csl["volume"] == "27" and csl["title"] == "Deep nets" and csl["page"] == "1-9"


def test_the_openurl_page_reads_what_the_api_reads(client, student):
    """A PubMed link with nothing but its PMID: the API answers "not found here"; the page used to
    refuse it with a 400 (DSV-6)."""
    client.force_login(student)
    api = client.get("/api/v1/resolve?sid=Entrez:PubMed&id=pmid:15622423")
    assert api.status_code == 200 and api.json()["citation"]["PMID"] == "15622423"
    page = client.get("/openurl?sid=Entrez:PubMed&id=pmid:15622423&institution=" + student.institution.code)
    assert page.status_code == 200
    assert b"PMID 15622423" in page.content


def test_dsv6_pages_in_several_parts_send_one_start_page_and_the_whole_as_pages():
    """biblatex's own example `angenendt` (pages = {431--456, 791--823}): Find it and COinS sent the
    whole text as rft.spage, which Z39.88 defines as one page (a resolver reads no start page)."""
    from syllabus.citations import formats

    _fmt, entries = formats.parse((DATA / "bibtex" / "biblatex-examples.bib").read_text(), fmt="bibtex")
    article = next(e.csl for e in entries if e.csl and e.csl.get("title", "").startswith("In Honore Salvatoris"))
    kev = openurl.parse_kev(openurl.from_csl(article))
    assert kev["rft.spage"] == ["431"] and "rft.epage" not in kev
    assert kev["rft.pages"] == ["431-456, 791-823"]
    assert openurl.to_csl(kev)["page"] == "431-456, 791-823"       # read back whole
    one_range = openurl.parse_kev(openurl.from_csl({"type": "article-journal", "title": "T", "page": "99-105"}))
    assert (one_range["rft.spage"], one_range["rft.epage"]) == (["99"], ["105"]) and "rft.pages" not in one_range

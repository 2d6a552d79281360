"""OpenURL 1.0 KEV in and out, and the link resolver (DSV-6)."""
from urllib.parse import parse_qs

import pytest

from syllabus.catalog import resolver, services
from syllabus.citations import openurl

BOOK_KEV = ("url_ver=Z39.88-2004&ctx_ver=Z39.88-2004&rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Abook&rft.genre=book"
            "&rft.btitle=Pride+and+prejudice&rft.aulast=Austen&rft.aufirst=Jane&rft.isbn=0141439513&rft.date=2003")
ARTICLE_KEV = ("url_ver=Z39.88-2004&rft_val_fmt=info%3Aofi%2Ffmt%3Akev%3Amtx%3Ajournal&rft.genre=article"
               "&rft.atitle=Deep+learning&rft.jtitle=Nature&rft.issn=0028-0836&rft.volume=521&rft.issue=7553"
               "&rft.spage=436&rft.epage=444&rft.date=2015-05-28&rft.au=LeCun%2C+Yann&rft_id=info%3Adoi%2F10.1038%2Fnature14539")


def test_parse_a_book_kev():
    csl = openurl.to_csl(openurl.parse_kev(BOOK_KEV))
    assert csl == {"type": "book", "title": "Pride and prejudice", "ISBN": "9780141439518",
                   "author": [{"family": "Austen", "given": "Jane"}], "issued": {"date-parts": [[2003]]}}


def test_parse_a_journal_article_kev():
    csl = openurl.to_csl(openurl.parse_kev(ARTICLE_KEV))
    assert csl["type"] == "article-journal" and csl["title"] == "Deep learning" and csl["container-title"] == "Nature"
    assert (csl["volume"], csl["issue"], csl["page"], csl["ISSN"], csl["DOI"]) == ("521", "7553", "436-444", "0028-0836",
                                                                                  "10.1038/nature14539")
    assert csl["issued"] == {"date-parts": [[2015, 5, 28]]}
    assert csl["author"] == [{"family": "LeCun", "given": "Yann"}]


def test_parse_a_chapter_and_openurl_0_1():
    chapter = openurl.to_csl(openurl.parse_kev("rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.genre=bookitem&rft.atitle=Ch+1"
                                               "&rft.btitle=The+book&rft.spage=5&rft.epage=9"))
    assert (chapter["type"], chapter["title"], chapter["container-title"], chapter["page"]) == ("chapter", "Ch 1", "The book", "5-9")
    legacy = openurl.to_csl(openurl.parse_kev("sid=x&genre=article&atitle=Old&title=Journal+of+Things&issn=00280836&aulast=Doe"))
    assert (legacy["type"], legacy["title"], legacy["container-title"], legacy["ISSN"]) == ("article-journal", "Old",
                                                                                            "Journal of Things", "0028-0836")


@pytest.mark.parametrize("csl", [
    {"type": "book", "title": "Pride and prejudice", "author": [{"family": "Austen", "given": "Jane"}], "ISBN": "9780141439518",
     "issued": {"date-parts": [[2003]]}, "publisher": "Penguin Books", "publisher-place": "London", "edition": "3"},
    {"type": "article-journal", "title": "Deep learning", "container-title": "Nature", "ISSN": "0028-0836", "volume": "521",
     "issue": "7553", "page": "436-444", "issued": {"date-parts": [[2015, 5, 28]]}, "DOI": "10.1038/nature14539",
     "author": [{"family": "LeCun", "given": "Yann"}, {"family": "Bengio", "given": "Yoshua"}]},
    {"type": "chapter", "title": "Ch 1", "container-title": "The book", "page": "5-9", "ISBN": "9780306406157",
     "issued": {"date-parts": [[2019]]}},
])
def test_emit_then_parse_gives_the_citation_back(csl):
    kev = openurl.from_csl(csl)
    assert parse_qs(kev)["url_ver"] == ["Z39.88-2004"]
    assert openurl.to_csl(openurl.parse_kev(kev)) == csl


@pytest.fixture
def holdings(make_record, inst_a, inst_b, library_a, library_a2, library_b):
    book = make_record(inst_a, title="Pride and prejudice", author=[{"family": "Austen", "given": "Jane"}], ISBN="9780141439518",
                       items=[(library_a, "P-1", "on_loan"), (library_a2, "P-2"), (library_a2, "P-3")])
    journal = make_record(inst_a, type="periodical", title="Nature", ISSN="0028-0836")
    services.add_eresource(None, journal, "https://www.nature.com/nature/", provider="Nature Journals Online",
                           coverage_from=1997)
    old_only = make_record(inst_a, type="periodical", title="Annals of Old Things", ISSN="1476-4687")
    services.add_eresource(None, old_only, "https://old.example.org/annals", coverage_from=1950, coverage_to=1990)
    elsewhere = make_record(inst_b, title="Middlemarch", author=[{"family": "Eliot", "given": "George"}],
                            items=[(library_b, "M-1")])
    return {"book": book, "journal": journal, "old": old_only, "elsewhere": elsewhere}


def test_an_openurl_for_a_held_book_resolves_to_its_holdings(holdings, student):
    """Acceptance 5 (book → holdings with availability)."""
    result = resolver.resolve_kev(student, BOOK_KEV)
    assert result.matched_by == "isbn" and result.scope == "mine"
    assert [(h.library_code, h.total, h.available) for h in result.holdings] == [("lib-a1", 1, 0), ("lib-a2", 2, 2)]
    assert result.fulltext == []


def test_an_openurl_for_an_e_journal_article_resolves_to_the_e_resource_link(holdings, student):
    """Acceptance 5 (article → the e-journal's link, then the DOI)."""
    result = resolver.resolve_kev(student, ARTICLE_KEV)
    assert result.matched_by == "issn"
    assert [(link.kind, link.url) for link in result.fulltext] == [
        ("eresource", "https://www.nature.com/nature/"), ("doi", "https://doi.org/10.1038/nature14539")]


def test_coverage_decides_whether_an_e_journal_serves_an_article(holdings, student):
    kev = "rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.genre=article&rft.atitle=X&rft.issn=1476-4687&rft.date={}"
    assert [link.url for link in resolver.resolve_kev(student, kev.format(1985)).fulltext] == ["https://old.example.org/annals"]
    assert resolver.resolve_kev(student, kev.format(2001)).fulltext == []


def test_a_journal_title_without_issn_still_finds_the_journal(holdings, student):
    kev = "rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.genre=article&rft.atitle=Y&rft.jtitle=Nature&rft.date=2020"
    assert [link.url for link in resolver.resolve_kev(student, kev).fulltext] == ["https://www.nature.com/nature/"]


def test_title_and_author_match_when_there_is_no_identifier(holdings, student):
    result = resolver.resolve_kev(student, "rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.btitle=Pride+and+Prejudice&rft.aulast=Austen")
    assert result.matched_by == "title" and len(result.holdings) == 2


def test_other_members_are_searched_when_my_library_has_nothing(holdings, student):
    result = resolver.resolve_kev(student, "rft.btitle=Middlemarch&rft.genre=book")
    assert result.scope == "consortium"
    assert [(h.institution, h.library_code, h.available) for h in result.holdings] == [("inst-b", "lib-b1", 1)]


def test_an_active_representation_is_full_text(holdings, student, library_a):
    rep = services.add_representation(None, holdings["book"], library_a, label="Scanned copy")
    result = resolver.resolve_kev(student, BOOK_KEV)
    assert [(link.kind, link.url) for link in result.fulltext] == [("representation", f"/catalog/representations/{rep.pk}/")]
    rep.active = False
    rep.save()
    assert resolver.resolve_kev(student, BOOK_KEV).fulltext == []


def test_nothing_found(holdings, student):
    result = resolver.resolve_kev(student, "rft.btitle=Unheard+of&rft.genre=book")
    assert not result.found and result.records == []

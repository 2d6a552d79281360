"""Per-item access on the student view and in the API (SRV-5, DSV-6; issue 12 acceptance 1, 2)."""
from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.citations import openurl
from syllabus.lists.models import Citation

pytestmark = pytest.mark.django_db


def _by_id(body):
    return {c["id"]: c for s in body["sections"] for c in s["citations"]}


def test_api_access_per_citation_shows_where_and_whether(shelf, student, api):
    """SRV-5/DSV-6: on the shelf (2 of 3, a short-loan copy marked), all out (0 of 2), e-book link,
    scan in its window available, scan after it not, digital loan in use with the student 1st in line."""
    body = api(student).get(f"/api/v1/lists/{shelf['list'].pk}").json()
    items = _by_id(body)
    on = items[shelf["on_shelf"].pk]["access"]
    assert sum(p["available"] for p in on["physical"]) == 2 and sum(p["total"] for p in on["physical"]) == 3
    assert [p["reserve"] for p in on["physical"] if p["location"] == "Reserve desk"] == [True]
    assert on["holdable"] is True
    out = items[shelf["all_out"].pk]["access"]
    assert [(p["available"], p["total"]) for p in out["physical"]] == [(0, 2)]
    ebook = items[shelf["ebook"].pk]["access"]
    assert [(o["kind"], o["url"], o["available"]) for o in ebook["online"]] == [("eresource", "https://ebooks.example.com/42", True)]
    assert ebook["physical"] == [] and ebook["holdable"] is False
    scan_in = items[shelf["scan_in"].pk]["access"]["online"]
    assert [(o["kind"], o["available"]) for o in scan_in] == [("scan", True)]
    scan_out = items[shelf["scan_out"].pk]["access"]["online"]
    assert [(o["kind"], o["available"]) for o in scan_out] == [("scan", False)]
    loan = items[shelf["loan"].pk]["access"]
    assert [(o["kind"], o["available"], o["copies"], o["in_use"], o["waiting"]) for o in loan["online"]] == [("loan", False, 1, 1, 1)]
    assert loan["mine"]["loan"]["place_in_queue"] == 1
    assert all(c["access"]["mine"]["done"] is False for c in items.values())


def test_student_view_shows_access_for_each_item(shelf, student, client):
    client.force_login(student)
    html = client.get(reverse("lists:view", args=[shelf["list"].pk])).content.decode()
    assert "1 of 2 available" in html and "1 of 1 available" in html and "0 of 2 available" in html
    assert "Reserve / short loan" in html
    assert "https://ebooks.example.com/42" in html
    assert "no longer available (ended" in html
    assert "the only copy is in use, 1 waiting" in html
    assert "You are number 1 in the digital loan waitlist." in html
    assert html.count('data-testid="find-it"') == 6
    assert html.count('data-testid="place-hold"') == 2  # the two titles with physical copies


def test_a_web_address_that_is_the_dois_own_link_is_offered_once(published, instructor, student, client):
    """DSV-6 (session 25's outside walk): a BibTeX entry with doi and url = https://doi.org/<doi> (JOSS's
    papers, Zotero's exports) showed the student "Open the resource" and "DOI …", two links to one page;
    a web address of another page is still offered beside the DOI."""
    from syllabus.lists import services

    lst, section = published
    same = services.add_citation(instructor, lst, section, "article", {
        "title": "Oceananigans.jl", "DOI": "10.21105/joss.02018", "URL": "https://doi.org/10.21105/JOSS.02018"})
    other = services.add_citation(instructor, lst, section, "article", {
        "title": "Deep learning", "DOI": "10.1038/nature14539", "URL": "https://www.nature.com/articles/nature14539"})
    client.force_login(student)
    html = client.get(reverse("lists:view", args=[lst.pk])).content.decode()
    own = html.split(f'id="item-{same.pk}"', 1)[1].split(f'id="item-{other.pk}"', 1)[0]
    assert own.count('href="https://doi.org/10.21105/joss.02018"') == 1 and "Open the resource" not in own
    beside = html.split(f'id="item-{other.pk}"', 1)[1].split("</main>", 1)[0]
    assert "https://www.nature.com/articles/nature14539" in beside and "https://doi.org/10.1038/nature14539" in beside


def test_editor_also_shows_access(shelf, instructor, client):
    """Session 23: the editor loads each item's copies and access when its "Copies and access"
    opens (lists:citation-services, htmx), not with the page."""
    lst = shelf["list"]
    client.force_login(instructor)
    editor = client.get(reverse("lists:edit", args=[lst.pk])).content.decode()
    html = "".join(client.get(reverse("lists:citation-services", args=[lst.pk, c.pk]), HTTP_HX_REQUEST="true").content.decode()
                   for c in Citation.objects.filter(resource_list=lst))
    assert "1 of 2 available" in html and 'data-testid="find-it"' in html
    assert 'data-testid="done-count"' in html  # instructors see counts
    assert "1 of 2 available" not in editor


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def _grow(shelf, instructor, n):
    """Add ``n`` more items of every kind (copies of the shelf's records)."""
    from syllabus.lists import services

    kinds = ["on_shelf", "all_out", "ebook", "scan_in", "scan_out", "loan"]
    for i in range(n):
        c = shelf[kinds[i % len(kinds)]]
        services.add_citation(instructor, shelf["list"], shelf["section"], "book", dict(c.metadata, title=f"{c.title} {i}"), record=c.record)


def test_same_number_of_queries_for_5_and_200_items(shelf, instructor, student, client, api):
    """Acceptance 1: the access of the whole list in a constant number of queries (page and API)."""
    Citation.objects.filter(pk=shelf["all_out"].pk).delete()  # 5 items, still one of each kind of access but "all out"
    client.force_login(student)
    url = reverse("lists:view", args=[shelf["list"].pk])
    api_url = f"/api/v1/lists/{shelf['list'].pk}"
    reader = api(student)
    reader.get(api_url)  # warm (token, content types)
    _queries(client, url)  # warm: from a session's second view its list travels with the session (PostgreSQL)
    from django.core.cache import cache

    from syllabus.lists.templatetags import lists_tags

    cache.clear()
    lists_tags.page_cache().clear()   # (the page computed again, as after the list grows below)
    small_page = _queries(client, url)
    with CaptureQueriesContext(connection) as ctx:
        assert reader.get(api_url).status_code == 200
    small_api = len(ctx.captured_queries)
    _grow(shelf, instructor, 195)
    assert Citation.objects.filter(resource_list=shelf["list"]).count() == 200
    assert _queries(client, url) == small_page
    with CaptureQueriesContext(connection) as ctx:
        assert reader.get(api_url).status_code == 200
    assert len(ctx.captured_queries) == small_api


def test_find_it_goes_to_the_configured_resolver_with_a_correct_openurl(shelf, student, inst_a, client, api):
    """Acceptance 2: Find it opens the institution's link resolver with an OpenURL 1.0 KEV that
    parses back to the citation; default is Syllabus's own /openurl."""
    from syllabus.org import config

    body = api(student).get(f"/api/v1/lists/{shelf['list'].pk}").json()
    link = _by_id(body)[shelf["on_shelf"].pk]["access"]["find_it"]
    assert link.startswith("/openurl?")
    client.force_login(student)
    assert client.get(link).status_code == 200  # our own resolver answers it
    config.set_value("link_resolver_base_url", "https://na01.alma.exlibrisgroup.com/view/uresolver/01INST/openurl?svc_dat=viewit",
                     institution=inst_a)
    body = api(student).get(f"/api/v1/lists/{shelf['list'].pk}").json()
    link = _by_id(body)[shelf["on_shelf"].pk]["access"]["find_it"]
    parts = urlsplit(link)
    assert (parts.scheme, parts.netloc, parts.path) == ("https", "na01.alma.exlibrisgroup.com", "/view/uresolver/01INST/openurl")
    query = parse_qs(parts.query)
    assert query["svc_dat"] == ["viewit"] and query["url_ver"] == ["Z39.88-2004"]
    assert query["rft_val_fmt"] == [openurl.FMT_BOOK]
    back = openurl.to_csl(openurl.parse_kev(parts.query))
    assert back["title"] == "On the shelf"
    assert back["ISBN"].replace("-", "") == "9780140136036"
    assert back["author"][0]["family"] == "Thompson"
    assert back["issued"]["date-parts"][0][0] == 1963


def test_coins_spans_parse_as_valid_kev(shelf, student, client):
    """Acceptance 2: every item carries a COinS span whose title is a valid OpenURL KEV
    ContextObject (Z39.88-2004), read back the way reference managers read it."""
    import html as htmlmod
    import re

    from syllabus.catalog import citeit

    client.force_login(student)
    page = client.get(reverse("lists:view", args=[shelf["list"].pk])).content.decode()
    spans = re.findall(r'<span class="Z3988" title="([^"]*)"></span>', page)
    assert len(spans) == 6
    titles = set()
    for raw in spans:
        kev = openurl.parse_kev(htmlmod.unescape(raw))
        assert kev["ctx_ver"] == ["Z39.88-2004"] and kev["url_ctx_fmt"] == ["info:ofi/fmt:kev:mtx:ctx"]
        assert kev["rft_val_fmt"] == [openurl.FMT_BOOK]
        titles.add(openurl.to_csl(kev)["title"])
    assert titles == {"On the shelf", "All out", "An e-book", "Scanned, in window", "Scanned, window over", "Lent digitally"}
    from bs4 import BeautifulSoup

    harvested = citeit.from_coins(BeautifulSoup(page, "html.parser"))  # what Cite it (DSV-4) reads off a page
    assert harvested["title"] == "On the shelf" and harvested["ISBN"].replace("-", "") == "9780140136036"


def test_held_copy_on_the_shelf_is_not_counted_available(shelf, student, desk, library_a, api):
    from syllabus.circulation import services

    hold = services.place_hold(student, shelf["all_out"], pickup_library=library_a.code)
    on = shelf["on_shelf"]
    services.place_hold(student, on, pickup_library=library_a.code)
    from syllabus.circulation.models import Hold

    services.fulfil_hold(desk, Hold.objects.get(patron=student, record=on.record))
    body = api(student).get(f"/api/v1/lists/{shelf['list'].pk}").json()
    access = _by_id(body)[on.pk]["access"]
    assert sum(p["available"] for p in access["physical"]) == 1
    assert access["mine"]["hold"]["status"] == "on_hold_shelf"
    assert _by_id(body)[shelf["all_out"].pk]["access"]["mine"]["hold"]["place_in_queue"] == 1
    assert hold.status == "waiting"

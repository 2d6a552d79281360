"""Catalog pages for every role: anonymous → sign-in; what each may see and do; htmx fragments."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.catalog import actions, services
from syllabus.catalog.models import CollectionEntry
from syllabus.org.roles import Role

PAGES = ["/catalog/", "/catalog/reserves/", "/catalog/collection/", "/catalog/cite-it/", "/openurl?rft.isbn=9780141439518"]
FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def book(make_record, inst_a, library_a):
    return make_record(inst_a, title="Pride and prejudice", author=[{"family": "Austen", "given": "Jane"}], ISBN="9780141439518",
                       issued={"date-parts": [[2003]]}, items=[(library_a, "P-1"), (library_a, "P-2", "on_loan")],
                       subjects=["Courtship -- Fiction"])


@pytest.mark.parametrize("path", PAGES)
def test_anonymous_is_sent_to_sign_in(client, db, path):
    r = client.get(path)
    assert r.status_code == 302 and r.url.startswith("/login/")


def test_anonymous_record_page_is_sent_to_sign_in(client, book):
    assert client.get(f"/catalog/records/{book.pk}/").url.startswith("/login/")


@pytest.mark.parametrize("who", ["student", "instructor", "librarian", "admin_user"])
def test_every_role_searches_and_reads_records(client, request, book, who):
    client.force_login(request.getfixturevalue(who))
    r = client.get("/catalog/", {"q": "austen"})
    assert r.status_code == 200 and b"Pride and prejudice" in r.content
    assert b"Available at Library A1 (1 of 2)" in r.content
    r = client.get(f"/catalog/records/{book.pk}/")
    assert r.status_code == 200 and b'class="Z3988"' in r.content and b"P-2" in r.content


def test_htmx_search_returns_the_results_fragment_with_facets(client, student, book):
    client.force_login(student)
    r = client.get("/catalog/", {"q": "austen"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in r.content and b'data-facet="availability:available"' in r.content
    assert b'data-facet="library:lib-a1"' in r.content


def test_a_bad_scope_shows_the_rule(client, student, book):
    client.force_login(student)
    r = client.get("/catalog/", {"q": "austen", "scope": "nowhere"})
    assert r.status_code == 200 and b"DSV-2" in r.content


def test_a_record_of_another_consortium_is_404(client, student, make_record):
    from tests.factories import ConsortiumFactory, InstitutionFactory

    foreign = make_record(InstitutionFactory(consortium=ConsortiumFactory(), code="far"), title="Far away")
    client.force_login(student)
    assert client.get(f"/catalog/records/{foreign.pk}/").status_code == 404
    assert client.post(f"/catalog/records/{foreign.pk}/collect/").status_code == 404


def test_add_to_my_collection_from_the_results(client, student, book):
    client.force_login(student)
    r = client.post(f"/catalog/records/{book.pk}/collect/", HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and "In My collection".encode() in r.content
    client.post(f"/catalog/records/{book.pk}/collect/", HTTP_HX_REQUEST="true")
    assert CollectionEntry.objects.filter(user=student, record=book).count() == 1
    r = client.get("/catalog/", {"q": "austen"})
    assert "In My collection".encode() in r.content  # the results know it is collected
    page = client.get("/catalog/collection/")
    assert b"Pride and prejudice" in page.content and b"/catalog/collection/export/ris/" in page.content


def test_collection_entries_are_private(client, student, make_user, book):
    entry, _ = services.add_to_collection(student, record=book)
    other = make_user("other")
    client.force_login(other)
    assert b"Pride and prejudice" not in client.get("/catalog/collection/").content
    assert client.post(f"/catalog/collection/{entry.pk}/remove/").status_code == 404
    client.force_login(student)
    assert client.post(f"/catalog/collection/{entry.pk}/remove/", HTTP_HX_REQUEST="true").content == b""
    assert not CollectionEntry.objects.filter(pk=entry.pk).exists()


def test_collection_export(client, student, book):
    services.add_to_collection(student, record=book)
    client.force_login(student)
    r = client.get("/catalog/collection/export/bibtex/")
    assert r.status_code == 200 and b"@book{austen2003pride" in r.content
    assert r["Content-Disposition"] == 'attachment; filename="my-collection.bib"'


def test_record_export_downloads(client, student, book):
    client.force_login(student)
    r = client.get(f"/catalog/records/{book.pk}/export/ris/")
    assert r.status_code == 200 and b"TY  - BOOK" in r.content


def test_export_addresses_name_only_the_formats_there_are(client, student, book):
    client.force_login(student)
    assert client.get("/catalog/collection/export/csl-json/").status_code == 200
    # MARCXML is a record's export, not the collection's; an unknown format is no address at all
    assert client.get("/catalog/collection/export/marcxml/").status_code == 404
    assert client.get(f"/catalog/records/{book.pk}/export/endnote/").status_code == 404
    assert client.get(f"/catalog/records/{book.pk}/export/marcxml/").status_code == 200


def test_request_options_come_from_other_apps(client, student, book):
    actions.register("test-hold", "Place a hold", lambda record, user: f"/hold/{record.pk}",
                     when=lambda record, user: any(i.is_available for i in record.items.all()))
    actions.register("test-hidden", "Never", lambda record, user: "/never", when=lambda record, user: False)
    try:
        client.force_login(student)
        content = client.get(f"/catalog/records/{book.pk}/").content
        assert f'href="/hold/{book.pk}" data-action="test-hold"'.encode() in content and b"/never" not in content
    finally:
        actions.ACTIONS.pop("test-hold")
        actions.ACTIONS.pop("test-hidden")


def test_other_editions_are_listed(client, student, book, make_record, inst_b):
    older = make_record(inst_b, title="Pride and Prejudice: a novel", author=[{"family": "Austen", "given": "Jane"}],
                        issued={"date-parts": [[1813]]})
    client.force_login(student)
    assert f'/catalog/records/{older.pk}/'.encode() in client.get(f"/catalog/records/{book.pk}/").content


# --- cite it ---------------------------------------------------------------------------------

def test_cite_it_page_offers_the_bookmarklet(client, student):
    client.force_login(student)
    r = client.get("/catalog/cite-it/")
    assert r.status_code == 200 and b"javascript:(function(){" in r.content
    assert b"http://testserver/catalog/cite-it/harvest/" in r.content


def test_the_bookmarklet_post_shows_a_preview_then_a_protected_save(student, clock):
    from django.test import Client

    browser = Client(enforce_csrf_checks=True)
    browser.force_login(student)
    html = (FIXTURES / "citeit" / "json_ld.html").read_text()
    r = browser.post("/catalog/cite-it/harvest/", {"url": "https://journal.example.org/a", "html": html})  # no CSRF token
    assert r.status_code == 200 and b"schema.org JSON-LD" in r.content and b"The Moral Machine experiment" in r.content
    assert not CollectionEntry.objects.exists()  # harvesting saves nothing
    form = r.context["csl_json"]
    refused = browser.post("/catalog/cite-it/save/", {"csl": form, "target": "collection"})
    assert refused.status_code == 403  # saving needs the CSRF token of the preview form
    token = r.cookies["csrftoken"].value if "csrftoken" in r.cookies else browser.cookies["csrftoken"].value
    ok = browser.post("/catalog/cite-it/save/", {"csl": form, "target": "collection", "title": "The Moral Machine experiment",
                                                 "authors": "Awad, Edmond\nDsouza, Sohan", "year": "2018",
                                                 "csrfmiddlewaretoken": token})
    assert ok.status_code == 302 and ok.url == "/catalog/collection/"
    entry = CollectionEntry.objects.get(user=student)
    assert entry.csl["author"] == [{"family": "Awad", "given": "Edmond"}, {"family": "Dsouza", "given": "Sohan"}]
    assert entry.csl["DOI"] == "10.1038/s41586-018-0637-6" and entry.csl["issued"] == {"date-parts": [[2018, 10, 24]]}


def test_cite_it_while_signed_out_resumes_after_sign_in(client, student):
    html = (FIXTURES / "citeit" / "coins.html").read_text()
    r = client.post("/catalog/cite-it/harvest/", {"url": "https://catalogue.example.edu/x", "html": html})
    assert r.status_code == 302 and r.url.startswith("/login/")
    client.force_login(student)
    r = client.get("/catalog/cite-it/harvest/", {"resume": "1"})
    assert r.status_code == 200 and b"The structure of scientific revolutions" in r.content


def test_cite_it_save_refuses_a_bad_year(client, student):
    client.force_login(student)
    r = client.post("/catalog/cite-it/save/", {"csl": '{"title": "X"}', "target": "collection", "year": "soon"})
    assert r.status_code == 400 and b"DSV-4" in r.content
    assert not CollectionEntry.objects.exists()


# --- representations ---------------------------------------------------------------------------

@pytest.fixture
def scanned(book, library_a):
    return services.add_representation(None, book, library_a, label="Scan",
                                       files=[SimpleUploadedFile("scan.pdf", b"%PDF-1.4 scan"), SimpleUploadedFile("p2.pdf", b"%PDF-1.4 p2")])


def test_an_active_representation_is_readable_by_members(client, student, make_user, inst_b, scanned):
    client.force_login(student)
    assert client.get(f"/catalog/representations/{scanned.pk}/").status_code == 200
    r = client.get(f"/catalog/representations/{scanned.pk}/file/")
    assert r.status_code == 200 and b"".join(r.streaming_content) == b"%PDF-1.4 scan"
    assert r["Content-Type"] == "application/pdf" and r["X-Content-Type-Options"] == "nosniff"
    extra = scanned.extra_files.get()
    assert b"".join(client.get(f"/catalog/representation-files/{extra.pk}/").streaming_content) == b"%PDF-1.4 p2"


def test_an_inactive_representation_is_for_inventory_staff_only(client, student, make_user, scanned):
    scanned.active = False
    scanned.save()
    client.force_login(student)
    assert client.get(f"/catalog/representations/{scanned.pk}/").status_code == 404
    assert client.get(f"/catalog/representations/{scanned.pk}/file/").status_code == 404
    staff = make_user("inventory", group="staff", roles=[Role.DIGITAL_INVENTORY_OPERATOR])
    client.force_login(staff)
    assert client.get(f"/catalog/representations/{scanned.pk}/file/").status_code == 200


def test_other_apps_can_add_access_rules(client, student, scanned):
    from syllabus.catalog import access
    from syllabus.core.errors import PermissionDenied

    def loan_needed(user, rep):
        raise PermissionDenied("LDL-3", "borrow it first")

    access.register(loan_needed)
    try:
        client.force_login(student)
        r = client.get(f"/catalog/representations/{scanned.pk}/file/")
        assert r.status_code == 403 and b"LDL-3" in r.content
    finally:
        access.CHECKS.remove(loan_needed)


# --- the resolver page and course reserves -------------------------------------------------------

def test_the_openurl_page_shows_holdings(client, student, book):
    client.force_login(student)
    r = client.get("/openurl", {"url_ver": "Z39.88-2004", "rft_val_fmt": "info:ofi/fmt:kev:mtx:book", "rft.isbn": "0141439513"})
    assert r.status_code == 200
    assert b'data-testid="resolver-holdings"' in r.content and b"1 of 2 available" in r.content  # the list item's words
    r = client.get("/openurl", {"foo": "bar"})
    assert r.status_code == 400


def test_the_openurl_page_offers_the_e_journal(client, student, make_record, inst_a):
    journal = make_record(inst_a, type="periodical", title="Nature", ISSN="0028-0836")
    services.add_eresource(None, journal, "https://www.nature.com/nature/", provider="Nature Journals Online")
    client.force_login(student)
    r = client.get("/openurl?rft_val_fmt=info:ofi/fmt:kev:mtx:journal&rft.genre=article&rft.atitle=Deep+learning"
                   "&rft.issn=0028-0836&rft.date=2015")
    assert b'href="https://www.nature.com/nature/" data-kind="eresource"' in r.content
    r = client.post("/catalog/collection/add/", {"csl": '{"title": "Deep learning", "type": "article-journal"}'}, HTTP_HX_REQUEST="true")
    assert b"Saved to My collection" in r.content


def test_find_it_names_the_publishers_doi_link_in_the_readers_language(client, student, settings):
    """DSV-6: a student reading in French saw "DOI (publisher's version)" in English on Find it."""
    client.force_login(student)
    kev = "/openurl?rft.genre=article&rft.atitle=Deep+learning&rft.jtitle=Nature&rft_id=info%3Adoi%2F10.1038%2Fnature14539"
    r = client.get(kev)
    assert b'data-kind="doi"' in r.content and b"(publisher&#x27;s version)" in r.content
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    r = client.get(kev)
    assert "(version de l&#x27;éditeur)" in r.content.decode() and b"publisher" not in r.content


def test_the_reserves_page_without_lists_says_nothing_matches(client, student, course):
    client.force_login(student)
    r = client.get("/catalog/reserves/", {"q": "HIST101"})
    assert r.status_code == 200 and b"No course with a published reading list matches" in r.content


def test_navigation_has_the_catalog_entries(client, student):
    client.force_login(student)
    content = client.get("/").content
    for url in (b'href="/catalog/"', b'href="/catalog/reserves/"', b'href="/catalog/collection/"', b'href="/catalog/cite-it/"'):
        assert url in content


def test_a_download_name_cannot_hide_its_real_extension_with_bidirectional_controls(client, student, book, library_a):
    """Session 23 review: a label typed as "Week 1<U+202E>fdp.zip" is shown by a download bar that
    honours the override as "Week 1piz.pdf" — an archive passing for a PDF.  Unicode format
    characters (bidirectional overrides and isolates, zero-width characters) are dropped from
    every download name (``core.files.safe_filename``; uploads' own names lose them in Django's
    upload parser already)."""
    import io
    import zipfile

    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as archive:
        archive.writestr("notes.txt", "week 1")
    rep = services.add_representation(None, book, library_a, label="Week 1\u202efdp\u200b\u2066.zip",
                                      files=[SimpleUploadedFile("w1.zip", data.getvalue())])
    client.force_login(student)
    r = client.get(f"/catalog/representations/{rep.pk}/file/")
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    assert r["Content-Disposition"] == 'attachment; filename="Week 1fdp.zip"', r["Content-Disposition"]


def test_an_uploaded_page_or_svg_is_served_as_an_attachment_of_opaque_bytes(client, student, book, library_a):
    """Issue 18 item 2 (§12 uploads): the type goes out sniffed and allow-listed; HTML and SVG
    (which can carry script) are never served as themselves, inline, on our origin."""
    planted = services.add_representation(None, book, library_a, label="Scan", files=[
        SimpleUploadedFile("scan.html", b"<html><script>alert(document.cookie)</script></html>", content_type="text/html"),
        SimpleUploadedFile("fig.svg", b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')])
    client.force_login(student)
    extra = planted.extra_files.get()
    for url in (f"/catalog/representations/{planted.pk}/file/", f"/catalog/representation-files/{extra.pk}/"):
        r = client.get(url)
        assert r.status_code == 200
        assert r["Content-Type"] == "application/octet-stream", (url, r["Content-Type"])
        assert r["Content-Disposition"].startswith("attachment"), (url, r["Content-Disposition"])
        assert r["X-Content-Type-Options"] == "nosniff" and "sandbox" in r["Content-Security-Policy"]

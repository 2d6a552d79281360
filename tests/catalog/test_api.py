"""The catalog API (in the OpenAPI document): search, records, inventory, collection, lookup,
resolver, cite it — and who may call what (401 / 403 / 404)."""
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.catalog.models import CollectionEntry, Item, Record, Representation
from syllabus.core.audit import trail
from syllabus.org.roles import Role

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def cataloguer(make_user):
    return make_user("cataloguer", group="staff", roles=[Role.DIGITAL_INVENTORY_OPERATOR])


@pytest.fixture
def book(make_record, inst_a, library_a):
    return make_record(inst_a, title="Pride and prejudice", author=[{"family": "Austen", "given": "Jane"}], ISBN="9780141439518",
                       issued={"date-parts": [[2003]]}, items=[(library_a, "P-1"), (library_a, "P-2", "on_loan")])


@pytest.fixture
def foreign_record(make_record):
    from tests.factories import ConsortiumFactory, InstitutionFactory

    return make_record(InstitutionFactory(consortium=ConsortiumFactory(), code="elsewhere"), title="Not in our consortium")


def test_search_api_shape_with_facets(api, student, book):
    r = api(student).get("/api/v1/search", {"q": "austen", "scope": "mine"})
    assert r.status_code == 200
    body = r.json()
    assert set(body) >= {"items", "count", "facets"}
    assert body["count"] == 1
    item = body["items"][0]
    assert (item["title"], item["isbn"], item["institution"]) == ("Pride and prejudice", "9780141439518", "inst-a")
    assert item["availability"] == [{"library": "lib-a1", "library_name": "Library A1", "total": 2, "available": 1}]
    assert body["facets"]["type"] == [{"value": "book", "label": "Book", "count": 1}]
    assert {f["value"] for f in body["facets"]["availability"]} == {"available"}


def test_search_api_filters_and_paging(api, student, book, make_record, inst_a):
    for n in range(5):
        make_record(inst_a, title=f"Austen companion {n}", issued={"date-parts": [[1990 + n]]})
    body = api(student).get("/api/v1/search", {"q": "austen", "limit": 2, "offset": 2, "sort": "title"}).json()
    assert body["count"] == 6 and [i["title"] for i in body["items"]] == ["Austen companion 2", "Austen companion 3"]
    assert body["next"].endswith("offset=4") or "offset=4" in body["next"]
    body = api(student).get("/api/v1/search", {"q": "austen", "year": "1990-1991"}).json()
    assert body["count"] == 2
    assert api(student).get("/api/v1/search", {"q": "x", "scope": "nowhere"}).json()["rule"] == "DSV-2"


def test_the_record_api_has_items_eresources_and_representations(api, student, book, library_a):
    from syllabus.catalog import services

    services.add_eresource(None, book, "https://ebooks.example.org/pride", provider="Example e-books")
    services.add_representation(None, book, library_a, label="Scan", files=[SimpleUploadedFile("scan.pdf", b"%PDF-1.4 x")])
    hidden = services.add_representation(None, book, library_a, label="Draft scan", active=False)
    body = api(student).get(f"/api/v1/records/{book.pk}").json()
    assert [i["barcode"] for i in body["items"]] == ["P-1", "P-2"]
    assert body["eresources"][0]["url"] == "https://ebooks.example.org/pride"
    assert [r["label"] for r in body["representations"]] == ["Scan"]  # the inactive one is not for students
    assert body["representations"][0]["files"][0]["mime_type"] == "application/pdf"
    assert body["openurl"].startswith("url_ver=Z39.88-2004")
    assert hidden.pk not in [r["id"] for r in body["representations"]]


def test_anonymous_gets_401_everywhere(api, book):
    for path in ("/api/v1/search?q=x", f"/api/v1/records/{book.pk}", "/api/v1/lookup?identifier=9780141439518",
                 "/api/v1/collection", "/api/v1/reserves?q=x", "/api/v1/styles"):
        r = api().get(path)
        assert r.status_code == 401 and r.json()["rule"] == "AUTH", path
    assert api().post("/api/v1/cite-it", {"html": "<title>x</title>"}).status_code == 401
    assert api().post("/api/v1/records", {"csl": {"title": "x"}}).status_code == 401


def test_a_record_of_another_consortium_is_404(api, student, foreign_record):
    r = api(student).get(f"/api/v1/records/{foreign_record.pk}")
    assert r.status_code == 404 and r.json()["rule"] == "DSV-1"


def test_another_members_record_is_visible(api, make_user, inst_b, book):
    outsider = make_user("member-b", institution=inst_b)
    assert api(outsider).get(f"/api/v1/records/{book.pk}").status_code == 200


def test_a_text_longer_than_its_column_is_refused_naming_the_field(api, cataloguer, library_a, book):
    """DSV-1: never a 500 (PostgreSQL refused the row) nor a stored overlong text (SQLite kept it).
    The API's schema refuses it first (its ceiling is the column's, tests/api/test_input_sizes.py);
    the service refuses it too, for the paths without a schema (a loader, a page)."""
    from syllabus.catalog import services
    from syllabus.core.errors import RuleViolation

    items = book.items.count()
    r = api(cataloguer).post(f"/api/v1/records/{book.pk}/items", {"library": library_a.code, "barcode": "B" * 61})
    assert r.status_code == 422 and r.json()["rule"] == "VALIDATION" and r.json()["field"] == "barcode", r.content
    assert "at most 60 characters" in r.json()["detail"]
    r = api(cataloguer).post(f"/api/v1/records/{book.pk}/items", {"library": library_a.code, "barcode": "B-61",
                                                                  "location": "L" * 121})
    assert r.status_code == 422 and r.json()["field"] == "location", r.content
    assert book.items.count() == items
    r = api(cataloguer).post(f"/api/v1/records/{book.pk}/eresources", {"url": "https://e.example.org/x", "provider": "P" * 201})
    assert r.status_code == 422 and r.json()["field"] == "provider", r.content
    assert not book.eresources.exists()
    with pytest.raises(RuleViolation) as refused:
        services.add_item(cataloguer, book, library_a, "B" * 61)
    assert refused.value.rule == "DSV-1" and refused.value.field == "barcode" and "longer than 60" in refused.value.detail
    with pytest.raises(RuleViolation) as refused:
        services.add_eresource(cataloguer, book, "https://e.example.org/x", provider="P" * 201)
    assert refused.value.rule == "DSV-1" and refused.value.field == "provider"
    assert book.items.count() == items and not book.eresources.exists()
    r = api(cataloguer).post(f"/api/v1/records/{book.pk}/items", {"library": library_a.code, "barcode": "B" * 60})
    assert r.status_code == 201, r.content


def test_only_cataloguers_create_records_and_items(api, student, cataloguer, librarian, library_a, book):
    r = api(student).post("/api/v1/records", {"csl": {"title": "Sneaky", "type": "book"}})
    assert r.status_code == 403 and r.json()["rule"] == "DSV-1"
    assert not Record.objects.filter(title="Sneaky").exists()
    r = api(librarian).post("/api/v1/records", {"csl": {"title": "New book", "type": "book", "ISBN": "0-306-40615-2",
                                                        "author": [{"family": "Doe", "given": "Jo"}]}})
    assert r.status_code == 201, r.content
    record_id = r.json()["id"]
    assert r.json()["isbn"] == "9780306406157"
    assert trail(Record.objects.get(pk=record_id)).first().actor == librarian
    r = api(student).post(f"/api/v1/records/{record_id}/items", {"library": "lib-a1", "barcode": "N-1"})
    assert r.status_code == 403
    r = api(cataloguer).post(f"/api/v1/records/{record_id}/items", {"library": "lib-a1", "barcode": "N-1", "location": "Stacks"})
    assert r.status_code == 201 and r.json()["available"] is True
    again = api(cataloguer).post(f"/api/v1/records/{record_id}/items", {"library": "lib-a1", "barcode": "N-1"})
    assert again.status_code == 409 and again.json()["rule"] == "DSV-1"
    item_id = r.json()["id"]
    assert api(student).patch(f"/api/v1/items/{item_id}", {"status": "on_loan"}).status_code == 403
    r = api(cataloguer).patch(f"/api/v1/items/{item_id}", {"status": "on_loan"})
    assert r.status_code == 200 and r.json()["available"] is False
    assert api(cataloguer).patch(f"/api/v1/items/{item_id}", {"status": "stolen"}).json()["rule"] == "DSV-1"


def test_an_invalid_isbn_is_refused_and_nothing_is_written(api, librarian):
    r = api(librarian).post("/api/v1/records", {"csl": {"title": "Bad", "ISBN": "978-0-00-000000-1"}})
    assert r.status_code == 400 and r.json()["rule"] == "DSV-1" and "ISBN" in r.json()["detail"]
    assert not Record.objects.filter(title="Bad").exists()


def test_items_go_to_the_records_own_institution_only(api, librarian, book, library_b):
    r = api(librarian).post(f"/api/v1/records/{book.pk}/items", {"library": library_b.code, "barcode": "X-1"})
    assert r.status_code == 400 and r.json()["rule"] == "DSV-1"
    assert not Item.objects.filter(barcode="X-1").exists()


def test_another_institutions_cataloguer_cannot_change_our_records(api, make_user, inst_b, book):
    theirs = make_user("their-cataloguer", institution=inst_b, roles=[])
    from syllabus.org.services import assign_role

    assign_role(theirs, Role.COURSE_RESERVES_OPERATOR)
    r = api(theirs).put(f"/api/v1/records/{book.pk}", {"csl": {"title": "Hijacked"}})
    assert r.status_code == 403


def test_representations_upload_and_activation_by_digital_inventory_operators(client, api, cataloguer, librarian, student, book):
    from syllabus.org.services import create_api_token

    _, raw = create_api_token(cataloguer)
    r = client.post(f"/api/v1/records/{book.pk}/representations",
                    {"library": "lib-a1", "label": "Scanned copy", "active": "false",
                     "files": [SimpleUploadedFile("part1.pdf", b"%PDF-1.4 one"), SimpleUploadedFile("part2.pdf", b"%PDF-1.4 two")]},
                    HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 201, r.content
    rep_id = r.json()["id"]
    assert r.json()["active"] is False and len(r.json()["files"]) == 2
    rep = Representation.objects.get(pk=rep_id)
    assert rep.file.name.endswith(".pdf") and "part1" not in rep.file.name  # safe generated storage name
    # a librarian of lists is no digital inventory operator
    assert api(librarian).post(f"/api/v1/representations/{rep_id}/activate").status_code == 403
    assert api(student).post(f"/api/v1/representations/{rep_id}/activate").status_code == 403
    assert api(cataloguer).post(f"/api/v1/representations/{rep_id}/activate").json() == {"id": rep_id, "active": True}


def test_my_collection_api(api, student, make_user, book):
    r = api(student).post("/api/v1/collection", {"record_id": book.pk})
    assert r.status_code == 201
    assert api(student).post("/api/v1/collection", {"record_id": book.pk}).status_code == 200  # already there
    r2 = api(student).post("/api/v1/collection", {"csl": {"title": "A web page", "type": "webpage", "URL": "https://example.org"}})
    assert r2.status_code == 201
    assert [e["title"] for e in api(student).get("/api/v1/collection").json()["items"]] == ["A web page", "Pride and prejudice"]
    other = make_user("other")
    assert api(other).get("/api/v1/collection").json()["items"] == []
    assert api(other).delete(f"/api/v1/collection/{r.json()['id']}").status_code == 404
    export = api(student).get("/api/v1/collection/export", {"format": "bibtex"})
    assert export.status_code == 200 and b"@book{austen2003pride," in export.content
    assert api(student).delete(f"/api/v1/collection/{r.json()['id']}").status_code == 204
    assert CollectionEntry.objects.filter(user=student).count() == 1
    bad = api(student).post("/api/v1/collection", {"csl": {"type": "book"}})
    assert bad.status_code == 400 and bad.json()["rule"] == "DSV-3"


def test_resolve_api(api, student, book):
    r = api(student).get("/api/v1/resolve?url_ver=Z39.88-2004&rft_val_fmt=info:ofi/fmt:kev:mtx:book&rft.isbn=0141439513")
    body = r.json()
    assert r.status_code == 200 and body["found"] and body["matched_by"] == "isbn"
    assert body["holdings"] == [{"record_id": book.pk, "institution": "inst-a", "library": "lib-a1", "library_name": "Library A1",
                                 "total": 2, "available": 1, "locations": ["Stacks"]}]
    assert api(student).get("/api/v1/resolve?hello=world").json()["rule"] == "DSV-6"


def test_resolve_api_is_public_for_discovery_systems(api, book, inst_a, inst_b):
    """DSV-6: an anonymous caller names the institution; holdings, never files."""
    body = api().get("/api/v1/resolve?rft.isbn=0141439513&institution=inst-a").json()
    assert body["scope"] == "mine" and body["holdings"][0]["available"] == 1
    body = api().get("/api/v1/resolve?rft.isbn=0141439513&institution=inst-b").json()
    assert body["scope"] == "consortium"
    assert api().get("/api/v1/resolve?rft.isbn=0141439513").json()["found"] is True
    assert api().get("/api/v1/resolve?rft.isbn=0141439513&institution=nope").json()["rule"] == "DSV-6"


def test_record_export_and_styles(api, student, book):
    r = api(student).get(f"/api/v1/records/{book.pk}/export", {"format": "ris"})
    assert r.status_code == 200 and b"TY  - BOOK" in r.content and r["Content-Type"].startswith("application/x-research-info-systems")
    assert api(student).get(f"/api/v1/records/{book.pk}/export", {"format": "pdf"}).json()["rule"] == "LST-9"
    names = [s["name"] for s in api(student).get("/api/v1/styles").json()["items"]]
    assert {"apa", "harvard-cite-them-right", "chicago-author-date", "modern-language-association", "nlm-citation-sequence"} <= set(names)
    r = api(student).post("/api/v1/bibliography", {"items": [book.csl], "style": "mla"})
    assert r.json() == {"style": "modern-language-association", "entries": ["Austen, Jane. <i>Pride and Prejudice</i>. 2003."]}


def test_the_openapi_document_lists_the_catalog_endpoints(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    for path in ("/api/v1/search", "/api/v1/records/{record_id}", "/api/v1/lists/{list_id}/import", "/api/v1/lists/{list_id}/export",
                 "/api/v1/cite-it", "/api/v1/resolve", "/api/v1/lookup", "/api/v1/collection", "/api/v1/reserves"):
        assert path in paths, path


def test_the_openapi_document_enumerates_statuses_and_the_openurl_parameters(client):
    doc = client.get("/api/v1/openapi.json").json()
    schemas = doc["components"]["schemas"]

    def enum(schema, prop):
        return schemas[schema]["properties"][prop]["enum"]

    assert enum("ItemOut", "status") == ["in_place", "on_loan", "in_process", "missing"]
    assert enum("LinkOut", "kind") == ["eresource", "representation", "doi", "url"]
    assert set(enum("ResolveOut", "matched_by")) >= {"doi", "isbn", "issn", "title"}
    assert enum("ImportEntryOut", "status") == ["created", "rejected", "note"]
    params = {p["name"] for p in doc["paths"]["/api/v1/resolve"]["get"]["parameters"]}
    assert {"url_ver", "rft_val_fmt", "rft.isbn", "rft.issn", "rft_id", "rft.atitle", "rft.jtitle", "institution"} <= params


def test_cite_it_api_harvests_html(api, student):
    html = (FIXTURES / "citeit" / "highwire.html").read_text()
    r = api(student).post("/api/v1/cite-it", {"html": html, "url": "https://www.nature.com/articles/nature14539"})
    assert r.status_code == 200
    assert r.json()["formats"] == ["highwire"] and r.json()["csl"]["DOI"] == "10.1038/nature14539"
    r = api(student).post("/api/v1/cite-it", {"html": html, "target": "collection"})
    assert r.status_code == 201 and CollectionEntry.objects.get(pk=r.json()["collection_entry_id"]).csl["title"] == "Deep learning"
    assert api(student).post("/api/v1/cite-it", {}).json()["rule"] == "DSV-4"
    assert api(student).post("/api/v1/cite-it", {"url": "file:///etc/passwd"}).json()["rule"] == "DSV-4"

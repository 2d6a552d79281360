"""The catalog with resource lists: citations from records and from search results (DSV-3),
search by course code and course reserves (DSV-5), the lists citing a record, cite it into a
list (DSV-4), and a list's import/export with CSL bibliographies (LST-9)."""
import io
import json
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document

from syllabus.catalog import selectors
from syllabus.lists import services as list_services
from syllabus.lists.models import Citation
from tests.factories import CourseFactory

FIXTURES = Path(__file__).parent / "fixtures"

RIS = (Path(__file__).parent.parent / "citations" / "test_formats.py").read_text().split('RIS = """', 1)[1].split('"""', 1)[0]
BIBTEX = (Path(__file__).parent.parent / "citations" / "test_formats.py").read_text().split('BIBTEX = r"""', 1)[1].split('"""', 1)[0]


@pytest.fixture
def books(make_record, inst_a, library_a):
    austen = make_record(inst_a, title="Pride and prejudice", author=[{"family": "Austen", "given": "Jane"}], ISBN="9780141439518",
                         issued={"date-parts": [[2003]]}, publisher="Penguin Books", items=[(library_a, "P-1")])
    darwin = make_record(inst_a, title="On the origin of species", author=[{"family": "Darwin", "given": "Charles"}],
                         issued={"date-parts": [[1859]]}, items=[(library_a, "D-1", "on_loan")])
    journal = make_record(inst_a, type="periodical", title="Nature", ISSN="0028-0836")
    return {"austen": austen, "darwin": darwin, "journal": journal}


@pytest.fixture
def reading_list(instructor, course):
    lst = list_services.create_list(instructor, title="HIST101 readings", courses=[course])
    list_services.add_section(instructor, lst, title="Week 1")
    return lst


@pytest.fixture
def published(reading_list, instructor, books):
    list_services.add_citation(instructor, reading_list, None, record=books["austen"])
    list_services.publish_list(instructor, reading_list)
    return reading_list


def _titles(page):
    return [r.title for r in page.records]


# --- citations from catalog records ------------------------------------------------------------

def test_a_citation_from_a_record_id_through_the_lists_api(api, instructor, reading_list, books):
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/citations", {"record_id": books["austen"].pk})
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["record_id"] == books["austen"].pk
    assert body["metadata"]["title"] == "Pride and prejudice" and body["metadata"]["ISBN"] == "9780141439518"
    journal = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/citations", {"record_id": books["journal"].pk})
    assert journal.status_code == 201, journal.content  # a journal record is an "other" citation


def test_a_record_of_another_consortium_cannot_be_cited_and_is_not_confirmed_to_exist(api, instructor, reading_list, make_record):
    """DSV-2/CON-2: like GET /api/v1/records/{id}, citing another consortium's record is 404."""
    from tests.factories import ConsortiumFactory, InstitutionFactory

    foreign = make_record(InstitutionFactory(consortium=ConsortiumFactory(), code="elsewhere"), title="Not ours")
    assert api(instructor).get(f"/api/v1/records/{foreign.pk}").status_code == 404
    r = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/citations", {"record_id": foreign.pk})
    assert r.status_code == 404 and "another consortium" not in r.json()["detail"], r.content
    missing = api(instructor).post(f"/api/v1/lists/{reading_list.pk}/citations", {"record_id": foreign.pk + 1000})
    assert missing.status_code == 404 and missing.json() == dict(r.json(), detail=r.json()["detail"].replace(str(foreign.pk), str(foreign.pk + 1000)))
    assert not Citation.objects.exists()


def test_add_to_a_list_from_the_search_results(client, instructor, student, reading_list, books):
    client.force_login(instructor)
    page = client.get("/catalog/", {"q": "darwin"})
    assert b'name="list_id"' in page.content and b"HIST101 readings" in page.content
    r = client.post(f"/catalog/records/{books['darwin'].pk}/add-to-list/", {"list_id": reading_list.pk}, HTTP_HX_REQUEST="true")
    assert "Added to the list “HIST101 readings”".encode() in r.content
    citation = Citation.objects.get(resource_list=reading_list, record=books["darwin"])
    assert citation.metadata["author"] == [{"family": "Darwin", "given": "Charles"}]
    client.force_login(student)  # not an owner: the lists app refuses, nothing is added
    r = client.post(f"/catalog/records/{books['darwin'].pk}/add-to-list/", {"list_id": reading_list.pk}, HTTP_HX_REQUEST="true")
    # said the one way (web.errors): the rule and its colon, in the line beside the button
    assert r.status_code == 200 and '<span class="error flash-error" data-testid="flash"><strong>LST-8:</strong>' in r.content.decode()
    page = f"/catalog/records/{books['darwin'].pk}/"
    r = client.post(f"/catalog/records/{books['darwin'].pk}/add-to-list/", {"list_id": reading_list.pk, "next": page})
    assert r.status_code == 302 and r.url == page   # a plain post: back to the record, the refusal its message
    assert "LST-8:" in client.get(page).content.decode()
    assert Citation.objects.filter(resource_list=reading_list).count() == 1


def test_a_citation_that_is_no_json_is_refused_naming_dsv3(client, instructor):
    """DSV-3: the resolver's "Save to My collection" is read by a form — damaged CSL-JSON is the
    refusal naming the rule (a bare text answer before), and beside the button for htmx."""
    from syllabus.catalog.models import CollectionEntry

    client.force_login(instructor)
    r = client.post("/catalog/collection/add/", {"csl": "{not json"})
    assert r.status_code == 400 and "<strong>DSV-3:</strong>" in r.content.decode()
    r = client.post("/catalog/collection/add/", {"csl": "{not json"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200 and 'data-testid="flash"><strong>DSV-3:</strong>' in r.content.decode()
    assert not CollectionEntry.objects.exists()
    r = client.post("/catalog/collection/add/", {"csl": '{"type": "webpage", "title": "A useful site"}'}, HTTP_HX_REQUEST="true")
    assert "Saved to My collection." in r.content.decode() and CollectionEntry.objects.count() == 1


def test_from_my_collection_to_a_list(client, instructor, reading_list, books):
    from syllabus.catalog import services

    entry, _ = services.add_to_collection(instructor, csl={"type": "webpage", "title": "A useful site", "URL": "https://example.org/"})
    client.force_login(instructor)
    r = client.post(f"/catalog/collection/{entry.pk}/to-list/", {"list_id": reading_list.pk}, HTTP_HX_REQUEST="true")
    assert b"Added to the list" in r.content
    assert Citation.objects.get(resource_list=reading_list).metadata["URL"] == "https://example.org/"


# --- course reserves (DSV-5) -------------------------------------------------------------------

def test_search_finds_a_record_by_the_code_of_a_course_whose_list_contains_it(published, student, books, make_record, inst_a):
    """Acceptance 2: by course code (its published list cites the record)."""
    assert _titles(selectors.search_records(student, "HIST101")) == ["Pride and prejudice"]
    assert _titles(selectors.search_records(student, "hist101 pride")) == ["Pride and prejudice"]
    assert _titles(selectors.search_records(student, "HIST101 darwin")) == []
    page = selectors.search_records(student, "HIST101")
    assert [c.code for c in page.courses] == ["HIST101"]


def test_a_draft_list_does_not_make_course_reserves(reading_list, instructor, student, books):
    list_services.add_citation(instructor, reading_list, None, record=books["darwin"])
    assert _titles(selectors.search_records(student, "HIST101")) == []


def test_course_reserves_by_course_name_code_and_instructor(api, published, student, books):
    """DSV-5: search course reserves by course name, code and instructor."""
    for q in ("HIST101", "modern history", "Instructor"):
        body = api(student).get("/api/v1/reserves", {"q": q}).json()["items"]
        assert [(c["code"], [r["title"] for r in c["records"]]) for c in body] == [("HIST101", ["Pride and prejudice"])], q
    assert api(student).get("/api/v1/reserves", {"q": "nothing here"}).json()["items"] == []
    assert _titles(selectors.search_records(student, "", course="modern history")) == ["Pride and prejudice"]


def test_the_course_reserves_page(client, published, student):
    client.force_login(student)
    r = client.get("/catalog/reserves/", {"q": "HIST101"})
    assert b"Introduction to Modern History" in r.content and b"Pride and prejudice" in r.content


def test_a_records_page_lists_the_published_lists_that_contain_it(client, api, published, student, make_user, books, inst_a,
                                                                  librarian, instructor, django_assert_max_num_queries):
    """DSV-5: the record page links to the lists that cite it — only those the user may open
    (LST-3: a student sees the published lists of their own courses only)."""
    client.force_login(student)  # enrolled in HIST101
    content = client.get(f"/catalog/records/{books['austen'].pk}/").content
    assert f'href="/lists/{published.pk}/"'.encode() in content and b"HIST101" in content
    outsider = make_user("outsider")  # same institution, not enrolled: neither the list's title nor its course
    client.force_login(outsider)
    content = client.get(f"/catalog/records/{books['austen'].pk}/").content
    assert b"HIST101 readings" not in content and b"HIST101" not in content
    assert api(outsider).get(f"/api/v1/records/{books['austen'].pk}").json()["lists"] == []
    assert [lst["id"] for lst in api(librarian).get(f"/api/v1/records/{books['austen'].pk}").json()["lists"]] == [published.pk]
    for n in range(5):  # published lists of courses the student does not take
        other_course = CourseFactory(institution=inst_a, code=f"OTH{n}")
        other_course.instructors.add(instructor)
        lst = list_services.create_list(instructor, title=f"Other list {n}", courses=[other_course])
        list_services.add_citation(instructor, lst, None, record=books["austen"])
        list_services.publish_list(instructor, lst)
    from syllabus.lists import reserves

    with django_assert_max_num_queries(6):  # no query per list
        assert [lst.pk for lst in reserves.lists_containing([books["austen"].pk], student)[books["austen"].pk]] == [published.pk]
    body = api(student).get(f"/api/v1/records/{books['austen'].pk}").json()
    assert body["lists"] == [{"id": published.pk, "title": "HIST101 readings", "courses": ["HIST101"], "can_view": True}]
    assert api(student).get(f"/api/v1/records/{books['darwin'].pk}").json()["lists"] == []


# --- cite it into a list (DSV-4) --------------------------------------------------------------------

@pytest.mark.parametrize("fmt, field, value", [
    ("coins", "ISBN", "9780226458083"), ("highwire", "DOI", "10.1038/nature14539"), ("dublin_core", "publisher", "Riverside University Library"),
    ("json_ld", "container-title", "Nature"), ("opengraph", "URL", "https://readingroom.example.org/2021/09/how-to-read-a-paper"),
])
def test_each_cite_it_format_lands_as_a_citation_with_the_right_fields(fmt, field, value, api, instructor, reading_list):
    """Acceptance 3 (a list): the harvested page becomes a citation of the list."""
    from .test_cite_it import EXPECTED

    html = (FIXTURES / "citeit" / f"{fmt}.html").read_text()
    r = api(instructor).post("/api/v1/cite-it", {"html": html, "url": f"https://pages.example.org/{fmt}", "target": str(reading_list.pk)})
    assert r.status_code == 201, r.content
    citation = Citation.objects.get(pk=r.json()["citation_id"])
    assert citation.resource_list == reading_list and citation.metadata[field] == value
    assert citation.title == EXPECTED[fmt]["title"]
    assert citation.metadata["author"] == EXPECTED[fmt]["author"]
    assert citation.metadata["issued"] == EXPECTED[fmt]["issued"]


def test_cite_it_into_someone_elses_list_is_refused(api, student, reading_list):
    html = (FIXTURES / "citeit" / "highwire.html").read_text()
    r = api(student).post("/api/v1/cite-it", {"html": html, "target": str(reading_list.pk)})
    assert r.status_code == 404 and r.json()["rule"] == "LST-8"  # a draft list the student may not know
    assert not Citation.objects.exists()


def test_cite_it_with_an_invalid_isbn_says_so_instead_of_dropping_it(api, instructor, reading_list):
    html = ('<html><head><title>x</title><meta name="citation_title" content="A book with a typo">'
            '<meta name="citation_isbn" content="978-0-14-143951-9"></head></html>')
    r = api(instructor).post("/api/v1/cite-it", {"html": html, "target": str(reading_list.pk)})
    assert r.status_code == 400 and r.json()["rule"] == "LST-2" and "ISBN 978-0-14-143951-9" in r.json()["detail"]
    assert not Citation.objects.exists()


def test_cite_it_page_saves_into_a_list(client, instructor, reading_list):
    import json

    client.force_login(instructor)
    preview = client.post("/catalog/cite-it/harvest/", {"html": (FIXTURES / "citeit" / "coins.html").read_text()})
    assert f'<option value="{reading_list.pk}">'.encode() in preview.content
    r = client.post("/catalog/cite-it/save/", {"csl": preview.context["csl_json"], "target": str(reading_list.pk)})
    assert r.status_code == 302
    assert json.loads(preview.context["csl_json"])["title"] == Citation.objects.get().title


# --- import / export (LST-9) -----------------------------------------------------------------

def _upload(api_client, user, list_id, name, text, **extra):
    from syllabus.org.services import create_api_token

    _, raw = create_api_token(user)
    return api_client.post(f"/api/v1/lists/{list_id}/import", {"file": SimpleUploadedFile(name, text.encode()), **extra},
                           HTTP_AUTHORIZATION=f"Bearer {raw}")


def _essentials(csl):
    return (csl.get("title"), csl.get("author"), (csl.get("issued") or {}).get("date-parts", [[None]])[0][0],
            csl.get("ISBN"), csl.get("ISSN"), csl.get("DOI"))


def test_ris_to_list_to_ris_keeps_title_authors_year_and_identifiers(client, api, instructor, reading_list):
    """Acceptance 4 (RIS round trip through a list)."""
    from syllabus.citations import formats

    r = _upload(client, instructor, reading_list.pk, "reading.ris", RIS)
    assert r.status_code == 200, r.content
    body = r.json()
    assert (body["format"], body["created"], body["rejected"]) == ("ris", 3, 0)
    exported = api(instructor).get(f"/api/v1/lists/{reading_list.pk}/export", {"format": "ris"})
    assert exported.status_code == 200 and exported["Content-Disposition"] == 'attachment; filename="hist101-readings.ris"'
    before = [_essentials(e.csl) for e in formats.parse(RIS)[1]]
    after = [_essentials(e.csl) for e in formats.parse(exported.content.decode())[1]]
    assert after == before


def test_bibtex_to_list_to_bibtex_keeps_title_authors_year_and_identifiers(client, api, instructor, reading_list):
    """Acceptance 4 (BibTeX round trip through a list)."""
    from syllabus.citations import formats

    body = _upload(client, instructor, reading_list.pk, "refs.bib", BIBTEX).json()
    assert (body["format"], body["created"]) == ("bibtex", 3)
    exported = api(instructor).get(f"/api/v1/lists/{reading_list.pk}/export", {"format": "bibtex"}).content.decode()
    assert [_essentials(e.csl) for e in formats.parse(exported)[1]] == [_essentials(e.csl) for e in formats.parse(BIBTEX)[1]]


def test_an_apa_bibliography_of_a_list_matches_the_hand_checked_string(client, api, instructor, reading_list):
    """Acceptance 4 (APA): the list's bibliography, as HTML and as Word."""
    _upload(client, instructor, reading_list.pk, "reading.ris", RIS)
    html = api(instructor).get(f"/api/v1/lists/{reading_list.pk}/export", {"format": "html", "style": "apa"})
    assert html.status_code == 200 and html["Content-Type"] == "text/html; charset=utf-8"
    entries = html.content.decode().split("<div class=\"csl-bib-body\">")[1]
    assert ('<div class="csl-entry">Austen, J. (2003). <i>Pride and prejudice</i> (3rd ed.). Penguin Books.</div>' in entries)
    assert ('<div class="csl-entry">Carberry, J. (2019). Reading lists as a genre. In A. Editor (Ed.), '
            '<i>Handbook of course reserves</i> (pp. 193–213).</div>') in entries
    assert ('<div class="csl-entry">LeCun, Y., Bengio, Y., &amp; Hinton, G. (2015). Deep learning. <i>Nature</i>, <i>521</i>(7553), '
            '436–444. https://doi.org/10.1038/nature14539</div>') in entries
    assert entries.index("Austen") < entries.index("Carberry") < entries.index("LeCun")
    docx = api(instructor).get(f"/api/v1/lists/{reading_list.pk}/export", {"format": "docx", "style": "apa"})
    paragraphs = [p.text for p in Document(io.BytesIO(docx.content)).paragraphs]
    assert paragraphs[0] == "HIST101 readings" and paragraphs[2] == "Austen, J. (2003). Pride and prejudice (3rd ed.). Penguin Books."
    csl_json = api(instructor).get(f"/api/v1/lists/{reading_list.pk}/export", {"format": "csl-json"}).json()
    assert [c["title"] for c in csl_json] == ["Pride and prejudice", "Deep learning", "Reading lists as a genre"]
    mla = api(instructor).get(f"/api/v1/lists/{reading_list.pk}/export", {"format": "html", "style": "mla"}).content
    assert b"Austen, Jane. <i>Pride and Prejudice</i>. 3rd ed., Penguin Books, 2003." in mla


def test_the_import_reports_each_entry_and_keeps_the_good_ones(client, instructor, reading_list):
    bad = RIS.replace("SN  - 978-0-14-143951-8", "SN  - 978-0-14-143951-9").replace("TY  - JOUR\nTI  - Deep learning\n", "TY  - JOUR\n")
    body = _upload(client, instructor, reading_list.pk, "reading.ris", bad).json()
    assert body["created"] == 1 and body["rejected"] == 2  # the bad ISBN and the untitled entry are refused
    assert [(e["position"], e["status"]) for e in body["entries"]] == [(1, "rejected"), (2, "rejected"), (3, "created")]
    assert body["entries"][0]["rule"] == "LST-2" and "ISBN 978-0-14-143951-9 is not valid" in body["entries"][0]["detail"]
    assert body["entries"][1]["rule"] == "LST-9" and "no title" in body["entries"][1]["detail"]
    website = "TY  - ELEC\nTI  - A site without address\nER  - \n"
    refused = _upload(client, instructor, reading_list.pk, "site.ris", website).json()
    assert refused["entries"][0]["status"] == "rejected" and refused["entries"][0]["rule"] == "LST-2"
    assert _upload(client, instructor, reading_list.pk, "x.txt", "hello").json()["rule"] == "LST-9"


@pytest.mark.parametrize("name, text", [
    ("bad.ris", "TY  - BOOK\nTI  - A book with a typo\nSN  - 978-0-14-143951-9\nER  - \n"
                "TY  - JOUR\nTI  - An article with a broken DOI\nDO  - 11.1038/nope\nER  - \n"
                "TY  - JOUR\nTI  - A serial with a bad ISSN\nSN  - 0028-0837\nER  - \n"),
    ("bad.bib", "@book{typo, title = {A book with a typo}, isbn = {978-0-14-143951-9}}\n"
                "@article{doi, title = {An article with a broken DOI}, doi = {11.1038/nope}}\n"
                "@article{issn, title = {A serial with a bad ISSN}, issn = {0028-0837}}\n"),
])
def test_an_import_refuses_an_entry_with_an_invalid_identifier_and_says_why(client, instructor, reading_list, name, text):
    """LST-9 / docs/catalog.md: an entry with an invalid ISBN, DOI or ISSN is rejected with the
    LST-2 reason naming the identifier, not "created" with the identifier quietly lost."""
    body = _upload(client, instructor, reading_list.pk, name, text).json()
    assert (body["created"], body["rejected"]) == (0, 3), body
    rules = [(e["status"], e["rule"]) for e in body["entries"]]
    assert rules == [("rejected", "LST-2")] * 3
    details = [e["detail"] for e in body["entries"]]
    assert "ISBN 978-0-14-143951-9 is not valid" in details[0]
    assert "DOI 11.1038/nope is not valid" in details[1]
    assert "ISSN 0028-0837 is not valid" in details[2]
    assert not Citation.objects.filter(resource_list=reading_list).exists()


def test_imported_and_harvested_citations_are_linked_to_the_catalog_record_with_their_isbn_or_doi(
        client, api, instructor, student, reading_list, books, make_record, inst_b):
    """DSV-5: an imported entry whose ISBN or DOI is a record of the consortium cites that record,
    so a search by the course code and the record page's "lists containing it" find it."""
    article = make_record(inst_b, type="article-journal", title="Deep learning", DOI="10.1038/nature14539")
    _upload(client, instructor, reading_list.pk, "refs.bib", BIBTEX)  # Austen by ISBN, LeCun by DOI (another member)
    links = dict(Citation.objects.filter(resource_list=reading_list).values_list("title", "record_id"))
    assert links["Pride and Prejudice"] == books["austen"].pk and links["Deep learning"] == article.pk
    assert links["Reading in the time of COVID"] is None
    html = ('<html><head><title>x</title><meta name="citation_title" content="Pride and prejudice">'
            '<meta name="citation_isbn" content="0141439513"></head></html>')
    r = api(instructor).post("/api/v1/cite-it", {"html": html, "target": str(reading_list.pk)})
    assert Citation.objects.get(pk=r.json()["citation_id"]).record_id == books["austen"].pk
    list_services.publish_list(instructor, reading_list)
    assert "Deep learning" in _titles(selectors.search_records(student, "HIST101", scope="consortium"))
    body = api(student).get(f"/api/v1/records/{article.pk}").json()
    assert [entry["id"] for entry in body["lists"]] == [reading_list.pk]


def test_import_into_a_section(client, instructor, reading_list):
    week2 = list_services.add_section(instructor, reading_list, title="Week 2")
    _upload(client, instructor, reading_list.pk, "refs.bib", BIBTEX, section_id=str(week2.pk))
    assert set(Citation.objects.values_list("section_id", flat=True)) == {week2.pk}


def test_who_may_import_and_export(client, api, published, instructor, student, make_user, inst_b):
    """Anonymous 401; an enrolled student exports a published list but may not import (403);
    a list one may not see is 404."""
    assert api().get(f"/api/v1/lists/{published.pk}/export").status_code == 401
    assert client.post(f"/api/v1/lists/{published.pk}/import").status_code == 401
    assert api(student).get(f"/api/v1/lists/{published.pk}/export", {"format": "ris"}).status_code == 200
    r = _upload(client, student, published.pk, "reading.ris", RIS)
    assert r.status_code == 403 and r.json()["rule"] == "LST-8"
    outsider = make_user("outsider-b", institution=inst_b)
    assert api(outsider).get(f"/api/v1/lists/{published.pk}/export").status_code == 404
    assert _upload(client, outsider, published.pk, "reading.ris", RIS).status_code == 404
    assert api(instructor).get(f"/api/v1/lists/{published.pk}/export", {"format": "pdf"}).json()["rule"] == "LST-9"
    assert api(instructor).get(f"/api/v1/lists/{published.pk}/export", {"format": "html", "style": "nope"}).json()["rule"] == "LST-9"


def test_course_code_of_another_institution_is_not_a_reserve(published, make_user, inst_b, books):
    CourseFactory(institution=inst_b, code="HIST101", name="Their history")
    theirs = make_user("their-student", institution=inst_b)
    assert _titles(selectors.search_records(theirs, "HIST101", scope="consortium")) == []


def test_the_citation_form_fills_itself_from_an_isbn(client, instructor, reading_list, books):
    client.force_login(instructor)
    r = client.get("/catalog/lookup/fill/", {"isbn": "0141439513", "base": "f-new-1-"})
    assert b"Filled in from the library catalog." in r.content
    assert b'id="f-new-1-title" name="title" value="Pride and prejudice" hx-swap-oob="true"' in r.content
    assert b'id="f-new-1-authors"' in r.content and b"Austen, Jane" in r.content
    editor = client.get(f"/lists/{reading_list.pk}/edit/").content
    assert b"/catalog/lookup/fill/" in editor  # the lists editor offers the look-up


DATA = Path(__file__).parent.parent / "data"


def test_a_sciencedirect_ris_export_with_a_scheme_relative_url_is_imported(client, instructor, reading_list):
    """JabRef's RisImporterTestScience.ris, a real ScienceDirect export: ``UR  - //www.sciencedirect.com/...``
    (no scheme).  The whole entry used to be refused by LST-2 ("not a valid http(s) address"); the
    address is read as https and the entry comes in with its DOI, journal and four authors."""
    text = (DATA / "ris" / "jabref-RisImporterTestScience.ris").read_text(encoding="utf-8")
    body = _upload(client, instructor, reading_list.pk, "science.ris", text).json()
    assert (body["created"], body["rejected"]) == (1, 0), body
    citation = Citation.objects.get(resource_list=reading_list)
    assert citation.metadata["URL"] == "https://www.sciencedirect.com/science/article/pii/S1359645416307273"
    assert citation.metadata["DOI"] == "10.1016/j.actamat.2016.09.028"
    assert citation.metadata["container-title"] == "Acta Materialia"
    assert [a["family"] for a in citation.metadata["author"]] == ["Ghosh", "Basu", "Ramachandran", "Mohandas"]
    bare = "TY  - WEB\nTI  - A site\nUR  - www.jstor.org/stable/2289064\nER  - \n"
    assert _upload(client, instructor, reading_list.pk, "site.ris", bare).json()["created"] == 1
    assert Citation.objects.get(title="A site").metadata["URL"] == "https://www.jstor.org/stable/2289064"


def test_a_bibtex_entry_without_brace_and_key_is_refused_by_line_not_dropped(client, instructor, reading_list):
    """JabRef's MarcXmlParserTestNotes.bib starts "@Article," (no brace, no key): bibtexparser takes
    the entry for a comment, and the import used to answer 0 read, 0 created, 0 refused.  Now the
    entry is refused by LST-9 with its line."""
    text = (DATA / "bibtex" / "jabref-MarcXmlParserTestNotes.bib").read_text(encoding="utf-8")
    body = _upload(client, instructor, reading_list.pk, "notes.bib", text).json()
    assert (body["read"], body["created"], body["rejected"]) == (1, 0, 1), body
    entry = body["entries"][0]
    assert entry["rule"] == "LST-9" and entry["line"] == 1
    assert "unreadable BibTeX entry at line 1: '@Article,'" in entry["detail"]
    fixed = text.replace("@Article,", "@Article{sarda2023,", 1)
    assert _upload(client, instructor, reading_list.pk, "notes.bib", fixed).json()["created"] == 1


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_an_ansi_or_utf16_export_keeps_its_quotes_dashes_and_umlauts(client, instructor, reading_list, encoding):
    """EndNote, RefWorks and Excel on Windows write "ANSI" (Windows-1252) or UTF-16 with a BOM.
    A Windows-1252 file used to be read as Latin-1: its curly apostrophe and en dash became
    control characters, then vanished — "Women’s history – a reader" came in as "Womens history  a reader"."""
    text = "TY  - BOOK\r\nTI  - Women’s history – a reader\r\nAU  - Müller, Jürgen\r\nPY  - 1999\r\nER  - \r\n"
    from syllabus.org.services import create_api_token

    _, raw = create_api_token(instructor)
    upload = SimpleUploadedFile("endnote.ris", text.encode(encoding))
    body = client.post(f"/api/v1/lists/{reading_list.pk}/import", {"file": upload}, HTTP_AUTHORIZATION=f"Bearer {raw}").json()
    assert body["created"] == 1, body
    citation = Citation.objects.get(resource_list=reading_list)
    assert citation.title == "Women’s history – a reader"
    assert citation.metadata["author"] == [{"family": "Müller", "given": "Jürgen"}]


def test_a_csl_json_file_valid_by_the_schema_imports_with_its_legacy_and_extra_members(client, instructor, reading_list):
    """csl-data.json allows the deprecated ``journalAbbreviation`` and ``shortTitle`` and members
    that are no bibliographic data (``citation-key``, ``categories``): an item carrying them was
    refused whole ("LST-2: unknown CSL field 'journalAbbreviation'").  Now the first are read as
    container-title-short / title-short and the others are named as dropped.  The first item is
    Zotero's own CSL JSON import test case (zotero/translators "CSL JSON.js")."""
    items = json.loads((DATA / "csl" / "zotero-CSL-JSON-00.json").read_text(encoding="utf-8"))
    items.append({"id": "smith2020", "type": "article-journal", "title": "Reading lists in practice",
                  "container-title": "Journal of Librarianship", "journalAbbreviation": "J. Librariansh.",
                  "shortTitle": "Reading lists", "citation-key": "smith2020", "categories": ["teaching"],
                  "author": [{"family": "Smith", "given": "Ann"}], "issued": {"date-parts": [["2020"]]}})
    body = _upload(client, instructor, reading_list.pk, "zotero.json", json.dumps(items)).json()
    assert (body["format"], body["created"], body["rejected"]) == ("csl-json", 2, 0), body
    assert body["entries"][1]["dropped"] == ["categories", "citation-key"]
    book = Citation.objects.get(resource_list=reading_list, title__startswith="Stochastic")
    assert book.metadata["collection-title"] == "Lecture notes in mathematics" and book.metadata["ISBN"] == "9783642321566"
    article = Citation.objects.get(resource_list=reading_list, title="Reading lists in practice")
    assert article.metadata["container-title-short"] == "J. Librariansh."
    assert article.metadata["title-short"] == "Reading lists"
    assert "journalAbbreviation" not in article.metadata and "citation-key" not in article.metadata


@pytest.mark.parametrize("name, text, fmt, detail", [
    ("empty.bib", "", "", "the file empty.bib is empty (no text at all, or only blank lines): nothing to import"),
    ("notes.bib", "% only a comment\n", "", "the file has no BibTeX entry"),
    ("refs.ris", "TY  - BOOK\nTI  - A book\nER  - \n", "bibtex", "the file has no BibTeX entry"),
    ("zotero.json", "[]", "", "the file has no CSL-JSON entry"),
])
def test_a_file_with_no_entry_is_refused_not_reported_as_nothing_imported(client, instructor, reading_list, name, text,
                                                                           fmt, detail):
    """A file without a single entry (empty, comments only, or RIS sent as format=bibtex) used to
    answer 200 "read 0, created 0, rejected 0": the page said "0 entries imported" and nothing why."""
    r = _upload(client, instructor, reading_list.pk, name, text, **({"format": fmt} if fmt else {}))
    assert r.status_code == 400, r.content
    assert r.json()["rule"] == "LST-9" and detail in r.json()["detail"] and r.json()["field"] == "file"

"""The editor's identifier lookup (ISBN/DOI fills the form) links the new citation to the
matched local catalog record and sets its type from the CSL type (DSV-5: the record page lists
the published lists citing it)."""
from syllabus.catalog import services as catalog_services
from syllabus.lists import services
from syllabus.lists.models import Citation


def test_a_doi_found_in_the_catalog_links_the_citation_and_sets_the_article_type(client, instructor, student, built_list, inst_a):
    record = catalog_services.save_record(None, inst_a, {
        "type": "article-journal", "title": "Deep learning", "container-title": "Nature", "DOI": "10.1038/nature14539",
        "author": [{"family": "LeCun", "given": "Yann"}], "issued": {"date-parts": [[2015]]}}).record
    lst, week1 = built_list["list"], built_list["sections"][0]
    client.force_login(instructor)
    base = f"f-new{week1.pk}-"  # the add form of section week1
    fill = client.get("/catalog/lookup/fill/", {"doi": "10.1038/nature14539", "base": base}, HTTP_HX_REQUEST="true")
    html = fill.content.decode()
    assert f'id="{base}record_id" name="record_id" value="{record.pk}" hx-swap-oob="true"' in html
    assert f'<select id="{base}type" name="type" hx-swap-oob="true">' in html and '<option value="article" selected>' in html
    # the editor's form carries the hidden field the lookup fills
    editor = client.get(f"/lists/{lst.pk}/edit/").content.decode()
    assert f'id="{base}record_id" name="record_id"' in editor
    r = client.post(f"/lists/{lst.pk}/edit/items/", {"section": week1.pk, "type": "article", "title": "Deep learning",
                                                      "container_title": "Nature", "doi": "10.1038/nature14539",
                                                      "authors": "LeCun, Yann", "year": "2015", "record_id": str(record.pk)},
                    HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    citation = Citation.objects.get(resource_list=lst, title="Deep learning")
    assert citation.record_id == record.pk and citation.type == "article"
    services.publish_list(instructor, lst)
    client.force_login(student)
    page = client.get(f"/catalog/records/{record.pk}/").content.decode()
    assert lst.title in page.split('data-testid="lists-containing"', 1)[1]


def test_an_isbn_from_the_web_has_no_record_and_a_bad_record_id_is_refused(client, instructor, built_list):
    lst, week1 = built_list["list"], built_list["sections"][0]
    client.force_login(instructor)
    r = client.post(f"/lists/{lst.pk}/edit/items/", {"section": week1.pk, "type": "book", "title": "Nowhere",
                                                      "record_id": "999999"}, HTTP_HX_REQUEST="true")
    assert "LST-2" in r.content.decode()
    assert not Citation.objects.filter(title="Nowhere").exists()


def test_the_page_form_does_not_confirm_a_record_of_another_consortium(client, instructor, built_list, inst_a):
    """Same answer as for a record that does not exist (as the API's 404; DSV-2)."""
    from syllabus.catalog.models import Record
    from syllabus.org.models import Consortium, Institution

    other = Institution.objects.create(code="far", name="Far away", consortium=Consortium.objects.create(code="c2", name="C2"))
    hidden = Record.objects.create(institution=other, source_id="x1", title="Elsewhere")
    lst, week1 = built_list["list"], built_list["sections"][0]
    client.force_login(instructor)
    answers = []
    for record_id in (hidden.pk, 999999):
        r = client.post(f"/lists/{lst.pk}/edit/items/", {"section": week1.pk, "type": "book", "title": "Probe",
                                                          "record_id": str(record_id)}, HTTP_HX_REQUEST="true")
        answers.append((r.status_code, r.content.decode()))
    assert answers[0] == answers[1] and "no such catalog record" in answers[0][1]
    assert "another consortium" not in answers[0][1]
    assert not Citation.objects.filter(title="Probe").exists()

"""The instructor's side (DIG-1, DIG-2, DIG-3, DIG-4 on the citation file) through
``POST /api/v1/citations/{id}/digitization-requests`` and ``/copyright-requests``.

Acceptance 1: every precondition of DIG-1/DIG-2 refused with its own message."""
import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.catalog.models import EResource, Item, Record
from syllabus.fulfillment.models import DigitizationRequest
from tests.problem import problem

pytestmark = pytest.mark.django_db

BOOK = {"title": "The Making of the English Working Class", "author": [{"family": "Thompson", "given": "E. P."}],
        "issued": {"date-parts": [[1963]]}}
FORM = {"start_date": "2026-03-09", "end_date": "2026-04-30", "chapters": "1", "page_ranges": [{"from": 1, "to": 30}],
        "include_images": True, "notes": ["for week 2"]}


def pdf(name="reading.pdf"):
    return SimpleUploadedFile(name, b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n", content_type="application/pdf")


@pytest.fixture
def lst(instructor, course):
    from syllabus.lists import services

    return services.create_list(instructor, title="HIST101 readings", courses=[course])


@pytest.fixture
def physical(inst_a, library_a):
    rec = Record.objects.create(institution=inst_a, source_id="thompson", title=BOOK["title"])
    Item.objects.create(record=rec, library=library_a, barcode="T0001")
    return rec


@pytest.fixture
def book(instructor, lst, physical):
    from syllabus.lists import services

    return services.add_citation(instructor, lst, None, "book", dict(BOOK), record=physical)


@pytest.fixture
def uploaded(instructor, lst):
    from syllabus.lists import services

    c = services.add_citation(instructor, lst, None, "document", {"title": "Lecture reader"})
    services.attach_file(instructor, c, pdf())
    c.refresh_from_db()
    return c


def post(api, user, citation, what, body):
    return api(user).post(f"/api/v1/citations/{citation.pk}/{what}", body)


# --- acceptance 1 ------------------------------------------------------------------------

def test_eleven_page_ranges_are_refused(api, instructor, book):
    r = post(api, instructor, book, "digitization-requests",
             dict(FORM, page_ranges=[{"from": n, "to": n + 1} for n in range(1, 23, 2)]))
    assert r.status_code == 400 and problem(r) == {"rule": "DIG-1", "detail": "at most 10 page ranges (11 given)",
                                                 "field": "page_ranges"}


def test_four_notes_are_refused(api, instructor, book):
    r = post(api, instructor, book, "digitization-requests", dict(FORM, notes=["a", "b", "c", "d"]))
    assert r.status_code == 400 and r.json()["detail"] == "at most 3 notes (4 given)"


def test_a_reversed_range_is_refused(api, instructor, book):
    r = post(api, instructor, book, "digitization-requests", dict(FORM, page_ranges=[{"from": 1, "to": 5}, {"from": 40, "to": 31}]))
    assert r.status_code == 400 and r.json()["detail"] == "page range 2 is reversed: 40 comes after 31"


def test_an_electronic_only_citation_is_refused(api, instructor, lst, inst_a):
    from syllabus.lists import services

    ebook = Record.objects.create(institution=inst_a, source_id="ebook", title="An e-book")
    EResource.objects.create(record=ebook, institution=inst_a, url="https://ebooks.example.org/1")
    c = services.add_citation(instructor, lst, None, "book", {"title": "An e-book"}, record=ebook)
    r = post(api, instructor, c, "digitization-requests", FORM)
    assert r.status_code == 400
    assert r.json()["detail"] == "the citation is electronic only: digitization needs a physical title with at least one item"


def test_a_second_open_request_is_refused(api, instructor, book):
    assert post(api, instructor, book, "digitization-requests", FORM).status_code == 201
    r = post(api, instructor, book, "digitization-requests", FORM)
    assert r.status_code == 409 and problem(r) == {"rule": "DIG-1", "detail": "this citation already has an open digitization request"}
    assert DigitizationRequest.objects.filter(citation_id=book.pk).count() == 1


def test_a_copyright_request_on_a_creative_commons_file_is_refused(api, instructor, uploaded):
    from syllabus.lists import services

    services.update_citation(instructor, uploaded, copyright_status="creative_commons")
    r = post(api, instructor, uploaded, "copyright-requests", FORM)
    assert r.status_code == 400
    assert problem(r) == {"rule": "DIG-2", "detail": "the file's copyright is already Creative Commons: no clearance is needed"}


# --- the other preconditions ------------------------------------------------------------------

def test_a_list_without_a_course_is_refused(api, instructor, physical, course):
    from syllabus.lists import services

    lonely = services.create_list(instructor, title="No course")
    c = services.add_citation(instructor, lonely, None, "book", dict(BOOK), record=physical)
    r = post(api, instructor, c, "digitization-requests", FORM)
    assert r.json()["detail"] == "the list is not linked to a course: link it to a course first"


def test_a_citation_without_a_catalog_record_is_refused(api, instructor, lst):
    from syllabus.lists import services

    c = services.add_citation(instructor, lst, None, "book", dict(BOOK))
    assert post(api, instructor, c, "digitization-requests", FORM).json()["detail"] == \
        "the citation is not a physical title of the library's catalog"


def test_a_copyright_request_needs_an_uploaded_file_and_not_self_declared(api, instructor, book, uploaded):
    from syllabus.lists import services

    r = post(api, instructor, book, "copyright-requests", FORM)
    assert problem(r) == {"rule": "DIG-2", "detail": "a copyright clearance request needs a file uploaded on the citation"}
    services.update_citation(instructor, uploaded, copyright_status="self_declared")
    assert "already Self declared" in post(api, instructor, uploaded, "copyright-requests", FORM).json()["detail"]


def test_disabled_digitization_is_refused(api, instructor, book, inst_a):
    from syllabus.org import config

    config.set_value("digitization_requests_enabled", False, institution=inst_a)
    r = post(api, instructor, book, "digitization-requests", FORM)
    assert r.status_code == 403 and r.json()["rule"] == "DIG-1" and "not enabled" in r.json()["detail"]


def test_only_the_lists_instructors_may_request(api, book, student, librarian, make_user, lst, instructor):
    from syllabus.lists import services

    assert post(api, make_user("stranger"), book, "digitization-requests", FORM).status_code == 404
    services.publish_list(instructor, lst)
    r = post(api, student, book, "digitization-requests", FORM)
    assert r.status_code == 403 and r.json()["rule"] == "DIG-1"
    assert api().post(f"/api/v1/citations/{book.pk}/digitization-requests", FORM).status_code == 401


# --- the library side of a course request ---------------------------------------------------------

def test_a_valid_request_goes_to_the_department_and_shows_under_the_item(api, client, instructor, book, lst, course):
    r = post(api, instructor, book, "digitization-requests", FORM)
    assert r.status_code == 201
    body = r.json()
    assert body["citation_id"] == book.pk and body["course"] == "HIST101" and body["department"] == "DIGI_DEPT_INST"
    assert body["status"] == "pick_from_shelf" and body["source"] == "course"
    assert body["page_ranges"] == [{"from": 1, "to": 30}] and body["notes"] == ["for week 2"]
    listed = api(instructor).get(f"/api/v1/citations/{book.pk}/digitization-requests").json()["items"]
    assert [x["id"] for x in listed] == [body["id"]]
    client.force_login(instructor)
    page = client.get(f"/lists/{lst.pk}/edit/")
    assert b'data-testid="citation-request-status"' in page.content and b"Pick from shelf" in page.content


def test_librarian_task_list_filters_items_with_digitization_requested(api, instructor, book, lst, librarian, course):
    from syllabus.lists import services

    other = services.create_list(instructor, title="Other list", courses=[course])
    services.add_citation(instructor, other, None, "book", {"title": "Another book"})  # LST-4: no empty list is sent
    services.send_list(instructor, lst)
    services.send_list(instructor, other)
    post(api, instructor, book, "digitization-requests", FORM)
    r = api(librarian).get("/api/v1/librarian/lists", {"tab": "unassigned", "item_status": "digitization_requested"})
    assert r.status_code == 200
    assert [row["title"] for row in r.json()["items"]] == ["HIST101 readings"]


def test_copyright_request_is_approved_and_the_citation_cleared(api, instructor, uploaded, manager, default_rule):
    r = post(api, instructor, uploaded, "copyright-requests", FORM)
    assert r.status_code == 201 and r.json()["status"] == "pending_copyright" and r.json()["kind"] == "copyright"
    uploaded.refresh_from_db()
    assert uploaded.copyright_status == "waiting"
    r = api(manager).post(f"/api/v1/digitization-requests/{r.json()['id']}/approve-copyright", {"reason": "CLA licence"})
    assert r.status_code == 200 and r.json()["status"] == "completed"
    uploaded.refresh_from_db()
    assert uploaded.copyright_status == "approved"


def test_copyright_rejection_declines_the_citation(api, instructor, uploaded, manager):
    r = post(api, instructor, uploaded, "copyright-requests", FORM)
    api(manager).post(f"/api/v1/digitization-requests/{r.json()['id']}/reject-copyright", {"reason": "no licence"})
    uploaded.refresh_from_db()
    assert uploaded.copyright_status == "declined" and uploaded.file  # the instructor's file is not deleted


# --- DIG-3 and DIG-4 on the citation's own file ---------------------------------------------------

def test_copyright_option_needing_clearance_requires_the_form_and_blocks_students(
        api, client, instructor, uploaded, lst, student, fadmin, inst_a, manager, clock):
    from syllabus.fulfillment import services as dig
    from syllabus.lists import services

    dig.save_copyright_option(fadmin, inst_a, code="excerpt", label="Excerpt", copyright_status="waiting")
    dig.save_copyright_option(fadmin, inst_a, code="fair", label="Fair use", copyright_status="fair_use")
    services.publish_list(instructor, lst)
    r = api(instructor).post(f"/api/v1/citations/{uploaded.pk}/copyright-option", {"copyright_option": "fair"})
    assert r.json() == {"copyright_status": "fair_use", "clearance_required": False, "form": None}
    r = api(instructor).post(f"/api/v1/citations/{uploaded.pk}/copyright-option", {"copyright_option": "excerpt"})
    assert r.json() == {"copyright_status": "waiting", "clearance_required": True, "form": "copyright-requests"}

    client.force_login(student)
    r = client.get(f"/lists/items/{uploaded.pk}/file/")
    assert r.status_code == 403 and b"DIG-3" in r.content
    assert api(student).get(f"/api/v1/citations/{uploaded.pk}/file").json()["rule"] == "DIG-3"

    req = post(api, instructor, uploaded, "copyright-requests",
               dict(FORM, start_date="2026-03-02", end_date="2026-03-04")).json()
    api(manager).post(f"/api/v1/digitization-requests/{req['id']}/approve-copyright", {"reason": ""})
    r = client.get(f"/lists/items/{uploaded.pk}/file/")  # Monday 2 March, range ends Wednesday: warned
    assert r.status_code == 200 and "ends on 2026-03-04" in r.headers["X-Access-Warning"]
    clock.set_now(dt.datetime(2026, 3, 5, 9, tzinfo=dt.timezone.utc))
    r = client.get(f"/lists/items/{uploaded.pk}/file/")
    assert r.status_code == 403 and b"DIG-4" in r.content
    client.force_login(instructor)
    assert client.get(f"/lists/items/{uploaded.pk}/file/").status_code == 200  # the instructor always


def test_a_delivered_scan_becomes_the_items_file_for_students_inside_its_dates(
        api, client, instructor, book, lst, operator, manager, student, default_rule, clock):
    from syllabus.lists import services

    default_rule(target="inventory", copyright_required=True, approval_mode="parallel")
    services.publish_list(instructor, lst)
    req = post(api, instructor, book, "digitization-requests", dict(FORM, start_date="2026-03-02", end_date="2026-03-20")).json()
    op = api(operator)
    op.post(f"/api/v1/digitization-requests/{req['id']}/pick")
    op.post(f"/api/v1/digitization-requests/{req['id']}/attach-file", {"file": pdf("scan.pdf")}, format="multipart")
    api(manager).post(f"/api/v1/digitization-requests/{req['id']}/approve-copyright", {"reason": "CLA"})
    assert op.post(f"/api/v1/digitization-requests/{req['id']}/deliver").json()["status"] == "delivered"
    book.refresh_from_db()
    assert book.file and book.file_name == "scan.pdf"
    client.force_login(student)
    assert client.get(f"/lists/items/{book.pk}/file/").status_code == 200
    clock.set_now(dt.datetime(2026, 3, 21, 9, tzinfo=dt.timezone.utc))
    r = client.get(f"/lists/items/{book.pk}/file/")
    assert r.status_code == 403 and b"DIG-4" in r.content


# --- DIG-3: who sets the copyright status ---------------------------------------------------------

@pytest.mark.parametrize("status", ["waiting", "approved", "declined"])
def test_an_instructor_cannot_set_a_library_copyright_status_through_the_api(api, instructor, uploaded, status):
    r = api(instructor).patch(f"/api/v1/citations/{uploaded.pk}", {"copyright_status": status})
    assert r.status_code == 403 and r.json()["rule"] == "DIG-3"
    uploaded.refresh_from_db()
    assert uploaded.copyright_status == ""


def test_an_instructor_may_only_pick_a_configured_option_and_the_library_sets_any(api, instructor, uploaded, librarian,
                                                                                 fadmin, inst_a, lst):
    from syllabus.core.errors import PermissionDenied
    from syllabus.fulfillment import services as dig
    from syllabus.lists import services

    assert api(instructor).patch(f"/api/v1/citations/{uploaded.pk}", {"copyright_status": "fair_use"}).status_code == 200
    dig.save_copyright_option(fadmin, inst_a, code="own", label="My own work", copyright_status="self_declared")
    r = api(instructor).patch(f"/api/v1/citations/{uploaded.pk}", {"copyright_status": "creative_commons"})
    assert r.status_code == 403 and r.json()["rule"] == "DIG-3"  # not offered by the institution's options
    assert api(instructor).patch(f"/api/v1/citations/{uploaded.pk}", {"copyright_status": "self_declared"}).status_code == 200
    with pytest.raises(PermissionDenied) as exc:
        services.update_citation(instructor, uploaded, copyright_status="approved")
    assert exc.value.rule == "DIG-3"
    lst.refresh_from_db()
    services.update_citation(librarian, uploaded, copyright_status="approved")  # the library (list access "process")
    uploaded.refresh_from_db()
    assert uploaded.copyright_status == "approved"
    r = api(instructor).patch(f"/api/v1/citations/{uploaded.pk}", {"copyright_status": "self_declared"})
    assert r.status_code == 403 and r.json()["rule"] == "DIG-3"  # the library's decision stays


def test_the_editor_does_not_offer_the_library_statuses_to_the_instructor(client, instructor, uploaded, lst):
    client.force_login(instructor)
    for url in (f"/lists/{lst.pk}/edit/", f"/lists/{lst.pk}/edit/items/{uploaded.pk}/"):  # the add form, the item's form
        html = client.get(url).content.decode()
        assert 'name="copyright_status"' in html and '<option value="fair_use">' in html
        assert '<option value="approved"' not in html and '<option value="declined"' not in html


# --- DIG-3: students wait for the clearance ---------------------------------------------------------

def test_a_declined_clearance_keeps_students_out(api, client, instructor, uploaded, lst, manager, student):
    from syllabus.lists import services

    services.publish_list(instructor, lst)
    r = post(api, instructor, uploaded, "copyright-requests", FORM)
    api(manager).post(f"/api/v1/digitization-requests/{r.json()['id']}/reject-copyright", {"reason": "no licence"})
    client.force_login(student)
    r = client.get(f"/lists/items/{uploaded.pk}/file/")
    assert r.status_code == 403 and b"DIG-3" in r.content
    assert api(student).get(f"/api/v1/citations/{uploaded.pk}/file").json()["rule"] == "DIG-3"
    r = api(instructor).post(f"/api/v1/citations/{uploaded.pk}/copyright-option", {"copyright_option": "x"})
    assert r.status_code == 400  # unknown option; and a known one cannot overturn the decision:
    from syllabus.fulfillment.models import CopyrightOption

    CopyrightOption.objects.create(institution=lst.institution, code="fair", label="Fair use", copyright_status="fair_use")
    r = api(instructor).post(f"/api/v1/citations/{uploaded.pk}/copyright-option", {"copyright_option": "fair"})
    assert r.status_code == 403 and r.json()["rule"] == "DIG-3"


def test_an_option_mapped_to_not_specified_keeps_students_out_until_cleared(api, client, instructor, uploaded, lst,
                                                                            student, fadmin, inst_a):
    from syllabus.fulfillment import services as dig
    from syllabus.lists import services

    dig.save_copyright_option(fadmin, inst_a, code="unsure", label="I don't know", copyright_status="not_specified")
    dig.save_copyright_option(fadmin, inst_a, code="cc", label="Creative Commons", copyright_status="creative_commons")
    services.publish_list(instructor, lst)
    r = api(instructor).post(f"/api/v1/citations/{uploaded.pk}/copyright-option", {"copyright_option": "unsure"})
    assert r.json()["clearance_required"] is True
    client.force_login(student)
    r = client.get(f"/lists/items/{uploaded.pk}/file/")
    assert r.status_code == 403 and b"DIG-3" in r.content
    api(instructor).post(f"/api/v1/citations/{uploaded.pk}/copyright-option", {"copyright_option": "cc"})
    assert client.get(f"/lists/items/{uploaded.pk}/file/").status_code == 200  # needs no clearance


def test_an_approved_clearance_lets_students_in(api, client, clock, instructor, uploaded, lst, manager, student):
    from syllabus.lists import services

    services.publish_list(instructor, lst)
    r = post(api, instructor, uploaded, "copyright-requests", dict(FORM, start_date="2026-03-02"))
    client.force_login(student)
    assert client.get(f"/lists/items/{uploaded.pk}/file/").status_code == 403  # waiting
    api(manager).post(f"/api/v1/digitization-requests/{r.json()['id']}/approve-copyright", {"reason": "CLA"})
    assert client.get(f"/lists/items/{uploaded.pk}/file/").status_code == 200


# --- DIG-3: a new file starts the clearance again -----------------------------------------------------

def test_a_new_file_after_approval_waits_for_clearance_again(api, client, clock, instructor, uploaded, lst, manager, student):
    from syllabus.lists import services

    services.publish_list(instructor, lst)
    r = post(api, instructor, uploaded, "copyright-requests", dict(FORM, start_date="2026-03-02"))
    api(manager).post(f"/api/v1/digitization-requests/{r.json()['id']}/approve-copyright", {"reason": "CLA"})
    uploaded.refresh_from_db()
    assert uploaded.copyright_status == "approved"
    client.force_login(student)
    assert client.get(f"/lists/items/{uploaded.pk}/file/").status_code == 200
    services.attach_file(instructor, uploaded, pdf("other.pdf"))
    uploaded.refresh_from_db()
    assert uploaded.copyright_status == "waiting"
    client.force_login(student)
    r = client.get(f"/lists/items/{uploaded.pk}/file/")
    assert r.status_code == 403 and b"DIG-3" in r.content
    r = post(api, instructor, uploaded, "copyright-requests", FORM)  # the clearance can be requested for the new file
    assert r.status_code == 201


def test_a_new_file_forgets_a_declared_status(api, instructor, uploaded):
    from syllabus.lists import services

    api(instructor).patch(f"/api/v1/citations/{uploaded.pk}", {"copyright_status": "self_declared"})
    services.attach_file(instructor, uploaded, pdf("other.pdf"))
    uploaded.refresh_from_db()
    assert uploaded.copyright_status == ""


# --- DIG-4: the last days' warning on the student's list --------------------------------------------

def test_the_student_list_shows_the_warning_next_to_the_file_in_the_last_days(api, client, clock, instructor, uploaded, lst,
                                                                              manager, student):
    from syllabus.lists import services

    services.publish_list(instructor, lst)
    r = post(api, instructor, uploaded, "copyright-requests", dict(FORM, start_date="2026-03-02", end_date="2026-03-20"))
    api(manager).post(f"/api/v1/digitization-requests/{r.json()['id']}/approve-copyright", {"reason": "CLA"})
    client.force_login(student)
    clock.set_now(dt.datetime(2026, 3, 12, 9, tzinfo=dt.timezone.utc))  # 8 days left: no warning
    html = client.get(f"/lists/{lst.pk}/").content.decode()
    assert 'data-testid="file-link"' in html and 'data-testid="access-warning"' not in html
    clock.set_now(dt.datetime(2026, 3, 19, 9, tzinfo=dt.timezone.utc))  # last days (N = 3)
    html = client.get(f"/lists/{lst.pk}/").content.decode()
    item = html[html.index(f'id="item-{uploaded.pk}"'):]
    item = item[:item.index("</li>")]
    assert 'data-testid="file-link"' in item and 'data-testid="access-warning"' in item
    assert "Access to this file ends on 2026-03-20 (1 day left)" in item


@pytest.mark.parametrize("status", ["waiting", "approved", "declined"])
def test_an_instructor_cannot_create_an_item_with_a_library_copyright_status(api, instructor, lst, status):
    """DIG-3 on creation too: POST /api/v1/lists/{id}/citations with the library's statuses is refused."""
    from syllabus.lists.models import Citation

    before = Citation.objects.count()
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/citations",
                             {"type": "book", "metadata": {"title": "Self-approved"}, "copyright_status": status})
    assert r.status_code == 403 and r.json()["rule"] == "DIG-3"
    assert Citation.objects.count() == before


def test_the_editor_offers_only_the_institutions_options_and_shows_a_library_decision(client, instructor, uploaded, lst,
                                                                                    fadmin, inst_a, librarian):
    """The select offers what the service accepts: with one configured option (self declared) the
    instructor is not offered Creative Commons (which the service would refuse with DIG-3); a
    library decision is shown, selected, and the free statuses are not offered over it."""
    from syllabus.fulfillment import services as dig
    from syllabus.lists import services

    dig.save_copyright_option(fadmin, inst_a, code="own", label="My own work", copyright_status="self_declared")
    client.force_login(instructor)
    item_page = f"/lists/{lst.pk}/edit/items/{uploaded.pk}/"  # the item's form: its own page (or loaded in place)
    for url in (f"/lists/{lst.pk}/edit/", item_page):  # the editor's add form, the item's form
        html = client.get(url).content.decode()
        assert '<option value="self_declared">' in html and '<option value="creative_commons">' not in html
    services.update_citation(librarian, uploaded, copyright_status="approved")
    html = client.get(item_page).content.decode()
    assert '<option value="approved" selected>' in html
    assert '<option value="self_declared">' not in html, "not offered over the library's decision"


def test_an_option_mapped_to_not_specified_shows_its_name_on_the_item_and_keeps_it_editable(
        api, client, instructor, uploaded, lst, fadmin, inst_a, librarian):
    """DIG-3 / LST-3: the status an option maps to is one the citation knows: the editor shows
    "Not specified" (not the raw value), the instructor may still save the item, and the library's
    list of statuses names it; an option cannot map to "not determined"."""
    from syllabus.core.errors import RuleViolation
    from syllabus.fulfillment import services as dig
    from syllabus.lists import services

    dig.save_copyright_option(fadmin, inst_a, code="unsure", label="I don't know", copyright_status="not_specified")
    api(instructor).post(f"/api/v1/citations/{uploaded.pk}/copyright-option", {"copyright_option": "unsure"})
    uploaded.refresh_from_db()
    assert uploaded.get_copyright_status_display() == "Not specified"
    client.force_login(instructor)
    html = client.get(f"/lists/{lst.pk}/edit/items/{uploaded.pk}/").content.decode()  # the item's form
    assert '<option value="not_specified" selected>Not specified</option>' in html
    services.update_citation(instructor, uploaded, public_note="read pp. 1-20", copyright_status="not_specified")
    uploaded.refresh_from_db()
    assert uploaded.public_note == "read pp. 1-20" and uploaded.copyright_status == "not_specified"
    vocabulary = api(librarian).get("/api/v1/list-vocabulary").json()
    assert vocabulary["copyright_statuses"]["not_specified"] == "Not specified"
    with pytest.raises(RuleViolation, match="DIG-3"):
        dig.save_copyright_option(fadmin, inst_a, code="nothing", label="Nothing", copyright_status="")


def test_dig1_a_refused_request_form_comes_back_with_its_page_ranges_and_notes(client, instructor, book):
    """Session 24 (outside walk): the instructor's digitization form, refused (a reversed range),
    came back with the chapters typed but every page range, the notes and "Include images" empty."""
    client.force_login(instructor)
    r = client.post(f"/services/citations/{book.pk}/digitization/", {
        "chapters": "Chapter 3", "page_from": ["12", "200", ""], "page_to": ["30", "100", ""],
        "include_images": "on", "note": ["For week 3", "Both ranges please", ""]})
    html = r.content.decode()
    assert r.status_code == 400 and "DIG-1" in html and "reversed" in html
    assert 'id="id_page_from_0" name="page_from" placeholder="from" value="12"' in html
    assert 'id="id_page_to_1" name="page_to" placeholder="to" value="100"' in html
    assert 'id="id_page_from_2" name="page_from" placeholder="from" value=""' in html
    assert ">For week 3</textarea>" in html and ">Both ranges please</textarea>" in html
    assert 'name="include_images" checked' in html and 'value="Chapter 3"' in html
    assert not DigitizationRequest.objects.filter(citation=book).exists()
    blank = client.get(f"/services/citations/{book.pk}/digitization/").content.decode()
    assert 'name="include_images" checked' not in blank and 'value="12"' not in blank

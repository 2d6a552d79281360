"""The pages (server-rendered + htmx): the instructor's editor, the student's view, the
librarian's task list and list detail.  htmx requests get the re-rendered fragment; refused
actions land in the live region with their rule id; plain posts redirect with a message."""
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from syllabus.lists import services
from syllabus.lists.models import Citation, LibrarianTask, ResourceList

HX = {"HTTP_HX_REQUEST": "true"}


def test_instructor_builds_a_list_through_the_editor(client, instructor, course):
    client.force_login(instructor)
    page = client.get(reverse("lists:mine")).content.decode()
    assert "Create a list" in page and "HIST101" in page
    r = client.post(reverse("lists:create"), {"title": "Modern history", "courses": [course.pk]})
    lst = ResourceList.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("lists:edit", args=[lst.pk])
    assert list(lst.courses.all()) == [course]

    r = client.post(reverse("lists:add-section", args=[lst.pk]), {"title": "Week 1", "start_date": "2026-03-02"}, **HX)
    assert r.status_code == 200
    html = r.content.decode()
    assert 'id="editor"' in html and "Week 1" in html and 'hx-swap-oob="innerHTML"' in html and "Section added." in html
    section = lst.sections.get()

    r = client.post(reverse("lists:add-citation", args=[lst.pk]), {
        "section": section.pk, "type": "book", "title": "Middlemarch", "authors": "Eliot, George", "publisher": "Penguin",
        "year": "1994", "isbn": "978-0-14-143954-9", "tags": ["essential"], "public_note": "Start early",
        "library_note": "2 copies please"}, **HX)
    assert r.status_code == 200, r.content
    html = r.content.decode()
    assert "Eliot, G. (1994). <i>Middlemarch</i>. Penguin." in html and "Essential" in html
    book = Citation.objects.get()
    assert book.metadata["ISBN"] == "9780141439549" and book.library_note == "2 copies please"

    # a refused action keeps the page and shows the rule in the live region
    r = client.post(reverse("lists:add-citation", args=[lst.pk]),
                    {"section": section.pk, "type": "book", "title": "Bad", "isbn": "123"}, **HX)
    assert r.status_code == 400 and r["HX-Retarget"] == "#messages-live"
    assert "LST-2" in r.content.decode() and "ISBN 123 is not valid" in r.content.decode()
    assert Citation.objects.count() == 1

    r = client.post(reverse("lists:update-citation", args=[lst.pk, book.pk]), {
        "type": "book", "title": "Middlemarch", "authors": "Eliot, George", "publisher": "Penguin Classics", "year": "1994",
        "tags": ["recommended"], "public_note": "", "library_note": ""}, **HX)
    assert r.status_code == 200
    book.refresh_from_db()
    assert book.metadata["publisher"] == "Penguin Classics" and book.tags == ["recommended"] and "ISBN" not in book.metadata

    second = services.add_citation(instructor, lst, section, "article", {"title": "Second"})
    r = client.post(reverse("lists:move-citation", args=[lst.pk, second.pk]), {"direction": "up"}, **HX)
    assert r.status_code == 200
    assert list(section.citations.values_list("title", flat=True)) == ["Second", "Middlemarch"]

    pdf = SimpleUploadedFile("notes.pdf", b"%PDF-1.4\n%%EOF\n" + b"0" * 100, content_type="application/pdf")
    r = client.post(reverse("lists:upload", args=[lst.pk, book.pk]), {"file": pdf}, **HX)
    assert r.status_code == 200 and "notes.pdf" in r.content.decode()

    r = client.post(reverse("lists:visibility", args=[lst.pk]), {"visibility": "published"}, **HX)
    assert 'data-testid="list-visibility">Published' in r.content.decode()
    r = client.post(reverse("lists:send", args=[lst.pk]), **HX)
    assert 'data-testid="list-status">Sent to library' in r.content.decode()
    assert 'id="send-list"' not in r.content.decode()


def test_plain_posts_work_without_javascript(client, instructor, built_list):
    client.force_login(instructor)
    lst = built_list["list"]
    r = client.post(reverse("lists:send", args=[lst.pk]))
    assert r.status_code == 302 and r["Location"] == reverse("lists:edit", args=[lst.pk])
    page = client.get(r["Location"]).content.decode()
    assert "The list was sent to the library." in page
    r = client.post(reverse("lists:send", args=[lst.pk]), HTTP_REFERER=reverse("lists:edit", args=[lst.pk]))
    page = client.get(r["Location"]).content.decode()
    assert "LST-4" in page


def test_student_view_shows_formatted_citations_tags_notes_and_links(client, instructor, student, built_list):
    services.publish_list(instructor, built_list["list"])
    services.add_citation(instructor, built_list["list"], built_list["sections"][1], "article",
                          {"title": "<script>alert(1)</script>", "author": ["<b>Evil</b>, Eve"]})
    client.force_login(student)
    page = client.get(reverse("lists:view", args=[built_list["list"].pk])).content.decode()
    assert "Thompson, E. P. (1963). <i>The making of the English working class</i>" in page or \
        "Thompson, E. P. (1963). <i>The Making of the English Working Class</i>" in page
    assert "Essential" in page and "Read chapter 1" in page
    assert "we own a print copy" not in page  # the library note is private
    assert 'href="https://victorianweb.org/"' in page and "https://doi.org/10.1093/past/38.1.56" in page
    assert "<script>alert(1)</script>" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<b>Evil</b>" not in page
    assert "Edit list" not in page


def test_librarian_assigns_from_the_task_list_and_processes_the_list(client, instructor, librarian, built_list):
    lst = services.send_list(instructor, built_list["list"])
    client.force_login(librarian)
    page = client.get(reverse("lists:tasks")).content.decode()
    assert 'aria-current="page"' in page and "HIST101 readings" in page
    r = client.post(reverse("lists:assign", args=[lst.pk]), {"assign_me": "1", "username": "", "return_to": "tasks",
                                                               "state": "tab=unassigned&sort=name"}, **HX)
    assert r.status_code == 200
    html = r.content.decode()
    assert "HIST101 readings" not in html  # it left the Unassigned tab ...
    assert "Assigned to librarian." in html
    lst.refresh_from_db()
    assert lst.assignee == librarian
    mine = client.get(reverse("lists:tasks") + "?tab=mine", **HX).content.decode()
    assert "HIST101 readings" in mine  # ... for Assigned to me

    book = built_list["book"]
    r = client.post(reverse("lists:item-status", args=[lst.pk, book.pk]), {"status": "complete"}, **HX)
    assert r.status_code == 200 and "Item status: Complete." in r.content.decode()
    r = client.post(reverse("lists:item-status", args=[lst.pk, built_list["article"].pk]), {"status": "declined", "note": "out of print"}, **HX)
    assert "out of print" in r.content.decode()
    r = client.post(reverse("lists:item-status", args=[lst.pk, book.pk]), {"status": "declined"}, **HX)
    assert r.status_code == 409 and "LST-4" in r.content.decode()
    # LST-7: the library's filter the page posts back is read by a form: the answer keeps it, and a
    # filter the page does not offer is refused naming the rule, the value cut short (never echoed whole)
    r = client.post(reverse("lists:library-note", args=[lst.pk, book.pk]), {"library_note": "shelf 3", "item_status": "complete"}, **HX)
    assert r.status_code == 200 and '<option value="complete" selected>' in r.content.decode()
    r = client.post(reverse("lists:library-note", args=[lst.pk, book.pk]), {"library_note": "shelf 4", "item_status": "n" * 5000}, **HX)
    assert "<strong>LST-7:</strong>" in r.content.decode() and "n" * 41 not in r.content.decode()
    r = client.post(reverse("lists:list-status", args=[lst.pk]), {"status": "complete"}, **HX)
    assert 'data-testid="list-status">Complete' in r.content.decode()
    assert not LibrarianTask.objects.filter(resolved_at__isnull=True).exists()


def test_the_librarian_sees_changes_since_sent_and_marks_them_done(client, instructor, librarian, built_list):
    lst = services.send_list(instructor, built_list["list"])
    services.update_citation(instructor, built_list["book"], public_note="Chapters 1-3")
    client.force_login(librarian)
    page = client.get(reverse("lists:library", args=[lst.pk])).content.decode()
    # LST-7: the field by its label in the editor, never its internal name
    assert "Changed since sent" in page and "Item changed (Note for students): The Making of the English" in page
    assert "public_note" not in page.split('data-testid="tasks"')[1].split("</section>")[0]
    task = LibrarianTask.objects.get(kind="changed")
    r = client.post(reverse("lists:task-done", args=[lst.pk, task.pk]), **HX)
    assert r.status_code == 200 and "Changed since sent" not in r.content.decode()


def test_navigation_shows_the_task_list_to_librarians_only(client, librarian, student):
    client.force_login(librarian)
    assert reverse("lists:tasks") in client.get(reverse("lists:mine")).content.decode()
    client.force_login(student)
    assert reverse("lists:tasks") not in client.get(reverse("lists:mine")).content.decode()


def test_slots_let_other_apps_plug_into_the_list_pages(client, instructor, student, built_list, tmp_path, settings,
                                                      monkeypatch):
    from syllabus.lists import slots

    slots.slots("citation_services")  # every app's slots discovered first; then work on a copy
    monkeypatch.setattr(slots, "SLOTS", {name: list(registered) for name, registered in slots.SLOTS.items()})

    services.publish_list(instructor, built_list["list"])
    seen = []
    tpl = tmp_path / "slot_test.html"
    tpl.write_text('<span class="svc">services for {{ citation.pk }}</span>')
    settings.TEMPLATES = [{**settings.TEMPLATES[0], "DIRS": [str(tmp_path)]}]
    slots.register_slot("citation_services", "slot_test.html", prepare=lambda request, objs: seen.append(len(objs)))
    client.force_login(student)
    page = client.get(reverse("lists:view", args=[built_list["list"].pk])).content.decode()
    assert page.count('class="svc"') == 3 and seen == [3]

"""LST-7 (session 21): a librarian task says what happened in the librarian's language.

An outside-in librarian session found task details stored as English sentences with internal
field names — "item changed (public_note)", "20 item(s) ready…" — which a French-speaking
librarian read as they were.  A task now stores a code and its parameters and is said at display
time through gettext, with the fields' labels and the plural forms of the reader's language."""
from __future__ import annotations

import importlib
import re

import pytest
from django.apps import apps as django_apps
from django.urls import reverse
from django.utils import translation

from syllabus.lists import catalog_link, services
from syllabus.lists.models import LibrarianTask
from tests.lists.conftest import BOOK

pytestmark = pytest.mark.django_db

migration = importlib.import_module("syllabus.lists.migrations.0012_task_detail_code")


def _tasks_text(client, lst) -> list[str]:
    html = client.get(reverse("lists:library", args=[lst.pk])).content.decode()
    return [re.sub(r"[ \t\r\n]+", " ", t).strip() for t in re.findall(r'<span data-testid="task-detail">(.*?)</span>', html, re.S)]


def _french(client):
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})


def test_a_french_librarian_reads_a_change_with_the_fields_label_in_french(client, instructor, librarian, built_list):
    lst = services.send_list(instructor, built_list["list"])
    services.update_citation(instructor, built_list["book"], public_note="Chapters 1-3", library_note="ask for the scan")
    client.force_login(librarian)
    _french(client)
    texts = _tasks_text(client, lst)
    assert "Référence modifiée (Note pour la bibliothèque, Note pour les étudiants)\u00a0: The Making of the English Working Class" \
        in [t.replace("&#x27;", "'") for t in texts], texts
    assert not any("public_note" in t or "library_note" in t for t in texts)
    # the same task, in English, for an English-speaking colleague: said when shown, not stored
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    assert ("Item changed (Note for the library, Note for students): The Making of the English Working Class"
            in _tasks_text(client, lst))


@pytest.mark.parametrize("n, french, english", [
    (1, "1 référence prête pour le traitement", "1 item ready for processing"),
    (2, "2 références prêtes pour le traitement", "2 items ready for processing"),
])
def test_a_sent_list_says_how_many_items_are_ready_with_the_plural_of_each_language(
        client, instructor, librarian, course, n, french, english):
    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    week = services.add_section(instructor, lst, title="Week 1")
    for i in range(n):
        services.add_citation(instructor, lst, week, "book", BOOK | {"title": f"Book {i}"})
    services.send_list(instructor, lst)
    task = LibrarianTask.objects.get(resource_list=lst, kind=LibrarianTask.LIST_SENT)
    assert (task.detail_code, task.detail_params, task.detail) == ("list_sent", {"n": n}, "")
    client.force_login(librarian)
    assert english in _tasks_text(client, lst)
    _french(client)
    assert french in _tasks_text(client, lst)


def test_an_import_task_speaks_french_down_to_its_remainder(instructor, built_list):
    lst = services.send_list(instructor, built_list["list"])
    ris = "".join(f"TY  - BOOK\nTI  - Entry {i:03d} {'x' * 140}\nER  - \n\n" for i in range(30))
    catalog_link.import_into_list(instructor, lst.pk, ris, filename="zotero.ris")
    task = LibrarianTask.objects.get(resource_list=lst, kind=LibrarianTask.ITEMS_ADDED)
    assert task.detail_code == "batch" and task.detail_params["action"] == {
        "code": "imported", "params": {"format": "RIS", "filename": "zotero.ris"}}
    with translation.override("fr"):
        text = task.detail_text
        assert task.kind_label == "Références ajoutées depuis l'envoi"
    assert text.startswith("30 références ajoutées depuis l'envoi de la liste (importé depuis RIS (zotero.ris))\u00a0: Entry 000")
    shown = len(re.findall(r"Entry \d{3}", text))
    assert 0 < shown < 30 and text.endswith(f"… et {30 - shown} autres")


def test_other_apps_tasks_have_french_labels_too(instructor, librarian, built_list):
    from syllabus.discussion import services as discussion

    lst = services.send_list(instructor, built_list["list"])
    discussion.post_message(instructor, lst, "Une version numérique existe-t-elle ?")
    task = LibrarianTask.objects.get(resource_list=lst, kind="discussion")
    with translation.override("fr"):
        assert (task.kind_label, task.detail_text) == ("Message d'un enseignant", "Une version numérique existe-t-elle ?")


@pytest.mark.parametrize("kind, old, code, params", [
    ("changed", "item changed (public_note): Middlemarch", "item_changed", {"fields": ["public_note"], "title": "Middlemarch"}),
    ("list_sent", "20 item(s) ready for processing", "list_sent", {"n": 20}),
    ("changed", "list details changed: courses, title", "list_details_changed", {"fields": ["courses", "title"]}),
    ("changed", "section moved: Week 3", "section_moved", {"title": "Week 3"}),
    ("changed", "list unpublished", "list_unpublished", {}),
    ("item_sent", "Middlemarch", "item_sent", {"title": "Middlemarch"}),
    ("personal_copy_return", "course ended: return the personal copy of Middlemarch to prof.moreau", "personal_copy_return",
     {"title": "Middlemarch", "owner": "prof.moreau"}),
])
def test_the_migration_reads_old_task_texts_back(built_list, kind, old, code, params):
    task = LibrarianTask.objects.create(resource_list=built_list["list"], kind=kind, detail=old)
    migration.forwards(django_apps, None)
    task.refresh_from_db()
    assert (task.detail_code, task.detail_params, task.detail) == (code, params, "")
    with translation.override("en"):
        assert task.detail_text.lower().replace("items", "item(s)").replace("1 item(s)", "1 item") in (
            old.lower(), old.lower().replace("public_note", "note for students"),
            old.lower().replace("courses, title", "courses, title"))


def test_the_migration_reads_an_old_import_task_and_keeps_what_it_cannot_read(built_list):
    lst = built_list["list"]
    batch = LibrarianTask.objects.create(
        resource_list=lst, kind="items_added", count=40,
        detail="40 items added since the list was sent (imported from RIS (refs.ris)): A; B; … and 38 more")
    odd = LibrarianTask.objects.create(resource_list=lst, kind="changed", detail="something a script wrote by hand")
    migration.forwards(django_apps, None)
    batch.refresh_from_db()
    odd.refresh_from_db()
    assert (odd.detail_code, odd.detail) == ("", "something a script wrote by hand")  # legacy text, shown as it is
    assert odd.detail_text == "something a script wrote by hand"
    assert batch.detail_code == "batch" and batch.detail == ""
    with translation.override("fr"):
        assert batch.detail_text == ("40 références ajoutées depuis l'envoi de la liste (importé depuis RIS (refs.ris))\u00a0: "
                                     "A; B; … et 38 autres")
    with translation.override("en"):
        assert batch.detail_text == "40 items added since the list was sent (imported from RIS (refs.ris)): A; B; … and 38 more"

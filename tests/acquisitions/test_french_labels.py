"""Acquisition tasks in French (issue 14): a task's state agrees with "tâche" ("Demandée", not the
column heading "Demandé le"), the status filter's "All" is "Toutes" (tasks), and the task's label is
followed by a colon behind a non-breaking space ("Commander un exemplaire :"), which a colon written
after the translated label in the template could not give."""
from __future__ import annotations

import re

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def french_librarian(client, librarian, listed, api):
    _lst, citation, _record = listed
    task = api(librarian).post(f"/api/v1/citations/{citation.pk}/acquisition-tasks", {"kind": "order"}).json()
    client.force_login(librarian)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    return task


def test_the_task_list_says_the_state_and_the_filter_in_french(client, french_librarian):
    html = client.get(reverse("acquisitions:tasks") + "?status=").content.decode()
    assert re.search(r"<td\b[^>]*>Demandée</td>", html), "a requested task reads Demandée"
    assert re.search(r'<option value=""[^>]*>Toutes</option>', html)
    assert re.search(r'<option value="requested"[^>]*>Demandée</option>', html)


def test_the_task_label_takes_a_french_colon(client, french_librarian):
    html = client.get(reverse("acquisitions:task", args=[french_librarian["id"]])).content.decode()
    assert re.search(r">Commander un exemplaire</a>\u00a0:", html), "the colon follows a non-breaking space"

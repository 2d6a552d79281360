"""French typography (session 17): a label and its value are one translatable string, so the
French catalogue puts its non-breaking space (U+00A0, as with « … ») before the colon —
``{% translate "X" %}: {{ value }}`` left the colon outside and French got "Statut: ..."."""
from __future__ import annotations

import pytest
from django.urls import reverse

pytestmark = pytest.mark.django_db

NBSP = "\u00a0"


def test_french_labels_put_a_non_breaking_space_before_the_colon(shelf, instructor, student, client):
    client.cookies["django_language"] = "fr"
    client.force_login(student)
    page = client.get(reverse("lists:view", args=[shelf["list"].pk])).content.decode()
    assert f"En ligne{NBSP}: EBSCO eBooks" in page and "En ligne: " not in page
    client.force_login(instructor)
    page = client.get(reverse("lists:edit", args=[shelf["list"].pk])).content.decode()
    assert f"Statut{NBSP}:" in page and "Statut:" not in page


def test_english_reads_as_before(shelf, student, client):
    client.force_login(student)
    page = client.get(reverse("lists:view", args=[shelf["list"].pk])).content.decode()
    assert "Online: EBSCO eBooks" in page

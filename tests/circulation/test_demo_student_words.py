"""A student reads the list and its items in their words, not the back office's (LDL-2, SRV-5):
the demo's digitally lent titles are a "Digital loan copy" whose print copies are "Lent
digitally" — no "CDL", "withdrawn", "representation" or "inventory" on the student's list page,
on the title's loan page or in French."""
from __future__ import annotations

import io
import re

import pytest
from bs4 import BeautifulSoup
from django.core.management import call_command
from django.urls import reverse

pytestmark = pytest.mark.django_db

JARGON = re.compile(r"(?i)\bCDL\b|withdrawn|representation|représentation|inventory|inventaire|long-term|long terme|"
                    r"digitised print copy")


def _text(response) -> str:
    page = BeautifulSoup(response.content, "html.parser")
    for hidden in page.select("script, style, [class=Z3988]"):
        hidden.decompose()
    return " ".join(page.get_text(" ").split())


def test_srv5_the_student_list_and_loan_pages_speak_the_students_words(client):
    from syllabus.lists.models import ResourceList
    from syllabus.org.models import User

    call_command("demo", no_migrate=True, stdout=io.StringIO())
    hist101 = ResourceList.objects.filter(courses__code="HIST101", title__startswith="Introduction to Modern History").first()
    client.force_login(User.objects.get(username="student"))
    response = client.get(f"/lists/{hist101.pk}/")
    english = _text(response)
    assert "Digital loan: Digital loan copy" in english and "Lent digitally" in english
    loan = BeautifulSoup(response.content, "html.parser").select_one("[data-testid=access-online] [data-kind=loan] a")
    pages = {"list": english, "loan": _text(client.get(loan["href"]))}
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    pages["list (fr)"] = _text(client.get(f"/lists/{hist101.pk}/"))
    pages["loan (fr)"] = _text(client.get(loan["href"]))
    assert "Prêt numérique" in pages["list (fr)"]
    assert {name: JARGON.findall(text) for name, text in pages.items()} == {name: [] for name in pages}

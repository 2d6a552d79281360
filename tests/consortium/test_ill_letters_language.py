"""CON-2: the inter-library loan letters are localized the one way letters are — their name and what
they are for (``declare_letters(..., descriptions=...)``, translated) — so a French-speaking Letter
Administrator reads the overdue and recall letters in French, as the library discussion's; the
templates themselves are the institution's text to edit (English by default, for every letter)."""
from __future__ import annotations

import pytest

from syllabus.notify.letters import letter_type
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db

ILL_LETTERS = ("ill_request_received", "ill_request_supplied", "ill_request_arrived", "ill_request_unfilled",
               "ill_request_cancelled", "ill_request_overdue", "ill_request_recalled", "ill_request_cancel_refused",
               "ill_cancel_refused_staff")


def test_every_ill_letter_says_what_it_is_for_in_french():
    from django.utils import translation

    for code in ILL_LETTERS:
        letter = letter_type(code)
        with translation.override("en"):
            english = str(letter.description)
        with translation.override("fr"):
            french = str(letter.description)
            assert "prêt entre bibliothèques" in str(letter.name).lower(), code
        assert english.startswith("Sent to ") and french.startswith("Envoyée "), code


@pytest.mark.parametrize("code, name, purpose", [
    ("ill_request_overdue", "Prêt entre bibliothèques en retard", "le signale en retard\u00a0: lui demande de le rendre"),
    ("ill_request_recalled", "Prêt entre bibliothèques rappelé", "le rappelle\u00a0: lui demande de le rendre"),
])
def test_the_letter_administrator_reads_the_overdue_and_recall_letters_in_french(client, make_user, code, name, purpose):
    admin = make_user("letters-fr", group="staff", roles=[Role.LETTER_ADMINISTRATOR], preferred_language="fr")
    client.force_login(admin)
    page = client.get(f"/notifications/letters/{code}/").content.decode()
    assert name in page and purpose in page

"""Attack class: injection into an export format.  A list's editor stores an item whose title
carries line breaks and RIS tags; a student exports the list to RIS for their reference manager.
Before session 17 the line breaks went out as they were: the export held a second entry (and
links, authors) that the list does not have — ``ER  -``, ``TY  -``, ``UR  - https://evil…``.
Every RIS value is now written on its one line (``citations.formats.to_ris``).  BibTeX escapes
its braces, CSL-JSON is JSON, and the HTML and Word bibliographies escape every field
(``tests/security/test_stored_xss.py``)."""
import pytest

from syllabus.citations import formats

pytestmark = pytest.mark.django_db

HOSTILE = "Good reading\nER  - \n\nTY  - BOOK\nTI  - Injected\nUR  - https://evil.example/login\r\nER  - "


def test_a_title_with_line_breaks_stays_one_ris_entry_in_the_export(client, instructor, course):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="Readings", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    services.add_citation(instructor, lst, section, "book", {"title": HOSTILE, "author": [{"family": "A", "given": "B\nUR  - x"}],
                                                             "abstract": "one\u2028AU  - Someone, Else"})
    client.force_login(instructor)
    answer = client.get(f"/api/v1/lists/{lst.pk}/export", {"format": "ris"})
    assert answer.status_code == 200
    text = answer.content.decode()
    assert text.count("TY  - ") == 1 and text.count("ER  - ") == 1
    assert "\nUR  - " not in text and "\nAU  - Someone" not in text
    entries = formats.parse(text, "ris")[1]
    assert len(entries) == 1 and entries[0].csl["title"].startswith("Good reading") and "URL" not in entries[0].csl

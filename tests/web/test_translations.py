"""Issue 2: "English plus one more complete language (French), switchable".

The French catalogue must stay complete: every entry translated and not fuzzy, the same
placeholders, rule ids and HTML as the English text, and the committed .mo compiled from the
committed .po.  Then, with French chosen through the real language switch, the main pages of
instructors, librarians and students speak French.

When a test here fails after new strings were added: ``make messages``, translate the new
entries (see docs/DEVELOPING.md, "Translations"), and commit the .po and the .mo.
"""
from __future__ import annotations

import html
import re
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse

LOCALE = Path(settings.BASE_DIR) / "locale" / "fr" / "LC_MESSAGES"
PO_PATH = LOCALE / "django.po"
MO_PATH = LOCALE / "django.mo"

PYTHON_FORMAT = re.compile(r"%(?:\([^)]+\))?[-#0+]*\d*(?:\.\d+)?[sdifr]")
BRACE_FORMAT = re.compile(r"(?<!\{)\{(\w*)(?:![rsa])?(?::[^{}]*)?\}(?!\})")
RULE_ID = re.compile(r"\b[A-Z]{2,4}-\d+\b")
HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>|&[a-zA-Z]+;|&#\d+;")


@pytest.fixture(scope="module")
def po():
    return polib.pofile(str(PO_PATH))


def _label(entry) -> str:
    return f"{entry.msgctxt + ' | ' if entry.msgctxt else ''}{entry.msgid!r}"


def _pairs(entry):
    """(English, French) pairs of an entry: one, or both plural forms."""
    if entry.msgid_plural:
        forms = entry.msgstr_plural
        return [(entry.msgid, forms.get(0, "")), (entry.msgid_plural, forms.get(1, ""))]
    return [(entry.msgid, entry.msgstr)]


def _placeholders(text: str) -> list[str]:
    text = text.replace("%%", "")
    return sorted(PYTHON_FORMAT.findall(text)) + sorted("{" + name + "}" for name in BRACE_FORMAT.findall(text))


# --- the catalogue ---------------------------------------------------------------------------

def test_the_header_is_french_with_french_plurals(po):
    assert po.metadata["Language"] == "fr"
    assert po.metadata["Plural-Forms"].replace(" ", "") == "nplurals=2;plural=(n>1);"
    assert "charset=UTF-8" in po.metadata["Content-Type"]


def test_every_entry_is_translated_and_none_is_fuzzy(po):
    live = [e for e in po if not e.obsolete]
    assert len(live) > 800, "the French catalogue lost most of its entries"
    untranslated = [_label(e) for e in live if not e.translated() and "fuzzy" not in e.flags]
    fuzzy = [_label(e) for e in live if "fuzzy" in e.flags]
    assert not untranslated, f"{len(untranslated)} untranslated French entries: {untranslated[:20]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy French entries (check them, then clear the flag): {fuzzy[:20]}"


def test_plural_entries_fill_both_french_forms(po):
    broken = [_label(e) for e in po if e.msgid_plural and not all(e.msgstr_plural.get(i, "").strip() for i in (0, 1))]
    assert not broken, f"plural entries without both French forms: {broken}"


def test_placeholders_are_the_same_in_english_and_french(po):
    broken = []
    for e in po:
        for english, french in _pairs(e):
            if _placeholders(english) != _placeholders(french):
                broken.append(f"{_label(e)}: {_placeholders(english)} ≠ {_placeholders(french)} in {french!r}")
    assert not broken, "placeholders differ:\n" + "\n".join(broken)


def test_rule_ids_html_and_edge_whitespace_are_kept(po):
    broken = []
    for e in po:
        for english, french in _pairs(e):
            if sorted(RULE_ID.findall(english)) != sorted(RULE_ID.findall(french)):
                broken.append(f"rule id: {_label(e)} → {french!r}")
            if sorted(HTML_TAG.findall(english)) != sorted(HTML_TAG.findall(french)):
                broken.append(f"HTML: {_label(e)} → {french!r}")
            lead, trail = len(english) - len(english.lstrip()), len(english) - len(english.rstrip())
            if (english[:lead], english[len(english) - trail:]) != (french[:len(french) - len(french.lstrip())],
                                                                    french[len(french.rstrip()):]):
                broken.append(f"leading/trailing whitespace: {_label(e)} → {french!r}")
    assert not broken, "\n".join(broken)


def test_the_committed_mo_is_compiled_from_the_po(po):
    assert MO_PATH.exists(), "compile the catalogue: syllabus compilemessages -l fr"
    mo = polib.mofile(str(MO_PATH))

    def table(catalogue):
        out = {}
        for e in catalogue:
            if not e.msgid or e.obsolete or "fuzzy" in e.flags:
                continue
            value = tuple(e.msgstr_plural[i] for i in sorted(e.msgstr_plural)) if e.msgid_plural else e.msgstr
            out[(e.msgctxt or "", e.msgid)] = value
        return out

    in_po, in_mo = table(po), table(mo)
    stale = sorted(k for k in in_po.keys() | in_mo.keys() if in_po.get(k) != in_mo.get(k))
    assert not stale, (f"{len(stale)} entries differ between django.po and django.mo (run "
                       f"`syllabus compilemessages -l fr` and commit the .mo): {stale[:10]}")


# --- pages in French -------------------------------------------------------------------------

def _visible_text(response) -> str:
    body = response.content.decode()
    body = re.sub(r"<script.*?</script>|<style.*?</style>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", "\n", body)
    return "\n".join(line.strip() for line in html.unescape(body).splitlines() if line.strip())


def _switch_to_french(client, next_url="/"):
    """The language switch of the page header (Django's set_language), as a user uses it."""
    r = client.post(reverse("set_language"), {"language": "fr", "next": next_url})
    assert r.status_code == 302
    assert client.cookies[settings.LANGUAGE_COOKIE_NAME].value == "fr"


def _assert_french(response, *, french: list[str], english: list[str]):
    assert response.status_code == 200
    assert '<html lang="fr">' in response.content.decode()
    lines = set(_visible_text(response).splitlines())
    text = "\n".join(lines)
    missing = [w for w in french if w not in text]
    assert not missing, f"French text missing: {missing}"
    left = [w for w in english if w in lines]
    assert not left, f"English labels left on the French page: {left}"


@pytest.fixture
def sent_list(instructor, course):
    from syllabus.lists import services
    from tests.lists.conftest import ARTICLE, BOOK

    lst = services.create_list(instructor, title="HIST101 readings", courses=[course])
    week = services.add_section(instructor, lst, title="Week 1")
    services.add_citation(instructor, lst, week, "book", BOOK, tags=["essential"])
    services.add_citation(instructor, lst, week, "article", ARTICLE)
    services.send_list(instructor, lst)
    return lst


def test_the_english_pages_stay_english(client, instructor, sent_list):
    client.force_login(instructor)
    r = client.get(reverse("lists:mine"))
    assert '<html lang="en">' in r.content.decode()
    assert "Resource lists" in _visible_text(r) and "Listes de lectures" not in _visible_text(r)


def test_an_instructor_works_on_lists_in_french(client, instructor, sent_list):
    client.force_login(instructor)
    _switch_to_french(client, reverse("lists:mine"))

    r = client.get(reverse("lists:mine"))
    _assert_french(r, french=["Listes de lectures", "Listes dont vous êtes propriétaire ou que vous modifiez",
                              "Envoyée à la bibliothèque", "Brouillon", "Créer une liste", "Se déconnecter"],
                   english=["Resource lists", "Lists you own or edit", "Sent to library", "Draft", "Create a list",
                            "Create list", "Title", "Status", "Visibility", "Items", "Sign out", "Home"])

    from syllabus.lists.models import Citation

    r = client.get(reverse("lists:edit", args=[sent_list.pk]))
    _assert_french(r, french=["Publier", "Modifier la section", "Modifier la référence", "Étiquettes", "Essentiel",
                              "Livre", "Chapitre de livre", "Droits d'auteur", "Ajouter une section"],
                   english=["Publish", "Edit section", "Edit item", "Save section", "Tags", "Essential", "Book",
                            "Book chapter", "Copyright", "Add a section", "Add section", "Delete", "Upload"])
    item = Citation.objects.filter(resource_list=sent_list).order_by("pk").first()  # its form: a page of its own
    r = client.get(reverse("lists:update-citation", args=[sent_list.pk, item.pk]))
    _assert_french(r, french=["Modifier la référence\u00a0:", "Retour à l'éditeur de la liste\u00a0:", "Enregistrer la référence",
                              "Annuler", "Étiquettes", "Droits d'auteur"],
                   english=["Save item", "Cancel", "Tags", "Copyright"])


def test_a_librarian_works_the_task_list_in_french(client, librarian, sent_list):
    client.force_login(librarian)
    _switch_to_french(client, reverse("lists:tasks"))

    r = client.get(reverse("lists:tasks"))
    _assert_french(r, french=["Listes de lectures\u00a0: liste des tâches", "Non attribuées", "Attribuées à moi",
                              "Statut de la liste", "Me l'attribuer", "Appliquer", "1 liste"],
                   english=["Resource lists: task list", "Unassigned", "Assigned to me", "Assigned to others",
                            "List status", "Assign to me", "Apply", "Sort by", "1 list", "Back office"])

    r = client.get(reverse("lists:library", args=[sent_list.pk]))
    _assert_french(r, french=["Commencer le traitement", "Tâches ouvertes", "Me l'attribuer"],
                   english=["Start processing", "Open tasks", "Decline", "Assign to me", "Edit list"])
    assert 'aria-label="Actions de la bibliothèque"' in r.content.decode()


def test_a_student_searches_the_catalog_in_french(client, student, inst_a, library_a):
    from syllabus.catalog import services

    saved = services.save_record(None, inst_a, {"type": "book", "title": "Pride and prejudice",
                                                "author": [{"family": "Austen", "given": "Jane"}]})
    services.add_item(None, saved.record, library_a, "P-1", status="in_place", location="Stacks", call_number="PR4034")
    client.force_login(student)
    _switch_to_french(client, reverse("catalog:search"))

    r = client.get(reverse("catalog:search"), {"q": "austen"})
    _assert_french(r, french=["Rechercher dans la bibliothèque", "Trier par", "Pertinence", "1 résultat",
                              "Disponible à Library A1 (1 sur 1)", "Ajouter à Ma collection", "Livre"],
                   english=["Search the library", "Sort by", "Relevance", "Newest", "Oldest", "1 result", "Availability",
                            "Book", "Add to My collection", "Search"])

    r = client.get(reverse("catalog:record", args=[saved.record.pk]))
    _assert_french(r, french=["Exemplaires et disponibilité", "Cote", "Code-barres", "En rayon"],
                   english=["Holdings and availability", "Call number", "Barcode", "In place", "Details"])

"""Attack class: stored XSS.  Every text a person typed (or an import, an LTI claim, an SSO
assertion brought in) — a course's name, a person's name, a list's title and sections, an item's
title, authors, publisher and note, a discussion post — is shown escaped on every page that
shows it.  Autoescaping is the defence; the Content-Security-Policy (syllabus/web/csp.py) is only
the second line.  Formatted citations are HTML made by citeproc from escaped fields; where a page
falls back to the bare title (an item not formatted yet) it must escape it too."""
import pytest

pytestmark = pytest.mark.django_db

PAYLOAD = '<img src=x onerror=alert(1)>'


@pytest.fixture
def planted(instructor, student, librarian, course):
    from syllabus.discussion import services as discussion
    from syllabus.lists import services
    from syllabus.lists.models import Citation

    course.name = "History " + PAYLOAD
    course.save()
    instructor.first_name, instructor.last_name = "Ann" + PAYLOAD, "Lee" + PAYLOAD   # as an SSO assertion or LTI claim would
    instructor.save()
    lst = services.create_list(instructor, title="Readings " + PAYLOAD, courses=[course])
    section = services.add_section(instructor, lst, title="Week " + PAYLOAD)
    metadata = {"title": "Title " + PAYLOAD, "publisher": "Press " + PAYLOAD, "note": "Note " + PAYLOAD,
                "author": [{"family": "Family" + PAYLOAD, "given": "Given"}]}
    formatted = services.add_citation(instructor, lst, section, "book", metadata)
    bare = services.add_citation(instructor, lst, section, "book", {"title": "Bare " + PAYLOAD})
    Citation.objects.filter(pk=bare.pk).update(formatted="")   # not formatted yet: pages fall back to the title
    services.publish_list(instructor, lst)
    try:
        discussion.post_message(instructor, lst, "Post " + PAYLOAD)
    except Exception:   # discussion may be off for the institution; the other pages still count
        pass
    return lst, formatted, bare


def _pages(lst, formatted, bare):
    # the bare item's pages first: showing the list formats (and stores) its items
    return {"student": [f"/circulation/citations/{bare.pk}/hold/", f"/circulation/citations/{bare.pk}/accessible/",
                        "/", "/courses/", f"/lists/{lst.pk}/", f"/circulation/citations/{formatted.pk}/hold/",
                        "/notifications/"],
            "instructor": ["/", "/lists/", f"/lists/{lst.pk}/edit/", f"/discussion/lists/{lst.pk}/",
                           f"/discussion/items/{bare.pk}/", "/notifications/"],
            "librarian": [f"/lists/{lst.pk}/", f"/discussion/lists/{lst.pk}/", "/discussion/"]}


def test_planted_markup_is_shown_escaped_on_every_page(client, planted, student, instructor, librarian):
    people = {"student": student, "instructor": instructor, "librarian": librarian}
    shown = 0
    for who, paths in _pages(*planted).items():
        client.force_login(people[who])
        for path in paths:
            r = client.get(path, follow=True)
            if r.status_code != 200:
                continue
            body = r.content.decode()
            assert PAYLOAD not in body, f"{who} {path}: unescaped markup"
            shown += body.count("&lt;img src=x onerror=alert(1)&gt;")
    assert shown >= 10, "the planted texts were not shown at all: the test proves nothing"


def test_no_template_marks_a_fallback_safe():
    """The sibling guard: ``{{ x|default:y|safe }}`` marks ``y`` (a typed text) safe when ``x`` is empty."""
    import re
    from pathlib import Path

    import syllabus

    offenders = [f"{p.relative_to(Path(syllabus.__file__).parent)}: {m.group(0)}"
                 for p in Path(syllabus.__file__).parent.rglob("*.html")
                 for m in re.finditer(r"\{\{[^}]*\|default(?:_if_none)?:[^}]*\|safe[^}]*\}\}", p.read_text(encoding="utf-8"))]
    assert not offenders, offenders

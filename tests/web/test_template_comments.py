"""Django's ``{# ... #}`` comment is one line only: spread over two lines it is printed as text.
A librarian's task list opened with "{# tabs, search and Assign to me each answer with the whole
task list ... (hx-sync) #}" above the tabs, and the catalog search and the outbox carried the same."""
import re
from pathlib import Path

import syllabus

TEMPLATES = sorted(p for p in Path(syllabus.__file__).parent.rglob("templates/**/*") if p.is_file())
MULTILINE = re.compile(r"\{#(?:(?!#\}).)*?\n", re.S)


def test_no_template_has_a_comment_that_would_be_printed():
    printed = [f"{p.relative_to(Path(syllabus.__file__).parent)}:{p.read_text().count(chr(10), 0, m.start()) + 1}"
               for p in TEMPLATES for m in MULTILINE.finditer(p.read_text(errors="replace"))]
    assert printed == [], "use {% comment %} for comments over several lines"


def test_the_task_list_search_and_outbox_show_no_template_comment(client, make_user):
    from syllabus.org.roles import Role

    client.force_login(make_user("backoffice", group="staff", roles=[Role.COURSE_RESERVES_OPERATOR, Role.LETTER_ADMINISTRATOR]))
    for url in ("/lists/tasks/", "/catalog/", "/notifications/outbox/"):
        r = client.get(url)
        assert r.status_code == 200 and b"{#" not in r.content and b"#}" not in r.content, url

"""Issue 18 item 6: a redirect target taken from the request (the POST ``next`` of the catalog's
collect and add-to-list forms, of the list editor's actions, their Referer fallback) is followed
only when it stays on this site."""
import re
from pathlib import Path

import pytest

import syllabus

pytestmark = pytest.mark.django_db

OFFSITE = ["https://evil.example/phish", "//evil.example/phish", "/\\evil.example", "http:evil.example", " https://evil.example",
           "javascript:alert(1)"]


@pytest.fixture
def book(make_record, inst_a, library_a):
    return make_record(inst_a, title="Pride and prejudice", items=[(library_a, "P-1")])


@pytest.mark.parametrize("target", OFFSITE)
def test_collect_and_add_to_list_never_send_you_off_site(client, student, instructor, book, course, target):
    from syllabus.lists import services as list_services

    client.force_login(student)
    r = client.post(f"/catalog/records/{book.pk}/collect/", {"next": target})
    assert r.status_code == 302 and r.url == f"/catalog/records/{book.pk}/", r.url

    lst = list_services.create_list(instructor, title="Week 1", courses=[course])
    client.force_login(instructor)
    r = client.post(f"/catalog/records/{book.pk}/add-to-list/", {"list_id": lst.pk, "next": target})
    assert r.status_code == 302 and r.url == f"/catalog/records/{book.pk}/", r.url


def test_a_next_on_this_site_is_still_followed(client, student, book):
    client.force_login(student)
    r = client.post(f"/catalog/records/{book.pk}/collect/", {"next": "/catalog/?q=austen"})
    assert r.url == "/catalog/?q=austen"


def test_a_refused_list_action_does_not_follow_an_offsite_next_or_referer(client, instructor, course):
    from syllabus.lists.models import ResourceList

    lst = ResourceList.objects.create(institution=course.institution, title="Week 1")
    lst.owners.add(instructor)
    client.force_login(instructor)
    # an empty section title is refused (LST-1): the error page goes back to where the request came from
    r = client.post(f"/lists/{lst.pk}/edit/sections/", {"title": "", "next": "https://evil.example/"},
                    HTTP_REFERER="https://evil.example/")
    assert r.status_code == 302 and not r.url.startswith(("http", "//")), r.url
    r = client.post(f"/lists/{lst.pk}/edit/sections/", {"title": ""}, HTTP_REFERER=f"http://testserver/lists/{lst.pk}/edit/")
    assert r.url == f"http://testserver/lists/{lst.pk}/edit/"


def test_every_redirect_from_request_data_goes_through_safe_next():
    """The sibling guard: no view passes request data (POST/GET/Referer) to redirect() unchecked."""
    root = Path(syllabus.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"(redirect\(|HttpResponseRedirect\(|\[\"HX-(Redirect|Location)\"\]\s*=)", line) \
                    and re.search(r"request\.(POST|GET|META|headers)|HTTP_REFERER|\bnxt\b|\bnext_url\b", line) \
                    and "safe_next(" not in line:
                offenders.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert offenders == [], "check redirect targets with syllabus.core.redirects.safe_next:\n" + "\n".join(offenders)

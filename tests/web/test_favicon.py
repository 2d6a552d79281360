"""Every page names its icon, and /favicon.ico leads to it: a new user's browser console showed
"Failed to load resource: 404" for /favicon.ico on the first page of every visit."""
from django.contrib.staticfiles import finders


def test_pages_link_an_icon_that_exists_and_favicon_ico_leads_to_it(client, student):
    page = client.get("/login/").content.decode()
    assert '<link rel="icon" href="/static/syllabus/favicon.svg" type="image/svg+xml">' in page
    assert finders.find("syllabus/favicon.svg")
    r = client.get("/favicon.ico")
    assert r.status_code == 301 and r["Location"] == "/static/syllabus/favicon.svg"
    client.force_login(student)
    assert '<link rel="icon" href="/static/syllabus/favicon.svg"' in client.get("/").content.decode()

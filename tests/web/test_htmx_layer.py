"""One page-error and htmx layer in syllabus/web (issue 17): django-htmx gives every request
``request.htmx``; an answer that depended on it says ``Vary: HX-Request``; a refused request
becomes the one refusal page naming the rule; no view reads the htmx header by hand."""
from __future__ import annotations

import re
from pathlib import Path

from django.urls import reverse

from syllabus.web.htmx import HtmxMiddleware, is_htmx

PACKAGE = Path(__file__).resolve().parents[2] / "syllabus"


def _vary(response) -> set[str]:
    return {v.strip().lower() for v in response.get("Vary", "").split(",") if v.strip()}


def test_a_page_with_a_fragment_for_htmx_varies_by_hx_request(client, student, course):
    client.force_login(student)
    page = client.get(reverse("web:courses"), {"q": course.code})
    fragment = client.get(reverse("web:courses"), {"q": course.code}, HTTP_HX_REQUEST="true")
    assert page.status_code == fragment.status_code == 200
    assert b"<html" in page.content and b"<html" not in fragment.content
    assert "hx-request" in _vary(page) and "hx-request" in _vary(fragment)


def test_a_page_that_does_not_ask_does_not_vary(client, student):
    client.force_login(student)
    response = client.get(reverse("web:home"))
    assert response.status_code == 200 and "hx-request" not in _vary(response)


def test_is_htmx_reads_django_htmx_details(rf):
    seen = {}

    def view(request):
        seen["htmx"] = is_htmx(request)
        from django.http import HttpResponse
        return HttpResponse("ok")

    response = HtmxMiddleware(view)(rf.get("/", HTTP_HX_REQUEST="true"))
    assert seen["htmx"] is True and "hx-request" in _vary(response)
    response = HtmxMiddleware(view)(rf.get("/"))
    assert seen["htmx"] is False and "hx-request" in _vary(response)


def test_a_refusal_is_the_one_page_naming_the_rule(client, student, course):
    client.force_login(student)
    response = client.get(reverse("lists:tasks"))
    assert response.status_code == 403
    html = response.content.decode()
    assert 'data-testid="rule-error"' in html and "LST-7" in html and "<html" in html
    response = client.get(reverse("fulfillment:work"))
    assert response.status_code == 403 and 'data-testid="rule-error"' in response.content.decode()
    assert "DIG-10" in response.content.decode()


def test_no_view_reads_the_htmx_header_by_hand():
    hand = []
    for path in PACKAGE.rglob("*.py"):
        if path.name == "htmx.py" and path.parent.name == "web":
            continue
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if re.search(r"""headers\.get\(["']HX-Request|HTTP_HX_REQUEST""", line):
                hand.append(f"{path.relative_to(PACKAGE)}:{n}")
    assert not hand, "ask syllabus.web.htmx.is_htmx(request) instead: " + ", ".join(hand)


def test_one_refusal_template():
    templates = [p.relative_to(PACKAGE) for p in PACKAGE.rglob("templates/*/*.html")
                 if p.stem in {"denied", "refused", "forbidden"}]
    assert [str(p) for p in templates] == ["web/templates/web/refused.html"]

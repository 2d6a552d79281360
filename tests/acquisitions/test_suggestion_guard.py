"""Outside-in pass over session 14's surfaces (SRV-3, DSV-6; session 15): the Find it purchase
suggestion page and API, My purchase requests, the library's Acquisitions page — a person of
another institution holding every staff role there, cross-site request forgery, and the reader's
own text (title, note) shown escaped on every page that shows it."""
from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from syllabus.acquisitions.models import PurchaseRequest
from syllabus.citations import openurl
from syllabus.core.models import AuditEntry
from syllabus.notify.models import OutboxMessage
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db

PAYLOAD = '<img src=x onerror=alert(1)>'
HOSTILE = {"type": "book", "title": "Title " + PAYLOAD, "ISBN": "9780306406157"}


@pytest.fixture
def suggestion(student, api):
    r = api(student).post("/api/v1/purchase-suggestions", {"citation": HOSTILE, "note": "Note " + PAYLOAD})
    assert r.status_code == 201, r.content
    return PurchaseRequest.objects.get(pk=r.json()["id"])


@pytest.fixture
def every_role_b(make_user, inst_b):
    return make_user("every-role-b", institution=inst_b, group="staff", roles=list(Role), is_staff=True)


def _written():
    return (PurchaseRequest.objects.count(), AuditEntry.objects.count(), OutboxMessage.objects.count(),
            list(PurchaseRequest.objects.order_by("pk").values_list("status", flat=True)))


def test_another_institution_holding_every_role_finds_no_suggestion_of_ours(suggestion, every_role_b, api, client):
    b = api(every_role_b)   # (its token is audited: made before counting)
    before = _written()
    for action in ("", "/cancel", "/complete", "/decline"):
        r = (b.post if action else b.get)(f"/api/v1/purchase-requests/{suggestion.pk}{action}")
        assert r.status_code == 404 and r.json()["rule"] == "SRV-3", (action, r.status_code)
    assert b.get("/api/v1/purchase-requests").json()["items"] == []
    assert b.get("/api/v1/me/purchase-requests").json()["items"] == []
    client.force_login(every_role_b)
    for action in ("cancel", "complete", "decline"):
        assert client.post(reverse("acquisitions:purchase-action", args=[suggestion.pk, action])).status_code == 404
    for page in ("acquisitions:tasks", "acquisitions:mine"):
        r = client.get(reverse(page))
        assert r.status_code in (200, 403) and b"Title &lt;img" not in r.content and b"onerror" not in r.content
    assert _written() == before


def test_suggesting_and_withdrawing_need_the_csrf_token(student, suggestion):
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(student)
    before = _written()
    kev = openurl.from_csl({"type": "book", "title": "Forged"})
    assert strict.post(f"{reverse('acquisitions:suggest')}?{kev}", {"note": "forged"}).status_code == 403
    assert strict.post(reverse("acquisitions:purchase-action", args=[suggestion.pk, "cancel"])).status_code == 403
    assert strict.post("/api/v1/purchase-suggestions", {"citation": {"title": "Forged"}},
                       content_type="application/json").status_code == 403   # through the session cookie
    assert strict.post(f"/api/v1/purchase-requests/{suggestion.pk}/cancel").status_code == 403
    assert _written() == before


def test_the_readers_text_is_shown_escaped(suggestion, student, librarian, client):
    shown = 0
    for who, paths in ((student, [reverse("acquisitions:mine"),
                                  f"{reverse('acquisitions:suggest')}?{openurl.from_csl(HOSTILE)}"]),
                       (librarian, [reverse("acquisitions:tasks")])):
        client.force_login(who)
        for path in paths:
            r = client.get(path)
            assert r.status_code == 200, (path, r.status_code)
            body = r.content.decode()
            assert PAYLOAD not in body, f"{path}: unescaped markup"
            shown += body.count("&lt;img src=x onerror=alert(1)&gt;")
    assert shown >= 3, "the planted texts were not shown: the test proves nothing"
    # letters are plain text (notify.templating: no HTML anywhere they go)
    assert all("<html" not in body.lower() for body in OutboxMessage.objects.values_list("body", flat=True))


@pytest.mark.parametrize("field, value", [("title", "t" * 1001), ("note", "n" * 100_001)])
def test_over_long_texts_are_refused_naming_the_rule(student, api, field, value):
    citation = {"type": "book", "title": value if field == "title" else "Short"}
    body = {"citation": citation, **({"note": value} if field == "note" else {})}
    r = api(student).post("/api/v1/purchase-suggestions", body)
    assert 400 <= r.status_code < 500 and r.status_code != 404, r.status_code
    assert PurchaseRequest.objects.count() == 0

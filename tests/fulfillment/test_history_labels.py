"""ORG-6 (session 21): a digitization request's history says each step and each changed field in
the reader's language — "Retrait du rayon", "Statut : À prendre en rayon → En numérisation" (a non-breaking space before the colon) for
a French-speaking operator — not the stored codes ``pick`` and ``status: pick_from_shelf``."""
import re

import pytest
from django.urls import reverse

from syllabus.fulfillment import services

pytestmark = pytest.mark.django_db


def _history(html: str) -> list[list[str]]:
    part = html.split('id="history-h"')[1].split("</table>")[0]
    rows = re.findall(r"<tr\b[^>]*><td\b.*?</tr>", part, re.S)
    return [[re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td\b[^>]*>(.*?)</td>", row, re.S)] for row in rows]


def test_a_french_operator_reads_the_history_in_french(client, patron_request, operator):
    req = patron_request(chapters="1-2")
    services.pick(operator, req)
    client.force_login(operator)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    rows = _history(client.get(f"/services/requests/{req.pk}/").content.decode())
    whats = [r[2] for r in rows]
    assert whats[:3] == ["Retrait du rayon", "Modification", "Création"], rows
    assert "Statut\u00a0: À prendre en rayon → En numérisation" in rows[1][3], rows
    text = " ".join(" ".join(r) for r in rows)
    assert "pick_from_shelf" not in text and "in_digitization" not in text and not re.search(r"\bpick\b|\bstatus\b", text)
    # a created entry does not list every column of the new row
    assert rows[2][3] == ""


def test_an_english_operator_reads_the_same_history_in_english(client, patron_request, operator):
    req = patron_request(chapters="1-2")
    services.pick(operator, req)
    client.force_login(operator)
    rows = _history(client.get(f"/services/requests/{req.pk}/").content.decode())
    assert [r[2] for r in rows][:3] == ["Picked from the shelf", "Changed", "Created"]
    assert "Status: Pick from shelf → In digitization" in rows[1][3]


def _tab(html: str, key: str) -> str:
    link = re.search(rf'<a [^>]*data-testid="tab-{key}"[^>]*>(.*?)<span', html, re.S)
    return link.group(1).strip()


def test_the_french_work_queue_tabs_agree_with_the_requests_they_hold(client, patron_request, operator, scan):
    """DIG-10 in French: a tab names the requests it holds ("Livrées", plural), a row says one request's
    state ("Livrée"), and the approval column one task's state ("Non requise") — three agreements that one
    shared translation of "Delivered" / "Not required" could not make."""
    req = patron_request(chapters="1-2")
    services.pick(operator, req)
    req = services.deliver(operator, services.attach_file(operator, req, scan()))
    assert req.approval == "not_required"
    client.force_login(operator)
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    html = client.get("/services/work/?tab=delivered").content.decode()
    assert (_tab(html, "delivered"), _tab(html, "closed")) == ("Livrées", "Clôturées")
    assert re.search(r'data-testid="request-status">Livrée<', html)
    assert re.search(r"<td\b[^>]*>Non requise</td>", html)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    html = client.get("/services/work/?tab=delivered").content.decode()
    assert _tab(html, "delivered") == "Delivered" and re.search(r"<td\b[^>]*>Not required</td>", html)

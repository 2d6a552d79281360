"""Reading API errors in tests: RFC 9457 problem details with our ``rule`` member."""
from __future__ import annotations


def problem(response) -> dict:
    """The ``rule``/``detail``/``field`` of an error response, after checking that it is well-formed
    problem details (media type, ``type``, ``title``, ``status`` equal to the HTTP status)."""
    assert response["Content-Type"].startswith("application/problem+json"), response["Content-Type"]
    body = response.json()
    assert body["status"] == response.status_code, body
    assert body["type"] and body["title"] and isinstance(body["detail"], str), body
    return {k: body[k] for k in ("rule", "detail", "field") if k in body}

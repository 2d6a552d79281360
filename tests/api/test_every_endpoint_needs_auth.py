"""Every API operation in the OpenAPI document refuses an anonymous caller with 401 and a
{rule, detail} body — new endpoints are covered automatically.  Operations that are public
on purpose are listed in PUBLIC with the reason."""
import re

import pytest

# (method, path) → why it is public
PUBLIC: dict[tuple[str, str], str] = {
    ("get", "/api/v1/resolve"): "OpenURL link resolver: called by discovery systems without a session (DSV-6)",
    ("get", "/api/v1/problems/{rule}"): "what an error's problem type means: documentation, as the OpenAPI itself",
}


def _operations(client):
    doc = client.get("/api/v1/openapi.json").json()
    for path, item in doc["paths"].items():
        for method in item:
            if method in {"get", "post", "put", "patch", "delete"}:
                yield method, path


def test_every_operation_refuses_anonymous_callers(client, db):
    checked = 0
    for method, path in _operations(client):
        if (method, path) in PUBLIC:
            continue
        concrete = re.sub(r"\{[^}]+\}", "1", path)
        response = getattr(client, method)(concrete, content_type="application/json")
        assert response.status_code == 401, f"{method.upper()} {path} answered {response.status_code} to an anonymous caller"
        body = response.json()
        assert body["rule"] == "AUTH" and body["detail"], f"{method.upper()} {path}: {body}"
        checked += 1
    assert checked >= 8


def test_a_bad_token_is_401(client, db):
    r = client.get("/api/v1/me", HTTP_AUTHORIZATION="Bearer syl_not-a-real-token")
    assert r.status_code == 401


@pytest.mark.parametrize("path", ["/api/v1/openapi.json", "/api/v1/docs"])
def test_the_api_description_is_public(client, db, path):
    assert client.get(path).status_code == 200

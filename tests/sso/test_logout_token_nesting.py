"""Session 20 (attack class: JSON nested past the recursion limit, tests/security/test_json_nesting.py):
the back-channel logout address takes posts from anyone; a logout token whose JOSE header is
JSON nested 1,500 deep was a ``RecursionError`` — a 500 for a 10 KB post, no account needed.
It is a 400 naming LMS-3 like any unreadable token, and nobody is signed out."""
from __future__ import annotations

import base64

import pytest

from syllabus.sso.models import SignIn

from .test_oidc import _signed_in_user
from .conftest import oidc_round_trip

pytestmark = pytest.mark.django_db


def _b64(data: str) -> str:
    return base64.urlsafe_b64encode(data.encode()).rstrip(b"=").decode()


def test_lms3_a_logout_token_with_a_deeply_nested_header_is_a_400_and_signs_nobody_out(client, oidc_idp, op):
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302
    for header in ('{"a":' * 1500 + "1" + "}" * 1500, "[" * 1500 + "]" * 1500):
        token = f"{_b64(header)}.{_b64('{}')}.c2ln"
        answer = client.__class__().post("/sso/inst-a/uni/backchannel-logout/", {"logout_token": token})
        assert answer.status_code == 400, answer.status_code
        assert answer.json()["error_description"].startswith("LMS-3: the logout token could not be read")
    assert SignIn.objects.count() == 1 and _signed_in_user(client).username == "ada"

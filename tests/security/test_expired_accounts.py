"""Attack class: a lapsed account still in use (LMS-3, ORG-3; session 23 review).  "An inactive or
expired person is refused, whatever the way in": the people file's ``expiry_date`` ends password,
LMS and SSO sign-in and the person's open sessions — and, since session 23, their API bearer
tokens too (before, ``user_for_token`` checked ``is_active`` only: a student who left kept the
API through a token made while enrolled)."""
from __future__ import annotations

import datetime as dt

import pytest

pytestmark = pytest.mark.django_db


def test_an_expired_persons_bearer_token_and_session_no_longer_open_the_api(api, client, student, clock):
    today = clock.now().date()
    student.expiry_date = today
    student.save(update_fields=["expiry_date"])
    token = api(student)
    client.force_login(student)
    assert token.get("/api/v1/me").status_code == 200          # the last day of the account
    assert client.get("/api/v1/me").status_code == 200
    clock.advance(dt.timedelta(days=1))                          # the day after: lapsed
    for answer in (token.get("/api/v1/me"), client.get("/api/v1/me")):
        assert answer.status_code == 401, answer.content[:300]
        assert answer.json()["rule"] == "AUTH"
    student.expiry_date = today + dt.timedelta(days=365)         # renewed by the next people file
    student.save(update_fields=["expiry_date"])
    assert token.get("/api/v1/me").status_code == 200

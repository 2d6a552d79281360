"""Attack class: password guessing and account enumeration on the sign-in page.  Throttling and
lockout (AUTH-THROTTLE) are tests/security/test_signin_throttle.py; here, an attacker cannot tell
an existing account from a missing one — not by the message, not by the lock (it is counted by
the name typed, whether or not someone has it), not by the time the answer takes (the password
hasher runs exactly as often for a missing account, a wrong password and an account with no
usable password, such as one made by SSO or an LTI launch).  API tokens are 256-bit random
values of which only the SHA-256 is stored: guessing one is not an attack."""
import re

import pytest

from tests.security.hashers import CountingHasher

pytestmark = pytest.mark.django_db


@pytest.fixture
def counting(settings):
    settings.PASSWORD_HASHERS = ["tests.security.hashers.CountingHasher"]
    return CountingHasher


def _attempt(client, counting, username):
    before = counting.runs
    r = client.post("/login/", {"username": username, "password": "guess-1"})
    return r, counting.runs - before


def test_a_missing_account_looks_like_a_wrong_password(client, counting, make_user):
    make_user("anna", password="right-one")
    sso = make_user("sso-person")
    sso.set_unusable_password()
    sso.save()
    answers = {name: _attempt(client, counting, name) for name in ("anna", "nobody-here", "sso-person")}
    runs = {name: n for name, (_r, n) in answers.items()}
    assert len(set(runs.values())) == 1 and runs["anna"] >= 1, runs
    bodies = {name: re.sub(r'"[A-Za-z0-9_\-]{20,}"', '"TOKEN"', r.content.decode().replace(name, "NAME"))   # nonces, CSRF
              for name, (r, _n) in answers.items()}
    assert {r.status_code for r, _n in answers.values()} == {200}
    assert bodies["anna"] == bodies["nobody-here"] == bodies["sso-person"]


def test_a_missing_account_is_locked_like_an_existing_one(client, counting, make_user):
    make_user("anna", password="right-one")
    for name in ("anna", "nobody-here"):
        for _ in range(5):
            client.post("/login/", {"username": name, "password": "guess"})
    answers = [client.post("/login/", {"username": name, "password": "guess"}) for name in ("anna", "nobody-here")]
    assert [r.status_code for r in answers] == [429, 429]
    assert b"AUTH-THROTTLE" in answers[0].content and b"AUTH-THROTTLE" in answers[1].content

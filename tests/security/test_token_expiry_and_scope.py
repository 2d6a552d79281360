"""AUTH-EXPIRY and AUTH-SCOPE (session 25 review): an API bearer token lives ``API_TOKEN_DAYS`` (365) unless the
operator says otherwise (``syllabus token create USER --days N``; ``--days 0``: never expires).
Before, every token lived until revoked: one copied into a script or a portal's configuration
years ago still opened the API.  Past its expiry a token is refused — 401 problem details naming
AUTH-EXPIRY and the date, so its owner knows to ask for a new one — and counted as a bad token.
A token made ``--read-only`` opens GET and HEAD only (before, every token carried every right of
its owner: a report's token could also delete)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.core.management import CommandError, call_command

from syllabus.org.models import ApiToken

pytestmark = pytest.mark.django_db


def _create(*args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    call_command("token", "create", "student", *args, stdout=out, stderr=err)
    return out.getvalue().strip(), err.getvalue().strip()


def test_a_token_lives_api_token_days_then_is_refused_naming_the_rule(client, student, clock, settings):
    settings.API_TOKEN_DAYS = 30
    raw, said = _create()
    expires = clock.now() + dt.timedelta(days=30)
    assert said == f"expires {expires:%Y-%m-%d %H:%M} UTC"
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    clock.advance(dt.timedelta(days=30) - dt.timedelta(seconds=1))
    assert client.get("/api/v1/me", **bearer).status_code == 200        # its last second
    clock.advance(dt.timedelta(seconds=1))
    r = client.get("/api/v1/me", **bearer)
    assert r.status_code == 401 and r.json()["rule"] == "AUTH-EXPIRY", r.content
    assert f"expired on {expires:%Y-%m-%d %H:%M} UTC" in r.json()["detail"]
    assert "invalid_token" in r["WWW-Authenticate"]
    out = io.StringIO()
    call_command("token", "list", "student", stdout=out)
    assert f"expired  created {clock.now() - dt.timedelta(days=30):%Y-%m-%d}  expires {expires:%Y-%m-%d}" in out.getvalue()


def test_the_operator_chooses_the_life_or_none(client, student, clock):
    raw, said = _create("--days", "0")
    assert said == "never expires" and ApiToken.objects.get().expires_at is None
    clock.advance(dt.timedelta(days=4000))
    student.expiry_date = None                                         # an account that lasts
    student.save(update_fields=["expiry_date"])
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200
    _raw, said = _create("--days", "7")
    assert said.startswith(f"expires {clock.now() + dt.timedelta(days=7):%Y-%m-%d}")
    with pytest.raises(CommandError, match="AUTH-EXPIRY: a token lives 1 to 3,660 days"):
        _create("--days", "-1")


def test_tokens_made_before_keep_working(client, student, clock):
    """Tokens of earlier versions have no expiry (the migration adds an empty column)."""
    raw, _ = _create()
    ApiToken.objects.update(expires_at=None)
    clock.advance(dt.timedelta(days=800))
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_expired_tokens_count_as_bad_tokens(client, student, clock, settings):
    settings.RATE_LIMIT_BAD_TOKENS = "2/minute"
    raw, _ = _create("--days", "1")
    clock.advance(dt.timedelta(days=2))
    codes = [client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code for _ in range(3)]
    assert codes == [401, 401, 429], codes


def test_a_read_only_token_reads_and_changes_nothing(client, student, instructor, course):
    """AUTH-SCOPE: ``token create USER --read-only`` — for a report or a portal that only reads."""
    from syllabus.lists.models import ResourceList

    out = io.StringIO()
    call_command("token", "create", "instructor", "--read-only", stdout=out, stderr=io.StringIO())
    bearer = {"HTTP_AUTHORIZATION": f"Bearer {out.getvalue().strip()}"}
    assert client.get("/api/v1/me", **bearer).json()["username"] == "instructor"
    before = ResourceList.objects.count()
    r = client.post("/api/v1/lists", {"title": "Written with a read-only token"}, content_type="application/json", **bearer)
    assert r.status_code == 403 and r.json()["rule"] == "AUTH-SCOPE", r.content
    assert "is read-only: it opens GET and HEAD operations only" in r.json()["detail"]
    assert ResourceList.objects.count() == before
    listing = io.StringIO()
    call_command("token", "list", "instructor", stdout=listing)
    assert "read-only" in listing.getvalue()
    from syllabus.org.services import create_api_token

    _token, raw = create_api_token(instructor)                        # an ordinary token still writes
    r = client.post("/api/v1/lists", {"title": "Written"}, content_type="application/json",
                    HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert r.status_code == 201 and ResourceList.objects.count() == before + 1, r.content

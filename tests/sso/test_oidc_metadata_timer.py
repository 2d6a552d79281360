"""LMS-3: the timer reads every active OpenID provider's discovery document and key set again on
a bounded schedule (every hour; 15 minutes after a failure), as it reads SAML metadata: a key
rollover reaches Syllabus before a token signed with the new key does, a failure is recorded on the
provider (admin, ``sso list``) and sign-in goes on with the last good copy (for up to 7 days); a
discovery document that starts naming another issuer drops the copy and stops sign-in.

Against tests/sso/op_server.py (``down`` makes its discovery document and key set answer 503).
The tests move Syllabus's clock (``core.clock``) and the provider's token times with it."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from syllabus.core.tasks import run_tick
from syllabus.sso.models import IdentityProvider

from .conftest import oidc_round_trip
from .test_oidc import _page_text, _signed_in_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(clock):
    """Syllabus's clock at the real time (the provider signs tokens with it), then moved by the test."""
    clock.set_now(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))  # noqa: TID251 (the provider's clock)
    return clock


def _at(now, op, delta: dt.timedelta):
    """Move Syllabus's clock (and the provider's token times) ``delta`` from the start."""
    moved = now.now() + delta
    now.set_now(moved)
    op.control(skew=int((moved - START[0]).total_seconds()))
    return moved


START: list = []


@pytest.fixture
def provider(now, oidc_idp, op):
    START[:] = [now.now()]
    return oidc_idp


def _kids(provider) -> set[str]:
    provider.refresh_from_db()
    return {k.get("kid") for k in (provider.oidc_metadata.get("jwks") or {}).get("keys", [])}


def test_lms3_the_tick_reads_discovery_and_keys_again_every_hour_and_records_a_failure(client, provider, op, now, capsys):
    t0 = START[0]
    assert run_tick(t0)["sso-oidc-metadata"] == 1           # a new provider is read at the next tick
    provider.refresh_from_db()
    assert provider.metadata_fetched_at == t0 and provider.metadata_refresh_due == t0 + dt.timedelta(hours=1)
    first = _kids(provider)

    new_kid = op.control(rotate=True)["kid"]                 # the provider rolls its signing key over
    assert run_tick(t0 + dt.timedelta(minutes=30))["sso-oidc-metadata"] == 0   # not due yet
    assert _kids(provider) == first
    assert run_tick(t0 + dt.timedelta(hours=1, minutes=1))["sso-oidc-metadata"] == 1
    assert new_kid in _kids(provider)                        # held before any token is signed with it

    op.control(down=["discovery", "jwks"])                   # the provider cannot be read
    failed_at = t0 + dt.timedelta(hours=2, minutes=2)
    assert run_tick(failed_at)["sso-oidc-metadata"] == 0
    provider.refresh_from_db()
    assert provider.refresh_failed_at == failed_at
    assert "LMS-3: the discovery document at" in provider.refresh_error and "could not be read" in provider.refresh_error
    assert provider.metadata_refresh_due == failed_at + dt.timedelta(minutes=15)   # tried again soon
    assert new_kid in _kids(provider)                        # the last good copy is kept
    call_command("sso", "list", "--institution", "inst-a")
    assert "last read failed" in capsys.readouterr().out

    # another worker (an empty cache), the provider still down: sign-in goes on with the copy held
    _at(now, op, dt.timedelta(hours=2, minutes=5))
    cache.clear()
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 302 and _signed_in_user(client).username == "ada"

    op.control(down=[])                                      # back: the next due tick clears the failure
    assert run_tick(failed_at + dt.timedelta(minutes=15))["sso-oidc-metadata"] == 1
    provider.refresh_from_db()
    assert provider.refresh_error == "" and provider.refresh_failed_at is None


def test_lms3_the_copy_held_serves_for_seven_days_at_most(client, provider, op, now):
    run_tick(START[0])
    op.control(down=["discovery", "jwks"])
    _at(now, op, dt.timedelta(days=7, minutes=1))
    cache.clear()
    start = client.get(f"/sso/{provider.institution.code}/{provider.slug}/login/")
    assert start.status_code == 400
    assert "LMS-3: the discovery document at" in _page_text(start) and "could not be read" in _page_text(start)
    assert _signed_in_user(client) is None


def test_lms3_a_discovery_document_naming_another_issuer_drops_the_copy_and_stops_sign_in(client, provider, op, now):
    run_tick(START[0])
    op.control(discovery_issuer="https://evil.example")
    assert run_tick(START[0] + dt.timedelta(hours=1))["sso-oidc-metadata"] == 0
    provider.refresh_from_db()
    assert "names the issuer 'https://evil.example'" in provider.refresh_error and provider.oidc_metadata == {}
    cache.clear()
    start = client.get(f"/sso/{provider.institution.code}/{provider.slug}/login/")
    assert start.status_code == 400 and "names the issuer" in start.content.decode()
    with pytest.raises(CommandError, match="names the issuer 'https://evil.example'"):
        call_command("sso", "refresh", "--institution", "inst-a")

    op.control(discovery_issuer=None)
    call_command("sso", "refresh", "--institution", "inst-a")
    provider.refresh_from_db()
    assert provider.refresh_error == "" and provider.oidc_metadata["discovery"]["issuer"] == op.url


def test_lms3_a_disabled_provider_is_not_read(provider, op, now):
    IdentityProvider.objects.filter(pk=provider.pk).update(enabled=False)
    assert run_tick(START[0])["sso-oidc-metadata"] == 0

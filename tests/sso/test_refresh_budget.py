"""LMS-3 (session 22): the single sign-on sweeps have a per-tick budget.  A tick reads at most
``SSO_REFRESH_PER_TICK`` OpenID providers (discovery document and key set) and as many SAML ones
(metadata), the longest overdue first; the others are read at the next ticks — so an institution
that registers hundreds of providers at a slow server holds the timer for a bounded time, and none
waits for ever.  The forgetting of used assertions and old sign-ins is bounded per tick too.

Against the local OpenID provider (tests/sso/op_server.py) and the pysaml2 IdP; the clock is moved."""
from __future__ import annotations

import datetime as dt

import pytest
import requests

from syllabus.core.tasks import run_tick, tick
from syllabus.sso import services
from syllabus.sso.models import IdentityProvider, Kind, SignIn, UsedAssertion

pytestmark = pytest.mark.django_db


def _read_at(kind: str) -> dict[str, dt.datetime | None]:
    return dict(IdentityProvider.objects.filter(kind=kind).values_list("slug", "metadata_fetched_at"))


def test_lms3_a_tick_reads_at_most_sso_refresh_per_tick_openid_providers_longest_overdue_first(
        op, inst_a, groups, clock, settings):
    settings.SSO_REFRESH_PER_TICK = 2
    for n in range(5):
        services.add_oidc_provider(inst_a, name=f"Account {n}", slug=f"p{n}", issuer=op.url, client_id="syllabus",
                                   client_secret="s3cret")
    t0 = clock.now()
    assert run_tick(t0)["sso-oidc-metadata"] == 2
    first = {slug for slug, at in _read_at(Kind.OIDC).items() if at == t0}
    assert len(first) == 2
    assert run_tick(t0 + dt.timedelta(minutes=1))["sso-oidc-metadata"] == 2
    assert tick.apply().get()["sso-oidc-metadata"] == 1          # Celery beat's task: the last one (clock at t0)
    assert None not in _read_at(Kind.OIDC).values()              # every provider read within three ticks
    assert run_tick(t0 + dt.timedelta(minutes=3))["sso-oidc-metadata"] == 0   # nobody due until an hour has passed

    # an hour on, the two read first are the longest overdue: they come first again
    assert run_tick(t0 + dt.timedelta(hours=1, minutes=1))["sso-oidc-metadata"] == 2
    again = {slug for slug, at in _read_at(Kind.OIDC).items() if at == t0 + dt.timedelta(hours=1, minutes=1)}
    assert again == first


def test_lms3_the_saml_sweep_has_the_same_budget(idp, inst_a, groups, clock, settings):
    settings.SSO_REFRESH_PER_TICK = 1
    url = f"{idp.url}/idp/metadata"
    for n in range(3):
        services.add_saml_provider(inst_a, name=f"Campus {n}", slug=f"s{n}", metadata_xml=requests.get(url, timeout=10).text,
                                   metadata_url=url)
    t0 = clock.now()
    due = t0 + dt.timedelta(hours=4, minutes=1)                  # every provider due (no cacheDuration: four hours)
    assert [run_tick(due + dt.timedelta(minutes=m))["sso-metadata"] for m in range(4)] == [1, 1, 1, 0]
    assert all(at > t0 for at in _read_at(Kind.SAML).values())


def test_lms3_the_setting_is_bounded(monkeypatch):
    import importlib

    import syllabus.settings as project_settings

    for given, kept in (("0", 1), ("100000", 1000), ("50", 50)):
        monkeypatch.setenv("SSO_REFRESH_PER_TICK", given)
        assert importlib.reload(project_settings).SSO_REFRESH_PER_TICK == kept
    monkeypatch.delenv("SSO_REFRESH_PER_TICK")
    importlib.reload(project_settings)


def test_lms3_forgetting_used_assertions_and_old_sign_ins_is_bounded_per_tick(inst_a, make_user, clock, monkeypatch):
    monkeypatch.setattr(services, "FORGET_PER_TICK", 3)
    provider = IdentityProvider.objects.create(institution=inst_a, slug="x", name="X", kind=Kind.SAML, entity_id="https://x")
    user = make_user("ada")
    t0 = clock.now()
    for n in range(5):
        UsedAssertion.objects.create(provider=provider, assertion_id=f"a{n}", keep_until=t0 - dt.timedelta(minutes=n))
        SignIn.objects.create(provider=provider, user=user, session_key=f"k{n}", subject="ada",
                              created_at=t0 - dt.timedelta(days=31 + n))
    SignIn.objects.create(provider=provider, user=user, session_key="recent", subject="ada", created_at=t0)
    assert run_tick(t0)["sso"] == 6                              # three of each, the oldest first
    assert set(UsedAssertion.objects.values_list("assertion_id", flat=True)) == {"a0", "a1"}
    assert set(SignIn.objects.values_list("session_key", flat=True)) == {"k0", "k1", "recent"}
    assert run_tick(t0 + dt.timedelta(minutes=1))["sso"] == 4
    assert run_tick(t0 + dt.timedelta(minutes=2))["sso"] == 0
    assert list(SignIn.objects.values_list("session_key", flat=True)) == ["recent"]

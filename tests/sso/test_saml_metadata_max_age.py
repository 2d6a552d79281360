"""LMS-3 (session 22): a SAML identity provider's maximum metadata age.  Metadata read from a URL is
trusted for at most that many days after its last good read (7 for a new provider; earlier when its
validUntil says so); the timer reads it again long before, and when it cannot, sign-in through the
provider is refused past the age with a message naming the rule — on the sign-in button and at the
assertion consumer — and the provider's admin page and ``sso list`` say so.  With a metadata signing
certificate the document must carry a validUntil (at most 28 days ahead): a signed copy without one
could be replayed at every refresh and never grow old.

Against the pysaml2 IdP of tests/sso/idp_server.py, whose metadata is published by a local web
server (``metadata_site``: deleting the file is an IdP whose metadata cannot be read).  Every timer
rule is tested by moving Syllabus's clock, through the embedded runner's ``run_tick`` and through the
Celery beat task (``syllabus.core.tasks.tick``)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
import requests
from django.core.management import CommandError, call_command

from syllabus.core.errors import RuleViolation
from syllabus.core.tasks import run_tick, tick
from syllabus.sso import services
from syllabus.sso.models import IdentityProvider

from .conftest import post_answer, saml_answer
from .test_oidc import _page_text, _signed_in_user
from .test_saml_aggregate import in_days
from .test_saml_metadata_signature import _sign_entity

pytestmark = pytest.mark.django_db


@pytest.fixture
def now(clock):
    """Syllabus's clock at the real time (the IdP dates its assertions by it), then moved by the test."""
    clock.set_now(dt.datetime.now(dt.timezone.utc).replace(microsecond=0))  # noqa: TID251 (the IdP's clock)
    return clock


@pytest.fixture
def published(idp, tmp_path):
    """The IdP's metadata, as its web server publishes it (a file of ``metadata_site``)."""
    path = tmp_path / "idp.xml"
    path.write_text(requests.get(f"{idp.url}/idp/metadata", timeout=10).text)
    return path


@pytest.fixture
def campus(client, idp, inst_a, groups, published, metadata_site, now):
    provider = services.add_saml_provider(inst_a, name="Campus login", slug="campus",
                                          metadata_xml=published.read_text(), metadata_url=f"{metadata_site}/idp.xml")
    idp.control(sp_metadata=client.get("/sso/inst-a/saml/metadata/").content.decode())
    return provider


def _start(client):
    return client.get("/sso/inst-a/campus/login/")


STALE = "Campus login's SAML metadata was last read from"


@pytest.mark.parametrize("timer", ["embedded", "celery"])
def test_lms3_metadata_older_than_its_maximum_age_refuses_sign_in_until_the_timer_reads_it(
        client, admin_user, campus, published, now, timer, capsys):
    def run(at):
        now.set_now(at)
        return run_tick(at) if timer == "embedded" else tick.apply().get()   # Celery beat's task, run here

    t0 = now.now()
    assert campus.metadata_max_age == 7 and campus.metadata_fetched_at == t0   # a new provider: 7 days
    published.unlink()                                           # the IdP's metadata cannot be read any more
    run(t0 + dt.timedelta(hours=4, minutes=1))                   # due (no cacheDuration: every four hours)
    campus.refresh_from_db()
    assert "could not be read" in campus.refresh_error and campus.metadata_fetched_at == t0
    run(t0 + dt.timedelta(days=6, hours=23))
    assert _start(client).status_code == 302                     # within the age: the copy held still serves

    stale_at = t0 + dt.timedelta(days=7, minutes=1)
    run(stale_at)
    refused = _start(client)
    assert refused.status_code == 400
    body = _page_text(refused)
    assert f"LMS-3: {STALE}" in body and "more than its maximum metadata age of 7 days ago" in body, body[:2000]
    assert "could not be read" in body                           # the last failure, said
    assert _signed_in_user(client) is None

    client.force_login(admin_user)                               # the provider page says it too
    page = _page_text(client.get(f"/admin/sso/identityprovider/{campus.pk}/change/"))
    assert "SAML metadata held" in page and STALE in page
    call_command("sso", "list", "--institution", "inst-a")
    assert STALE in capsys.readouterr().out
    client.logout()

    published.write_text(requests.get(f"{campus.entity_id}", timeout=10).text)   # the IdP answers again
    run(stale_at + dt.timedelta(minutes=16))                     # the failed read is tried again after 15 minutes
    campus.refresh_from_db()
    assert campus.refresh_error == "" and campus.metadata_fetched_at == stale_at + dt.timedelta(minutes=16)
    assert _start(client).status_code == 302
    client.force_login(admin_user)
    page = _page_text(client.get(f"/admin/sso/identityprovider/{campus.pk}/change/"))
    assert "current until" in page and "maximum metadata age, 7 days" in page


def test_lms3_a_sign_in_under_way_when_the_metadata_grows_too_old_is_refused_at_the_assertion_consumer(
        client, campus, published, now):
    t0 = now.now()
    published.unlink()
    now.set_now(t0 + dt.timedelta(days=7) - dt.timedelta(minutes=1))
    answer = saml_answer(client, campus)                         # started a minute before the age is reached
    now.set_now(t0 + dt.timedelta(days=7, minutes=1))            # the answer arrives just past it (nothing read since)
    response = post_answer(client, campus, answer)
    assert response.status_code in (400, 403)
    assert f"LMS-3: {STALE}" in _page_text(response)
    assert _signed_in_user(client) is None


def test_lms3_an_earlier_valid_until_wins_over_the_maximum_age(client, idp, inst_a, groups, published, metadata_site, now):
    published.write_text(published.read_text().replace("EntityDescriptor ", f'EntityDescriptor validUntil="{in_days(2)}" ', 1))
    provider = services.add_saml_provider(inst_a, name="Campus login", slug="campus",
                                          metadata_xml=published.read_text(), metadata_url=f"{metadata_site}/idp.xml")
    published.unlink()
    now.set_now(now.now() + dt.timedelta(days=2, minutes=1))
    body = _page_text(_start(client))
    assert "Campus login's SAML metadata expired on" in body and "(validUntil)" in body
    provider.refresh_from_db()
    assert provider.metadata_refresh_due <= provider.metadata_fetched_at + dt.timedelta(days=1)   # read again in time


def test_lms3_existing_providers_are_left_off_and_keep_working(client, idp, inst_a, groups, published, metadata_site, now):
    """Providers added before session 22 have no maximum age (the migration leaves it empty): past a
    week without a good read they still sign in, as before (validUntil alone ends their copy)."""
    provider = services.add_saml_provider(inst_a, name="Campus login", slug="campus", metadata_xml=published.read_text(),
                                          metadata_url=f"{metadata_site}/idp.xml", metadata_max_age=None)
    published.unlink()
    now.set_now(now.now() + dt.timedelta(days=30))
    run_tick(now.now())
    assert _start(client).status_code == 302
    provider.refresh_from_db()
    assert provider.metadata_max_age is None and "could not be read" in provider.refresh_error


def test_lms3_signed_metadata_must_say_until_when_it_is_valid(inst_a, idp, groups, keys, tmp_path, metadata_site, now):
    real = requests.get(f"{idp.url}/idp/metadata", timeout=10).text
    path = tmp_path / "idp.xml"
    _sign_entity(path, real, keys["federation"], valid_until=None)

    def add(*extra):
        out = io.StringIO()
        call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login", "--slug", "campus",
                     "--metadata", f"{metadata_site}/idp.xml", "--metadata-signing-cert", keys["federation"][1], *extra,
                     stdout=out)
        return out.getvalue()

    with pytest.raises(CommandError, match="LMS-3: the metadata of .* is signed but says no validUntil: a copy signed "
                                           "long ago could be replayed"):
        add()
    _sign_entity(path, real, keys["federation"], valid_until=in_days(60))
    with pytest.raises(CommandError, match=r"LMS-3: .* is signed with a validUntil .*, more than 28 days ahead"):
        add()
    assert not IdentityProvider.objects.exists()

    _sign_entity(path, real, keys["federation"], valid_until=in_days(14))   # as InCommon signs (14 days)
    assert "IdP entity ID" in add()
    provider = IdentityProvider.objects.get()
    held = provider.metadata_xml

    # someone on the way answers the refresh with an older signed copy that carries no validUntil
    _sign_entity(path, real, keys["federation"], valid_until=None)
    with pytest.raises(CommandError, match="signed but says no validUntil"):
        call_command("sso", "refresh")
    provider.refresh_from_db()
    assert provider.metadata_xml == held and "signed but says no validUntil" in provider.refresh_error

    # with the age off (a campus that chose so), such a document is taken as before
    IdentityProvider.objects.all().delete()
    assert "IdP entity ID" in add("--max-age", "off")
    assert IdentityProvider.objects.get().metadata_max_age is None


@pytest.mark.parametrize("bad", ["0", "366", "a week"])
def test_lms3_the_maximum_age_is_bounded(inst_a, published, metadata_site, bad, now):
    with pytest.raises(CommandError, match=r"LMS-3: the maximum metadata age is (between 1 and 365 days|a number of days)"):
        call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login",
                     "--metadata", f"{metadata_site}/idp.xml", "--max-age", bad)
    with pytest.raises(RuleViolation, match="LMS-3: the maximum metadata age"):
        services.add_saml_provider(inst_a, name="Campus login", metadata_xml=published.read_text(), metadata_max_age=bad)
    assert not IdentityProvider.objects.exists()


def test_lms3_the_admin_bounds_and_keeps_the_maximum_age(client, admin_user, inst_a, groups, published, metadata_site, now):
    client.force_login(admin_user)
    form = {"institution": inst_a.pk, "name": "Campus login", "slug": "campus", "kind": "saml", "enabled": "on", "order": 1,
            "metadata_url": f"{metadata_site}/idp.xml", "check_scopes": "on", "group_map": "{}", "role_map": "{}",
            "scopes": "openid", "metadata_max_age": "400"}
    response = client.post("/admin/sso/identityprovider/add/", form)
    assert response.status_code == 200 and "less than or equal to 365" in _page_text(response)
    assert client.post("/admin/sso/identityprovider/add/", form | {"metadata_max_age": "3"}).status_code == 302
    assert IdentityProvider.objects.get().metadata_max_age == 3


def test_lms3_a_provider_left_off_by_the_upgrade_takes_the_default_at_its_next_good_read(
        client, idp, inst_a, groups, published, metadata_site, now, capsys):
    """A provider added before session 22 (its age left off by the upgrade, never chosen since) is told
    on its page and in ``sso list`` what will happen, then takes 7 days at the timer's next good read —
    counted from that read, so nobody is locked out — audited."""
    provider = services.add_saml_provider(inst_a, name="Campus login", slug="campus", metadata_xml=published.read_text(),
                                          metadata_url=f"{metadata_site}/idp.xml", metadata_max_age=None)
    IdentityProvider.objects.filter(pk=provider.pk).update(metadata_max_age_chosen=False)   # as migration 0012 marks it
    call_command("sso", "list")
    assert "the default 7 days is taken at the next good read" in capsys.readouterr().out
    read_at = now.now() + dt.timedelta(hours=4, minutes=1)
    now.set_now(read_at)
    run_tick(read_at)
    provider.refresh_from_db()
    assert (provider.metadata_max_age, provider.metadata_max_age_chosen) == (7, True)
    assert provider.metadata_fetched_at == read_at
    from syllabus.core import audit
    assert "taken at a good read" in audit.trail(provider).get(action="updated").note
    assert _start(client).status_code == 302                     # signs in as before
    published.unlink()
    now.set_now(read_at + dt.timedelta(days=7, minutes=1))       # now the age protects it like a new provider
    assert STALE in _page_text(_start(client))


def test_lms3_a_provider_left_off_whose_signed_metadata_has_no_valid_until_stays_off_and_says_why(
        inst_a, idp, groups, keys, tmp_path, metadata_site, now):
    real = requests.get(f"{idp.url}/idp/metadata", timeout=10).text
    path = tmp_path / "idp.xml"
    _sign_entity(path, real, keys["federation"], valid_until=None)
    call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login", "--slug", "campus",
                 "--metadata", f"{metadata_site}/idp.xml", "--metadata-signing-cert", keys["federation"][1],
                 "--max-age", "off", stdout=io.StringIO())
    provider = IdentityProvider.objects.get()
    assert provider.metadata_max_age_chosen                      # chosen off here: no note, nothing taken
    from syllabus.sso import saml
    assert "since the upgrade" not in saml.metadata_state(provider)
    IdentityProvider.objects.filter(pk=provider.pk).update(metadata_max_age_chosen=False)   # as if added before session 22
    services.refresh_saml_metadata(IdentityProvider.objects.get())
    provider.refresh_from_db()
    assert provider.metadata_max_age is None and not provider.metadata_max_age_chosen   # a signed copy without validUntil
    state = saml.metadata_state(provider)
    assert "the default 7 days cannot be taken: its metadata is signed but says no validUntil" in state

"""LMS-3: what an OpenID provider's keys and algorithms may and may not do (OIDC Core 3.1.3.7 and
10.1, RFC 8725 §3.1), each against tests/sso/op_server.py signing the way the test says:

- a rotated key (unknown ``kid``, or no ``kid`` and a signature the held keys do not verify) reads
  the key set again — once per 30 seconds at most, whatever the tokens say;
- an algorithm the discovery document does not list, ``alg: none``, and HS256 with the client
  secret are refused — HS256 only when the provider is set to it, and then nothing else;
- a discovery document naming another issuer is refused when the provider is added, and when it
  is read again (cache expiry, ``syllabus sso refresh``)."""
from __future__ import annotations

import datetime as dt

import pytest
from django.core.cache import cache
from django.core.management import CommandError, call_command

from syllabus.core import clock
from syllabus.core.errors import RuleViolation
from syllabus.sso.models import IdentityProvider

from .conftest import oidc_round_trip
from .test_oidc import _page_text, _signed_in_user

pytestmark = pytest.mark.django_db

LONG_SECRET = "a-client-secret-long-enough-for-hs256-0123456789"


@pytest.fixture
def real_time():
    """The injectable clock at the real time (the provider signs with it), moved by the test."""
    clock.set_now(clock.now())   # frozen at the real time of now
    yield clock
    clock.set_now(None)


def _assert_refused(response, client, text: str) -> None:
    assert response.status_code in (400, 403), response.status_code
    body = _page_text(response)
    assert "LMS-3:" in body and text in body, body[-1500:]
    assert _signed_in_user(client) is None


def _signs_in(client, provider) -> None:
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 302 and response["Location"] == "/", _page_text(response)[-600:]
    assert _signed_in_user(client).username == "ada"
    client.logout()


def test_lms3_key_rotation_reads_the_key_set_again_at_most_once_per_30_seconds(client, oidc_idp, op, real_time):
    _signs_in(client, oidc_idp)                       # the key set is cached
    op.control(rotate=True)
    _signs_in(client, oidc_idp)                       # unknown kid: read again, signed in
    op.control(rotate=True)                           # again at once: a flood of unknown kids reads nothing more
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "signed with a key the provider does not publish (its key set was read again less "
                                      "than 30 seconds ago)")
    jwks_reads = cache.get(f"sso:oidc:jwks:{op.url}/jwks")
    assert op.control()["kid"] not in [k["kid"] for k in jwks_reads["keys"]]
    real_time.advance(dt.timedelta(seconds=31))
    _signs_in(client, oidc_idp)


def test_lms3_a_rotated_key_without_kid_is_picked_up_and_a_forgery_is_not(client, oidc_idp, op, real_time):
    """A provider with one key may leave ``kid`` out (OIDC Core 10.1): after it rotates, the held
    key does not verify and the key set is read again; a token with a kid we hold whose signature
    fails is a forgery and reads nothing (test_oidc's tampered token)."""
    op.control(mode="nokid")
    _signs_in(client, oidc_idp)
    op.control(rotate=True)
    _signs_in(client, oidc_idp)


def test_lms3_an_algorithm_the_discovery_document_does_not_list_is_refused(client, oidc_idp, op):
    op.control(mode="es256")   # its EC key is published; discovery lists RS256 only
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "the ID token is signed with ES256, which University account's discovery document "
                                      "does not list (id_token_signing_alg_values_supported: RS256)")


def test_lms3_a_listed_asymmetric_algorithm_with_a_published_key_is_accepted(client, oidc_idp, op):
    op.control(mode="es256", algs=["RS256", "ES256"])
    cache.clear()   # the discovery document read when the provider was added (an hour) lists RS256 only
    _signs_in(client, oidc_idp)


def test_lms3_an_unsigned_id_token_is_refused(client, oidc_idp, op):
    op.control(mode="none", algs=["RS256", "none"])   # even a provider that says it may
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "the ID token is not signed (alg: none): refused")


def test_lms3_hs256_with_the_client_secret_is_refused_unless_the_provider_is_set_to_it(client, oidc_idp, op):
    op.control(mode="hs256", algs=["RS256", "HS256"])
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "the ID token is signed with HS256, a shared-secret algorithm (the client secret as "
                                      "key), and University account is not set to it")


@pytest.fixture
def hs256_idp(op, inst_a, groups):
    from syllabus.sso import services

    op.control(client={"client_secret": LONG_SECRET, "redirect_uris": ["http://testserver/sso/inst-a/hs/callback/"]},
               algs=["RS256", "HS256"])
    return services.add_oidc_provider(inst_a, name="Shared secret", slug="hs", issuer=op.url, client_id="syllabus",
                                      client_secret=LONG_SECRET, username_claim="preferred_username", signing_alg="HS256")


def test_lms3_a_provider_set_to_hs256_accepts_it_and_nothing_else(client, hs256_idp, op):
    op.control(mode="hs256")
    _signs_in(client, hs256_idp)
    op.control(mode="")   # RS256 now: refused, the provider is set to HS256 only
    response, _ = oidc_round_trip(client, hs256_idp)
    _assert_refused(response, client, "the ID token is signed with RS256, and Shared secret is set to accept HS256 only")


def test_lms3_hs256_with_another_secret_is_refused(client, hs256_idp, op):
    op.control(mode="hs256", hmac_secret=LONG_SECRET + "-forged")
    response, _ = oidc_round_trip(client, hs256_idp)
    _assert_refused(response, client, "the ID token's signature does not verify (it was altered or forged)")


def test_lms3_hs256_needs_a_long_secret_and_a_provider_that_lists_it(op, inst_a, groups):
    from syllabus.sso import services

    with pytest.raises(RuleViolation, match="HS256 uses the client secret as its key: it needs a client secret of at least 32"):
        services.add_oidc_provider(inst_a, name="Short", issuer=op.url, client_id="syllabus", client_secret="s3cret",
                                   signing_alg="HS256")
    with pytest.raises(RuleViolation, match="does not list HS256 among its ID token signing algorithms"):
        services.add_oidc_provider(inst_a, name="Unlisted", issuer=op.url, client_id="syllabus",
                                   client_secret=LONG_SECRET, signing_alg="HS256")
    with pytest.raises(CommandError, match="unknown ID token signing algorithm 'none'"):
        call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "None", "--issuer", op.url,
                     "--client-id", "syllabus", "--signing-alg", "none")
    assert not IdentityProvider.objects.exists()


def test_lms3_a_discovery_document_naming_another_issuer_is_refused_when_added(op, inst_a, groups):
    from syllabus.sso import services

    op.control(discovery_issuer="https://idp.elsewhere.example")
    with pytest.raises(RuleViolation, match="the discovery document names the issuer 'https://idp.elsewhere.example', not "
                                            "the configured"):
        services.add_oidc_provider(inst_a, name="Campus", issuer=op.url, client_id="syllabus")
    assert not IdentityProvider.objects.exists()


def test_lms3_a_discovery_document_that_starts_naming_another_issuer_stops_sign_in(client, oidc_idp, op, capsys):
    _signs_in(client, oidc_idp)   # discovery cached
    op.control(discovery_issuer="https://idp.elsewhere.example")
    with pytest.raises(CommandError, match="inst-a/uni: LMS-3: the discovery document names the issuer "
                                           "'https://idp.elsewhere.example'"):
        call_command("sso", "refresh", "--institution", "inst-a")
    # the copy read before is not trusted any longer: the next sign-in reads it again and is refused
    response = client.get("/sso/inst-a/uni/login/")
    assert response.status_code == 400
    assert "the discovery document names the issuer" in response.content.decode() and _signed_in_user(client) is None
    op.control(discovery_issuer=None)
    call_command("sso", "refresh", "--institution", "inst-a")
    assert "inst-a/uni: discovery document and key set read again" in capsys.readouterr().out
    _signs_in(client, oidc_idp)

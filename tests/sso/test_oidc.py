"""LMS-3, acceptance 1 of issue 11: OpenID Connect sign-in against a real OpenID provider process
(tests/sso/op_server.py).  Every refusal is its own test: a clear page naming LMS-3, never a
500, nobody signed in, nobody created."""
from __future__ import annotations

import re

import html

import requests

import pytest

from syllabus.core.models import AuditEntry
from syllabus.org.models import User
from syllabus.sso.models import IdentityProvider, SignIn

from .conftest import local, oidc_round_trip, signed_out_onward



def _page_text(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))

def _signed_in_user(client):
    from django.contrib.auth import get_user

    user = get_user(client)
    return user if user.is_authenticated else None


def _assert_refused(response, client, text: str):
    assert response.status_code in (400, 403), response.status_code
    body = _page_text(response)
    assert "LMS-3:" in body and text in body, body[:2000]
    assert _signed_in_user(client) is None
    assert not User.objects.filter(username="ada").exists()
    assert not SignIn.objects.exists()


def test_first_sign_in_creates_the_person_with_the_mapped_group(client, oidc_idp, op):
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302 and response["Location"] == "/"
    ada = User.objects.get(username="ada")
    assert (ada.first_name, ada.last_name, ada.email) == ("Ada", "Lovelace", "ada@uni.example")
    assert ada.institution == oidc_idp.institution and ada.user_group.code == "faculty"
    assert not ada.has_usable_password()
    assert _signed_in_user(client) == ada
    assert client.get("/").status_code == 200
    # the provider saw PKCE (S256) and a nonce
    authorize = next(e for e in op.log() if e["event"] == "authorize")["args"]
    assert authorize["code_challenge_method"] == "S256" and authorize["code_challenge"] and authorize["nonce"]


def test_a_second_sign_in_updates_the_name_and_group(client, oidc_idp, op):
    oidc_round_trip(client, oidc_idp)
    client.logout()
    op.control(user={"sub": "u-1001", "preferred_username": "ada", "given_name": "Ada", "family_name": "King",
                     "email": "ada@uni.example", "groups": ["staff"]})
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302
    ada = User.objects.get(username="ada")
    assert ada.last_name == "King" and ada.user_group.code == "staff"
    assert User.objects.filter(username="ada").count() == 1


def test_the_next_page_is_kept_and_an_outside_one_is_not(client, oidc_idp):
    response, _ = oidc_round_trip(client, oidc_idp, next_url="/courses/")
    assert response["Location"] == "/courses/"
    client.logout()
    response, _ = oidc_round_trip(client, oidc_idp, next_url="https://evil.example/")
    assert response["Location"] == "/"


def test_a_tampered_id_token_is_refused(client, oidc_idp, op):
    op.control(mode="tamper")
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "signature does not verify")


def test_a_wrong_nonce_is_refused(client, oidc_idp, op):
    op.control(mode="nonce")
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "nonce differs")


def test_a_wrong_audience_is_refused(client, oidc_idp, op):
    op.control(mode="aud")
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "not for this client")


def test_a_wrong_issuer_is_refused(client, oidc_idp, op):
    op.control(mode="iss")
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "not by the configured issuer")


def test_an_expired_id_token_is_refused(client, oidc_idp, op):
    op.control(mode="expired")
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "has expired")


def test_an_id_token_issued_in_the_future_is_refused(client, oidc_idp, op):
    op.control(mode="future")
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "ID token")


def test_a_replayed_code_is_refused_by_the_provider_and_shown_clearly(client, oidc_idp, op):
    # a sign-in is started, and the code of an earlier (intercepted) answer is sent with the new state
    first = client.get("/sso/inst-a/uni/login/")
    answer = requests.get(first["Location"], allow_redirects=False, timeout=10).headers["Location"]
    code = dict(p.split("=", 1) for p in answer.split("?", 1)[1].split("&"))["code"]
    assert client.get(local(answer)).status_code == 302  # the genuine use signs in
    client.logout()
    User.objects.filter(username="ada").delete()
    SignIn.objects.all().delete()
    second = client.get("/sso/inst-a/uni/login/")
    state = dict(p.split("=", 1) for p in second["Location"].split("?", 1)[1].split("&"))["state"]
    response = client.get(f"/sso/inst-a/uni/callback/?code={code}&state={state}")
    _assert_refused(response, client, "refused the authorization code (invalid_grant")


def test_a_replayed_callback_is_refused(client, oidc_idp):
    response, callback = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302
    client.logout()
    User.objects.filter(username="ada").delete()
    SignIn.objects.all().delete()
    _assert_refused(client.get(callback), client, "sign-in state does not match")


def test_a_state_mismatch_is_refused(client, oidc_idp):
    r = client.get("/sso/inst-a/uni/login/")
    answer = requests.get(r["Location"], allow_redirects=False, timeout=10).headers["Location"]
    forged = local(answer).replace("state=", "state=x")
    _assert_refused(client.get(forged), client, "sign-in state does not match")


def test_a_callback_from_another_browser_is_refused(client, oidc_idp, django_user_model):
    from django.test import Client

    r = client.get("/sso/inst-a/uni/login/")
    answer = requests.get(r["Location"], allow_redirects=False, timeout=10).headers["Location"]
    other = Client()
    response = other.get(local(answer))
    _assert_refused(response, other, "sign-in state does not match")


def test_an_error_answer_from_the_provider_is_shown(client, oidc_idp):
    client.get("/sso/inst-a/uni/login/")
    state = list(client.session["sso_oidc_flows"])[0]
    response = client.get(f"/sso/inst-a/uni/callback/?error=access_denied&error_description=User+cancelled&state={state}")
    _assert_refused(response, client, "User cancelled")


def test_a_rotated_provider_key_is_picked_up(client, oidc_idp, op):
    oidc_round_trip(client, oidc_idp)  # the key set is now cached
    client.logout()
    new_kid = op.control(rotate=True)["kid"]
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in_user(client).username == "ada"
    from django.core.cache import cache

    cached = cache.get(f"sso:oidc:jwks:{op.url}/jwks")
    assert [k["kid"] for k in cached["keys"] if k["kty"] == "RSA"] == [new_kid]


def test_a_full_width_username_from_the_provider_is_the_same_person(client, oidc_idp, op, make_user):
    """The provider sends "ａｄａ" (full-width): read in NFKC like the sign-in form and the people
    file, it signs in the person "ada" — no look-alike second account."""
    ada = make_user("ada", group="staff")
    op.control(user={"sub": "u-1001", "preferred_username": "ａｄａ", "given_name": "Ada", "family_name": "Lovelace",
                     "email": "ada@uni.example", "groups": ["faculty"]})
    people = User.objects.count()
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302, response.content[:500]
    assert _signed_in_user(client) == ada
    assert User.objects.count() == people


def test_existing_people_only_refuses_an_unknown_person(client, oidc_idp):
    oidc_idp.existing_only = True
    oidc_idp.save()
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "signs in existing people only")


def test_existing_people_only_signs_in_a_known_person(client, oidc_idp, make_user):
    oidc_idp.existing_only = True
    oidc_idp.save()
    make_user("ada", group="staff")
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302 and _signed_in_user(client).username == "ada"


def test_an_inactive_person_is_refused(client, oidc_idp, make_user):
    make_user("ada", is_active=False, first_name="Old")
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 403 and "LMS-3: the account 'ada' is inactive" in _page_text(response)
    assert _signed_in_user(client) is None
    assert User.objects.get(username="ada").first_name == "Old"


def test_a_platform_superuser_is_not_signed_in_by_an_institutions_provider(client, oidc_idp, make_user):
    """The institution's administrator configures its providers but cannot touch a superuser's
    account: a provider they control naming one must not sign them in as it."""
    make_user("ada", is_superuser=True, is_staff=True)
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 403
    assert "LMS-3: the account 'ada' is a platform superuser" in _page_text(response)
    assert _signed_in_user(client) is None and not SignIn.objects.exists()


def test_an_expired_person_is_refused(client, oidc_idp, make_user):
    import datetime as dt

    make_user("ada", expiry_date=dt.date(2020, 1, 1))
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 403 and "expired on 2020-01-01" in response.content.decode()
    assert _signed_in_user(client) is None


def test_a_person_signed_in_by_sso_can_still_create_an_api_token(client, oidc_idp, api):
    oidc_round_trip(client, oidc_idp)
    from syllabus.org.services import create_api_token

    _, raw = create_api_token(User.objects.get(username="ada"))
    assert client.get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {raw}").status_code == 200


def test_sign_out_ends_the_provider_session_too(client, oidc_idp, op):
    oidc_round_trip(client, oidc_idp)
    onward = signed_out_onward(client.post("/logout/"))
    assert onward.startswith(f"{op.url}/logout?id_token_hint=")
    assert "post_logout_redirect_uri=http%3A%2F%2Ftestserver%2Flogin%2F" in onward
    assert _signed_in_user(client) is None
    assert not SignIn.objects.exists()


def test_local_sign_in_and_out_are_unchanged(client, oidc_idp, make_user):
    make_user("local")
    assert client.post("/login/", {"username": "local", "password": "pw"}).status_code == 302
    response = client.post("/logout/")
    assert response.status_code == 302 and response["Location"] == "/login/"


def test_an_unknown_or_disabled_provider_is_404(client, oidc_idp):
    assert client.get("/sso/inst-a/nope/login/").status_code == 404
    assert client.get("/sso/inst-b/uni/login/").status_code == 404
    oidc_idp.enabled = False
    oidc_idp.save()
    assert client.get("/sso/inst-a/uni/login/").status_code == 404


def test_lms3_rfc9207_an_answer_naming_another_issuer_is_refused(client, oidc_idp, op):
    """LMS-3 (RFC 9207, found against panva's oidc-provider, which names itself in every answer):
    an authorization answer whose ``iss`` is not the configured issuer is a mix-up — refused
    before its code is sent anywhere."""
    r = client.get("/sso/inst-a/uni/login/")
    answer = local(requests.get(r["Location"], allow_redirects=False, timeout=10).headers["Location"])
    _assert_refused(client.get(answer + "&iss=https%3A%2F%2Fevil.example"), client, "not the configured issuer")
    assert not [e for e in op.log() if e["event"] == "token"]


def test_lms3_rfc9207_the_configured_issuer_in_the_answer_is_accepted(client, oidc_idp, op):
    r = client.get("/sso/inst-a/uni/login/")
    answer = local(requests.get(r["Location"], allow_redirects=False, timeout=10).headers["Location"])
    response = client.get(answer + f"&iss={op.url}/")
    assert response.status_code == 302 and _signed_in_user(client).username == "ada"


def test_lms3_rfc9207_a_provider_promising_iss_must_send_it(client, oidc_idp, op):
    from django.core.cache import cache

    from syllabus.sso import oidc

    meta = oidc.discovery(oidc_idp)
    cache.set(f"sso:oidc:discovery:{oidc_idp.issuer}", {**meta, "authorization_response_iss_parameter_supported": True})
    r = client.get("/sso/inst-a/uni/login/")
    answer = local(requests.get(r["Location"], allow_redirects=False, timeout=10).headers["Location"])
    _assert_refused(client.get(answer), client, "does not name its issuer (iss)")


def test_an_oidc_sign_in_rotates_the_session_key(client, oidc_idp):
    """Session fixation: a session planted before the sign-in started is worthless after the callback."""
    from tests.conftest import assert_session_rotated, plant_session

    planted = plant_session(client)
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302 and _signed_in_user(client) is not None
    assert_session_rotated(client, planted)


@pytest.mark.parametrize("trusted", [False, True], ids=["not-trusted", "trusted"])
def test_a_provider_naming_people_by_email_signs_in_staff_only_when_trusted(client, oidc_idp, make_user, trusted):
    """LMS-3, like LMS-1's LTI e-mail rule: with the username claim an e-mail address, an IdP that
    lets people set their address would hand them a librarian's account; refused unless the
    provider is trusted for staff e-mails.  A person without back-office rights signs in as before."""
    from syllabus.org.roles import Role
    from syllabus.sso.models import IdentityProvider

    # marked as verifying addresses: the test provider sends no email_verified (session 16: else nobody signs in)
    IdentityProvider.objects.filter(pk=oidc_idp.pk).update(username_attribute="email", trust_email_for_staff=trusted,
                                                           verifies_email=True)
    oidc_idp.refresh_from_db()
    libby = make_user("ada@uni.example", email="ada@uni.example", roles=[Role.COURSE_RESERVES_OPERATOR])
    before = AuditEntry.objects.count()
    response, _ = oidc_round_trip(client, oidc_idp)
    if trusted:
        assert response.status_code == 302 and _signed_in_user(client) == libby
        return
    assert response.status_code == 403
    text = _page_text(response)
    assert "LMS-3: University account names people by e-mail address (email)" in text and "back-office rights" in text
    assert _signed_in_user(client) is None and not SignIn.objects.exists() and AuditEntry.objects.count() == before
    # the same provider still signs in a person without back-office rights
    libby.role_assignments.all().delete()
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302 and _signed_in_user(client) == libby


# --- LMS-3: an address the provider marks unverified (email_verified false) -------------------

ADA = {"sub": "u-1001", "preferred_username": "ada", "given_name": "Ada", "family_name": "Lovelace",
       "email": "ada@uni.example", "groups": ["faculty"]}


@pytest.mark.parametrize("verified", [False, "false"], ids=["false", "string-false"])
def test_lms3_an_unverified_email_never_matches_an_existing_person(client, oidc_idp, op, make_user, verified):
    """Before: a provider naming people by ``email`` signed in whoever held the address here, even
    when it said the address was not verified (anyone can type the librarian's address into a
    self-service IdP account).  Now refused, nothing written — for a person without back-office
    rights too (the trust-for-staff setting does not make an unverified address a name)."""
    from syllabus.sso.models import IdentityProvider

    IdentityProvider.objects.filter(pk=oidc_idp.pk).update(username_attribute="email", trust_email_for_staff=True)
    oidc_idp.refresh_from_db()
    owner = make_user("ada@uni.example", email="ada@uni.example", first_name="Real")
    op.control(user={**ADA, "given_name": "Mallory", "email_verified": verified})
    before = AuditEntry.objects.count()
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 403
    text = _page_text(response)
    assert "LMS-3: University account names people by e-mail address (email) and says this address is not verified" in text
    assert _signed_in_user(client) is None and not SignIn.objects.exists() and AuditEntry.objects.count() == before
    owner.refresh_from_db()
    assert owner.first_name == "Real"
    assert User.objects.filter(username__iexact="ada@uni.example").count() == 1
    # the same address, verified, signs the owner in
    op.control(user={**ADA, "email_verified": True})
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302 and _signed_in_user(client) == owner


def test_lms3_an_unverified_email_is_not_stored(client, oidc_idp, op, make_user):
    """Before: the address was written onto the person (letters then went to it, and an LMS launch
    matches people by their stored address).  Now the person (named by ``preferred_username``) signs
    in and keeps the stored address; a verified one replaces it."""
    ada = make_user("ada", email="ada.lovelace@uni.example", institution=oidc_idp.institution)
    op.control(user={**ADA, "email": "librarian@uni.example", "email_verified": False})
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302 and _signed_in_user(client) == ada
    ada.refresh_from_db()
    assert ada.email == "ada.lovelace@uni.example" and ada.last_name == "Lovelace"
    client.logout()
    op.control(user={**ADA, "email": "ada@uni.example", "email_verified": True})
    oidc_round_trip(client, oidc_idp)
    ada.refresh_from_db()
    assert ada.email == "ada@uni.example"


def test_lms3_a_first_sign_in_with_an_unverified_email_creates_the_person_without_it(client, oidc_idp, op):
    op.control(user={**ADA, "email_verified": False})
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302
    assert User.objects.get(username="ada").email == ""


def test_lms3_email_verified_belongs_to_the_address_it_came_with():
    """The userinfo's ``email_verified`` says nothing of another address in the ID token; either
    source marking the address unverified wins."""
    from syllabus.sso.oidc import merge_claims

    assert "email_verified" not in merge_claims({"sub": "s", "email": "a@x"}, {"email": "b@x", "email_verified": True})
    assert merge_claims({"sub": "s", "email": "a@x"}, {"email": "a@x", "email_verified": False})["email_verified"] is False
    assert merge_claims({"sub": "s", "email_verified": True}, {"email": "a@x", "email_verified": "false"})["email_verified"] is False
    assert merge_claims({"sub": "s", "email": "a@x", "email_verified": "true"}, {})["email_verified"] is True
    assert merge_claims({"sub": "s"}, {"email": "a@x"}).get("email_verified") is None


# --- LMS-3: a provider that never sends email_verified (Microsoft Entra ID), session 16 -----------

def _platform(institution):
    from syllabus.lti.models import Platform

    return Platform.objects.create(institution=institution, issuer="https://lms.uni.example", client_id="c",
                                   auth_login_url="https://lms.uni.example/auth",
                                   auth_token_url="https://lms.uni.example/token", keyset_url="https://lms.uni.example/keys")


def test_lms3_an_address_sent_without_email_verified_is_for_letters_unless_the_provider_verifies_addresses(
        client, oidc_idp, op):
    """Before: an OpenID provider that leaves ``email_verified`` out (Entra ID, where people or a
    tenant's administrator can set ``email``) was trusted like one that says true, so a student who set
    a professor's address there was matched to the professor's first LMS launch.  Now a new provider
    is read like SAML: the address is stored for letters, unverified, and matches nobody — until the
    provider is marked as verifying addresses (``verifies_email``)."""
    from syllabus.lti.services import person_for

    assert not oidc_idp.verifies_email   # new providers start safe
    op.control(user={**ADA, "email": "prof@uni.example"})   # no email_verified at all
    assert oidc_round_trip(client, oidc_idp)[0].status_code == 302
    ada = User.objects.get(username="ada")
    assert ada.email == "prof@uni.example" and not ada.email_verified
    platform = _platform(oidc_idp.institution)
    other, created = person_for(platform, {"sub": "lms-1", "email": "prof@uni.example"})
    assert created and other != ada

    oidc_idp.verifies_email = True
    oidc_idp.save()
    client.logout()
    assert oidc_round_trip(client, oidc_idp)[0].status_code == 302
    ada.refresh_from_db()
    assert ada.email_verified
    other.email = ""
    other.save()
    assert person_for(platform, {"sub": "lms-2", "email": "prof@uni.example"}) == (ada, False)


@pytest.mark.parametrize("verifies", [False, True], ids=["provider-not-verifying", "provider-verifying"])
def test_lms3_an_explicit_email_verified_wins_over_the_provider_setting(client, oidc_idp, op, verifies):
    """The claim, when sent, decides: true is trusted even by a provider not marked as verifying,
    false is never trusted (not even stored) even by one that is."""
    oidc_idp.verifies_email = verifies
    oidc_idp.save()
    op.control(user={**ADA, "email_verified": True})
    oidc_round_trip(client, oidc_idp)
    ada = User.objects.get(username="ada")
    assert (ada.email, ada.email_verified) == ("ada@uni.example", True)
    client.logout()
    op.control(user={**ADA, "email": "other@uni.example", "email_verified": False})
    oidc_round_trip(client, oidc_idp)
    ada.refresh_from_db()
    assert (ada.email, ada.email_verified) == ("ada@uni.example", True)


def test_lms3_a_provider_naming_people_by_email_without_email_verified_signs_nobody_in_unless_it_verifies(
        client, oidc_idp, op, make_user):
    """Before: an Entra-like provider naming people by ``email`` signed in whoever held the address
    here.  Now, not marked as verifying addresses, it signs nobody in (403, nothing written)."""
    IdentityProvider = type(oidc_idp)
    IdentityProvider.objects.filter(pk=oidc_idp.pk).update(username_attribute="email")
    oidc_idp.refresh_from_db()
    owner = make_user("ada@uni.example", email="ada@uni.example", first_name="Real")
    op.control(user={**ADA, "given_name": "Mallory"})
    before = AuditEntry.objects.count()
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 403
    text = _page_text(response)
    assert "LMS-3: University account names people by e-mail address (email), and the provider does not say" in text, text[:2000]
    assert _signed_in_user(client) is None and not SignIn.objects.exists() and AuditEntry.objects.count() == before
    oidc_idp.verifies_email = True
    oidc_idp.save()
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302 and _signed_in_user(client) == owner


# --- required authentication context (acr_values / acr): multi-factor sign-in -------------------

def test_a_provider_requiring_mfa_asks_for_it_and_refuses_an_id_token_without_it(client, oidc_idp, op):
    from syllabus.sso.models import REFEDS_MFA

    oidc_idp.authn_context = REFEDS_MFA
    oidc_idp.save()
    op.control(acr="urn:mace:incommon:iap:silver")   # the provider signed Ada in by password only
    response, _ = oidc_round_trip(client, oidc_idp)
    authorize = next(e for e in op.log() if e["event"] == "authorize")["args"]
    assert authorize["acr_values"] == REFEDS_MFA
    _assert_refused(response, client, "University account requires multi-factor sign-in (REFEDS MFA) by "
                                      "'https://refeds.org/profile/mfa', and the identity provider says you signed in by "
                                      "'urn:mace:incommon:iap:silver'")

    op.control(acr=None)   # a provider that ignores acr_values says nothing
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, "the identity provider does not say how you signed in")

    op.control(acr=REFEDS_MFA)
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302 and _signed_in_user(client).username == "ada"


# --- back-channel logout (OpenID Connect Back-Channel Logout 1.0) -----------------------------

def test_a_back_channel_logout_refuses_an_id_token_or_garbage_and_the_session_stays(client, oidc_idp, op):
    """An ID token is signed by the same key: posted as a logout token (it carries a nonce and no
    logout event) it must not sign anybody out; a refusal is a 400 naming LMS-3 (§2.8)."""
    response, _ = oidc_round_trip(client, oidc_idp)
    assert response.status_code == 302
    id_token = SignIn.objects.get().id_token
    url = "/sso/inst-a/uni/backchannel-logout/"
    for token, reason in ((id_token, "LMS-3: the logout token has no http://schemas.openid.net/event/backchannel-logout"),
                          ("not.a.jwt", "LMS-3: the logout token could not be read")):
        answer = client.__class__().post(url, {"logout_token": token})   # server to server: no cookie, no CSRF token
        assert answer.status_code == 400 and "no-store" in answer["Cache-Control"]
        assert answer.json()["error"] == "invalid_request" and answer.json()["error_description"].startswith(reason)
    assert SignIn.objects.count() == 1 and _signed_in_user(client).username == "ada"


def test_sec_key_a_client_secret_no_configured_key_opens_is_a_clear_page_and_the_admin_keeps_it(client, admin_user,
                                                                                                oidc_idp, op):
    """SEC-KEY (session 18): the client secret is encrypted at rest.  A server started without the
    key it was encrypted with does not answer a 500: the provider's button is a page naming
    SEC-KEY and the variable to set; the other ways in still show; an administrator can still
    open and save the provider, which keeps the secret it cannot read — and once the key is back,
    the sign-in works again."""
    from cryptography.fernet import Fernet
    from django.test import override_settings

    from tests.security.test_encryption_at_rest import _raw
    from tests.security.test_secrets_at_rest import _oidc_form

    with override_settings(ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):   # the key was lost
        assert client.get("/login/").status_code == 200
        response = client.get("/sso/inst-a/uni/login/")
        text = _page_text(response)
        assert response.status_code == 503 and "SEC-KEY:" in text and "SYLLABUS_ENCRYPTION_KEYS" in text, text[:2000]
        assert _signed_in_user(client) is None and not [e for e in op.log() if e["event"] == "token"]
        client.force_login(admin_user)
        assert client.get(f"/admin/sso/identityprovider/{oidc_idp.pk}/change/").status_code == 200
        sealed = _raw(IdentityProvider, "client_secret", oidc_idp.pk)
        saved = client.post(f"/admin/sso/identityprovider/{oidc_idp.pk}/change/",
                            _oidc_form(oidc_idp.institution, slug="uni", name="Campus account", issuer=op.url,
                                       client_id="syllabus", client_secret=""))
        assert saved.status_code == 302, saved.content.decode()[:2000]
        assert _raw(IdentityProvider, "client_secret", oidc_idp.pk) == sealed   # kept as it was
        client.logout()
    oidc_idp.refresh_from_db()
    assert (oidc_idp.name, oidc_idp.client_secret) == ("Campus account", "s3cret")
    response, _ = oidc_round_trip(client, oidc_idp)   # the provider took the saved secret at its token endpoint
    assert response.status_code == 302 and _signed_in_user(client) is not None

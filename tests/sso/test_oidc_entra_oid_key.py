"""LMS-3 (session 22): Microsoft Entra ID providers key people on ``oid``, not ``preferred_username``.

Microsoft advises keying accounts on the immutable object id (``oid``, with the tenant ``tid``, which
Syllabus checks against the allowed tenants), not on ``preferred_username`` — a UPN a tenant's
administrators can change and which a guest's own tenant does not verify.  The ``entra`` preset
names people by ``oid`` for new providers; a provider that named them by ``preferred_username``
(the migration moves the multi-tenant ones) finds each person it linked under the old key by it
once, then re-keys the link on ``oid``.  A single-tenant provider also links, once, an account whose
username is the campus UPN and that never signed in through it; a multi-tenant one never matches an
account by a name another tenant chose.

Against tests/sso/op_server.py, serving Entra's single- and multi-tenant v2.0 discovery and ID tokens
with ``tid``; the people's claims (``oid``, ``preferred_username``) are what Entra sends."""
from __future__ import annotations

import pytest

from syllabus.core.models import AuditEntry
from syllabus.org.models import User
from syllabus.sso import services
from syllabus.sso.models import IdentityProvider, LinkedAccount

from .conftest import oidc_round_trip
from .test_oidc import _signed_in_user

pytestmark = pytest.mark.django_db

TENANT = "11111111-2222-4333-8444-555555555555"
ADA_OID = "6f1c2a8e-3b7d-4e9f-a1c2-0d3e4f5a6b7c"
EVE_OID = "0e9d8c7b-6a5f-4e3d-9c2b-1a0f9e8d7c6b"


def ada(upn: str = "ada@uni.example", oid: str = ADA_OID) -> dict:
    return {"sub": f"pairwise-{oid[:8]}", "oid": oid, "preferred_username": upn, "given_name": "Ada",
            "family_name": "Lovelace", "email": "ada@uni.example"}


def _provider(op, inst_a, *, multi: bool, **options) -> IdentityProvider:
    issuer = f"{op.url}/organizations/v2.0" if multi else f"{op.url}/{TENANT}/v2.0"
    provider = services.add_oidc_provider(inst_a, name="Riverside (Microsoft)", slug="entra", issuer=issuer,
                                          client_id="syllabus", client_secret="s3cret",
                                          allowed_tenants=[TENANT] if multi else [], **options)
    op.control(client={"redirect_uris": ["http://testserver/sso/inst-a/entra/callback/"]}, tenant=TENANT)
    return provider


def _sign_in(client, op, provider, claims: dict) -> User:
    client.logout()
    op.control(user=claims)
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 302, response.content[:2000]
    return _signed_in_user(client)


def test_lms3_the_entra_preset_keys_new_providers_on_oid(op, inst_a, groups, client):
    provider = _provider(op, inst_a, multi=True, preset="entra")
    assert (provider.username_attribute, provider.previous_username_attribute) == ("oid", "preferred_username")
    person = _sign_in(client, op, provider, ada())
    assert person.username == ADA_OID
    renamed = _sign_in(client, op, provider, ada(upn="ada.lovelace@uni.example"))   # the tenant renames her UPN
    assert renamed == person and User.objects.filter(first_name="Ada").count() == 1


def test_lms3_people_linked_by_preferred_username_are_found_by_it_once_then_keyed_on_oid(op, inst_a, groups, client):
    """A multi-tenant provider of before session 22 (preferred_username), moved to oid as migration
    sso 0011 does: Ada keeps her account; her old UPN, later given to someone else, names nobody."""
    provider = _provider(op, inst_a, multi=True, username_claim="preferred_username")
    before = _sign_in(client, op, provider, ada())
    assert before.username == "ada@uni.example"
    assert LinkedAccount.objects.get(provider=provider).subject == "ada@uni.example"

    IdentityProvider.objects.filter(pk=provider.pk).update(username_attribute="oid",
                                                          previous_username_attribute="preferred_username")
    provider.refresh_from_db()
    assert _sign_in(client, op, provider, ada()) == before          # found by the old key, once
    link = LinkedAccount.objects.get(provider=provider)
    assert (link.subject, link.linked_by, link.user) == (ADA_OID, "rekeyed", before)
    assert AuditEntry.objects.filter(note__contains="re-keyed from preferred_username 'ada@uni.example' to oid").exists()

    assert _sign_in(client, op, provider, ada(upn="ada.lovelace@uni.example")) == before   # keyed on oid now
    # the UPN ada@uni.example given to another person of the tenant: not Ada's account
    eve = _sign_in(client, op, provider, ada(oid=EVE_OID) | {"given_name": "Eve"})
    assert eve != before and eve.username == EVE_OID
    assert LinkedAccount.objects.filter(provider=provider).count() == 2


def test_lms3_a_single_tenant_provider_links_the_campus_account_named_by_the_upn_once(
        op, inst_a, groups, client, make_user):
    existing = make_user("ada@uni.example", first_name="Ada")     # from the people file, never signed in through Entra
    provider = _provider(op, inst_a, multi=False, preset="entra")
    assert _sign_in(client, op, provider, ada()) == existing
    link = LinkedAccount.objects.get(provider=provider)
    assert (link.subject, link.linked_by) == (ADA_OID, "rekeyed")
    # afterwards only oid counts: another object of the tenant with that UPN is someone else
    assert _sign_in(client, op, provider, ada(oid=EVE_OID)) != existing


def test_lms3_a_multi_tenant_provider_never_links_an_account_by_a_name_another_tenant_chose(
        op, inst_a, groups, client, make_user):
    existing = make_user("ada@uni.example", first_name="Ada", roles=["course_reserves_operator"])
    provider = _provider(op, inst_a, multi=True, preset="entra")
    person = _sign_in(client, op, provider, ada())
    assert person != existing and person.username == ADA_OID
    assert not LinkedAccount.objects.filter(user=existing).exists()

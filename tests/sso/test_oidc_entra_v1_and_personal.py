"""LMS-3: Microsoft Entra ID's v1 issuer and personal Microsoft accounts.

- Tokens from Entra's **v1 endpoints** (``login.microsoftonline.com/TENANT``, ``…/organizations``)
  name the issuer ``https://sts.windows.net/TENANT/`` (final slash included) and the person by
  ``upn``/``unique_name``.  Syllabus accepts that issuer from a provider whose discovery document is
  Entra's (its ``cloud_instance_name``) and only for the provider's tenant (single-tenant) or an
  allowed one (multi-tenant); any other provider's token naming it is refused.
- **Personal Microsoft accounts** (the ``consumers`` tenant 9188040d-…) are refused with their own
  message, when a provider is added and at sign-in.

Against tests/sso/op_server.py, which serves Entra's v1 and v2.0 discovery documents and signs
ID tokens shaped as Entra sends them with a key it publishes in its JWKS."""
from __future__ import annotations

import pytest

from syllabus.core.errors import RuleViolation
from syllabus.org.models import User
from syllabus.sso.models import IdentityProvider, SignIn

from .conftest import oidc_round_trip
from .test_oidc import _assert_refused, _signed_in_user

pytestmark = pytest.mark.django_db

TENANT = "11111111-2222-4333-8444-555555555555"      # the university's directory
STRANGER = "99999999-8888-4777-8666-555555555555"    # any other Microsoft tenant
CONSUMERS = "9188040d-6c67-4c5b-b112-36a304b66dad"   # personal Microsoft accounts
ADA = {"sub": "mP3x-ada", "upn": "ada@uni.example", "given_name": "Ada", "family_name": "Lovelace",
       "email": "ada@uni.example", "oid": "6f1c2a8e-0d4b-4c3a-9e7f-1a2b3c4d5e6f"}


def _entra(op, inst_a, issuer_path: str, **options):
    from syllabus.sso import services

    provider = services.add_oidc_provider(
        inst_a, name="Riverside (Microsoft)", slug="entra", issuer=f"{op.url}/{issuer_path}", client_id="syllabus",
        client_secret="s3cret", username_claim="upn", **options)
    op.control(client={"redirect_uris": ["http://testserver/sso/inst-a/entra/callback/"]}, user=ADA, tenant=TENANT, v1=True)
    return provider


@pytest.mark.parametrize("issuer_path", [f"{TENANT}/v2.0", TENANT])
def test_lms3_an_entra_v1_token_of_the_providers_own_tenant_signs_in(client, op, inst_a, groups, issuer_path):
    """Registered at the tenant's v2.0 issuer or at its v1 endpoint (whose discovery document names
    https://sts.windows.net/TENANT/): a v1 ID token of that tenant signs Ada in by her upn."""
    provider = _entra(op, inst_a, issuer_path)
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in_user(client).username == "ada@uni.example"


def test_lms3_an_entra_v1_token_of_another_tenant_is_refused(client, op, inst_a, groups):
    provider = _entra(op, inst_a, f"{TENANT}/v2.0")
    op.control(tenant=STRANGER)
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 403
    _assert_refused(response, client, f"the ID token was issued by the Microsoft Entra tenant {STRANGER}, and "
                                      f"Riverside (Microsoft) signs in people of the tenant {TENANT} only")


def test_lms3_a_v1_issuer_naming_another_tenant_than_tid_is_refused(client, op, inst_a, groups):
    provider = _entra(op, inst_a, f"{TENANT}/v2.0")
    op.control(extra={"iss": f"https://sts.windows.net/{STRANGER}/"})
    response, _ = oidc_round_trip(client, provider)
    _assert_refused(response, client, f"the ID token was issued by 'https://sts.windows.net/{STRANGER}/'")


def test_lms3_a_provider_that_is_not_entra_never_accepts_the_v1_issuer(client, oidc_idp, op):
    """The same token shape from an OpenID provider that is not Microsoft's (no cloud_instance_name)."""
    op.control(tenant=TENANT, v1=True, extra={"iss": f"https://sts.windows.net/{TENANT}/",
                                              "preferred_username": "ada"})
    response, _ = oidc_round_trip(client, oidc_idp)
    _assert_refused(response, client, f"the ID token was issued by 'https://sts.windows.net/{TENANT}/'")
    assert not User.objects.filter(username="ada").exists()


@pytest.mark.parametrize("issuer_path", ["organizations/v2.0", "organizations"])
def test_lms3_a_multi_tenant_entra_provider_takes_v1_tokens_of_allowed_tenants_only(client, op, inst_a, groups,
                                                                                   issuer_path):
    provider = _entra(op, inst_a, issuer_path, allowed_tenants=[TENANT])
    op.control(tenant=STRANGER)
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 403
    _assert_refused(response, client, f"does not sign in people of the Microsoft Entra tenant {STRANGER}")
    op.control(tenant=TENANT)
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 302 and _signed_in_user(client).username == "ada@uni.example"


def test_lms3_a_v1_multi_tenant_issuer_needs_allowed_tenants(op, inst_a, groups):
    from syllabus.sso import services

    with pytest.raises(RuleViolation, match="is a multi-tenant issuer"):
        services.add_oidc_provider(inst_a, name="Microsoft", issuer=f"{op.url}/organizations", client_id="syllabus")
    assert not IdentityProvider.objects.exists()


# --- personal Microsoft accounts (consumers) ------------------------------------------------------

def test_lms3_a_personal_microsoft_account_is_refused_at_sign_in_with_its_own_message(client, op, inst_a, groups):
    """A provider at …/common/v2.0 (which lets personal accounts through Microsoft's sign-in page):
    their ID token names the consumers tenant."""
    provider = _entra(op, inst_a, "common/v2.0", allowed_tenants=[TENANT])
    op.control(tenant=CONSUMERS, v1=False, user={**ADA, "preferred_username": "ada.lovelace@outlook.com"})
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 403
    _assert_refused(response, client, "LMS-3: Riverside (Microsoft) signs in accounts of the university's Microsoft Entra "
                                      "directory, and you signed in with a personal Microsoft account")
    assert not User.objects.filter(username__contains="ada").exists() and not SignIn.objects.exists()


@pytest.mark.parametrize("issuer_path, tenants", [("consumers/v2.0", []), (f"{CONSUMERS}/v2.0", []),
                                                  ("common/v2.0", [TENANT, CONSUMERS])])
def test_lms3_the_consumers_tenant_cannot_be_configured(op, inst_a, groups, issuer_path, tenants):
    from syllabus.sso import services

    with pytest.raises(RuleViolation, match="LMS-3: the Microsoft Entra tenant 'consumers' .* is personal Microsoft accounts"):
        services.add_oidc_provider(inst_a, name="Microsoft", issuer=f"{op.url}/{issuer_path}", client_id="syllabus",
                                   allowed_tenants=tenants)
    assert not IdentityProvider.objects.exists()

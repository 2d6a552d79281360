"""LMS-3: OpenID Connect providers that sign in people of more than one organisation.

- **Microsoft Entra ID multi-tenant issuers**: registered at ``…/organizations/v2.0``, whose
  discovery document names the issuer ``…/{tenantid}/v2.0``.  Syllabus checks each ID token's
  ``iss`` against that template with the token's own ``tid``, and signs in people of the
  administrator's allowed tenants only — a provider without the list is refused when added, and at
  sign-in if one was saved by other means.
- **Google Workspace hosted domains**: an allowed ``hd`` list per provider.

Against tests/sso/op_server.py, an OP written from the standards that also serves Entra's
multi-tenant v2.0 discovery (its template issuer, ``tid`` in the ID token)."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command

from syllabus.core.errors import RuleViolation
from syllabus.org.models import User
from syllabus.sso.models import IdentityProvider, Kind, SignIn

from .conftest import oidc_round_trip
from .test_oidc import _assert_refused, _signed_in_user

pytestmark = pytest.mark.django_db

TENANT = "11111111-2222-4333-8444-555555555555"      # the university's directory
STRANGER = "99999999-8888-4777-8666-555555555555"    # any other Microsoft tenant


@pytest.fixture
def entra(op, inst_a, groups):
    from syllabus.sso import services

    provider = services.add_oidc_provider(
        inst_a, name="Riverside (Microsoft)", slug="entra", issuer=f"{op.url}/organizations/v2.0", client_id="syllabus",
        client_secret="s3cret", username_claim="preferred_username", allowed_tenants=[TENANT.upper()])
    op.control(client={"redirect_uris": ["http://testserver/sso/inst-a/entra/callback/"]}, tenant=TENANT)
    return provider


def test_lms3_an_entra_multi_tenant_issuer_signs_in_people_of_an_allowed_tenant(client, entra, op):
    assert entra.tenants == [TENANT]   # kept lower case, as Entra writes tid
    response, _ = oidc_round_trip(client, entra)
    assert response.status_code == 302 and response["Location"] == "/"
    assert _signed_in_user(client).username == "ada"


def test_lms3_a_person_of_another_tenant_is_refused_naming_the_tenant(client, entra, op):
    op.control(tenant=STRANGER)
    response, _ = oidc_round_trip(client, entra)
    assert response.status_code == 403
    _assert_refused(response, client, f"does not sign in people of the Microsoft Entra tenant {STRANGER}")


def test_lms3_an_id_token_whose_issuer_is_not_its_own_tenants_is_refused(client, entra, op):
    """tid says the allowed tenant, iss another tenant's: the issuer must be the template with tid."""
    op.control(tenant=STRANGER, extra={"tid": TENANT})
    response, _ = oidc_round_trip(client, entra)
    _assert_refused(response, client, f"the ID token was issued by '{op.url}/{STRANGER}/v2.0'")


def test_lms3_an_id_token_without_a_tenant_is_refused(client, entra, op):
    op.control(extra={"tid": None})
    response, _ = oidc_round_trip(client, entra)
    _assert_refused(response, client, "names no Microsoft Entra tenant (tid)")


def test_lms3_a_multi_tenant_issuer_is_refused_without_allowed_tenants(op, inst_a, groups):
    from syllabus.sso import services

    with pytest.raises(RuleViolation, match="LMS-3: .* is a multi-tenant issuer .*list the tenant ids"):
        services.add_oidc_provider(inst_a, name="Microsoft", issuer=f"{op.url}/organizations/v2.0", client_id="syllabus",
                                   client_secret="s3cret")
    with pytest.raises(CommandError, match="multi-tenant issuer"):
        call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "Microsoft", "--issuer",
                     f"{op.url}/organizations/v2.0", "--client-id", "syllabus")
    assert not IdentityProvider.objects.exists()


def test_lms3_a_multi_tenant_provider_saved_without_tenants_signs_nobody_in(client, op, inst_a, groups):
    """Saved by other means (an old row, a script): its discovery document's template issuer is
    refused at sign-in rather than letting every tenant in."""
    IdentityProvider.objects.create(institution=inst_a, slug="entra", name="Microsoft", kind=Kind.OIDC,
                                    issuer=f"{op.url}/organizations/v2.0", client_id="syllabus", client_secret="s3cret")
    response = client.get("/sso/inst-a/entra/login/")
    assert response.status_code == 400
    assert "is a multi-tenant issuer" in response.content.decode() and not SignIn.objects.exists()


def test_lms3_allowed_tenants_are_refused_for_a_single_tenant_issuer_and_must_be_tenant_ids(op, inst_a, groups):
    from syllabus.sso import services

    with pytest.raises(RuleViolation, match="allowed tenants are for a multi-tenant issuer"):
        services.add_oidc_provider(inst_a, name="One", issuer=op.url, client_id="syllabus", allowed_tenants=[TENANT])
    with pytest.raises(RuleViolation, match="'contoso.onmicrosoft.com' is not a Microsoft Entra tenant id"):
        services.add_oidc_provider(inst_a, name="Two", issuer=f"{op.url}/organizations/v2.0", client_id="syllabus",
                                   allowed_tenants=["contoso.onmicrosoft.com"])
    with pytest.raises(RuleViolation, match="at most 50 allowed tenants"):
        services.add_oidc_provider(inst_a, name="Three", issuer=f"{op.url}/organizations/v2.0", client_id="syllabus",
                                   allowed_tenants=[f"{n:08x}-0000-4000-8000-000000000000" for n in range(51)])
    assert not IdentityProvider.objects.exists()


def test_lms3_the_cli_takes_allowed_tenants_and_prints_the_logout_urls(op, inst_a, groups, capsys):
    call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "Microsoft", "--slug", "entra", "--issuer",
                 f"{op.url}/organizations/v2.0", "--client-id", "syllabus", "--client-secret", "s3cret",
                 "--allowed-tenant", TENANT, "--allowed-tenant", STRANGER)
    assert IdentityProvider.objects.get(slug="entra").tenants == [TENANT, STRANGER]
    out = capsys.readouterr().out
    assert "/sso/inst-a/entra/frontchannel-logout/" in out and "/sso/inst-a/entra/backchannel-logout/" in out
    call_command("sso", "list", "--institution", "inst-a")
    assert f"(tenants {TENANT}, {STRANGER})" in capsys.readouterr().out


def test_lms3_the_admin_refuses_a_multi_tenant_issuer_without_tenants(client, admin_user, inst_a, groups):
    client.force_login(admin_user)
    form = {"institution": inst_a.pk, "name": "Microsoft", "slug": "entra", "kind": "oidc", "enabled": "on", "order": 1,
            "issuer": "https://login.microsoftonline.com/organizations/v2.0", "client_id": "c", "client_secret": "x",
            "scopes": "openid", "group_map": "{}", "role_map": "{}"}
    response = client.post("/admin/sso/identityprovider/add/", form)
    assert response.status_code == 200 and "is a multi-tenant issuer" in response.content.decode()
    response = client.post("/admin/sso/identityprovider/add/", form | {"allowed_tenants": f"{TENANT}\n{STRANGER}"})
    assert response.status_code == 302, response.content.decode()[:3000]
    assert IdentityProvider.objects.get(slug="entra").tenants == [TENANT, STRANGER]


# --- Google Workspace: hosted domains ------------------------------------------------------------

@pytest.fixture
def google(oidc_idp):
    IdentityProvider.objects.filter(pk=oidc_idp.pk).update(allowed_hosted_domains="uni.example")
    oidc_idp.refresh_from_db()
    return oidc_idp


def test_lms3_a_hosted_domain_provider_signs_in_accounts_of_that_domain_and_asks_for_it(client, google, op):
    op.control(extra={"hd": "uni.example"})
    response, _ = oidc_round_trip(client, google)
    assert response.status_code == 302 and _signed_in_user(client).username == "ada"
    asked = [e["args"] for e in op.log() if e["event"] == "authorize"]
    assert asked[-1]["hd"] == "uni.example"   # Google's account chooser hint


@pytest.mark.parametrize("hd, said", [("gmail-lookalike.example", "an account of 'gmail-lookalike.example'"),
                                      (None, "an account of no hosted domain (a personal account: no hd)")])
def test_lms3_an_account_of_another_or_no_hosted_domain_is_refused(client, google, op, hd, said):
    op.control(extra={"hd": hd} if hd else {})
    response, _ = oidc_round_trip(client, google)
    assert response.status_code == 403
    _assert_refused(response, client, f"University account signs in accounts of uni.example only, and you signed in with {said}")
    assert not User.objects.filter(username="ada").exists()


def test_lms3_hosted_domains_are_domain_names(op, inst_a, groups):
    from syllabus.sso import services

    with pytest.raises(RuleViolation, match="'uni example' is not a domain name|'uni' is not a domain name"):
        services.add_oidc_provider(inst_a, name="Google", issuer=op.url, client_id="syllabus",
                                   allowed_hosted_domains=["uni"])
    provider = services.add_oidc_provider(inst_a, name="Google", issuer=op.url, client_id="syllabus",
                                          allowed_hosted_domains=["Uni.Example", "law.uni.example"])
    assert provider.hosted_domains == ["uni.example", "law.uni.example"]

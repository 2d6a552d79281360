"""LMS-3: attribute presets — what the identity providers a campus runs actually send, so that a
provider added with ``--preset adfs`` (or the admin's *Attribute preset*) signs people in by the
right names: AD FS (SAML claim URIs ``http://schemas.xmlsoap.org/ws/2005/05/identity/claims/…``;
OpenID Connect ``upn``/``unique_name``), Microsoft Entra ID, Okta, Keycloak (``preferred_username``;
SAML X500 mappers), a Shibboleth IdP (``urn:oid:…`` names, no friendly name).

Each preset signs a person in through a local provider speaking the protocol, with the attributes
shaped as that product sends them: tests/sso/op_server.py (OpenID Connect) and
tests/sso/idp_server.py (SAML, pysaml2's IdP, which sends attribute names it does not know as given)."""
from __future__ import annotations

import pytest
import requests
from django.core.management import CommandError, call_command

from syllabus.core.errors import RuleViolation
from syllabus.org.models import User
from syllabus.sso import services
from syllabus.sso.models import IdentityProvider

from .conftest import oidc_round_trip, post_answer, saml_answer
from .test_oidc import _page_text, _signed_in_user

pytestmark = pytest.mark.django_db
WS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
GROUPS = "faculty=faculty,staff=staff,student=undergraduate"

OIDC_PEOPLE = {
    # AD FS 2016+ ID token: upn, unique_name (DOMAIN\user), a pairwise-looking sub; groups by a claim rule ("group")
    "adfs": ({"sub": "qU2w3kXlM1mZ8Yx0bC4vDp7RtE", "upn": "ada@uni.example", "unique_name": "UNI\\ada",
              "given_name": "Ada", "family_name": "Lovelace", "email": "ada@uni.example", "group": ["faculty"]},
             "ada@uni.example"),
    "keycloak": ({"sub": "f:3b7c2e9a-1d4f-4a2b-9c8d-7e6f5a4b3c2d:ada", "preferred_username": "ada", "given_name": "Ada",
                  "family_name": "Lovelace", "email": "ada@uni.example", "email_verified": True, "groups": ["faculty"]},
                 "ada"),
    "okta": ({"sub": "00u1abcdEFGHijkl5d7", "preferred_username": "ada@uni.example", "given_name": "Ada",
              "family_name": "Lovelace", "email": "ada@uni.example", "groups": ["faculty", "Everyone"]},
             "ada@uni.example"),
    "entra": ({"sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ", "preferred_username": "ada@uni.example",
               "name": "Ada Lovelace", "given_name": "Ada", "family_name": "Lovelace", "email": "ada@uni.example",
               "oid": "00000000-0000-0000-66f3-3332eca7ea81", "groups": ["faculty"]},
              "00000000-0000-0000-66f3-3332eca7ea81"),   # keyed on oid, as Microsoft advises (session 22)
}


@pytest.mark.parametrize("preset", sorted(OIDC_PEOPLE))
def test_lms3_an_openid_preset_signs_in_by_the_claims_that_product_sends(client, op, inst_a, groups, preset):
    claims, username = OIDC_PEOPLE[preset]
    provider = services.add_oidc_provider(inst_a, name="Campus", slug="campus", issuer=op.url, client_id="syllabus",
                                          client_secret="s3cret", preset=preset, group_map=GROUPS)
    op.control(client={"redirect_uris": ["http://testserver/sso/inst-a/campus/callback/"]}, user=claims)
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 302, response.content[:2000]
    person = _signed_in_user(client)
    assert (person.username, person.first_name, person.last_name, person.email) == (username, "Ada", "Lovelace",
                                                                                  "ada@uni.example")
    assert person.user_group.code == "faculty"


SAML_PEOPLE = {
    # AD FS: claim-type URIs as Name (the rule "Send LDAP Attributes as Claims"), NameID transient
    "adfs": ({"name_id": "_8f3a1c0e", "name_id_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
              "attributes": {f"{WS}upn": ["grace@uni.example"], f"{WS}givenname": ["Grace"], f"{WS}surname": ["Hopper"],
                             f"{WS}emailaddress": ["grace@uni.example"],
                             "http://schemas.xmlsoap.org/claims/Group": ["UNI\\staff", "staff"]}}, "grace@uni.example"),
    # Entra ID's enterprise application: its default claims (name = the UPN), groups by object id
    "entra": ({"name_id": "grace@uni.example",
               "attributes": {f"{WS}name": ["grace@uni.example"], f"{WS}givenname": ["Grace"], f"{WS}surname": ["Hopper"],
                              f"{WS}emailaddress": ["grace@uni.example"],
                              "http://schemas.microsoft.com/identity/claims/objectidentifier": ["5b1c2d3e-aaaa-4bbb-8ccc-1d2e3f4a5b6c"],
                              "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups": ["staff"]}},
              "grace@uni.example"),
    # a Shibboleth IdP releasing by OID only (no FriendlyName)
    "shibboleth": ({"name_id": "AAdzZWNyZXQxQnVhYmluYXJ5",
                    "attributes": {"urn:oid:1.3.6.1.4.1.5923.1.1.1.6": ["grace@uni.example"], "urn:oid:2.5.4.42": ["Grace"],
                                   "urn:oid:2.5.4.4": ["Hopper"], "urn:oid:0.9.2342.19200300.100.1.3": ["grace@uni.example"],
                                   "urn:oid:1.3.6.1.4.1.5923.1.1.1.1": ["member", "staff"]}}, "grace@uni.example"),
    # Keycloak: NameID = username, the predefined X500 mappers, the role list
    "keycloak": ({"name_id": "grace", "name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified",
                  "attributes": {"urn:oid:2.5.4.42": ["Grace"], "urn:oid:2.5.4.4": ["Hopper"],
                                 "urn:oid:1.2.840.113549.1.9.1": ["grace@uni.example"], "Role": ["offline_access"]}},
                 "grace"),
    # Okta: NameID = the Okta username (an address), attribute statements as the preset names them
    "okta": ({"name_id": "grace@uni.example", "name_id_format": "urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress",
              "attributes": {"firstName": ["Grace"], "lastName": ["Hopper"], "email": ["grace@uni.example"],
                             "groups": ["staff", "Everyone"]}}, "grace@uni.example"),
}


@pytest.mark.parametrize("preset", sorted(SAML_PEOPLE))
def test_lms3_a_saml_preset_signs_in_by_the_attributes_that_product_sends(client, idp, inst_a, groups, preset):
    user, username = SAML_PEOPLE[preset]
    metadata = requests.get(f"{idp.url}/idp/metadata", timeout=10).text
    provider = services.add_saml_provider(inst_a, name="Campus login", slug="campus", metadata_xml=metadata,
                                          metadata_url=f"{idp.url}/idp/metadata", preset=preset,
                                          group_map=GROUPS if preset != "keycloak" else None)
    idp.control(sp_metadata=client.get("/sso/inst-a/saml/metadata/").content.decode(), user=user)
    response = post_answer(client, provider, saml_answer(client, provider))
    assert response.status_code == 302, response.content.decode()[:3000]
    person = _signed_in_user(client)
    assert (person.username, person.first_name, person.last_name, person.email) == (username, "Grace", "Hopper",
                                                                                  "grace@uni.example")
    if preset != "keycloak":
        assert person.user_group.code == "staff"


def test_lms3_a_preset_fills_only_what_is_not_given_and_is_checked(op, inst_a, groups, capsys):
    provider = services.add_oidc_provider(inst_a, name="ADFS", slug="adfs", issuer=op.url, client_id="syllabus",
                                          preset="adfs", username_claim="unique_name")
    assert (provider.username_attribute, provider.first_name_attribute) == ("unique_name", "given_name")
    with pytest.raises(RuleViolation, match="no attribute preset 'adfs2' for OpenID Connect"):
        services.add_oidc_provider(inst_a, name="X", issuer=op.url, client_id="syllabus", preset="adfs2")
    with pytest.raises(CommandError, match="invalid choice: 'shibboleth'"):
        call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "K", "--issuer", op.url, "--client-id",
                     "syllabus", "--preset", "shibboleth")
    call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "Keycloak", "--slug", "kc", "--issuer", op.url,
                 "--client-id", "syllabus", "--preset", "keycloak", "--email-attribute", "mail")
    kc = IdentityProvider.objects.get(slug="kc")
    assert (kc.username_attribute, kc.group_attribute, kc.email_attribute) == ("preferred_username", "groups", "mail")


def test_lms3_the_admin_preset_fills_the_empty_attribute_fields(client, admin_user, idp, inst_a, groups):
    client.force_login(admin_user)
    form = {"institution": inst_a.pk, "name": "AD FS", "slug": "adfs", "kind": "saml", "enabled": "on", "order": 1,
            "metadata_url": f"{idp.url}/idp/metadata", "check_scopes": "on", "group_map": "{}", "role_map": "{}",
            "scopes": "openid", "preset": "saml:adfs", "email_attribute": "mail"}
    response = client.post("/admin/sso/identityprovider/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    saved = IdentityProvider.objects.get(slug="adfs")
    assert saved.username_attribute == f"{WS}upn" and saved.email_attribute == "mail"
    response = client.post("/admin/sso/identityprovider/add/", form | {"slug": "adfs2", "preset": "oidc:adfs"})
    assert response.status_code == 200 and "is for OIDC providers, not SAML ones" in response.content.decode()
    assert not User.objects.filter(username__contains="ada").exists()


def test_lms3_a_provider_sending_another_products_names_is_told_which_preset_fits(client, idp, inst_a, groups):
    """An AD FS IdP added with the SAML defaults (eduPersonPrincipalName): the refusal names what it
    sent and the preset that reads it."""
    metadata = requests.get(f"{idp.url}/idp/metadata", timeout=10).text
    provider = services.add_saml_provider(inst_a, name="Campus login", slug="campus", metadata_xml=metadata)
    idp.control(sp_metadata=client.get("/sso/inst-a/saml/metadata/").content.decode(), user=SAML_PEOPLE["adfs"][0])
    response = post_answer(client, provider, saml_answer(client, provider))
    text = _page_text(response)
    assert response.status_code == 400 and "LMS-3: Campus login sent no 'eduPersonPrincipalName'" in text
    assert f"it sent http://schemas.xmlsoap.org/claims/Group, {WS}emailaddress" in text
    assert "the attribute preset adfs names people by one of them" in text and _signed_in_user(client) is None

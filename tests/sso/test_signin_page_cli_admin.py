"""LMS-3: the sign-in page offers one button per provider of the institution (chosen by
?institution=CODE, the host name, or a picker) next to the local form; the `syllabus sso`
commands; the admin, scoped to the administrator's institution."""
from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from syllabus.sso.models import IdentityProvider, Kind, ServiceProvider


@pytest.fixture
def two_providers(inst_a, groups):
    oidc = IdentityProvider.objects.create(institution=inst_a, slug="okta", name="Staff (Okta)", kind=Kind.OIDC,
                                           issuer="https://okta.example", client_id="c", order=1)
    saml = IdentityProvider.objects.create(institution=inst_a, slug="shib", name="Students (Shibboleth)", kind=Kind.SAML,
                                           entity_id="https://idp.example/shibboleth", metadata_xml="<x/>", order=2)
    return oidc, saml


def test_the_institution_parameter_shows_its_buttons_and_the_local_form(client, two_providers):
    body = client.get("/login/?institution=inst-a&next=/courses/").content.decode()
    assert re.search(r'<a class="button primary" href="/sso/inst-a/okta/login/\?next=/courses/">Staff \(Okta\)</a>', body)
    assert 'href="/sso/inst-a/shib/login/?next=/courses/">Students (Shibboleth)</a>' in body
    assert body.index("Staff (Okta)") < body.index("Students (Shibboleth)")
    assert 'id="id_password"' in body  # local sign-in stays


def test_the_host_name_chooses_the_institution(client, two_providers, inst_a, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "reading.uni-a.example"]
    ServiceProvider.objects.create(institution=inst_a, host_names="lists.uni-a.example, reading.uni-a.example",
                                   private_key_pem="k", certificate_pem="c")
    body = client.get("/login/", HTTP_HOST="reading.uni-a.example").content.decode()
    assert "Staff (Okta)" in body


def test_without_a_choice_a_picker_lists_institutions_with_providers(client, two_providers, inst_b):
    body = client.get("/login/").content.decode()
    assert 'href="/login/?institution=inst-a">Institution A</a>' in body
    assert "Institution B" not in body and "Staff (Okta)" not in body


def test_disabled_providers_and_other_institutions_show_no_button(client, two_providers, inst_b):
    oidc, _ = two_providers
    oidc.enabled = False
    oidc.save()
    body = client.get("/login/?institution=inst-a").content.decode()
    assert "Staff (Okta)" not in body and "Students (Shibboleth)" in body
    assert "sso-providers" not in client.get("/login/?institution=inst-b").content.decode()


def test_a_deployment_without_providers_shows_the_plain_form(client, inst_a):
    assert 'data-testid="sso-signin"' not in client.get("/login/").content.decode()


# --- CLI ----------------------------------------------------------------------------------------

def test_add_oidc_reads_discovery_and_prints_the_redirect_uri(op, inst_a, groups):
    out = io.StringIO()
    call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "Entra ID", "--issuer", op.url,
                 "--client-id", "syllabus", "--client-secret", "s3cret", "--username-claim", "preferred_username",
                 "--group-claim", "groups", "--group-map", "faculty=faculty,student=undergraduate", "--existing-only",
                 stdout=out)
    text = out.getvalue()
    assert "http://127.0.0.1:8000/sso/inst-a/entra-id/callback/" in text
    p = IdentityProvider.objects.get(slug="entra-id")
    assert p.existing_only and p.group_map == {"faculty": "faculty", "student": "undergraduate"}
    assert p.username_attribute == "preferred_username"
    out = io.StringIO()
    call_command("sso", "list", stdout=out)
    assert f"inst-a\tentra-id\toidc\tEntra ID\t{op.url}\t(existing people only)" in out.getvalue()
    assert not p.verifies_email   # a new provider does not trust an address sent without email_verified


def test_add_oidc_email_verified_marks_the_provider_as_verifying_addresses(op, inst_a):
    """LMS-3, session 16: ``--email-verified`` is for OpenID providers too (Entra ID sends no
    ``email_verified``); ``sso list`` shows it."""
    call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "Entra", "--issuer", op.url,
                 "--client-id", "syllabus", "--email-verified", stdout=io.StringIO())
    assert IdentityProvider.objects.get(slug="entra").verifies_email
    out = io.StringIO()
    call_command("sso", "list", stdout=out)
    assert f"inst-a\tentra\toidc\tEntra\t{op.url}\t(e-mail verified)" in out.getvalue()


def test_add_oidc_refuses_a_wrong_issuer_an_unknown_group_and_an_unknown_institution(op, inst_a, groups):
    with pytest.raises(CommandError, match="LMS-3: the discovery document"):
        call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "X", "--issuer", op.url + "/nope",
                     "--client-id", "c")
    with pytest.raises(CommandError, match="LMS-3: no user group professors at inst-a"):
        call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "X", "--issuer", op.url,
                     "--client-id", "c", "--group-claim", "groups", "--group-map", "faculty=professors")
    with pytest.raises(CommandError, match="no institution 'nope'"):
        call_command("sso", "add-oidc", "--institution", "nope", "--name", "X", "--issuer", op.url, "--client-id", "c")
    with pytest.raises(CommandError, match="LMS-3: a group map has at most 50 entries"):
        call_command("sso", "add-oidc", "--institution", "inst-a", "--name", "X", "--issuer", op.url, "--client-id", "c",
                     "--group-claim", "g", "--group-map", ",".join(f"v{i}=faculty" for i in range(51)))
    assert not IdentityProvider.objects.exists()


def test_list_says_when_there_are_none(db):
    out = io.StringIO()
    call_command("sso", "list", stdout=out)
    assert out.getvalue().strip() == "no identity providers"


# --- admin --------------------------------------------------------------------------------------

def test_an_institution_administrator_sees_only_their_providers(client, admin_user, two_providers, inst_b):
    IdentityProvider.objects.create(institution=inst_b, slug="b", name="B only", kind=Kind.OIDC, issuer="https://b.example",
                                    client_id="c")
    client.force_login(admin_user)
    body = client.get("/admin/sso/identityprovider/").content.decode()
    assert "Staff (Okta)" in body and "B only" not in body


@pytest.mark.parametrize("who", ["student", "instructor", "librarian"])
def test_other_roles_do_not_reach_the_providers_admin(client, request, who, two_providers):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/admin/sso/identityprovider/").status_code in (302, 403)


def test_the_admin_refuses_a_group_map_to_an_unknown_group(client, admin_user, inst_a, groups):
    client.force_login(admin_user)
    response = client.post("/admin/sso/identityprovider/add/", {
        "institution": inst_a.pk, "name": "Okta", "slug": "okta", "kind": "oidc", "enabled": "on", "order": 1,
        "issuer": "https://okta.example", "client_id": "c", "scopes": "openid", "group_attribute": "groups",
        "group_map": '{"faculty": "professors"}', "role_map": "{}"})
    assert response.status_code == 200 and "LMS-3: no user group professors" in response.content.decode()
    assert not IdentityProvider.objects.exists()


# --- a real IdP's published metadata (SAMLtest.id, tests/sso/data) --------------------------------

SAMLTEST = __import__("pathlib").Path(__file__).parent / "data" / "samltest-idp-metadata.xml"


def test_add_saml_reads_a_real_idps_metadata_and_prints_the_sp_metadata_url(inst_a, groups):
    out = io.StringIO()
    call_command("sso", "add-saml", "--institution", "inst-a", "--name", "SAMLtest", "--metadata", str(SAMLTEST),
                 "--group-attribute", "eduPersonAffiliation", "--group-map", "member=staff,student=undergraduate",
                 stdout=out)
    text = out.getvalue()
    assert "IdP entity ID: https://samltest.id/saml/idp" in text
    assert "http://127.0.0.1:8000/sso/inst-a/saml/metadata/" in text
    provider = IdentityProvider.objects.get(slug="samltest")
    assert provider.kind == Kind.SAML and provider.entity_id == "https://samltest.id/saml/idp"
    assert ServiceProvider.objects.filter(institution=inst_a).exists()  # its key pair was made


def test_the_button_of_a_real_idp_sends_a_signed_request_to_its_redirect_endpoint(client, inst_a, groups):
    from urllib.parse import parse_qs, urlsplit

    from syllabus.sso import services

    services.add_saml_provider(inst_a, name="SAMLtest", metadata_xml=SAMLTEST.read_text())
    response = client.get("/sso/inst-a/samltest/login/")
    assert response.status_code == 302
    url = urlsplit(response["Location"])
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://samltest.id/idp/profile/SAML2/Redirect/SSO"
    query = parse_qs(url.query)
    assert {"SAMLRequest", "SigAlg", "Signature"} <= set(query)
    assert query["SigAlg"] == ["http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"]
    assert len(client.session["sso_saml_requests"]) == 1


@pytest.mark.parametrize("xml,error", [
    ("<not-xml", "not valid XML"),
    ('<!DOCTYPE x [<!ENTITY a "b">]><x>&a;</x>', "not valid XML"),
    ('<EntityDescriptor xmlns="urn:oasis:names:tc:SAML:2.0:metadata" entityID="x"><SPSSODescriptor/></EntityDescriptor>',
     "exactly one SAML IdP"),
])
def test_bad_metadata_is_refused_with_the_rule(inst_a, tmp_path, xml, error):
    path = tmp_path / "md.xml"
    path.write_text(xml)
    with pytest.raises(CommandError, match=f"LMS-3: .*{error}"):
        call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Bad", "--metadata", str(path))
    assert not IdentityProvider.objects.exists()


@pytest.mark.parametrize("kind, username, email, by_email", [
    ("oidc", "", "", False), ("oidc", "email", "", True), ("oidc", "preferred_username", "preferred_username", True),
    ("saml", "", "", False), ("saml", "mail", "", True), ("saml", "urn:oid:0.9.2342.19200300.100.1.3", "", True),
    ("saml", "eduPersonPrincipalName", "", False),
])
def test_lms3_which_providers_name_people_by_email(kind, username, email, by_email):
    """The staff e-mail rule applies to a provider whose username attribute is an e-mail address."""
    from syllabus.sso.models import IdentityProvider

    assert IdentityProvider(kind=kind, username_attribute=username, email_attribute=email).names_people_by_email is by_email

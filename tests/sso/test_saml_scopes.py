"""LMS-3: scoped attributes are checked against the scopes the IdP's metadata declares
(``<shibmd:Scope>``), as the Shibboleth SP's attribute filter does: an IdP of a federation speaks
only for its own domains, so ``dean@other-university.example`` from the campus IdP is refused —
nobody signed in, nothing written but the provider's audit entry.  Against the pysaml2 IdP process
(tests/sso/idp_server.py), whose metadata declares ``uni.example`` as a Shibboleth IdP's does;
aggregates are signed by the real ``xmlsec1`` command (tests/sso/test_saml_aggregate.py)."""
from __future__ import annotations

import io
import re

import pytest
import requests
from django.core.management import CommandError, call_command

from syllabus.core.models import AuditEntry
from syllabus.org.models import User
from syllabus.sso import saml, services
from syllabus.sso.models import IdentityProvider, SignIn
from tests.migrating import latest, migrate

from .conftest import post_answer, saml_answer
from .test_saml import _assert_refused, _signed_in_user
from .test_saml_aggregate import CAMPUS, OTHERS, _add, _aggregate, _idp, _signed

GRACE = {"givenName": ["Grace"], "sn": ["Hopper"], "mail": ["grace@uni.example"], "eduPersonAffiliation": ["staff"]}
SCOPE_RE = re.compile(r"<(\w+:)?Scope[^>]*>[^<]*</(\w+:)?Scope>")


def _refusals(provider) -> list[str]:
    return list(AuditEntry.objects.filter(object_id=str(provider.pk), action="sign-in refused").values_list("note", flat=True))


def test_lms3_the_idps_metadata_declares_its_scope_and_an_in_scope_principal_signs_in(client, saml_idp, idp):
    assert saml.provider_scopes(saml_idp) == (saml.Scope("uni.example"),)
    response = post_answer(client, saml_idp, saml_answer(client, saml_idp))
    assert response.status_code == 302, response.content[:2000]
    assert _signed_in_user(client).username == "grace@uni.example"


def test_lms3_a_principal_name_outside_the_declared_scope_is_refused_and_audited(client, saml_idp, idp):
    idp.control(user={"name_id": "p-2002", "attributes": {**GRACE, "eduPersonPrincipalName": ["dean@other-university.example"]}})
    response = post_answer(client, saml_idp, saml_answer(client, saml_idp))
    assert response.status_code == 403
    _assert_refused(response, client, "Campus login (" + saml_idp.entity_id + ") asserted an attribute outside its scope: "
                    "eduPersonPrincipalName has the scope 'other-university.example', which the identity provider's "
                    "metadata does not declare (it declares 'uni.example')")
    assert not User.objects.filter(username__endswith="other-university.example").exists()
    assert [n.startswith("LMS-3: Campus login") and "other-university.example" in n for n in _refusals(saml_idp)] == [True]


def test_lms3_a_scoped_affiliation_outside_the_scope_is_refused_even_with_a_good_principal_name(client, saml_idp, idp):
    idp.control(user={"name_id": "p-2002", "attributes": {
        **GRACE, "eduPersonPrincipalName": ["grace@uni.example"],
        "eduPersonScopedAffiliation": ["member@uni.example", "faculty@other-university.example"]}})
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client,
                    "eduPersonScopedAffiliation has the scope 'other-university.example'")


def test_lms3_a_scoped_value_without_a_scope_is_refused(client, saml_idp, idp):
    idp.control(user={"name_id": "p-2002", "attributes": {**GRACE, "eduPersonPrincipalName": ["grace"]}})
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client,
                    "eduPersonPrincipalName value 'grace' is not of the form value@scope")


def test_lms3_subject_id_as_username_is_checked_too(client, saml_idp, idp):
    saml_idp.username_attribute = "urn:oasis:names:tc:SAML:attribute:subject-id"
    saml_idp.save()
    idp.control(user={"name_id": "p-2002", "attributes": {
        **GRACE, "eduPersonPrincipalName": ["grace@uni.example"], "subject-id": ["8d1f2c@other-university.example"]}})
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client,
                    "has the scope 'other-university.example'")
    idp.control(user={"name_id": "p-2002", "attributes": {
        **GRACE, "eduPersonPrincipalName": ["grace@uni.example"], "subject-id": ["8D1F2C@Uni.Example"]}})
    response = post_answer(client, saml_idp, saml_answer(client, saml_idp))
    assert response.status_code == 302, response.content[:2000]


def test_lms3_a_nameid_username_that_reads_user_at_scope_is_checked(client, saml_idp, idp):
    saml_idp.username_attribute = "NameID"
    saml_idp.save()
    idp.control(user={"name_id": "admin@other-university.example", "attributes": GRACE})
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client,
                    "NameID has the scope 'other-university.example'")
    idp.control(user={"name_id": "p-2002", "attributes": GRACE})   # an opaque NameID has no scope to check
    response = post_answer(client, saml_idp, saml_answer(client, saml_idp))
    assert response.status_code == 302, response.content[:2000]


@pytest.fixture
def unscoped_idp(idp, inst_a, groups, client):
    """The same IdP registered from metadata without its shibmd:Scope (as Entra ID or Okta publish)."""
    metadata = SCOPE_RE.sub("", requests.get(f"{idp.url}/idp/metadata", timeout=10).text)
    assert "Scope" not in metadata
    provider = services.add_saml_provider(inst_a, name="Campus login", slug="campus", metadata_xml=metadata)
    idp.control(sp_metadata=client.get("/sso/inst-a/saml/metadata/").content.decode())
    return provider


def test_lms3_an_idp_whose_metadata_declares_no_scope_asserts_no_scoped_value(client, unscoped_idp, idp):
    """As the Shibboleth SP: no shibmd:Scope, no scoped value accepted; the administrator declares the
    IdP's scopes on the provider (``--scope``, the admin), or turns the check off."""
    _assert_refused(post_answer(client, unscoped_idp, saml_answer(client, unscoped_idp)), client,
                    "eduPersonPrincipalName is scoped ('uni.example') and the identity provider's metadata declares no "
                    "scope (shibmd:Scope), so it may assert none")
    unscoped_idp.extra_scopes = services.parse_scopes("Uni.Example, med.uni.example")
    unscoped_idp.save()
    assert unscoped_idp.extra_scopes == "uni.example,med.uni.example"
    response = post_answer(client, unscoped_idp, saml_answer(client, unscoped_idp))
    assert response.status_code == 302 and _signed_in_user(client).username == "grace@uni.example"


def test_lms3_the_scope_check_can_be_turned_off_per_provider(client, unscoped_idp, idp):
    unscoped_idp.check_scopes = False
    unscoped_idp.save()
    idp.control(user={"name_id": "p-2002", "attributes": {**GRACE, "eduPersonPrincipalName": ["dean@other-university.example"]}})
    response = post_answer(client, unscoped_idp, saml_answer(client, unscoped_idp))
    assert response.status_code == 302


def test_lms3_metadata_scopes_literal_regexp_and_entity_level():
    xml = ('<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
           'xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" entityID="https://idp.example.edu/idp/shibboleth">'
           '<md:Extensions><shibmd:Scope regexp="false">example.edu</shibmd:Scope></md:Extensions>'
           '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:Extensions>'
           r'<shibmd:Scope regexp="true">^([a-z0-9-]+\.)?dept\.example\.edu$</shibmd:Scope>'
           '<shibmd:Scope>  </shibmd:Scope></md:Extensions></md:IDPSSODescriptor></md:EntityDescriptor>')
    scopes = saml.metadata_scopes(xml)
    assert scopes == (saml.Scope("example.edu"), saml.Scope(r"^([a-z0-9-]+\.)?dept\.example\.edu$", True))
    literal, pattern = scopes
    assert literal.admits("EXAMPLE.edu") and not literal.admits("evil-example.edu") and not literal.admits("sub.example.edu")
    assert pattern.admits("dept.example.edu") and pattern.admits("chem.dept.example.edu")
    assert not pattern.admits("dept.example.edu.evil.test") and not pattern.admits("dept-example.edu")
    assert saml.Scope("([", True).admits("x") is False   # a broken pattern admits nothing
    assert saml.metadata_scopes("<not-xml") == ()


def test_lms3_scopes_come_with_the_idp_out_of_a_signed_aggregate_and_change_with_its_refresh(inst_a, tmp_path, keys,
                                                                                          metadata_site, clock):
    def entity(scope: str) -> str:
        return _idp(CAMPUS, keys["idp"][1]).replace(
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">',
            '<md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:Extensions>'
            f'<shibmd:Scope regexp="false">{scope}</shibmd:Scope></md:Extensions>')

    def publish(scope: str) -> None:
        xml = _aggregate([_idp(OTHERS[0], keys["idp"][1]), entity(scope)]).replace(
            'xmlns:ds=', 'xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" xmlns:ds=', 1)
        _signed(tmp_path / "aggregate.xml", xml, keys["federation"])

    publish("campus-3.example.edu")
    out = _add(f"{metadata_site}/aggregate.xml", keys)
    assert "scopes it may assert: campus-3.example.edu" in out
    provider = IdentityProvider.objects.get()
    assert saml.provider_scopes(provider) == (saml.Scope("campus-3.example.edu"),)
    assert "urn:mace:shibboleth:metadata:1.0" in provider.metadata_xml   # the namespace came along with the entity
    publish("campus3.example.edu")
    call_command("sso", "refresh", stdout=io.StringIO())
    provider.refresh_from_db()
    assert saml.provider_scopes(provider) == (saml.Scope("campus3.example.edu"),)


def test_lms3_add_saml_takes_declared_scopes_and_refuses_what_is_not_a_domain(inst_a, tmp_path, keys, clock):
    path = _signed(tmp_path / "aggregate.xml", _aggregate([_idp(CAMPUS, keys["idp"][1])]), keys["federation"])
    with pytest.raises(CommandError, match="LMS-3: a scope is a DNS domain such as uni.example, not '\\*.example'"):
        _add(path, keys, CAMPUS, "federation", "--scope", "*.example")
    assert not IdentityProvider.objects.exists()
    out = _add(path, keys, CAMPUS, "federation", "--scope", "campus-3.example.edu", "--scope", "Med.Campus-3.example.edu")
    assert "scopes it may assert: campus-3.example.edu, med.campus-3.example.edu" in out
    listed = io.StringIO()
    call_command("sso", "list", stdout=listed)
    assert "scopes unchecked" not in listed.getvalue()


def test_lms3_add_saml_warns_when_nothing_declares_a_scope(inst_a, tmp_path, keys, clock):
    path = _signed(tmp_path / "aggregate.xml", _aggregate([_idp(CAMPUS, keys["idp"][1])]), keys["federation"])
    out = _add(path, keys)
    assert "LMS-3: its metadata declares no scope (shibmd:Scope)" in out


@pytest.mark.django_db(transaction=True)
def test_lms3_migration_0008_keeps_existing_unscoped_providers_unchecked(inst_a, capsys, keys):
    scoped = _idp(CAMPUS, keys["idp"][1]).replace(
        '<md:EntityDescriptor ', '<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" '
        'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" xmlns:shibmd="urn:mace:shibboleth:metadata:1.0" ', 1).replace(
        '<md:KeyDescriptor', '<md:Extensions><shibmd:Scope>campus-3.example.edu</shibmd:Scope></md:Extensions><md:KeyDescriptor', 1)
    # one round trip (docs/DEVELOPING.md, "How long the suite takes"): the providers are there before it,
    # so the way back to 0007 (0008's columns go, with rows in the table) is checked too, and the way
    # forward decides check_scopes from each provider's metadata as at an upgrade from 0007
    IdentityProvider.objects.create(institution=inst_a, slug="entra", name="Entra", kind="saml", entity_id="https://sts",
                                    metadata_xml=scoped.replace("<shibmd:Scope>campus-3.example.edu</shibmd:Scope>", ""))
    IdentityProvider.objects.create(institution=inst_a, slug="shib", name="Shibboleth", kind="saml", entity_id=CAMPUS,
                                    metadata_xml=scoped)
    try:
        old = migrate([("sso", "0007_saml_metadata_signing_cert")])
        columns = {f.name for f in old.get_model("sso", "IdentityProvider")._meta.get_fields()}
        assert "check_scopes" not in columns and old.get_model("sso", "IdentityProvider").objects.count() == 2
    finally:
        migrate(latest())
    assert not IdentityProvider.objects.get(slug="entra").check_scopes
    assert IdentityProvider.objects.get(slug="shib").check_scopes
    printed = capsys.readouterr().out
    assert "SAML provider inst-a/entra's metadata declares no scope" in printed and "inst-a/shib" not in printed
    assert IdentityProvider.objects.count() == 2 and not SignIn.objects.exists()

"""LMS-3: a federation's signed metadata aggregate (InCommon, eduGAIN, UK federation: one
EntitiesDescriptor with thousands of IdPs).  ``add-saml --metadata AGGREGATE --entity-id IDP
--metadata-signing-cert FILE`` checks the aggregate's signature with xmlsec1, keeps only the
named IdP's EntityDescriptor, honours the aggregate's validUntil, and checks the signature again
at every refresh, keeping the copy held when it fails.  The aggregates are signed here by the
real xmlsec1 command, not by Syllabus's code."""
from __future__ import annotations

import datetime as dt
import io
import subprocess

import pytest
import requests
from django.core.management import CommandError, call_command

from syllabus.org.models import User
from syllabus.sso import saml, services
from syllabus.sso.models import IdentityProvider

from .conftest import post_answer, saml_answer

MD = "urn:oasis:names:tc:SAML:2.0:metadata"
CAMPUS = "https://idp.campus-3.example.edu/idp/shibboleth"
OTHERS = [f"https://idp.campus-{n}.example.edu/idp/shibboleth" for n in (1, 2, 4, 5)]


def _idp(entity_id: str, cert_file: str, sso: str | None = None) -> str:
    body = "".join(line for line in open(cert_file).read().splitlines() if "-----" not in line)
    return (f'<md:EntityDescriptor entityID="{entity_id}"><md:IDPSSODescriptor '
            'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:KeyDescriptor use="signing">'
            f'<ds:KeyInfo><ds:X509Data><ds:X509Certificate>{body}</ds:X509Certificate></ds:X509Data></ds:KeyInfo>'
            '</md:KeyDescriptor><md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" '
            f'Location="{sso or entity_id.replace("/shibboleth", "/profile/SAML2/Redirect/SSO")}"/>'
            '</md:IDPSSODescriptor></md:EntityDescriptor>')


SP_ENTITY = ('<md:EntityDescriptor entityID="https://sp.example.org/shibboleth"><md:SPSSODescriptor '
             'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:AssertionConsumerService '
             'Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-POST" Location="https://sp.example.org/acs" index="1"/>'
             '</md:SPSSODescriptor></md:EntityDescriptor>')

SIGNATURE_TEMPLATE = (
    '<ds:Signature><ds:SignedInfo><ds:CanonicalizationMethod Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>'
    '<ds:SignatureMethod Algorithm="http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"/><ds:Reference URI="#_federation">'
    '<ds:Transforms><ds:Transform Algorithm="http://www.w3.org/2000/09/xmldsig#enveloped-signature"/>'
    '<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/></ds:Transforms>'
    '<ds:DigestMethod Algorithm="http://www.w3.org/2001/04/xmlenc#sha256"/><ds:DigestValue/></ds:Reference>'
    '</ds:SignedInfo><ds:SignatureValue/><ds:KeyInfo><ds:X509Data/></ds:KeyInfo></ds:Signature>')


def in_days(days: float) -> str:
    """An xs:dateTime ``days`` after Syllabus's clock: a validUntil a federation signs (InCommon: 14 days)."""
    import datetime as dt

    from syllabus.core import clock

    return (clock.now() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _aggregate(entities: list[str], *, valid_until: str = "2026-03-20T00:00:00Z", cache: str = "PT6H",
               signed: bool = True) -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<md:EntitiesDescriptor xmlns:md="{MD}" '
            'xmlns:ds="http://www.w3.org/2000/09/xmldsig#" ID="_federation" Name="urn:test:federation" '
            f'validUntil="{valid_until}" cacheDuration="{cache}">' + (SIGNATURE_TEMPLATE if signed else "")
            + "".join(entities) + "</md:EntitiesDescriptor>")


def _signed(path, xml: str, pair: tuple[str, str]):
    """``xml`` signed by the xmlsec1 command with ``pair`` (key, certificate), written to ``path``."""
    template = path.with_suffix(".template.xml")
    template.write_text(xml)
    subprocess.run(["xmlsec1", "--sign", "--privkey-pem", ",".join(pair), "--id-attr:ID", f"{MD}:EntitiesDescriptor",
                    "--output", str(path), str(template)], check=True, capture_output=True)
    return path


def _federation(tmp_path, keys, name="aggregate.xml", **kwargs):
    entities = [_idp(e, keys["idp"][1]) for e in OTHERS[:2]] + [SP_ENTITY, _idp(CAMPUS, keys["idp"][1])] + \
        [_idp(e, keys["idp"][1]) for e in OTHERS[2:]]
    return _signed(tmp_path / name, _aggregate(entities, **kwargs), keys["federation"])


def _add(path, keys, entity_id=CAMPUS, cert="federation", *extra):
    out = io.StringIO()
    call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login", "--metadata", str(path),
                 "--entity-id", entity_id, *(["--metadata-signing-cert", keys[cert][1]] if cert else []), *extra,
                 stdout=out)
    return out.getvalue()


def test_lms3_the_named_idp_is_taken_out_of_a_signed_aggregate_and_only_it_is_kept(inst_a, tmp_path, keys, clock):
    path = _federation(tmp_path, keys)
    assert "SignatureValue>" in path.read_text() and len(saml.select_idp(path.read_bytes(), entity_id=OTHERS[0]))
    out = _add(path, keys)
    assert f"IdP entity ID: {CAMPUS}" in out
    provider = IdentityProvider.objects.get()
    assert provider.entity_id == CAMPUS
    assert provider.metadata_signing_cert == open(keys["federation"][1]).read()
    kept = provider.metadata_xml
    assert CAMPUS in kept and not any(other in kept for other in OTHERS) and "sp.example.org" not in kept
    assert "EntitiesDescriptor" not in kept and len(kept) < len(path.read_text()) / 3
    # the aggregate's validUntil and cacheDuration are the kept copy's: it expires and is read again as the aggregate
    until, cache = saml.metadata_times(kept)
    assert until == dt.datetime(2026, 3, 20, tzinfo=dt.timezone.utc) and cache == 6 * 3600


def test_lms3_an_entity_id_not_in_the_aggregate_is_refused_naming_it(inst_a, tmp_path, keys, clock):
    path = _federation(tmp_path, keys)
    missing = "https://idp.nowhere.example.edu/idp/shibboleth"
    with pytest.raises(CommandError, match=f"LMS-3: .*describes no SAML IdP with entity ID '{missing}' .*5 IdPs"):
        _add(path, keys, missing)
    with pytest.raises(CommandError, match="LMS-3: .*no SAML IdP with entity ID 'https://sp.example.org/shibboleth'"):
        _add(path, keys, "https://sp.example.org/shibboleth")   # a service provider, not an IdP
    with pytest.raises(CommandError, match=r"LMS-3: .*exactly one SAML IdP \(it describes 5\).*--entity-id"):
        call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus", "--metadata", str(path))
    assert not IdentityProvider.objects.exists()


def test_lms3_a_tampered_aggregate_is_refused(inst_a, tmp_path, keys, clock):
    path = _federation(tmp_path, keys)
    # after signing, someone points the campus IdP's sign-in at their own server
    path.write_text(path.read_text().replace("https://idp.campus-3.example.edu/idp/profile", "https://evil.example/idp/profile"))
    with pytest.raises(CommandError, match="LMS-3: the metadata file .* signature does not verify against the metadata "
                                           "signing certificate \\(CN=federation"):
        _add(path, keys)
    assert not IdentityProvider.objects.exists()


def test_lms3_an_aggregate_signed_with_another_key_is_refused(inst_a, tmp_path, keys, clock):
    path = _federation(tmp_path, keys)
    with pytest.raises(CommandError, match="LMS-3: .*signature does not verify against the metadata signing "
                                           "certificate \\(CN=other"):
        _add(path, keys, CAMPUS, "other")
    assert not IdentityProvider.objects.exists()


def test_lms3_an_unsigned_aggregate_is_refused_when_a_certificate_is_configured(inst_a, tmp_path, keys, clock):
    entities = [_idp(CAMPUS, keys["idp"][1]), _idp(OTHERS[0], keys["idp"][1])]
    path = tmp_path / "unsigned.xml"
    path.write_text(_aggregate(entities, signed=False))
    with pytest.raises(CommandError, match="LMS-3: the metadata file .* is not signed \\(no signature\\)"):
        _add(path, keys)
    # a signature on one entity inside, not on the aggregate, vouches for nothing else in it
    inner = _signed(tmp_path / "inner.xml", _aggregate([_idp(OTHERS[0], keys["idp"][1])]), keys["federation"])
    signed_inside = _aggregate([_idp(CAMPUS, keys["idp"][1]), inner.read_text().split("?>", 1)[1]], signed=False)
    path.write_text(signed_inside)
    with pytest.raises(CommandError, match="LMS-3: .* is not signed \\(a signature inside it, not on its root\\)"):
        _add(path, keys)
    assert not IdentityProvider.objects.exists()
    _add(path, keys, CAMPUS, None)   # no certificate configured: taken as it is (as before)
    assert IdentityProvider.objects.get().entity_id == CAMPUS


def test_lms3_an_expired_aggregate_is_refused(inst_a, tmp_path, keys, clock):
    path = _federation(tmp_path, keys, valid_until="2026-03-01T00:00:00Z")
    with pytest.raises(CommandError, match="LMS-3: the IdP metadata of .*campus-3.* expired on 2026-03-01"):
        _add(path, keys)


def test_lms3_every_refresh_checks_the_signature_again_and_keeps_the_copy_held(inst_a, tmp_path, keys, metadata_site, clock):
    path = _federation(tmp_path, keys)
    _add(f"{metadata_site}/aggregate.xml", keys)
    provider = IdentityProvider.objects.get()
    held = provider.metadata_xml
    assert provider.metadata_refresh_due == clock.now() + dt.timedelta(hours=6)   # the aggregate's cacheDuration

    path.write_text(path.read_text().replace("https://idp.campus-3.example.edu/idp/profile", "https://evil.example/idp/profile"))
    with pytest.raises(CommandError, match="LMS-3: the metadata at .*aggregate.xml's signature does not verify"):
        call_command("sso", "refresh")
    provider.refresh_from_db()
    assert provider.metadata_xml == held and "evil.example" not in provider.metadata_xml

    path.write_text(_aggregate([_idp(CAMPUS, keys["idp"][1])], signed=False))
    with pytest.raises(CommandError, match="LMS-3: .* is not signed"):
        call_command("sso", "refresh")
    provider.refresh_from_db()
    assert provider.metadata_xml == held

    # the federation publishes a new aggregate, signed: the campus IdP's new address is taken
    entities = [_idp(OTHERS[0], keys["idp"][1]), _idp(CAMPUS, keys["idp"][1], sso="https://login.campus-3.example.edu/sso")]
    _signed(path, _aggregate(entities, valid_until="2026-03-30T00:00:00Z"), keys["federation"])
    out = io.StringIO()
    call_command("sso", "refresh", stdout=out)
    provider.refresh_from_db()
    assert "changed" in out.getvalue() and "https://login.campus-3.example.edu/sso" in provider.metadata_xml
    assert OTHERS[0] not in provider.metadata_xml


def test_lms3_sign_in_works_through_an_idp_taken_out_of_a_signed_aggregate(client, idp, inst_a, groups, tmp_path, keys,
                                                                           clock):
    clock.set_now(None)   # the IdP process signs with the real time
    real = requests.get(f"{idp.url}/idp/metadata", timeout=10).text
    real = real.split("?>", 1)[1] if real.startswith("<?xml") else real
    entities = [_idp(OTHERS[0], keys["idp"][1]), real, _idp(OTHERS[1], keys["idp"][1])]
    path = _signed(tmp_path / "federation.xml", _aggregate(entities, valid_until=in_days(14)),
                   keys["federation"])
    xml, _url = saml.read_metadata(str(path), entity_id=f"{idp.url}/idp/metadata",
                                   signing_cert=open(keys["federation"][1]).read())
    provider = services.add_saml_provider(inst_a, name="Campus login", slug="campus", metadata_xml=xml,
                                          metadata_signing_cert=open(keys["federation"][1]).read(),
                                          group_attribute="eduPersonAffiliation", group_map="staff=staff")
    assert OTHERS[0] not in provider.metadata_xml
    idp.control(sp_metadata=client.get("/sso/inst-a/saml/metadata/").content.decode())
    response = post_answer(client, provider, saml_answer(client, provider, next_url="/courses/"))
    assert response.status_code == 302 and response["Location"] == "/courses/"
    grace = User.objects.get(username="grace@uni.example")
    assert grace.user_group.code == "staff"


def test_lms3_the_admin_takes_the_named_idp_out_of_a_pasted_signed_aggregate(client, admin_user, inst_a, groups,
                                                                             tmp_path, keys, clock):
    path = _federation(tmp_path, keys)
    form = {"institution": inst_a.pk, "name": "Campus", "slug": "campus", "kind": "saml", "enabled": "on", "order": 1,
            "group_map": "{}", "role_map": "{}", "scopes": "openid", "idp_entity_id": CAMPUS,
            "metadata_signing_cert": open(keys["other"][1]).read(), "metadata_xml": path.read_text()}
    client.force_login(admin_user)
    page = client.get("/admin/sso/identityprovider/add/").content.decode()
    assert 'name="idp_entity_id"' in page and 'name="metadata_signing_cert"' in page
    response = client.post("/admin/sso/identityprovider/add/", form)
    assert response.status_code == 200 and "LMS-3: the metadata pasted&#x27;s signature does not verify" in \
        response.content.decode()
    assert not IdentityProvider.objects.exists()
    form["metadata_signing_cert"] = open(keys["federation"][1]).read()
    response = client.post("/admin/sso/identityprovider/add/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    provider = IdentityProvider.objects.get()
    assert provider.entity_id == CAMPUS and OTHERS[0] not in provider.metadata_xml
    # editing another field keeps the copy held (checked when it was stored; no longer signed on its own)
    form.update(name="Campus login", metadata_xml=provider.metadata_xml)
    response = client.post(f"/admin/sso/identityprovider/{provider.pk}/change/", form)
    assert response.status_code == 302, response.content.decode()[:3000]
    provider.refresh_from_db()
    assert provider.name == "Campus login" and provider.entity_id == CAMPUS

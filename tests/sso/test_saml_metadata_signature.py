"""LMS-3: one IdP's own metadata, read from its URL, signed by its publisher (a federation's
per-entity metadata, an IdP operator's signed document): ``add-saml --metadata URL
--metadata-signing-cert FILE`` checks the signature on add and at every refresh, by the same path
as an aggregate's, and keeps the copy held when it fails.  The metadata is the pysaml2 IdP
process's own, signed here by the real ``xmlsec1 --sign`` command."""
from __future__ import annotations

import io
import subprocess

import pytest
import requests
from django.core.management import CommandError, call_command

from syllabus.sso.models import IdentityProvider

from .test_saml_aggregate import MD, SIGNATURE_TEMPLATE, in_days


def _sign_entity(path, xml: str, pair: tuple[str, str], valid_until: str | None = "") -> None:
    """``xml`` (one EntityDescriptor) with an enveloped signature over the whole document, by xmlsec1,
    valid until ``valid_until`` (default: 14 days on; ``None``: no validUntil)."""
    import re

    if valid_until is not None:
        xml = re.sub(r"<((?:\w+:)?EntityDescriptor) ", rf'<\1 validUntil="{valid_until or in_days(14)}" ', xml, count=1)
    body = xml.split("?>", 1)[1] if xml.lstrip().startswith("<?xml") else xml
    start = body.index(">", body.index("<ns0:EntityDescriptor" if "<ns0:EntityDescriptor" in body else "EntityDescriptor")) + 1
    signature = SIGNATURE_TEMPLATE.replace('URI="#_federation"', 'URI=""').replace(
        "<ds:Signature>", '<ds:Signature xmlns:ds="http://www.w3.org/2000/09/xmldsig#">')
    template = path.with_suffix(".template.xml")
    template.write_text(body[:start] + signature + body[start:])
    subprocess.run(["xmlsec1", "--sign", "--privkey-pem", ",".join(pair), "--output", str(path), str(template)],
                   check=True, capture_output=True)


def _add(url: str, cert: str) -> str:
    out = io.StringIO()
    call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus login", "--metadata", url,
                 "--metadata-signing-cert", cert, stdout=out)
    return out.getvalue()


def test_lms3_single_idp_metadata_from_a_url_is_checked_on_add_and_at_every_refresh(inst_a, idp, tmp_path, keys, metadata_site):
    real = requests.get(f"{idp.url}/idp/metadata", timeout=10).text
    path = tmp_path / "idp.xml"
    _sign_entity(path, real, keys["federation"])
    assert "SignatureValue>" in path.read_text() and MD in path.read_text()

    with pytest.raises(CommandError, match="LMS-3: the metadata at .*idp.xml's signature does not verify against the "
                                           "metadata signing certificate \\(CN=other"):
        _add(f"{metadata_site}/idp.xml", keys["other"][1])
    assert not IdentityProvider.objects.exists()

    assert f"IdP entity ID: {idp.url}/idp/metadata" in _add(f"{metadata_site}/idp.xml", keys["federation"][1])
    provider = IdentityProvider.objects.get()
    held = provider.metadata_xml
    assert provider.metadata_signing_cert and "SignatureValue" in held   # kept as published, signature and all

    # someone on the way swaps the IdP's sign-in address: refused at the refresh, the copy held kept
    path.write_text(path.read_text().replace(f"{idp.url}/sso/redirect", "https://evil.example/sso"))
    with pytest.raises(CommandError, match="LMS-3: the metadata at .*idp.xml's signature does not verify"):
        call_command("sso", "refresh")
    provider.refresh_from_db()
    assert provider.metadata_xml == held

    path.write_text(real)   # the same metadata, unsigned
    with pytest.raises(CommandError, match="LMS-3: the metadata at .*idp.xml is not signed \\(no signature\\)"):
        call_command("sso", "refresh")
    provider.refresh_from_db()
    assert provider.metadata_xml == held

    _sign_entity(path, real.replace(f"{idp.url}/slo/redirect", f"{idp.url}/slo/redirect2"), keys["federation"])
    out = io.StringIO()
    call_command("sso", "refresh", stdout=out)
    provider.refresh_from_db()
    assert "changed" in out.getvalue() and "slo/redirect2" in provider.metadata_xml


def test_lms3_an_idp_read_from_an_mdq_service_is_signed_checked_and_refreshed_by_its_cache_duration(
        inst_a, tmp_path, keys, metadata_site, clock):
    """MDQ (Metadata Query Protocol): ``--mdq BASE --entity-id IDP`` reads ``BASE/entities/{URL-encoded
    entity ID}`` — here a directory of signed per-entity files, as static MDQ publishers lay them out."""
    import datetime as dt

    from .test_saml_aggregate import CAMPUS, _idp

    entity = _idp(CAMPUS, keys["idp"][1]).replace(
        "<md:EntityDescriptor ", f'<md:EntityDescriptor xmlns:md="{MD}" xmlns:ds="http://www.w3.org/2000/09/xmldsig#" '
        'cacheDuration="PT1H" ', 1)
    where = tmp_path / "entities" / "https:" / "idp.campus-3.example.edu" / "idp"
    where.mkdir(parents=True)
    _sign_entity(where / "shibboleth", entity, keys["federation"])

    with pytest.raises(CommandError, match="LMS-3: an MDQ service's answers are trusted only signed"):
        call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus", "--mdq", metadata_site,
                     "--entity-id", CAMPUS)
    out = io.StringIO()
    call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Campus", "--mdq", metadata_site + "/",
                 "--entity-id", CAMPUS, "--metadata-signing-cert", keys["federation"][1], stdout=out)
    provider = IdentityProvider.objects.get()
    assert provider.metadata_url == f"{metadata_site}/entities/https%3A%2F%2Fidp.campus-3.example.edu%2Fidp%2Fshibboleth"
    assert provider.entity_id == CAMPUS and provider.metadata_signing_cert
    assert provider.metadata_refresh_due == clock.now() + dt.timedelta(hours=1)   # its cacheDuration
    held = provider.metadata_xml

    (where / "shibboleth").write_text((where / "shibboleth").read_text().replace("/profile/SAML2/", "/evil/"))
    with pytest.raises(CommandError, match="LMS-3: the metadata at .*entities/.*'s signature does not verify"):
        call_command("sso", "refresh")
    provider.refresh_from_db()
    assert provider.metadata_xml == held
    with pytest.raises(CommandError, match="LMS-3: an MDQ query names the IdP"):
        call_command("sso", "add-saml", "--institution", "inst-a", "--name", "Other", "--mdq", metadata_site,
                     "--metadata-signing-cert", keys["federation"][1])

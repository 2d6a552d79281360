"""LMS-3, session 19 — attack class: SSRF through the SAML assertion consumer.

An encrypted assertion is decrypted by xmlsec1 (pysaml2's back end) *before* any signature is
looked at, and xmlsec1 follows by default every URI an encrypted document names: an
``<xenc:CipherReference URI="http://169.254.169.254/…">`` or a ``<ds:RetrievalMethod URI=…>`` is
fetched by the server itself — outside ``syllabus.core.outbound``'s address checks, by anybody
who can post to the assertion consumer (the SP's encryption certificate is public, in its
metadata; the request id is in the sign-in redirect anyone can start).  Every xmlsec1 run now
follows only same-document references (``syllabus.sso.saml.ContainedXmlSec1``).  The attack is
a real xmlsec1 run against a real local HTTP server counting the requests that reached it."""
from __future__ import annotations

import base64
import pytest
from lxml import etree

from syllabus.org.models import User

from .conftest import post_answer, saml_answer

XENC = "http://www.w3.org/2001/04/xmlenc#"
DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture
def internal():
    """An "internal" HTTP server (a cloud's metadata address stands in for it) counting hits: the
    SSRF guard tests' own (tests/security/test_ssrf.py)."""
    from tests.security.test_ssrf import Internal

    server = Internal()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def _encrypted_answer(client, saml_idp, idp) -> etree._Element:
    idp.control(mode="encrypt")
    root = etree.fromstring(base64.b64decode(saml_answer(client, saml_idp)))
    assert root.find(f".//{{{XENC}}}EncryptedData") is not None
    return root


def _post(client, saml_idp, root):
    return post_answer(client, saml_idp, base64.b64encode(etree.tostring(root)).decode())


def _refused_and_nobody_in(response, client):
    from django.contrib.auth import get_user

    assert response.status_code in (400, 403), (response.status_code, response.content[:500])
    assert "LMS-3" in response.content.decode()
    assert not get_user(client).is_authenticated
    assert not User.objects.filter(username="grace@uni.example").exists()


def test_lms3_an_encrypted_assertion_whose_cipher_data_is_elsewhere_fetches_nothing(client, saml_idp, idp, internal):
    """The genuine session key (RSA-OAEP to our public certificate) stays; the cipher text is
    replaced by a reference to an internal address.  Before: xmlsec1 fetched it (GET, one hit)."""
    root = _encrypted_answer(client, saml_idp, idp)
    data = root.find(f".//{{{XENC}}}EncryptedData")
    cipher_data = data.find(f"{{{XENC}}}CipherData")
    for child in list(cipher_data):
        cipher_data.remove(child)
    etree.SubElement(cipher_data, f"{{{XENC}}}CipherReference", URI=f"{internal.url}/latest/meta-data/iam")
    _refused_and_nobody_in(_post(client, saml_idp, root), client)
    assert internal.hits == []


def test_lms3_a_key_retrieved_from_elsewhere_fetches_nothing(client, saml_idp, idp, internal):
    """The encrypted key named by a RetrievalMethod at an internal address, instead of inline."""
    root = _encrypted_answer(client, saml_idp, idp)
    data = root.find(f".//{{{XENC}}}EncryptedData")
    key_info = data.find(f"{{{DS}}}KeyInfo")
    if key_info is None:
        key_info = etree.SubElement(data, f"{{{DS}}}KeyInfo")
    for child in list(key_info):
        key_info.remove(child)
    etree.SubElement(key_info, f"{{{DS}}}RetrievalMethod", URI=f"{internal.url}/key",
                     Type=f"{XENC}EncryptedKey")
    for key in root.iter(f"{{{XENC}}}EncryptedKey"):   # a sibling key would be found without the reference
        key.getparent().remove(key)
    _refused_and_nobody_in(_post(client, saml_idp, root), client)
    assert internal.hits == []


def test_lms3_a_genuine_encrypted_assertion_still_signs_in(client, saml_idp, idp):
    """The containment changes nothing for a real IdP's encrypted, signed assertion."""
    from django.contrib.auth import get_user

    response = _post(client, saml_idp, _encrypted_answer(client, saml_idp, idp))
    assert response.status_code == 302, response.content[:1000]
    assert get_user(client).username == "grace@uni.example"


@pytest.mark.parametrize("uri", ["http://169.254.169.254/latest/meta-data/", "file:///etc/passwd", "//evil.example/k",
                                 "relative/key.xml", "HTTP://100.100.100.200/"])
def test_lms3_every_reference_out_of_the_document_is_found(tmp_path, uri):
    from syllabus.sso.saml import outside_reference

    path = tmp_path / "doc.xml"
    path.write_text(f'<r xmlns:ds="{DS}" xmlns:xenc="{XENC}"><ds:Signature><ds:SignedInfo><ds:Reference URI=""/>'
                    f'</ds:SignedInfo><ds:KeyInfo><ds:RetrievalMethod URI="#k"/></ds:KeyInfo></ds:Signature>'
                    f'<xenc:EncryptedData><xenc:CipherData><xenc:CipherReference URI="{uri}"/></xenc:CipherData>'
                    f'</xenc:EncryptedData></r>')
    assert outside_reference(str(path)) == uri


def test_lms3_same_document_references_and_other_namespaces_pass(tmp_path):
    from syllabus.sso.saml import outside_reference

    path = tmp_path / "doc.xml"
    path.write_text(f'<r xmlns:ds="{DS}" xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata"><ds:Reference URI=""/>'
                    f'<ds:Reference URI="#_a1"/><ds:RetrievalMethod URI="#key"/><md:Thing URI="https://idp.example/"/></r>')
    assert outside_reference(str(path)) is None


def test_lms3_every_pysaml2_security_context_is_contained(rf, inst_a, saml_idp):
    """The client, its metadata store and any context pysaml2 makes later use the contained back end."""
    from saml2.sigver import security_context

    from syllabus.sso import saml

    with saml._client(rf.get("/"), inst_a, [saml_idp]) as client:
        assert getattr(client.sec.crypto, "contained", False)
        assert getattr(client.metadata.security.crypto, "contained", False)
        assert getattr(security_context(client.config).crypto, "contained", False)

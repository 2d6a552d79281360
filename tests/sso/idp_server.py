"""A real SAML 2.0 identity provider for the tests, on pysaml2's IdP side (``saml2.server``) and
xmlsec1: it reads signed AuthnRequests (HTTP-Redirect), answers with signed assertions
(HTTP-POST form), encrypts them when asked, and speaks single logout.  Run as its own process
by ``tests/sso/conftest.py``:

    python -m tests.sso.idp_server PORT

``POST /_control`` (JSON): ``sp_metadata`` (the SP's metadata XML, read from Syllabus),
``user`` (NameID, its ``name_id_format`` — persistent unless said — and attributes), ``mode`` — how the next answer misbehaves: ``unsigned``,
``wrong_key`` (signed by a key not in the IdP's metadata), ``audience``, ``recipient``,
``in_response_to``, ``expired``, ``not_yet_valid``, and the signing forms of ``SIGNING_FORMS``
(``encrypt``, ``response_signed``, ``shibboleth_default``, ``both_signed``,
``both_signed_encrypted``); ``reset``.  The answer of
``GET /sso/redirect`` is the HTML form a browser would post, and ``GET /_last`` returns the last
SAMLResponse.  ``GET /_log`` tells what happened (authn requests, logout requests).
"""
from __future__ import annotations

import base64
import datetime as dt
import shutil
import sys
import tempfile
import threading
from pathlib import Path
from urllib.parse import parse_qs
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server
from socketserver import ThreadingMixIn

from lxml import etree
from saml2 import BINDING_HTTP_REDIRECT
from saml2.config import IdPConfig
from saml2.metadata import entity_descriptor
from saml2.saml import NAME_FORMAT_URI, NAMEID_FORMAT_PERSISTENT, NameID
from saml2.server import Server
from saml2.sigver import pre_signature_part
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

XMLSEC1 = shutil.which("xmlsec1") or "/usr/bin/xmlsec1"
NS = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion", "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
      "ds": "http://www.w3.org/2000/09/xmldsig#"}
LOCK = threading.Lock()
STATE: dict = {}
DIR = Path(tempfile.mkdtemp(prefix="test-idp-"))


def _pair(name: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    now = dt.datetime.now(dt.timezone.utc)  # noqa: TID251 (another process: the IdP's own clock)
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=30)).sign(key, hashes.SHA256()))
    key_file, cert_file = DIR / f"{name}.key", DIR / f"{name}.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


KEY, CERT = _pair("idp")
OTHER_KEY, _OTHER_CERT = _pair("attacker")
CERT_BODY = "".join(line for line in Path(CERT).read_text().splitlines() if "-----" not in line)


def _config(base: str, sp_metadata: str | None) -> IdPConfig:
    conf = {
        "entityid": f"{base}/idp/metadata",
        "xmlsec_binary": XMLSEC1,
        "service": {"idp": {
            "name": "Test University IdP",
            "endpoints": {
                "single_sign_on_service": [(f"{base}/sso/redirect", BINDING_HTTP_REDIRECT)],
                "single_logout_service": [(f"{base}/slo/redirect", BINDING_HTTP_REDIRECT)],
            },
            "policy": {"default": {"lifetime": {"minutes": 15}, "attribute_restrictions": None,
                                   "name_form": NAME_FORMAT_URI}},
            "name_id_format": [NAMEID_FORMAT_PERSISTENT],
            "want_authn_requests_signed": True,
            "scope": ["uni.example"],   # <shibmd:Scope> in its metadata, as a Shibboleth IdP publishes (LMS-3)
        }},
        "key_file": KEY,
        "cert_file": CERT,
        "metadata": {"inline": [sp_metadata]} if sp_metadata else {},
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
    }
    config = IdPConfig()
    config.load(conf)
    return config


def reset(base: str | None = None) -> None:
    with LOCK:
        base = base or STATE["base"]
        STATE.clear()
        STATE.update({
            "base": base, "sp_metadata": None, "mode": "", "last": None, "log": [],
            "user": {"name_id": "p-2002", "attributes": {
                "eduPersonPrincipalName": ["grace@uni.example"], "givenName": ["Grace"], "sn": ["Hopper"],
                "mail": ["grace@uni.example"], "eduPersonAffiliation": ["staff", "member"]}},
        })
        STATE["server"] = Server(config=_config(base, None))


def _iso(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


# mode → (sign the assertion, sign the Response, encrypt the assertion), as IdPs are configured:
# "encrypt" is an assertion signed then encrypted; "response_signed" a Response signed around an
# unsigned assertion; "shibboleth_default" what a Shibboleth IdP sends out of the box
# (signResponses=true, signAssertions=false, encryptAssertions=true); "both_signed" a signed
# assertion in a signed Response (Shibboleth with signAssertions=true, Okta)
SIGNING_FORMS = {"encrypt": (True, False, True), "response_signed": (False, True, False),
                 "shibboleth_default": (False, True, True), "both_signed": (True, True, False),
                 "both_signed_encrypted": (True, True, True)}


def _answer(server: Server, authn_request, relay_state: str) -> str:
    mode, user = STATE["mode"], STATE["user"]
    destination = authn_request.message.assertion_consumer_service_url
    sp_entity_id = authn_request.message.issuer.text
    in_response_to = authn_request.message.id
    name_id = NameID(format=user.get("name_id_format") or NAMEID_FORMAT_PERSISTENT, text=user["name_id"],
                     sp_name_qualifier=sp_entity_id)
    authn = {"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
             "authn_auth": server.config.entityid}
    if mode in SIGNING_FORMS:
        sign_assertion, sign_response, encrypt = SIGNING_FORMS[mode]
        response = server.create_authn_response(
            user["attributes"], in_response_to, destination, sp_entity_id, name_id=name_id, authn=authn,
            sign_assertion=sign_assertion, sign_response=sign_response, encrypt_assertion=encrypt,
            encrypt_assertion_self_contained=encrypt)
        return str(response)
    response = server.create_authn_response(user["attributes"], in_response_to, destination, sp_entity_id,
                                            name_id=name_id, authn=authn, sign_assertion=False, sign_response=False)
    root = etree.fromstring(str(response).encode())
    assertion = root.find("saml:Assertion", NS)
    now = dt.datetime.now(dt.timezone.utc)  # noqa: TID251 (another process: the IdP's own clock)
    if mode == "audience":
        for audience in assertion.iterfind(".//saml:Audience", NS):
            audience.text = "https://another-sp.example/shibboleth"
    if mode == "recipient":
        for data in assertion.iterfind(".//saml:SubjectConfirmationData", NS):
            data.set("Recipient", "https://another-sp.example/Shibboleth.sso/SAML2/POST")
    if mode == "in_response_to":
        root.set("InResponseTo", "_a_request_nobody_sent")
        for data in assertion.iterfind(".//saml:SubjectConfirmationData", NS):
            data.set("InResponseTo", "_a_request_nobody_sent")
    if mode == "expired":
        conditions = assertion.find("saml:Conditions", NS)
        conditions.set("NotBefore", _iso(now - dt.timedelta(hours=3)))
        conditions.set("NotOnOrAfter", _iso(now - dt.timedelta(hours=2)))
        for data in assertion.iterfind(".//saml:SubjectConfirmationData", NS):
            data.set("NotOnOrAfter", _iso(now - dt.timedelta(hours=2)))
    if mode == "not_yet_valid":
        conditions = assertion.find("saml:Conditions", NS)
        conditions.set("NotBefore", _iso(now + dt.timedelta(hours=2)))
        conditions.set("NotOnOrAfter", _iso(now + dt.timedelta(hours=3)))
    if mode != "unsigned":
        template = etree.fromstring(str(pre_signature_part(ident=assertion.get("ID"), public_key=CERT_BODY,
                                                           digest_alg=DIGEST_SHA256, sign_alg=SIG_RSA_SHA256)).encode())
        assertion.insert(1, template)  # right after the Issuer, as the schema wants
    xml = etree.tostring(root, encoding="unicode")
    if mode != "unsigned":
        key = OTHER_KEY if mode == "wrong_key" else KEY
        xml = server.sec.crypto.sign_statement(xml, "urn:oasis:names:tc:SAML:2.0:assertion:Assertion", key,
                                               assertion.get("ID"))
    return xml


def app(environ, start_response):
    try:
        return _app(environ, start_response)
    except Exception:
        import traceback

        body = traceback.format_exc().encode()
        start_response("500 Internal Server Error", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
        return [body]


def _app(environ, start_response):
    path = environ["PATH_INFO"]
    method = environ["REQUEST_METHOD"]
    query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
    server: Server = STATE["server"]

    def reply(body: str | bytes, status="200 OK", ctype="text/html; charset=utf-8", headers=()):
        data = body.encode() if isinstance(body, str) else body
        start_response(status, [("Content-Type", ctype), ("Content-Length", str(len(data))), *headers])
        return [data]

    if path == "/idp/metadata":
        return reply(str(entity_descriptor(server.config)), ctype="application/samlmetadata+xml")
    if path == "/_control" and method == "POST":
        import json

        size = int(environ.get("CONTENT_LENGTH") or 0)
        data = json.loads(environ["wsgi.input"].read(size) or b"{}")
        if data.get("reset"):
            reset()
        with LOCK:
            if "sp_metadata" in data:
                STATE["sp_metadata"] = data["sp_metadata"]
                STATE["server"] = Server(config=_config(STATE["base"], data["sp_metadata"]))
            if "user" in data:
                STATE["user"] = data["user"]
            if "mode" in data:
                STATE["mode"] = data["mode"]
        return reply("{}", ctype="application/json")
    if path == "/_last":
        return reply(STATE["last"] or "", ctype="text/plain")
    if path == "/_log":
        import json

        return reply(json.dumps(STATE["log"]), ctype="application/json")
    if path == "/sso/redirect":
        if "Signature" not in query:
            return reply("unsigned AuthnRequest refused", status="400 Bad Request", ctype="text/plain")
        try:  # pysaml2 checks the query signature against the SP's key from its metadata
            authn_request = server.parse_authn_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT,
                                                       relay_state=query.get("RelayState"), sigalg=query["SigAlg"],
                                                       signature=query["Signature"])
        except Exception as exc:
            return reply(f"bad request: {exc!r}", status="400 Bad Request", ctype="text/plain")
        STATE["log"].append({"event": "authn_request", "id": authn_request.message.id})
        xml = _answer(server, authn_request, query.get("RelayState", ""))
        encoded = base64.b64encode(xml.encode()).decode()
        STATE["last"] = encoded
        destination = authn_request.message.assertion_consumer_service_url
        form = (f'<form method="post" action="{destination}"><input type="hidden" name="SAMLResponse" value="{encoded}">'
                f'<input type="hidden" name="RelayState" value="{query.get("RelayState", "")}">'
                f'<button type="submit">Continue</button></form>')
        return reply(f"<!doctype html><title>Test IdP</title>{form}")
    if path == "/slo/redirect":
        if "SAMLRequest" in query:
            request = server.parse_logout_request(query["SAMLRequest"], BINDING_HTTP_REDIRECT,
                                                  relay_state=query.get("RelayState"), sigalg=query.get("SigAlg"),
                                                  signature=query.get("Signature"))
            message = request.message
            STATE["log"].append({"event": "logout_request", "name_id": message.name_id.text,
                                 "session_index": [s.text for s in message.session_index],
                                 "signed": "Signature" in query})
            destination = server.metadata.single_logout_service(message.issuer.text, BINDING_HTTP_REDIRECT,
                                                                "spsso")[0]["location"]
            response = server.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
            info = server.apply_binding(BINDING_HTTP_REDIRECT, str(response), destination,
                                        relay_state=query.get("RelayState", ""), response=True, sign=True)
            return reply("", status="302 Found", headers=[("Location", dict(info["headers"])["Location"])])
        return reply("logout response received", ctype="text/plain")
    return reply("not found", status="404 Not Found", ctype="text/plain")


class ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class QuietHandler(WSGIRequestHandler):
    def log_message(self, *args):
        pass


if __name__ == "__main__":
    port = int(sys.argv[1])
    reset(f"http://127.0.0.1:{port}")
    with make_server("127.0.0.1", port, app, server_class=ThreadingServer, handler_class=QuietHandler) as httpd:
        httpd.serve_forever()

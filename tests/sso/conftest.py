"""Real identity providers for the SSO tests, each its own process speaking the real protocol:
an OpenID provider (tests/sso/op_server.py, Authlib's server side) and a SAML IdP
(tests/sso/idp_server.py, pysaml2's IdP).  One process per test worker; each test resets it."""
from __future__ import annotations

import datetime as dt
import functools
import html
import http.server
import os
import re
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest
import requests
from tests.independent import free_port as _free_port  # below the ephemeral range

ROOT = Path(__file__).resolve().parents[2]


def _start(module: str, port: int, ready_path: str, *extra: str) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    log = open(Path(tempfile.gettempdir()) / f"syllabus-test-{module.rsplit('.', 1)[-1]}-{port}.log", "w+b")
    proc = subprocess.Popen([sys.executable, "-m", module, str(port), *extra], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT)
    proc.log = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            log.seek(0)
            raise RuntimeError(f"{module} exited: {log.read().decode()[-2000:]}")
        try:
            if requests.get(f"http://127.0.0.1:{port}{ready_path}", timeout=2).ok:
                return proc
        except requests.RequestException:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"{module} did not start")


class Provider:
    def __init__(self, url: str):
        self.url = url

    def control(self, **data) -> dict:
        r = requests.post(f"{self.url}/_control", json=data, timeout=10)
        r.raise_for_status()
        return r.json()

    def log(self) -> list:
        return requests.get(f"{self.url}/_log", timeout=10).json()


@pytest.fixture(scope="session")
def _op_process():
    port = _free_port()
    proc = _start("tests.sso.op_server", port, "/.well-known/openid-configuration")
    yield Provider(f"http://127.0.0.1:{port}")
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def op(_op_process):
    """The OpenID provider, reset: client ``syllabus``/``s3cret``, signing in Ada (sub u-1001)."""
    from django.core.cache import cache

    _op_process.control(reset=True)
    cache.clear()  # discovery and JWKS are cached per process
    return _op_process


@pytest.fixture
def oidc_idp(op, inst_a, groups):
    from syllabus.sso import services

    provider = services.add_oidc_provider(
        inst_a, name="University account", slug="uni", issuer=op.url, client_id="syllabus", client_secret="s3cret",
        username_claim="preferred_username", group_claim="groups",
        group_map="student=undergraduate,faculty=faculty,staff=staff")
    op.control(client={"redirect_uris": ["http://testserver/sso/inst-a/uni/callback/"]})
    return provider


def local(url: str) -> str:
    """An absolute URL of the site under test → what Django's test client takes."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def oidc_round_trip(client, provider, *, next_url: str | None = None):
    """Start at the provider's button, let the provider answer, return our callback's response."""
    start = f"/sso/{provider.institution.code}/{provider.slug}/login/" + (f"?next={next_url}" if next_url else "")
    r = client.get(start)
    assert r.status_code == 302, r.content[:500]
    at_provider = requests.get(r["Location"], allow_redirects=False, timeout=10)
    assert at_provider.status_code == 302, at_provider.text[:500]
    return client.get(local(at_provider.headers["Location"])), local(at_provider.headers["Location"])


def signed_out_onward(response) -> str:
    """Where the sign-out sends the browser when the identity provider signs out too: our own page
    (200, no redirect — Chromium holds a redirect after a form post to the CSP ``form-action`` of the
    page the Sign out button was on) that goes on by itself and offers the same address as a link (LMS-3)."""
    assert response.status_code == 200, response.status_code
    page = response.content.decode()
    refresh = re.search(r'<meta http-equiv="refresh" content="0; url=([^"]+)">', page)
    link = re.search(r'<a href="([^"]+)">Continue to your campus sign-out</a>', page)
    assert refresh and link and refresh.group(1) == link.group(1), page[-2000:]
    assert "You are signed out of Syllabus" in page
    return html.unescape(link.group(1))


@pytest.fixture(scope="session")
def _idp_process():
    port = _free_port()
    proc = _start("tests.sso.idp_server", port, "/idp/metadata")
    yield Provider(f"http://127.0.0.1:{port}")
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def idp(_idp_process):
    """The SAML IdP, reset: signs in Grace (NameID p-2002, eduPersonPrincipalName grace@uni.example)."""
    _idp_process.control(reset=True)
    return _idp_process


@pytest.fixture
def saml_idp(idp, inst_a, groups, client):
    from syllabus.sso import services

    metadata = requests.get(f"{idp.url}/idp/metadata", timeout=10).text
    provider = services.add_saml_provider(
        inst_a, name="Campus login", slug="campus", metadata_xml=metadata, metadata_url=f"{idp.url}/idp/metadata",
        group_attribute="eduPersonAffiliation", group_map="faculty=faculty,staff=staff,student=undergraduate")
    sp_metadata = client.get("/sso/inst-a/saml/metadata/").content.decode()
    idp.control(sp_metadata=sp_metadata)
    return provider


def saml_answer(client, provider, *, next_url: str | None = None) -> str:
    """Start at the provider's button; return the SAMLResponse the IdP would have the browser post."""
    import re

    start = f"/sso/{provider.institution.code}/{provider.slug}/login/" + (f"?next={next_url}" if next_url else "")
    r = client.get(start)
    assert r.status_code == 302, r.content[:500]
    page = requests.get(r["Location"], timeout=20)
    assert page.status_code == 200, page.text[:500]
    return re.search(r'name="SAMLResponse" value="([^"]+)"', page.text).group(1)


def post_answer(client, provider, saml_response: str):
    """Post the IdP's answer as a browser does, following the assertion consumer's same-site
    re-post when the browser had no session cookie to send (LMS-3, ``saml.needs_same_site_repost``)."""
    acs = f"/sso/{provider.institution.code}/saml/acs/"
    response = client.post(acs, {"SAMLResponse": saml_response, "RelayState": ""})
    if response.status_code == 200 and b'data-testid="saml-repost"' in response.content:
        response = client.post(acs, {"SAMLResponse": saml_response, "RelayState": "", "syllabus_same_site": "1"})
    return response


@pytest.fixture(autouse=True)
def _local_test_servers(settings):
    """The fake servers of these tests run on 127.0.0.1: the platform operator's allowance of
    syllabus.core.outbound (SSRF), as an intranet deployment would set it."""
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]


# --- signed metadata: key pairs (a federation's, another, an IdP's) and a web server publishing files ---

def _pair(directory, name: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
    cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(dt.datetime(2020, 1, 1, tzinfo=dt.timezone.utc))
            .not_valid_after(dt.datetime(2099, 1, 1, tzinfo=dt.timezone.utc)).sign(key, hashes.SHA256()))
    key_file, cert_file = directory / f"{name}.key", directory / f"{name}.crt"
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    return str(key_file), str(cert_file)


@pytest.fixture(scope="module")
def keys(tmp_path_factory):
    directory = tmp_path_factory.mktemp("federation")
    return {"federation": _pair(directory, "federation"), "other": _pair(directory, "other"),
            "idp": _pair(directory, "idp")}


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def metadata_site(tmp_path):
    """A web server publishing ``tmp_path`` (the federation's metadata address)."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()

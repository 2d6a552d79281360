"""Attack class: server-side request forgery.  Every place the server fetches an address that a
person or an institution's administrator gave — cite it (DSV-4), SAML metadata and the OIDC
discovery document, key set and userinfo (LMS-3), an LTI platform's token endpoint, key set and
roster (LMS-1/2), the CLA permissions service (SRV-2) and the editions feed (SRV-3) — goes through
syllabus.core.outbound: loopback, private, link-local (cloud metadata), reserved and unspecified
addresses are refused before any byte is sent, on every redirect hop too, unless the platform
operator lists the host in ``OUTBOUND_PRIVATE_HOSTS``; every request has a timeout and every
answer a size ceiling.

An internal service is played by a local server that counts its requests: a refusal that still
sent the request would show there."""
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from syllabus.core import outbound
from syllabus.core.errors import RuleViolation

pytestmark = pytest.mark.django_db


class Internal:
    def __init__(self):
        hits = self.hits = []
        routes = self.routes = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                status, headers, body = routes.get(self.path.split("?")[0], (200, {}, b"{}"))
                self.send_response(status)
                for k, v in headers.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            do_POST = do_GET  # noqa: N815

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.httpd.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def internal(settings):
    settings.OUTBOUND_PRIVATE_HOSTS = []
    server = Internal()
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


INTERNAL_ADDRESSES = ["http://169.254.169.254/latest/meta-data/", "http://[::1]/", "http://[::ffff:127.0.0.1]/",
                      "http://0.0.0.0/", "http://10.0.0.1/", "http://2130706433/", "http://localhost/", "file:///etc/passwd",
                      "gopher://127.0.0.1:6379/_INFO"]


@pytest.mark.parametrize("url", INTERNAL_ADDRESSES)
def test_internal_addresses_of_every_spelling_are_refused(url, internal):
    with pytest.raises(RuleViolation) as refused:
        outbound.check_url(url, rule="X-1")
    assert refused.value.rule == "X-1"


def test_cite_it_and_saml_metadata_and_oidc_documents_never_reach_an_internal_address(internal):
    from syllabus.catalog import citeit
    from syllabus.sso import oidc, saml

    for fetch, rule in [(lambda: citeit.fetch(internal.url + "/page"), "DSV-4"),
                        (lambda: saml.read_metadata(internal.url + "/metadata"), "LMS-3"),
                        (lambda: oidc._get_json(internal.url + "/.well-known/openid-configuration", "discovery document"),
                         "LMS-3")]:
        with pytest.raises(RuleViolation) as refused:
            fetch()
        assert refused.value.rule == rule and "private or local" in refused.value.detail, refused.value
    assert internal.hits == []


@pytest.mark.parametrize("target", ["localhost", "rebind.example"])
def test_a_redirect_to_an_internal_address_is_refused(internal, settings, rebinding_dns, target):
    """An allowed host (here: 127.0.0.1, as the operator might list an intranet IdP) that
    redirects to another, internal one — plainly, or by a name that rebinds to 127.0.0.1 after
    its check: every hop is vetted where it connects."""
    from syllabus.sso import oidc

    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1"]
    internal.routes["/moved"] = (302, {"Location": f"http://{target}:{internal.port}/secret"}, b"")
    with pytest.raises(RuleViolation, match=f"{target} is a private or local"):
        oidc._get_json(internal.url + "/moved", "key set (JWKS)")
    assert internal.hits == ["/moved"]


def test_answers_are_bounded_in_size(internal, settings, monkeypatch):
    from syllabus.sso import oidc, saml

    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1"]
    monkeypatch.setattr(oidc, "MAX_DOCUMENT", 10_000)
    monkeypatch.setattr(saml, "METADATA_MAX", 10_000)
    internal.routes["/huge"] = (200, {"Content-Type": "application/json"}, b"[" + b"0," * 20_000 + b"0]")
    with pytest.raises(RuleViolation, match="larger than"):
        oidc._get_json(internal.url + "/huge", "discovery document")
    with pytest.raises(RuleViolation, match="larger than"):
        saml.read_metadata(internal.url + "/huge")


def test_an_institutions_services_cannot_point_the_server_inward(internal, inst_a, instructor, course):
    from syllabus.acquisitions import cla, editions
    from syllabus.lists import services
    from syllabus.org import config

    config.set_value("cla_service_url", internal.url, institution=inst_a)
    found = cla.http("isbn", "9780141439518", institution=inst_a)
    assert found.error and "private or local" in found.error, found
    lst = services.create_list(instructor, title="Week 1", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    citation = services.add_citation(instructor, lst, section, "book", {"title": "Emma", "ISBN": "9780141439587"})
    assert editions.from_open_library(citation, internal.url) == []
    assert internal.hits == []


def test_an_lti_platform_cannot_point_the_server_inward(internal, inst_a):
    from syllabus.lti import services

    platform = services.register_platform(None, inst_a, issuer="https://lms.example.edu", client_id="tool",
                                          auth_login_url="https://lms.example.edu/auth",
                                          auth_token_url=internal.url + "/token", keyset_url=internal.url + "/jwks")
    with pytest.raises(RuleViolation) as refused:
        services.fetch_members(platform, internal.url + "/members")
    assert "private or local" in str(refused.value)
    assert internal.hits == []


def test_the_operator_may_allow_an_intranet_host(internal, settings):
    from syllabus.sso import oidc

    settings.OUTBOUND_PRIVATE_HOSTS = "intranet.example, 127.0.0.1"   # as the environment variable gives it
    internal.routes["/doc"] = (200, {"Content-Type": "application/json"}, b'{"issuer": "x"}')
    assert oidc._get_json(internal.url + "/doc", "discovery document") == {"issuer": "x"}


# --- DNS rebinding: the connection goes to the address that was checked ---------------------------

@pytest.fixture
def rebinding_dns(monkeypatch):
    """A resolver under the attacker's control: ``rebind.example`` answers a public address to the
    first lookup (the check) and 127.0.0.1 to every later one (the connection); ``names`` maps
    other test names to fixed addresses; everything else resolves as usual."""
    import socket

    real = socket.getaddrinfo
    lookups: list[str] = []
    names: dict[str, str] = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host == "rebind.example":
            lookups.append(host)
            return real("93.184.216.34" if len(lookups) == 1 else "127.0.0.1", port, *args, **kwargs)
        if host in names:
            return real(names[host], port, *args, **kwargs)
        return real(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    getaddrinfo.lookups, getaddrinfo.names = lookups, names
    return getaddrinfo


def test_a_name_that_rebinds_to_a_local_address_after_the_check_never_reaches_it(internal, rebinding_dns):
    from syllabus.sso import oidc

    with pytest.raises(RuleViolation) as refused:
        oidc._get_json(f"http://rebind.example:{internal.port}/.well-known/openid-configuration", "discovery document")
    assert "rebind.example is a private or local network address (127.0.0.1)" in refused.value.detail
    assert len(rebinding_dns.lookups) >= 2   # the public answer was checked, the rebinding one refused at connect
    assert internal.hits == []


def test_an_allowed_name_is_connected_at_the_address_it_resolves_to(internal, rebinding_dns, settings):
    """OUTBOUND_PRIVATE_HOSTS still lets the operator's intranet host through, by name."""
    from syllabus.sso import oidc

    settings.OUTBOUND_PRIVATE_HOSTS = ["idp.campus.example"]
    rebinding_dns.names["idp.campus.example"] = "127.0.0.1"
    internal.routes["/doc"] = (200, {"Content-Type": "application/json"}, b'{"issuer": "campus"}')
    assert oidc._get_json(f"http://idp.campus.example:{internal.port}/doc", "discovery document") == {"issuer": "campus"}
    assert internal.hits == ["/doc"]


@pytest.fixture
def tls_server(tmp_path):
    """An HTTPS server on 127.0.0.1 whose certificate (from a test CA) names only ``other.example``."""
    import datetime as dt
    import ssl

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)  # noqa: TID251 (OpenSSL checks validity against the real clock)

    def cert(subject, key, issuer, issuer_key, *, ca, names=()):
        builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(minutes=5))
                   .not_valid_after(now + dt.timedelta(days=1))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if names:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(n) for n in names]), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key, leaf_key = ec.generate_private_key(ec.SECP256R1()), ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = cert(ca_name, ca_key, ca_name, ca_key, ca=True)
    leaf = cert(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "other.example")]), leaf_key, ca_name, ca_key,
                ca=False, names=["other.example"])
    (tmp_path / "ca.pem").write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.pem").write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "leaf.key").write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                                               serialization.NoEncryption()))
    server = Internal()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tmp_path / "leaf.pem", tmp_path / "leaf.key")
    server.httpd.socket = context.wrap_socket(server.httpd.socket, server_side=True)
    server.ca = str(tmp_path / "ca.pem")
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_tls_still_checks_the_certificate_against_the_host_name(tls_server, rebinding_dns, settings):
    """The connection goes to the vetted IP, but SNI and the certificate check keep the name: the
    certificate's name is accepted, another name served by the same address is refused."""
    import requests

    settings.OUTBOUND_PRIVATE_HOSTS = ["other.example", "wrong.example"]
    rebinding_dns.names.update({"other.example": "127.0.0.1", "wrong.example": "127.0.0.1"})
    tls_server.routes["/doc"] = (200, {}, b"certified")
    s = outbound.session(rule="X-1")
    assert s.get(f"https://other.example:{tls_server.port}/doc", verify=tls_server.ca, timeout=5).content == b"certified"
    with pytest.raises(requests.exceptions.SSLError, match="wrong.example"):
        s.get(f"https://wrong.example:{tls_server.port}/doc", verify=tls_server.ca, timeout=5)
    assert tls_server.hits == ["/doc"]

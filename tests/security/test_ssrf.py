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


def _answer(handler: BaseHTTPRequestHandler, status: int, headers: dict, body: bytes) -> None:
    handler.send_response(status)
    for k, v in headers.items():
        handler.send_header(k, v)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


class Internal:
    def __init__(self):
        hits = self.hits = []
        routes = self.routes = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                hits.append(self.path)
                _answer(self, *routes.get(self.path.split("?")[0], (200, {}, b"{}")))

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
                      "gopher://127.0.0.1:6379/_INFO",
                      # session 15: shared address space (carrier-grade NAT; a cloud's metadata at 100.100.100.200),
                      # and IPv6 addresses that carry an internal IPv4 one (6to4, NAT64, IPv4-compatible, mapped 10.x)
                      "http://100.100.100.200/latest/meta-data/", "http://[2002:a9fe:a9fe::1]/", "http://[64:ff9b::a9fe:a9fe]/",
                      "http://[::127.0.0.1]/", "http://[::ffff:10.0.0.1]/", "http://[fd00::1]/", "http://224.0.0.1/",
                      "http://192.0.0.170/", "http://198.18.0.1/"]


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
    monkeypatch.setattr(saml, "AGGREGATE_MAX", 10_000)   # what is read (an aggregate); the IdP kept: METADATA_MAX
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


def test_only_public_unicast_addresses_may_be_fetched():
    """Before session 15 the shared address space (100.64.0.0/10) and 6to4 addresses carrying an
    internal IPv4 address were fetched; what a public service has passes."""
    import ipaddress

    for text in ("100.64.0.1", "100.127.255.254", "2002:7f00:1::1", "2002:0a00:0001::", "64:ff9b::7f00:1", "::ffff:169.254.169.254"):
        assert outbound.refused_address(ipaddress.ip_address(text)), text
    for text in ("93.184.216.34", "2606:4700::1111", "2002:5db8:d822::1", "64:ff9b::5db8:d822"):
        assert not outbound.refused_address(ipaddress.ip_address(text)), text


# --- a whole answer has a deadline, not only each read ----------------------------------------------

@pytest.fixture
def dripping():
    """A server on 127.0.0.1 that answers one byte every 0.2 s (well inside any read timeout)."""
    import time

    class Drip(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", "100")
            self.end_headers()
            try:
                for _ in range(100):
                    self.wfile.write(b" ")
                    self.wfile.flush()
                    time.sleep(0.2)
            except OSError:
                pass

        def log_message(self, *args):
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Drip)
    httpd.daemon_threads = True
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_an_answer_that_drips_is_cut_at_the_deadline(dripping, settings):
    """Before: only the read timeout (between two bytes) bounded an answer, so a server sending
    a byte every few seconds held a worker for hours.  Now the whole answer has a deadline."""
    import time

    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1"]
    started = time.monotonic()
    response = outbound.session(rule="X-1", deadline=1.0).get(dripping + "/doc", timeout=5, stream=True)
    with pytest.raises(outbound.TooSlow) as slow:
        outbound.read(response, 1_000_000, rule="X-1")
    assert slow.value.rule == "X-1" and slow.value.status == 504 and "longer than 1 seconds" in slow.value.detail
    assert time.monotonic() - started < 4
    with pytest.raises(outbound.TooSlow):   # also when a library reads .content itself
        outbound.session(rule="X-1", deadline=1.0).get(dripping + "/doc", timeout=5).content  # noqa: B018


# --- behind an egress proxy (OUTBOUND_PROXY) ----------------------------------------------------------

class Proxy:
    """A forward proxy on 127.0.0.1 that records what it is asked for and answers itself (it
    forwards nothing): a request it sees is one the check let through."""

    def __init__(self):
        seen = self.seen = []
        routes = self.routes = {}

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                seen.append(self.path)   # the absolute URL of the target
                _answer(self, *routes.get(self.path, (200, {"Content-Type": "application/json"}, b'{"via": "proxy"}')))

            def do_CONNECT(self):  # noqa: N802
                seen.append(f"CONNECT {self.path}")
                self.send_error(403)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()


@pytest.fixture
def proxy(monkeypatch, internal, settings):
    """The egress proxy the operator configured for outbound fetches (OUTBOUND_PROXY; session 16:
    HTTP(S)_PROXY in the environment no longer counts, see test_outbound_environment.py)."""
    server = Proxy()
    settings.OUTBOUND_PROXY = server.url
    yield server
    server.httpd.shutdown()
    server.httpd.server_close()


def test_behind_a_proxy_the_targets_address_is_checked_before_the_proxy_is_asked(proxy, internal, rebinding_dns, settings):
    """With OUTBOUND_PROXY set the connection goes to the proxy, never to the target — the target's
    name is still resolved and vetted first: an internal one (by literal, by a name that resolves
    inward, over https too) never reaches the proxy, a public one does."""
    from syllabus.sso import oidc

    rebinding_dns.names.update({"inward.example": "10.0.0.1", "public.example": "93.184.216.34",
                                "idp.campus.example": "10.1.2.3"})
    for url in (internal.url + "/doc", "http://inward.example/doc", f"https://inward.example:{internal.port}/doc",
                "http://[64:ff9b::a9fe:a9fe]/latest/meta-data/"):
        with pytest.raises(RuleViolation) as refused:
            oidc._get_json(url, "discovery document")
        assert refused.value.rule == "LMS-3" and "private or local" in refused.value.detail, url
    assert proxy.seen == [] and internal.hits == []
    assert oidc._get_json("http://public.example/doc", "discovery document") == {"via": "proxy"}
    assert proxy.seen == ["http://public.example/doc"]
    # the operator's allow-list: an intranet IdP, through the proxy
    settings.OUTBOUND_PRIVATE_HOSTS = ["idp.campus.example"]
    assert oidc._get_json("http://idp.campus.example/doc", "discovery document") == {"via": "proxy"}
    assert proxy.seen[-1] == "http://idp.campus.example/doc"


def test_behind_a_proxy_a_redirect_inward_is_refused_at_its_hop(proxy, rebinding_dns):
    from syllabus.sso import oidc

    rebinding_dns.names.update({"public.example": "93.184.216.34", "inward.example": "10.0.0.1"})
    proxy.routes["http://public.example/moved"] = (302, {"Location": "http://inward.example/secret"}, b"")
    with pytest.raises(RuleViolation, match="inward.example is a private or local"):
        oidc._get_json("http://public.example/moved", "discovery document")
    assert proxy.seen == ["http://public.example/moved"]


# --- the ISBN/DOI look-up: the operator's service, through the same client ---------------------------

def test_the_identifier_lookup_is_bounded_and_never_redirected_inward(internal, settings, student, monkeypatch):
    """LST-2.  Before: a plain requests session — no size ceiling, no deadline, any redirect
    followed.  Now the configured host (here a mirror on 127.0.0.1, not in OUTBOUND_PRIVATE_HOSTS)
    is fetched, a redirect from it to another internal host is refused, a huge answer too."""
    from syllabus.catalog import lookup

    settings.CROSSREF_URL = internal.url + "/crossref"
    internal.routes["/crossref/works/10.1000/ok"] = (200, {"Content-Type": "application/json"},
                                                     b'{"status": "ok", "message": {"type": "book", "title": ["Mirrored"]}}')
    assert lookup.lookup(student, "10.1000/ok").csl["title"] == "Mirrored"
    internal.routes["/crossref/works/10.1000/moved"] = (302, {"Location": f"http://localhost:{internal.port}/secret"}, b"")
    with pytest.raises(RuleViolation) as refused:
        lookup.lookup(student, "10.1000/moved")
    assert refused.value.rule == "LST-2" and refused.value.status == 502 and "localhost is a private or local" in refused.value.detail
    assert "/secret" not in internal.hits
    monkeypatch.setattr(lookup, "MAX_ANSWER", 1000)
    internal.routes["/crossref/works/10.1000/huge"] = (200, {"Content-Type": "application/json"}, b'{"x": "' + b"a" * 5000 + b'"}')
    with pytest.raises(RuleViolation, match="larger than 1,000 bytes") as refused:
        lookup.lookup(student, "10.1000/huge")
    assert refused.value.status == 502

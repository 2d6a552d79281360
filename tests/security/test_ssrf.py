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


def test_a_redirect_to_an_internal_address_is_refused(internal, settings):
    """An allowed host (here: 127.0.0.1, as the operator might list an intranet IdP) that
    redirects to another, internal one: the hop is checked like the first request."""
    from syllabus.sso import oidc

    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1"]
    internal.routes["/moved"] = (302, {"Location": f"http://localhost:{internal.port}/secret"}, b"")
    with pytest.raises(RuleViolation, match="localhost is a private or local"):
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

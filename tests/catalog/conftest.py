"""Catalog fixtures: records with items, MARC builders, and a fake HTTP server on 127.0.0.1
that serves recorded responses (Open Library, Crossref, web pages for cite-it)."""
from __future__ import annotations

import http.server
import json
import threading
from pathlib import Path
from urllib.parse import parse_qs, urlparse

import pymarc
import pytest
from pymarc import Field, Indicators, Subfield

from tests.factories import LibraryFactory

FIXTURES = Path(__file__).parent / "fixtures"


@pytest.fixture
def library_a2(inst_a):
    return LibraryFactory(institution=inst_a, code="lib-a2", name="Library A2")


@pytest.fixture
def make_record():
    """``make_record(institution, title=..., author=[...], ISBN=..., items=[(library, barcode, status)], ...)``."""
    from syllabus.catalog import services

    def make(institution, *, items=(), eresources=(), source_id=None, subjects=(), **csl):
        csl.setdefault("type", "book")
        saved = services.save_record(None, institution, csl, source_id=source_id, subjects=subjects)
        for entry in items:
            library, barcode, *rest = entry
            services.add_item(None, saved.record, library, barcode, status=rest[0] if rest else "in_place",
                              location="Stacks", call_number="PR4034 .P7")
        for url in eresources:
            services.add_eresource(None, saved.record, url)
        return saved.record

    return make


def marc_record(control: str | None, title: str | None, *, author: str = "", isbn: str = "", year: str = "2001",
                extra: list[Field] = (), leader: str = "00000nam a2200000 a 4500") -> pymarc.Record:
    rec = pymarc.Record(leader=leader)
    if control is not None:
        rec.add_field(Field(tag="001", data=control))
    rec.add_field(Field(tag="008", data=f"010101s{year}    enk           000 1 eng d"))
    if isbn:
        rec.add_field(Field(tag="020", indicators=Indicators(" ", " "), subfields=[Subfield("a", isbn)]))
    if author:
        rec.add_field(Field(tag="100", indicators=Indicators("1", " "), subfields=[Subfield("a", author)]))
    if title is not None:
        rec.add_field(Field(tag="245", indicators=Indicators("1", "0"), subfields=[Subfield("a", title)]))
    for f in extra:
        rec.add_field(f)
    return rec


@pytest.fixture
def marc():
    return marc_record


# --- a fake HTTP server -----------------------------------------------------------------

class FakeServer:
    """Serves files of tests/catalog/fixtures/http by route; records every request."""

    def __init__(self):
        self.routes: dict[str, tuple] = {}
        self.requests: list[dict] = []
        owner = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802
                parsed = urlparse(self.path)
                owner.requests.append({"path": parsed.path, "query": parse_qs(parsed.query), "headers": dict(self.headers)})
                key = parsed.path + ("?" + parsed.query if parsed.query and (parsed.path + "?" + parsed.query) in owner.routes else "")
                status, ctype, body, *extra = owner.routes.get(
                    key, owner.routes.get(parsed.path, (404, "application/json", b'{"error": "not found"}')))
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                for name, value in (extra[0] if extra else {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def route(self, path: str, *, file: str | None = None, body: bytes | str | dict | None = None, status: int = 200,
              content_type: str | None = None, headers: dict | None = None) -> None:
        if file is not None:
            data = (FIXTURES / "http" / file).read_bytes()
            content_type = content_type or ("application/json" if file.endswith(".json") else "text/html; charset=utf-8")
        elif isinstance(body, dict):
            data, content_type = json.dumps(body).encode(), content_type or "application/json"
        else:
            data = body.encode() if isinstance(body, str) else (body or b"")
        self.routes[path] = (status, content_type or "text/html; charset=utf-8", data, headers or {})

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def fake_http(settings):
    server = FakeServer()
    settings.OPENLIBRARY_URL = server.url + "/openlibrary"
    settings.CROSSREF_URL = server.url + "/crossref"
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]  # the fake server (core.outbound)
    yield server
    server.close()

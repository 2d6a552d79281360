"""Local fake servers speaking the formats our HTTP clients read — a real socket and a real HTTP
exchange (threaded ``http.server`` on 127.0.0.1), never a mock of our own client.

- CLA permissions (SRV-2): ``GET /permissions?isbn=|issn=`` → the JSON format of
  ``docs/acquisitions.md`` (404 when the title is not covered; 500 on demand);
- Open Library (SRV-3 new editions): ``GET /works/{OLID}/editions.json`` and ``GET /isbn/{isbn}.json``
  answering Open Library's own JSON shapes (https://openlibrary.org/dev/docs/api/books)."""
from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


class FakeServer:
    def __init__(self, routes):
        self.routes = routes            # fn(path, query) -> (status, body dict | None)
        self.requests: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self):  # noqa: N802 - http.server's name
                outer.requests.append(self.path)
                parts = urlsplit(self.path)
                status, body = outer.routes(parts.path, {k: v[0] for k, v in parse_qs(parts.query).items()})
                data = json.dumps(body).encode() if body is not None else b""
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


def cla_routes(table: dict[str, dict]):
    def routes(path, query):
        if path != "/permissions":
            return 404, {"error": "not found"}
        key = query.get("isbn") or query.get("issn") or ""
        if key == "boom":
            return 500, {"error": "internal"}
        if key not in table:
            return 404, {"error": "title not covered by the licence"}
        return 200, {"identifier": key, "permissions": table[key]}
    return routes


def open_library_routes(isbn_index: dict[str, dict], works: dict[str, list[dict]]):
    """``/isbn/{isbn}.json`` → the edition record; ``/works/{id}/editions.json`` → ``{"entries": [...]}``."""
    def routes(path, query):
        if path.startswith("/isbn/") and path.endswith(".json"):
            edition = isbn_index.get(path[len("/isbn/"):-len(".json")])
            return (200, edition) if edition else (404, {"error": "notfound", "key": path})
        if path.startswith("/works/") and path.endswith("/editions.json"):
            work = path[:-len("/editions.json")]
            entries = works.get(work)
            if entries is None:
                return 404, {"error": "notfound", "key": work}
            return 200, {"links": {"self": path, "work": work}, "size": len(entries), "entries": entries}
        return 404, {"error": "notfound"}
    return routes

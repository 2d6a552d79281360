"""A supplier's ISO 18626 endpoint on 127.0.0.1, written from the standard (schema 1.2,
``tests/data/ISO-18626-v1_2.xsd``) and not from Syllabus' code: it takes an HTTP POST of one
message, parses it, validates it against the XSD, and answers the confirmation the standard pairs
with it (``request`` → ``requestConfirmation``, ``requestingAgencyMessage`` →
``requestingAgencyMessageConfirmation``) with ``messageStatus`` OK — or, as a test sets ``mode``:
ERROR with an ``errorData``, an HTML page, an answer far too large, HTTP 503."""
from __future__ import annotations

import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from lxml import etree

NS = "http://illtransactions.org/2013/iso18626"
XSD = etree.XMLSchema(etree.parse(str(Path(__file__).parents[1] / "data" / "ISO-18626-v1_2.xsd")))
PAIRS = {"request": "requestConfirmation", "supplyingAgencyMessage": "supplyingAgencyMessageConfirmation",
         "requestingAgencyMessage": "requestingAgencyMessageConfirmation"}


def _text(el, path: str) -> str:
    found = el.find("/".join(f"{{{NS}}}{p}" for p in path.split("/")))
    return (found.text or "") if found is not None else ""


def confirmation(message, status: str = "OK", error: tuple[str, str] | None = None) -> bytes:
    kind = etree.QName(message).localname
    header = message.find(f"{{{NS}}}header")
    now = "2026-03-02T09:00:00Z"   # the supplier's own clock: any valid dateTime
    action = _text(message, "action")
    extra = f"<action>{action}</action>" if kind == "requestingAgencyMessage" and action else ""
    errors = (f"<errorData><errorType>{error[0]}</errorType><errorValue>{error[1]}</errorValue></errorData>"
              if error else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" ill:version="1.2">
 <{PAIRS[kind]}>
  <confirmationHeader>
   <supplyingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>{_text(header, "supplyingAgencyId/agencyIdValue")}</agencyIdValue></supplyingAgencyId>
   <requestingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>{_text(header, "requestingAgencyId/agencyIdValue")}</agencyIdValue></requestingAgencyId>
   <timestamp>{now}</timestamp>
   <requestingAgencyRequestId>{_text(header, "requestingAgencyRequestId")}</requestingAgencyRequestId>
   <timestampReceived>{now}</timestampReceived>
   <messageStatus>{status}</messageStatus>
  </confirmationHeader>{extra}{errors}
 </{PAIRS[kind]}>
</ISO18626Message>""".encode()


class Peer:
    """``received``: (headers, root element) of every valid message; ``invalid``: what failed the XSD."""

    def __init__(self):
        self.mode = "ok"
        self.received: list[tuple[dict, object]] = []
        self.invalid: list[str] = []
        peer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                if peer.mode == "down":
                    return self._send(503, b"maintenance", "text/plain")
                try:
                    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True))
                except etree.XMLSyntaxError as exc:
                    peer.invalid.append(str(exc))
                    return self._send(400, b"not XML", "text/plain")
                if not XSD.validate(root):
                    peer.invalid.append(str(XSD.error_log))
                    return self._send(200, confirmation(root[0], "ERROR", ("BadlyFormedMessage", "schema")))
                peer.received.append((dict(self.headers), root))
                if peer.mode == "html":
                    return self._send(200, b"<html><body>Welcome to our ILL system</body></html>", "text/html")
                if peer.mode == "huge":
                    return self._send(200, b"<x>" + b"a" * (2 * 1024 * 1024) + b"</x>")
                if peer.mode == "error":
                    return self._send(200, confirmation(root[0], "ERROR", ("UnrecognisedDataValue",
                                                                            "requestingAgencyId: not a partner of ours")))
                return self._send(200, confirmation(root[0]))

            def _send(self, code: int, body: bytes, kind: str = "application/xml"):
                self.send_response(code)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/iso18626"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def kinds(self) -> list[str]:
        return [etree.QName(root[0]).localname + (f":{_text(root[0], 'action')}" if _text(root[0], "action") else "")
                for _h, root in self.received]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def supplying_message(*, supplier: str, requester: str, request_id: str, status: str, reason: str = "StatusChange",
                      answer: str = "", note: str = "", due: str = "", unfilled: str = "") -> bytes:
    """The supplier's ``supplyingAgencyMessage`` about request ``request_id`` (ISO 18626 §8.3), as a
    partner posts it to the requester: its status, why it is sent, and the optional answerYesNo,
    note, reasonUnfilled and dueDate — in the schema's element order."""
    info = f"<reasonForMessage>{reason}</reasonForMessage>"
    info += f"<answerYesNo>{answer}</answerYesNo>" if answer else ""
    info += f"<note>{note}</note>" if note else ""
    info += f"<reasonUnfilled>{unfilled}</reasonUnfilled>" if unfilled else ""
    status_info = f"<status>{status}</status>" + (f"<dueDate>{due}</dueDate>" if due else "")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<ISO18626Message xmlns="{NS}" xmlns:ill="{NS}" ill:version="1.2">
 <supplyingAgencyMessage>
  <header>
   <supplyingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>{supplier}</agencyIdValue></supplyingAgencyId>
   <requestingAgencyId><agencyIdType>ISIL</agencyIdType><agencyIdValue>{requester}</agencyIdValue></requestingAgencyId>
   <multipleItemRequestId></multipleItemRequestId>
   <timestamp>2026-03-02T09:00:00Z</timestamp>
   <requestingAgencyRequestId>{request_id}</requestingAgencyRequestId>
  </header>
  <messageInfo>{info}</messageInfo>
  <statusInfo>{status_info}<lastChange>2026-03-02T09:00:00Z</lastChange></statusInfo>
 </supplyingAgencyMessage>
</ISO18626Message>""".encode()

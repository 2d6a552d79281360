"""An LTI 1.3 platform nobody on this project wrote: OpenLearning's ``lti1p3platform`` (PyPI,
pinned in requirements.lock) does the protocol — the third-party login initiation, the checks
of the tool's authentication request, the signed id_token (resource link and deep linking),
the platform JWKS, the client-credentials token endpoint that verifies the tool's JWT assertion,
the Names and Role service, and the verification of the tool's signed deep-linking response.
This file only hosts it over HTTP (stdlib), as a course in an LMS would.

    python scripts/interop/lti_platform.py PORT TOOL_BASE_URL

``GET /course/<context>?user=<id>`` starts a launch as that person (``&link=<id>`` launches a
placed link, ``&deep_link=1`` opens the tool's content selection, ``&locale=fr-CA`` sends the
person's LMS language as ``launch_presentation.locale``).  ``GET /placed`` lists what
the tool sent back by deep linking (JSON).  Issuer ``http://127.0.0.1:PORT``, client id
``lti1p3platform-client``, deployment ``deployment-1``; the login URL, launch URL and keyset
URL of the tool are TOOL_BASE_URL + ``/lti/login/``, ``/lti/launch/``, ``/lti/jwks/``."""
from __future__ import annotations

import html
import json
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from lti1p3platform.exceptions import LtiException, LtiServiceException
from lti1p3platform.ltiplatform import LTI1P3PlatformConfAbstract
from lti1p3platform.membership import Context
from lti1p3platform.message_launch import LTIAdvantageMessageLaunchAbstract
from lti1p3platform.oidc_login import OIDCLoginAbstract
from lti1p3platform.registration import Registration
from lti1p3platform.request import Request, TRequest
from lti1p3platform.service_connector import NamesRoleProvisioningService, TPage

LIS = "http://purl.imsglobal.org/vocab/lis/v2/membership#"
CLAIM_LP = "https://purl.imsglobal.org/spec/lti/claim/launch_presentation"
CLIENT_ID, DEPLOYMENT_ID = "lti1p3platform-client", "deployment-1"
PEOPLE = {
    "u-ada": {"name": "Ada Lovelace", "email": "ada@college.example", "roles": [LIS + "Instructor"]},
    "u-lin": {"name": "Lin Learner", "email": "lin@college.example", "roles": [LIS + "Learner"]},
    "u-max": {"name": "Max Member", "email": "max@college.example", "roles": [LIS + "Learner"]},
}
# the demo's course of its own for this trial (syllabus/lti/demo.py): HIST101, section LMS — its roster
# sync never touches HIST101-01, where the demo's students read the list
CONTEXTS = {"hist": {"id": "ctx-hist-2026", "label": "HIST101-LMS", "title": "Modern History"}}
STATE: dict[str, Any] = {"placed": [], "links": {}, "pending": {}}
LOCK = threading.Lock()


def _keys() -> tuple[str, str]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


PRIVATE, PUBLIC = _keys()


class PlatformConf(LTI1P3PlatformConfAbstract):
    def init_platform_config(self, **kwargs: Any) -> None:
        self.issuer, self.tool = kwargs["issuer"], kwargs["tool"]

    def get_registration_by_params(self, **kwargs: Any) -> Registration:
        return (Registration().set_iss(self.issuer).set_client_id(CLIENT_ID).set_deployment_id(DEPLOYMENT_ID)
                .set_oidc_login_url(self.tool + "/lti/login/").set_launch_url(self.tool + "/lti/launch/")
                .set_deeplink_launch_url(self.tool + "/lti/launch/").set_tool_key_set_url(self.tool + "/lti/jwks/")
                .set_platform_public_key(PUBLIC).set_platform_private_key(PRIVATE))


class HttpRequest(Request):
    def build_metadata(self, request: dict) -> TRequest:
        return request  # type: ignore[return-value]


class Login(OIDCLoginAbstract):
    def set_lti_message_hint(self, **kwargs: Any) -> None:
        self._lti_message_hint = kwargs["hint"]

    def get_redirect(self, url: str) -> str:
        return url


class Launch(LTIAdvantageMessageLaunchAbstract):
    def render_launch_form(self, launch_data: dict, **kwargs: Any) -> str:
        fields = "".join(f'<input type="hidden" name="{k}" value="{html.escape(str(launch_data[k]))}">'
                         for k in ("id_token", "state"))
        return (f'<!doctype html><title>Launching</title><form id="launch" method="post" '
                f'action="{html.escape(launch_data["launch_url"])}">{fields}<button>Launch the tool</button></form>'
                '<script>document.getElementById("launch").submit()</script>')


class Roster(NamesRoleProvisioningService):
    def __init__(self, request, conf, url, context):
        super().__init__(request, conf, url)
        self.context = context

    def get_member_data_page(self, **kwargs: Any) -> TPage:
        members = [{"user_id": sub, "roles": p["roles"], "name": p["name"], "email": p["email"], "status": "Active"}
                   for sub, p in PEOPLE.items()]
        return {"content": members, "has_next": False, "next": None}

    def get_context_by_id(self) -> Context:
        return Context(id=self.context["id"], label=self.context["label"], title=self.context["title"])


class Handler(BaseHTTPRequestHandler):
    conf_args: dict = {}

    def log_message(self, fmt, *args):  # quiet
        sys.stderr.write("lti1p3platform host: " + (fmt % args) + "\n")

    def _request(self, form: dict | None = None) -> dict:
        parts = urlsplit(self.path)
        return {"method": self.command, "form_data": form or {}, "get_data": dict(parse_qsl(parts.query)),
                "headers": dict(self.headers.items()), "content_type": self.headers.get("Content-Type"),
                "path": parts.path, "json": None}

    def _send(self, status: int, body: str | bytes, ctype="text/html; charset=utf-8", headers: dict | None = None):
        data = body.encode() if isinstance(body, str) else body
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _form(self) -> dict:
        length = int(self.headers.get("Content-Length") or 0)
        return dict(parse_qsl(self.rfile.read(min(length, 1_000_000)).decode()))

    def do_GET(self):
        req = self._request()
        path, query = req["path"], req["get_data"]
        conf = PlatformConf(**self.conf_args)
        conf.get_registration()
        if path == "/jwks":
            return self._send(200, json.dumps(conf.get_jwks()), "application/json")
        if path == "/placed":
            return self._send(200, json.dumps(STATE["placed"]), "application/json")
        if path.startswith("/course/"):
            context = CONTEXTS[path.split("/")[2]]
            hint = (f"{query['user']}|{path.split('/')[2]}|{query.get('link', '')}|{query.get('deep_link', '')}"
                    f"|{query.get('locale', '')}")
            login = Login(HttpRequest(req), conf)
            login.set_lti_message_hint(hint=hint)
            return self._send(302, "", headers={"Location": login.initiate_login(query["user"])})
        if path == "/auth":
            sub, ctx_key, link, deep, locale = (query.get("lti_message_hint", "") + "||||").split("|")[:5]
            if query.get("login_hint") != sub or sub not in PEOPLE:
                return self._send(400, "unknown login_hint")
            if query.get("redirect_uri") != self.conf_args["tool"] + "/lti/launch/":
                return self._send(400, "redirect_uri is not the tool's registered one")
            person, context = PEOPLE[sub], CONTEXTS[ctx_key]
            launch = Launch(HttpRequest(req), conf)
            # the library sends the full ``name`` only (no given_name / family_name)
            launch.set_user_data(sub, person["roles"], full_name=person["name"], email_address=person["email"])
            launch.set_launch_context_claim(context["id"], [LIS.replace("membership#", "course#CourseOffering")],
                                            context["title"], context["label"])
            launch.set_nrps(f"{self.conf_args['issuer']}/nrps/{ctx_key}")
            if locale:  # the library's setter knows document_target and return_url only
                launch.set_launch_presentation_claim(document_target="iframe")
                assert launch.lti_claim_launch_presentation is not None
                launch.lti_claim_launch_presentation[CLAIM_LP]["locale"] = locale
            if deep:
                launch.set_dl(f"{self.conf_args['issuer']}/deep_link_return", title="Add reading list",
                              accept_types={"ltiResourceLink"}, extra_data="opaque-data-123")
            else:
                placed = STATE["links"].get(link) or {}
                launch.set_resource_link_claim(link or f"rl-{ctx_key}", title=placed.get("title") or "Reading list")
                if placed.get("custom"):
                    launch.set_custom_parameters_claim(placed["custom"])
                if placed.get("url"):
                    launch.set_launch_url(placed["url"])
            try:
                return self._send(200, launch.lti_launch())
            except LtiException as exc:
                return self._send(400, f"refused: {exc!r}")
        if path.startswith("/nrps/"):
            context = CONTEXTS[path.split("/")[2]]
            service = Roster(HttpRequest(req), conf, f"{self.conf_args['issuer']}{path}", context)
            try:
                resp = service.handle_get_members()
            except LtiServiceException as exc:
                return self._send(exc.status_code, json.dumps({"error": exc.message}), "application/json")
            if resp.code != 200:
                return self._send(resp.code, json.dumps({"error": resp.message}), "application/json")
            return self._send(200, json.dumps(resp.result), resp.media_type)
        return self._send(404, "not found")

    def do_POST(self):
        form = self._form()
        req = self._request(form)
        conf = PlatformConf(**self.conf_args)
        conf.get_registration()
        if req["path"] == "/token":
            try:
                token = conf.get_access_token(form)
            except Exception as exc:  # the library raises several kinds
                return self._send(400, json.dumps({"error": "invalid_request", "error_description": repr(exc)}),
                                  "application/json")
            return self._send(200, json.dumps(token), "application/json")
        if req["path"] == "/deep_link_return":
            try:
                items = conf.validate_deeplinking_resp(form)
            except Exception as exc:
                return self._send(400, f"<h1>Refused</h1><p>{html.escape(repr(exc))}</p>")
            with LOCK:
                for item in items:
                    link_id = f"placed-{len(STATE['links']) + 1}"
                    STATE["links"][link_id] = item
                    STATE["placed"].append({"link": link_id, **item})
            titles = "".join(f"<li>{html.escape(str(i.get('title')))}</li>" for i in items)
            return self._send(200, f"<!doctype html><title>Placed</title><h1>Added to the course</h1><ul>{titles}</ul>")
        return self._send(404, "not found")


def main() -> None:
    port, tool = int(sys.argv[1]), sys.argv[2].rstrip("/")
    Handler.conf_args = {"issuer": f"http://127.0.0.1:{port}", "tool": tool}
    server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
    print(f"lti1p3platform at http://127.0.0.1:{port}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()

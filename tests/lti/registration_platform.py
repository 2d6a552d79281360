"""An LTI 1.3 platform that speaks 1EdTech LTI Dynamic Registration 1.0, for the tests of the
tool's side (LMS-1).  Written from the specification (https://www.imsglobal.org/spec/lti-dr/v1p0)
and OpenID Connect Dynamic Client Registration 1.0 / RFC 7591 — not from Syllabus's client — and
run as its own process (``python -m tests.lti.registration_platform``, prints ``PORT <n>``).

It is the local LMS of tests/lti/platform.py (same process, same issuer, its launch, token, NRPS
and deep-linking routes unchanged) plus:

- ``GET /.well-known/openid-configuration`` — the platform's OpenID configuration (LTI-DR §3.4,
  §3.5.1): issuer, authorization/token/registration endpoints, jwks_uri, the supported
  auth methods, algorithms, scopes, claims, and ``https://purl.imsglobal.org/spec/lti-platform-configuration``
  (product_family_code, version, messages_supported with placements);
- ``POST /register`` — the client registration (LTI-DR §3.5.2, §3.6): ``Authorization: Bearer``
  with the registration token the platform issued (RFC 6750: 401 ``invalid_token`` otherwise),
  ``Content-Type: application/json``, and the body checked member by member — application_type
  ``web``; response_types containing ``id_token``; grant_types containing ``implicit`` and
  ``client_credentials``; initiate_login_uri, jwks_uri URLs; redirect_uris a non-empty list of
  URLs; token_endpoint_auth_method ``private_key_jwt``; client_name a string; scope (when given) a
  space-separated string of scopes the platform supports; ``https://purl.imsglobal.org/spec/lti-tool-configuration``
  with domain, target_link_uri, claims (a list of strings) and messages whose types (and
  placements) the platform supports; the tool's URLs on its ``domain``.  A bad request is
  RFC 7591 §3.2.2's ``400 {"error": "invalid_client_metadata", "error_description": ...}``.
  Accepted: the registration echoed with ``client_id`` and the tool configuration's
  ``deployment_id`` (by default the client id and deployment of the local LMS, so that a launch
  follows), and the tool's redirect URIs (and key set, when the platform can read it) become the
  ones the launch checks;
- ``GET /admin/register?url=...`` — the LMS's administration page: the tool's registration URL in
  an iframe with ``openid_configuration`` and ``registration_token``, and a listener that writes
  what the frame posts (``{subject: "org.imsglobal.lti.close"}``) into ``#closed``.

Canvas-shaped mode (``canvas``: true), written from instructure/canvas-lms — doc/api/registration.md
(commit 386cc4ec21ee88fa34f5f40fc1336252bb623426), app/controllers/lti/ims/dynamic_registration_controller.rb
(f84104eb38f50e204d389747b873a841c643ae63), app/models/lti/ims/registration.rb
(8e405cbf18e6359f0931ab50b4d696cd25713061), spec/controllers/lti/ims/dynamic_registration_controller_spec.rb
(c5e20ff6b22d39d547ff714c9b9e4218252a73c4) — not from Syllabus's client:

- the configuration is at ``/api/lti/security/openid-configuration`` and answers only with the
  registration token as ``Authorization: Bearer`` (401 otherwise); it names the issuer
  ``canvas_issuer`` (default ``https://canvas.instructure.com``: hosted Canvas's shared issuer,
  whatever the host) and Canvas's members: ``authorization_server``, ``subject_types_supported``
  ["public"], the platform configuration with ``product_family_code`` ``canvas``, version
  ``vCloud``, Canvas's placement names per message type, ``variables``, ``…/lti/account_name`` and
  ``…/lti/account_lti_guid``;
- ``POST /api/lti/registrations`` (Bearer token, else 401 ``{"errorMessage": ...}``) validates like
  Lti::IMS::Registration: grant types "Must include client_credentials, implicit", response types
  "Must include id_token", "Must be 'private_key_jwt'", "Must be 'web'", redirect URIs, scopes among
  Canvas's, the tool configuration (domain, target_link_uri, messages, claims; privacy level among
  public/name_only/email_only/anonymous); ``scope`` is read unconditionally (absent: Canvas fails,
  500).  A refusal is ``422 {"errors": {member: [messages]}}`` (ActiveModel errors), or the
  ``error_body`` given by control.  Accepted: the registration echoed with ``client_id`` (a
  developer key's global id) and the tool configuration with
  ``https://canvas.instructure.com/lti/registration_config_url`` — and **no deployment_id**: Canvas
  creates the deployment when the admin installs the app.  Its launches then carry the local
  LMS's deployment id, and ``iss`` is the Canvas issuer.
- the endpoints keep the local LMS's paths (its /auth, /token, /jwks serve the launches).

Control (JSON): ``POST /control/registration`` (token, client_id, deployment_id, issuer, drop,
messages_supported, scopes_supported, moodle_shape, error, canvas, canvas_issuer, error_body,
jwks_uri), ``GET /control/registrations`` (what was received).
"""
from __future__ import annotations

import html
import json
import secrets
import sys
import urllib.request
from urllib.parse import parse_qs, urlencode, urlsplit

from tests.lti import platform as lms
from tests.lti.platform import Handler

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
AGS = "https://purl.imsglobal.org/spec/lti-ags/scope/score"

STATE: dict = {"token": "reg-token-" + secrets.token_hex(8), "client_id": lms.CLIENT_ID, "deployment_id": lms.DEPLOYMENT_ID,
               "issuer": None, "drop": [], "messages_supported": None, "scopes_supported": None, "error": None,
               "received": [], "canvas": False, "canvas_issuer": "https://canvas.instructure.com", "error_body": None,
               "jwks_uri": None}
CANVAS_CONFIG_PATH = "/api/lti/security/openid-configuration"
CANVAS_REGISTER_PATH = "/api/lti/registrations"
CANVAS = "https://canvas.instructure.com/lti/"
# Canvas's placement names (Lti::ResourcePlacement), as its configuration lists them per message type
CANVAS_RESOURCE_PLACEMENTS = ["account_navigation", "course_navigation", "user_navigation", "global_navigation",
                              "assignment_menu", "module_menu", "wiki_page_menu"]
CANVAS_DEEP_LINKING_PLACEMENTS = ["assignment_selection", "link_selection", "editor_button", "resource_selection",
                                  "homework_submission", "submission_type_selection"]
CANVAS_SCOPES = ["https://purl.imsglobal.org/spec/lti-ags/scope/lineitem",
                 "https://purl.imsglobal.org/spec/lti-ags/scope/lineitem.readonly",
                 "https://purl.imsglobal.org/spec/lti-ags/scope/result.readonly", AGS, lms.NRPS_SCOPE,
                 "https://canvas.instructure.com/lti/public_jwk/scope/update",
                 "https://canvas.instructure.com/lti/account_lookup/scope/show",
                 "https://canvas.instructure.com/lti-ags/progress/scope/show"]
PRIVACY_LEVELS = ("public", "name_only", "email_only", "anonymous")


def _issuer(self) -> str:
    """Hosted Canvas signs its launches with its shared issuer, not its host."""
    return STATE["canvas_issuer"] if STATE["canvas"] else self.base


lms.Platform.issuer = property(_issuer)   # type: ignore[assignment,method-assign]


def canvas_configuration() -> dict:
    """Canvas's OpenID configuration (doc/api/registration.md, "Canvas OpenID Configuration")."""
    base = lms.PLATFORM.base
    return {
        "issuer": STATE["canvas_issuer"],
        "authorization_endpoint": base + "/auth",
        "registration_endpoint": base + CANVAS_REGISTER_PATH,
        "jwks_uri": STATE["jwks_uri"] or base + "/jwks",
        "token_endpoint": base + "/token",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "scopes_supported": CANVAS_SCOPES,
        "response_types_supported": ["id_token"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["sub", "picture", "email", "name", "given_name", "family_name", "locale"],
        "subject_types_supported": ["public"],
        "authorization_server": urlsplit(base).netloc,
        PLATFORM_CONFIGURATION: {
            "product_family_code": "canvas", "version": "vCloud",
            "messages_supported": [{"type": "LtiResourceLinkRequest", "placements": CANVAS_RESOURCE_PLACEMENTS},
                                   {"type": "LtiDeepLinkingRequest", "placements": CANVAS_DEEP_LINKING_PLACEMENTS}],
            "notice_types_supported": ["LtiHelloWorldNotice"],
            "variables": ["ResourceLink.id", "Canvas.environment.test"],
            CANVAS + "account_name": "Test University",
            CANVAS + "account_lti_guid": "pNu5F9EoIATW6XqZ33C5tiqomb7bFJ4IGWFoCFy6:canvas-lms",
        },
    }


def canvas_errors(body) -> dict[str, list[str]]:
    """Lti::IMS::Registration's validations, member → messages (ActiveModel errors)."""
    if not isinstance(body, dict):
        return {"base": ["is invalid"]}
    errors: dict[str, list[str]] = {}

    def add(name, message):
        errors.setdefault(name, []).append(message)

    for name in ("application_type", "grant_types", "response_types", "redirect_uris", "initiate_login_uri", "client_name",
                 "jwks_uri", "token_endpoint_auth_method", TOOL_CONFIGURATION):
        if not body.get(name):
            add("lti_tool_configuration" if name == TOOL_CONFIGURATION else name, "can't be blank")
    if {"client_credentials", "implicit"} - set(body.get("grant_types") or []):
        add("grant_types", "Must include client_credentials, implicit")
    if "id_token" not in (body.get("response_types") or []):
        add("response_types", "Must include id_token")
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        add("token_endpoint_auth_method", "Must be 'private_key_jwt'")
    if body.get("application_type") != "web":
        add("application_type", "Must be 'web'")
    if not all(_url(u) for u in body.get("redirect_uris") or []):
        add("redirect_uris", "Must only contain valid URIs")
    invalid = [s for s in str(body.get("scope") or "").split() if s not in CANVAS_SCOPES]
    if invalid:
        add("scopes", f"Invalid scopes: {', '.join(invalid)}")
    tool = body.get(TOOL_CONFIGURATION)
    if isinstance(tool, dict):
        for name in ("domain", "target_link_uri", "messages", "claims"):
            if name not in tool:
                add("lti_tool_configuration", json.dumps({name: "is required"}))
        if tool.get(CANVAS + "privacy_level", "public") not in PRIVACY_LEVELS:
            add("lti_tool_configuration", json.dumps({"privacy_level": "is not one of " + ", ".join(PRIVACY_LEVELS)}))
        for m in tool.get("messages") or []:
            if not isinstance(m, dict) or m.get("type") not in ("LtiResourceLinkRequest", "LtiDeepLinkingRequest"):
                add("lti_tool_configuration", json.dumps({"messages": f"{m!r} is not a supported type"}))
    return errors


def configuration() -> dict:
    base = lms.PLATFORM.base
    config = {
        "issuer": STATE["issuer"] or lms.PLATFORM.issuer,
        "authorization_endpoint": base + "/auth",
        "registration_endpoint": base + "/register",
        "jwks_uri": base + "/jwks",
        "token_endpoint": base + "/token",
        "token_endpoint_auth_methods_supported": ["private_key_jwt"],
        "token_endpoint_auth_signing_alg_values_supported": ["RS256"],
        "scopes_supported": STATE["scopes_supported"] or ["openid", lms.NRPS_SCOPE, AGS],
        "response_types_supported": ["id_token"],
        "subject_types_supported": ["public", "pairwise"],
        "id_token_signing_alg_values_supported": ["RS256"],
        "claims_supported": ["iss", "aud", "sub", "name", "given_name", "family_name", "email"],
        PLATFORM_CONFIGURATION: {
            "product_family_code": "ims-test-lms", "version": "4.5",
            "messages_supported": STATE["messages_supported"] or [
                {"type": "LtiResourceLinkRequest"},
                {"type": "LtiDeepLinkingRequest", "placements": ["ContentArea", "link_selection"]}],
        },
    }
    if STATE.get("moodle_shape"):   # Moodle 4.x: bare message type names, the placements beside them
        config[PLATFORM_CONFIGURATION].update({"messages_supported": ["LtiResourceLinkRequest", "LtiDeepLinkingRequest"],
                                               "placements": ["AddContentMenu"]})
    for name in STATE["drop"]:
        config.pop(name, None)
    return config


def _url(value) -> bool:
    if not isinstance(value, str):
        return False
    parts = urlsplit(value)
    return parts.scheme in ("https", "http") and bool(parts.netloc)


def problems_of(body, config: dict) -> list[str]:
    """What the specification requires of a client registration request that ``body`` lacks."""
    if not isinstance(body, dict):
        return ["the body is not a JSON object"]
    found = []
    if body.get("application_type") != "web":
        found.append("application_type must be web")
    if not isinstance(body.get("response_types"), list) or "id_token" not in body["response_types"]:
        found.append("response_types must contain id_token")
    grants = body.get("grant_types")
    if not isinstance(grants, list) or not {"implicit", "client_credentials"} <= set(grants):
        found.append("grant_types must contain implicit and client_credentials")
    for name in ("initiate_login_uri", "jwks_uri"):
        if not _url(body.get(name)):
            found.append(f"{name} must be a URL")
    redirects = body.get("redirect_uris")
    if not isinstance(redirects, list) or not redirects or not all(_url(u) for u in redirects):
        found.append("redirect_uris must be a non-empty list of URLs")
    if body.get("token_endpoint_auth_method") != "private_key_jwt":
        found.append("token_endpoint_auth_method must be private_key_jwt")
    if not isinstance(body.get("client_name"), str) or not body["client_name"]:
        found.append("client_name must be a string")
    if "logo_uri" in body and not _url(body["logo_uri"]):
        found.append("logo_uri must be a URL")
    if "scope" in body:
        if not isinstance(body["scope"], str):
            found.append("scope must be a space-separated string")
        else:
            unknown = [s for s in body["scope"].split() if s not in config["scopes_supported"]]
            if unknown:
                found.append(f"scope {' '.join(unknown)} is not supported")
    tool = body.get(TOOL_CONFIGURATION)
    if not isinstance(tool, dict):
        return [*found, f"{TOOL_CONFIGURATION} must be an object"]
    domain = tool.get("domain")
    if not isinstance(domain, str) or not domain:
        found.append("domain is required")
    if not _url(tool.get("target_link_uri")):
        found.append("target_link_uri must be a URL")
    if "claims" in tool and not (isinstance(tool["claims"], list) and all(isinstance(c, str) for c in tool["claims"])):
        found.append("claims must be a list of strings")
    lti = config[PLATFORM_CONFIGURATION]
    supported = {m: lti.get("placements") if isinstance(m, str) else None for m in lti["messages_supported"] if isinstance(m, str)}
    supported.update({m["type"]: m.get("placements") for m in lti["messages_supported"] if isinstance(m, dict)})
    messages = tool.get("messages", [])
    if not isinstance(messages, list):
        found.append("messages must be a list")
        messages = []
    for m in messages:
        if not isinstance(m, dict) or m.get("type") not in supported:
            found.append(f"message {m!r} is not a supported type")
            continue
        if "target_link_uri" in m and not _url(m["target_link_uri"]):
            found.append(f"{m['type']}: target_link_uri must be a URL")
        if "placements" in m:
            allowed = supported[m["type"]] or []
            if not isinstance(m["placements"], list) or not set(m["placements"]) <= set(allowed):
                found.append(f"{m['type']}: placements {m['placements']!r} are not offered")
    if isinstance(domain, str) and domain:   # the tool's URLs are on its domain
        urls = [body.get("initiate_login_uri"), tool.get("target_link_uri"), *(redirects if isinstance(redirects, list) else []),
                *(m.get("target_link_uri") for m in messages if isinstance(m, dict) and m.get("target_link_uri"))]
        off = [u for u in urls if isinstance(u, str) and urlsplit(u).netloc != domain]
        if off:
            found.append(f"{', '.join(off)} not on the tool's domain {domain}")
    return found


def remember_tool(body: dict) -> None:
    """The registered tool's redirect URIs (and key set, when this process can reach it: the browser
    test's live server) become the ones the local LMS's launches check."""
    with lms.PLATFORM.lock:
        lms.PLATFORM.tool["redirect_uris"] = list(body["redirect_uris"])
        # DR §3.5.2: the tool's custom_parameters go into every launch, variables substituted
        lms.PLATFORM.tool["custom"] = dict((body.get(TOOL_CONFIGURATION) or {}).get("custom_parameters") or {})
        try:
            with urllib.request.urlopen(body["jwks_uri"], timeout=5) as r:  # noqa: S310 — a test server
                lms.PLATFORM.tool["jwks"] = json.loads(r.read())
        except (OSError, ValueError):
            pass


class RegistrationHandler(Handler):
    server_version = "IMSTestPlatform-DR/1.0"

    def do_GET(self):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/.well-known/openid-configuration":
            return self._send(200, configuration())
        if url.path == CANVAS_CONFIG_PATH:
            STATE["received"].append({"configuration_authorization": self.headers.get("Authorization", "")})
            if self.headers.get("Authorization", "") != f"Bearer {STATE['token']}" and q.get("registration_token") != STATE["token"]:
                return self._send(401, {"errorMessage": "JWT did not include expected contents"})
            return self._send(200, canvas_configuration())
        if url.path == "/control/registrations":
            return self._send(200, STATE["received"])
        if url.path == "/admin/register":
            return self.admin_page(q.get("url", ""))
        return super().do_GET()

    def do_POST(self):
        url = urlsplit(self.path)
        if url.path == "/register":
            return self.register()
        if url.path == CANVAS_REGISTER_PATH:
            return self.canvas_register()
        if url.path == "/control/registration":
            STATE.update(json.loads(self._body() or b"{}"))
            return self._send(200, {"token": STATE["token"], "configuration": self.configuration_url()})
        return super().do_POST()

    def configuration_url(self) -> str:
        if STATE["canvas"]:   # the documented URL; the token goes in the Authorization header
            return lms.PLATFORM.base + CANVAS_CONFIG_PATH
        return lms.PLATFORM.base + "/.well-known/openid-configuration"

    def recorded(self) -> tuple[bytes, str]:
        """The registration request's body and Authorization, kept for GET /control/registrations."""
        raw, auth = self._body(), self.headers.get("Authorization", "")
        STATE["received"].append({"authorization": auth, "content_type": self.headers.get("Content-Type", ""),
                                  "body": raw.decode("utf-8", "replace")})
        return raw, auth

    def canvas_register(self):
        """DynamicRegistrationController#create."""
        raw, auth = self.recorded()
        if auth != f"Bearer {STATE['token']}":
            return self._send(401, {"errorMessage": "JWT did not include expected contents"})
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if STATE["error_body"] is not None:
            return self._send(422, STATE["error_body"])
        if isinstance(body, dict) and not isinstance(body.get("scope"), str):
            return self._send(500, {"errors": [{"message": "An error occurred.", "error_code": "internal_server_error"}]})
        errors = canvas_errors(body)
        if errors:
            return self._send(422, {"errors": errors})
        remember_tool(body)
        keys = ("application_type", "grant_types", "initiate_login_uri", "redirect_uris", "response_types", "client_name",
                "jwks_uri", "logo_uri", "token_endpoint_auth_method", "scope")
        answer = {"client_id": STATE["client_id"], **{k: body.get(k) for k in keys},
                  TOOL_CONFIGURATION: {**body[TOOL_CONFIGURATION],
                                       CANVAS + "registration_config_url": lms.PLATFORM.base + "/api/lti/registrations/1/view"}}
        return self._send(200, answer)

    def register(self):
        raw, auth = self.recorded()
        if auth != f"Bearer {STATE['token']}":
            return self._send(401, {"error": "invalid_token", "error_description": "the registration token is missing or wrong"},
                              headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
        if (self.headers.get("Content-Type") or "").split(";")[0].strip() != "application/json":
            return self._error(400, "invalid_client_metadata", "the request must be application/json")
        if STATE["error"]:
            error = STATE["error"]
            return self._error(error.get("status", 400), error["error"], error.get("error_description", ""))
        try:
            body = json.loads(raw)
        except ValueError:
            return self._error(400, "invalid_client_metadata", "the body is not JSON")
        problems = problems_of(body, configuration())
        if problems:
            return self._error(400, "invalid_client_metadata", "; ".join(problems))
        remember_tool(body)
        answer = {**body, "client_id": STATE["client_id"],
                  TOOL_CONFIGURATION: {**body[TOOL_CONFIGURATION], "deployment_id": STATE["deployment_id"]}}
        if STATE["deployment_id"] is None:
            answer[TOOL_CONFIGURATION].pop("deployment_id")
        return self._send(200, answer)

    def admin_page(self, tool_url: str):
        src = tool_url + ("&" if "?" in tool_url else "?") + urlencode(
            {"openid_configuration": self.configuration_url(), "registration_token": STATE["token"]})
        page = ('<!doctype html><html lang="en"><head><title>LMS: register a tool</title></head><body>'
                '<h1>Register an LTI Advantage tool</h1><output id="closed"></output>'
                f'<iframe id="tool" title="Tool registration" src="{html.escape(src)}" width="1000" height="700"></iframe>'
                '<script>window.addEventListener("message", function (e) {'
                ' if (e.data && e.data.subject === "org.imsglobal.lti.close") {'
                ' document.getElementById("closed").textContent = "closed by " + e.origin; } });</script>'
                '</body></html>')
        return self._send(200, page, "text/html; charset=utf-8")


def main(argv=None) -> None:
    """tests/lti/platform.py's server (same options, ``PORT <n>``) answering with this handler."""
    lms.Handler = RegistrationHandler   # type: ignore[misc]  # its main() serves the module's Handler
    lms.main(argv)


if __name__ == "__main__":
    sys.exit(main())

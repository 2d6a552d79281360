"""A minimal LTI 1.3 *platform* (an LMS), written from the IMS specifications for the tests of
Syllabus's LTI tool.  It runs as its own process (``python -m tests.lti.platform``, prints
``PORT <n>``) and signs and verifies with PyJWT and cryptography only — not pylti1p3 — so that
the tool never tests itself.

Implemented (and checked, where the platform is the one checking):
- IMS Security Framework 1.0 §5.1: OIDC third-party initiated login — the authentication
  request must have scope=openid, response_type=id_token, response_mode=form_post,
  prompt=none, a registered client_id and redirect_uri, a state and a nonce; the answer is an
  auto-submitted (and no-JS submittable) form POST of ``id_token`` and ``state``.
- LTI Core 1.3 §5.3/§5.4: the id_token's claims (message_type, version, deployment_id,
  target_link_uri, resource_link, roles, context, custom (with substitution variables, §5.4.6:
  ``$Context.id.history`` / ``$ResourceLink.id.history`` of a copied course), lis with the person's and the course offering/section
  sourcedids, names and email, vendor extension claims §5.4.7); RS256, ``kid``.
- IMS Security Framework §4.1: OAuth 2.0 client credentials with a JWT client assertion
  (RFC 7523) verified against the tool's JWKS (iss = sub = client_id, aud = token URL, exp,
  unique jti), scoped bearer tokens.
- NRPS 2.0: ``application/vnd.ims.lti-nrps.v2.membershipcontainer+json`` pages linked with
  ``Link: <...>; rel="next"`` (the next URL has upper-case letters on purpose), the tool's ``limit``
  honoured up to the platform's own maximum page size (§2.4.1).
- Deep Linking 2.0: LtiDeepLinkingRequest with deep_linking_settings (its return URL names the
  request, as Moodle's and Canvas's do); the response JWT is verified (§4.5: signature with the
  tool's keys, iss = client_id, aud = platform issuer, exp, iat, nonce, message type, version,
  deployment_id, ``data`` returned unchanged or absent, ``accept_multiple``, ``accept_types``,
  ``accept_presentation_document_targets``) and its content items kept (none: nothing added).

- LTI Client Side postMessages 0.1 + postMessage Storage 0.1 + OIDC Login with LTI Client Side
  postMessages 0.1 (``GET /course_storage/<launch>``, ``GET /storage_frame``): see the section
  "postMessage storage" below.

- RFC 6749 §5.2 token errors, RFC 9110 ``Retry-After`` on 429/503, ``Cache-Control: max-age``
  on the key set, and a key rotation as Canvas does it (the new key published beside the old one,
  then signing): see "faults" below.

Test control (JSON): POST /control/tool, /control/launch, /control/members, /control/faults,
/control/rotate_key, /control/revoke_tokens; GET /control/deep_links, /control/stats.
Tampering for refusal tests is a ``tamper`` dict in the launch spec: ``aud``, ``nonce``, ``state``,
``deployment_id``, ``target_link_uri`` (a value), ``expired``, ``bad_signature`` (signed by a key the
platform never published, same kid), ``iat`` (seconds from now), ``set`` (claims replaced), ``drop``
(claims removed), ``set_in`` (``"claim/field"`` of an object claim; None removes it), ``kid`` /
``no_kid`` (the header), ``alg`` (``HS256`` keyed with the public key, or ``none``: built by hand),
``raw`` (the id_token as given).
"""
from __future__ import annotations

import argparse
import html
import json
import secrets
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL = "https://purl.imsglobal.org/spec/lti-dl/claim/"
NRPS = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
CLIENT_ID = "syllabus-tool-1"
DEPLOYMENT_ID = "deployment-A"
KID = "platform-key-1"


def _key():
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _pem(key) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


class Platform:
    def __init__(self):
        self.key = _key()
        self.rogue = _key()   # same kid, never published: a "bad signature"
        self.base = ""
        self.lock = threading.Lock()
        self.tool = {"redirect_uris": [], "jwks": None}
        self.launches: dict[str, dict] = {}
        self.members: dict[str, dict] = {}
        self.tokens: dict[str, dict] = {}
        self.jtis: set[str] = set()
        self.deep_links: list[dict] = []
        # request id (in the deep_link_return_url, as Moodle and Canvas name the request there) → the
        # deep linking request it answers: its deployment id and deep_linking_settings as sent
        self.dl_requests: dict[str, dict] = {}
        self.token_requests = 0
        self.jwks_requests = 0
        self.roster_requests = 0
        self.old_keys: list[tuple[str, object]] = []   # (kid, key) still published after a rotation
        self.kid = KID
        # faults (POST /control/faults, {} clears them):
        #   token: {"status": n, "error": code} an RFC 6749 §5.2 error; {"status": n, "html": true} a web page;
        #          {"status": 429|503, "retry_after": "..."}; {"delay": seconds}
        #   expires_in: the granted tokens' lifetime (seconds); jwks_cache_control: the key set's Cache-Control;
        #   jwks: {"status": n} the key set URL's answer instead of the keys
        #   roster: {"page": i, "status": n, "retry_after": "...", "delay": seconds, "times": k} — page i
        #           (0-based) answers so k times (default: always)
        self.faults: dict = {}

    @property
    def issuer(self) -> str:
        return self.base

    def jwks(self) -> dict:
        keys = []
        for kid, key in [(self.kid, self.key), *self.old_keys]:
            jwk = json.loads(RSAAlgorithm.to_jwk(key.public_key()))
            jwk.update({"kid": kid, "alg": "RS256", "use": "sig"})
            keys.append(jwk)
        return {"keys": keys}

    def rotate_key(self) -> str:
        """A new signing key with a new kid; the old one stays published (a rotation as Canvas does it)."""
        self.old_keys.insert(0, (self.kid, self.key))
        self.key, self.kid = _key(), "platform-key-" + secrets.token_hex(4)
        return self.kid

    def tool_key(self, kid: str):
        for jwk in (self.tool.get("jwks") or {}).get("keys", []):
            if jwk.get("kid") == kid:
                return RSAAlgorithm.from_jwk(json.dumps(jwk))
        raise ValueError(f"the tool publishes no key {kid!r}")

    # --- custom properties and substitution variables (LTI Core 1.3 §5.4.6, Appendix A) ---
    def custom(self, spec: dict) -> dict:
        """The tool's custom parameters (``/control/tool`` ``custom``: what its registration asked
        for) and the link's (``spec["custom"]``), each value that names a variable (``$Name``)
        replaced by its value for this launch.  A variable the platform does not know, or that the
        launch lists in ``unsupported_variables`` (an LMS without it), is sent as written (§5.4.6).
        ``context_history`` / ``resource_link_history``: the ids of the context / link this one was
        copied from, most recent first — ``$Context.id.history`` / ``$ResourceLink.id.history``
        are them comma-separated ("" for a course never copied)."""
        context = spec.get("context") or {}
        variables = {
            "Context.id": context.get("id"), "Context.label": context.get("label"), "Context.title": context.get("title"),
            "Context.id.history": ",".join(spec.get("context_history") or []),
            "ResourceLink.id": spec.get("resource_link_id", "rl-1"),
            "ResourceLink.id.history": ",".join(spec.get("resource_link_history") or []),
        }
        unsupported = set(spec.get("unsupported_variables") or [])
        out = {}
        for name, value in {**(self.tool.get("custom") or {}), **(spec.get("custom") or {})}.items():
            variable = value[1:] if isinstance(value, str) and value.startswith("$") else None
            if variable in variables and variable not in unsupported and variables[variable] is not None:
                value = variables[variable]
            out[name] = value
        return out

    # --- the id_token (LTI Core 1.3 §5) ---------------------------------------------------
    def id_token(self, spec: dict, nonce: str, now: int) -> str:
        tamper = spec.get("tamper") or {}
        kind = spec.get("message_type", "LtiResourceLinkRequest")
        claims = {
            "iss": self.issuer, "aud": tamper.get("aud", CLIENT_ID), "sub": spec["sub"],
            "iat": now, "exp": now + 300 if not tamper.get("expired") else now - 120, "nonce": tamper.get("nonce", nonce),
            "azp": CLIENT_ID, "name": spec.get("name", ""), "given_name": spec.get("given_name", ""),
            "family_name": spec.get("family_name", ""), "email": spec.get("email", ""),
            CLAIM + "message_type": kind, CLAIM + "version": "1.3.0",
            CLAIM + "deployment_id": tamper.get("deployment_id", DEPLOYMENT_ID),
            CLAIM + "target_link_uri": tamper.get("target_link_uri", spec["target_link_uri"]),
            CLAIM + "roles": spec.get("roles", []),
            CLAIM + "context": spec.get("context"),
            CLAIM + "custom": self.custom(spec),
            # LTI Core 1.3 §5.4.5 (LIS claim): the SIS's ids of the person and of the course offering and
            # section(s); ``lis`` in the spec adds course_offering_sourcedid / course_section_sourcedid
            CLAIM + "lis": {"person_sourcedid": spec.get("sourcedid", ""), **(spec.get("lis") or {})},
            CLAIM + "tool_platform": {"guid": "test-platform", "name": "IMS-spec test platform"},
            # LTI Core 1.3 §5.4.1: where the LMS shows the tool and takes the person back (hosted
            # Canvas/Blackboard name the school's host here, not the host they sign in on)
            CLAIM + "launch_presentation": spec.get("presentation") or {"document_target": "iframe",
                                                                         "return_url": self.base + "/return"},
        }
        if kind == "LtiResourceLinkRequest":
            claims[CLAIM + "resource_link"] = {"id": spec.get("resource_link_id", "rl-1"), "title": spec.get("title", "Readings")}
        else:
            # Deep Linking 2.0 §4.4.1; ``data`` is an opaque value (here a JSON object, as a platform may
            # send anything) the tool must return unchanged; tamper ``set_in`` changes or removes any field
            request_id = secrets.token_hex(8)
            claims[DL + "deep_linking_settings"] = {
                "deep_link_return_url": f"{self.base}/deep_link_return?request={request_id}", "accept_types": ["ltiResourceLink"],
                "accept_presentation_document_targets": ["iframe", "window"], "accept_multiple": False,
                "data": f"req={request_id}&placement=link_selection&note=Opaque ÉCHO «unchanged» +/= "}
        # LTI Core 1.3 §5.4.7: vendor extension claims, named by a URL of the vendor's (Brightspace's
        # ``http://www.brightspace.com`` with tenant_id, org_defined_id, user_id, username)
        claims.update(spec.get("extensions") or {})
        if spec.get("context") and spec.get("nrps", True):
            claims[NRPS] = {"context_memberships_url": f"{self.base}/nrps/{spec['context']['id']}/Members",
                            "service_versions": ["2.0"]}
        if "iat" in tamper:                 # seconds from now: a token issued in the future
            claims["iat"] = now + int(tamper["iat"])
        claims.update(tamper.get("set") or {})   # any claim replaced by another value (wrong type, wrong value)
        for name in tamper.get("drop", []):
            claims.pop(name, None)
        for name, value in (tamper.get("set_in") or {}).items():   # "claim/field": one field of an object claim
            claim, field = name.rsplit("/", 1)
            if value is None:
                (claims.get(claim) or {}).pop(field, None)
            else:
                claims.setdefault(claim, {})[field] = value
        settings = claims.get(DL + "deep_linking_settings")
        if kind == "LtiDeepLinkingRequest" and isinstance(settings, dict):
            self.dl_requests[request_id] = {"deployment_id": claims[CLAIM + "deployment_id"], "settings": json.loads(json.dumps(settings))}
        if "raw" in tamper:                 # not a JWT at all, or a mangled one
            return tamper["raw"]
        headers = {"kid": tamper.get("kid", self.kid)}
        if tamper.get("no_kid"):
            headers = {}
        alg = tamper.get("alg", "RS256")
        if alg != "RS256":                  # RFC 7515/7518 by hand: PyJWT rightly refuses to build these
            return _unsafe_jws(claims, {**headers, "alg": alg, "typ": "JWT"}, self.key)
        key = self.rogue if tamper.get("bad_signature") else self.key
        return jwt.encode(claims, _pem(key), algorithm="RS256", headers=headers)


def _b64(data: bytes) -> str:
    import base64

    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unsafe_jws(claims: dict, header: dict, key) -> str:
    """A JWS a forger would send: ``alg: none`` (no signature), or ``HS256`` keyed with the
    platform's *public* key (the RS256/HS256 confusion attack: the public key is no secret)."""
    import hashlib
    import hmac

    signing_input = _b64(json.dumps(header).encode()) + "." + _b64(json.dumps(claims).encode())
    if header["alg"] == "none":
        return signing_input + "."
    public = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    return signing_input + "." + _b64(hmac.new(public, signing_input.encode(), hashlib.sha256).digest())


PLATFORM = Platform()


class Handler(BaseHTTPRequestHandler):
    server_version = "IMSTestPlatform/1.0"

    def log_message(self, *args):  # quiet
        pass

    # --- plumbing --------------------------------------------------------------------------
    def _send(self, status: int, body, ctype="application/json", headers=None):
        data = body if isinstance(body, bytes) else (json.dumps(body) if ctype.endswith("json") else body).encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _form(self) -> dict:
        return {k: v[0] for k, v in parse_qs(self._body().decode()).items()}

    def _error(self, status: int, error: str, description: str):
        self._send(status, {"error": error, "error_description": description})

    # --- routes --------------------------------------------------------------------------
    def do_GET(self):
        url = urlsplit(self.path)
        q = {k: v[0] for k, v in parse_qs(url.query).items()}
        if url.path == "/jwks":
            PLATFORM.jwks_requests += 1
            if self._fault(PLATFORM.faults.get("jwks") or {}):   # the key set's server down for a while
                return None
            cache = PLATFORM.faults.get("jwks_cache_control")
            return self._send(200, PLATFORM.jwks(), headers={"Cache-Control": cache} if cache else None)
        if url.path == "/auth":
            return self.authenticate(q)
        if url.path.startswith("/nrps/"):
            return self.memberships(url.path, q)
        if url.path == "/control/deep_links":
            return self._send(200, PLATFORM.deep_links)
        if url.path == "/control/stats":
            return self._send(200, {"token_requests": PLATFORM.token_requests, "jwks_requests": PLATFORM.jwks_requests,
                                    "roster_requests": PLATFORM.roster_requests})
        if url.path.startswith("/course/"):
            return self.course_page(url.path.rsplit("/", 1)[-1])
        if url.path.startswith("/course_storage/"):
            return self._send(*storage_course_page(url.path.rsplit("/", 1)[-1]))
        if url.path == "/storage_frame":
            return self._send(*storage_frame_page(q))
        return self._send(404, {"error": "not found"})

    def do_POST(self):
        url = urlsplit(self.path)
        if url.path == "/token":
            return self.token(self._form())
        if url.path == "/deep_link_return":
            return self.deep_link_return(self._form(), parse_qs(url.query).get("request", [""])[0])
        if url.path.startswith("/control/"):
            body = json.loads(self._body() or b"{}")
            with PLATFORM.lock:
                if url.path == "/control/tool":
                    PLATFORM.tool.update(body)
                    return self._send(200, {"ok": True})
                if url.path == "/control/launch":
                    launch_id = uuid.uuid4().hex
                    PLATFORM.launches[launch_id] = body
                    return self._send(200, {"id": launch_id, "issuer": PLATFORM.issuer, "client_id": CLIENT_ID,
                                            "deployment_id": DEPLOYMENT_ID})
                if url.path == "/control/members":
                    PLATFORM.members[body["context_id"]] = body
                    return self._send(200, {"ok": True})
                if url.path == "/control/faults":
                    PLATFORM.faults = body
                    return self._send(200, {"ok": True})
                if url.path == "/control/rotate_key":
                    return self._send(200, {"kid": PLATFORM.rotate_key()})
                if url.path == "/control/revoke_tokens":
                    PLATFORM.tokens.clear()
                    return self._send(200, {"ok": True})
        return self._send(404, {"error": "not found"})

    # --- OIDC authentication request → form_post of the id_token (Security Framework §5.1.1) ---
    def authenticate(self, q: dict):
        problems = [f"{k} must be {v}" for k, v in (("scope", "openid"), ("response_type", "id_token"),
                                                    ("response_mode", "form_post"), ("prompt", "none")) if q.get(k) != v]
        if q.get("client_id") != CLIENT_ID:
            problems.append("unknown client_id")
        if q.get("redirect_uri") not in PLATFORM.tool["redirect_uris"]:
            problems.append(f"redirect_uri {q.get('redirect_uri')} is not registered")
        for name in ("state", "nonce", "login_hint"):
            if not q.get(name):
                problems.append(f"no {name}")
        spec = PLATFORM.launches.get(q.get("lti_message_hint", ""))
        if spec is None:
            problems.append("unknown lti_message_hint")
        elif q.get("login_hint") != spec["sub"]:
            problems.append("login_hint is not the user of this launch")
        if problems:
            return self._send(400, {"error": "invalid_request", "error_description": "; ".join(problems)})
        token = PLATFORM.id_token(spec, q["nonce"], int(time.time()))
        state = (spec.get("tamper") or {}).get("state", q["state"])
        page = (f'<!doctype html><html lang="en"><head><title>Launching…</title></head><body>'
                f'<form id="f" method="post" action="{html.escape(q["redirect_uri"])}">'
                f'<input type="hidden" name="id_token" value="{html.escape(token)}">'
                f'<input type="hidden" name="state" value="{html.escape(state)}">'
                f'<button type="submit">Continue</button></form>'
                f'<script>document.getElementById("f").submit()</script></body></html>')
        return self._send(200, page, "text/html; charset=utf-8")

    # --- OAuth 2.0 client credentials with a JWT assertion (Security Framework §4.1) -----------
    def _fault(self, fault: dict) -> bool:
        """Answer with an injected fault (a delay alone answers nothing): True when answered."""
        if fault.get("delay"):
            time.sleep(float(fault["delay"]))
        if not fault.get("status"):
            return False
        status = int(fault["status"])
        headers = {"Retry-After": fault["retry_after"]} if fault.get("retry_after") is not None else None
        if fault.get("html"):
            self._send(status, "<!DOCTYPE html><html><head><title>Error</title></head><body><h1>Bad gateway</h1></body></html>",
                       "text/html; charset=utf-8", headers)
        elif fault.get("error"):
            self._send(status, {"error": fault["error"], "error_description": fault.get("description", "")}, headers=headers)
        else:
            self._send(status, {"error": "busy"} if status in (429, 503) else {"error": "failed"}, headers=headers)
        return True

    def token(self, form: dict):
        PLATFORM.token_requests += 1
        if self._fault(PLATFORM.faults.get("token") or {}):
            return None
        if form.get("grant_type") != "client_credentials":
            return self._error(400, "unsupported_grant_type", "client_credentials only")
        if form.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
            return self._error(400, "invalid_request", "client_assertion_type must be jwt-bearer")
        assertion = form.get("client_assertion", "")
        try:
            kid = jwt.get_unverified_header(assertion).get("kid")
            claims = jwt.decode(assertion, PLATFORM.tool_key(kid), algorithms=["RS256"],
                                audience=[PLATFORM.base + "/token", PLATFORM.issuer], issuer=CLIENT_ID,
                                options={"require": ["iss", "sub", "aud", "exp", "iat", "jti"]})
        except (jwt.PyJWTError, ValueError) as exc:
            return self._error(401, "invalid_client", f"client assertion refused: {exc}")
        if claims["sub"] != CLIENT_ID or claims["jti"] in PLATFORM.jtis:
            return self._error(401, "invalid_client", "bad sub or replayed jti")
        PLATFORM.jtis.add(claims["jti"])
        scopes = set((form.get("scope") or "").split())
        if NRPS_SCOPE not in scopes:
            return self._error(400, "invalid_scope", "only the NRPS scope is offered")
        token = secrets.token_urlsafe(24)
        lifetime = int(PLATFORM.faults.get("expires_in", 3600))
        PLATFORM.tokens[token] = {"scopes": scopes, "exp": time.time() + lifetime}
        return self._send(200, {"access_token": token, "token_type": "Bearer", "expires_in": lifetime,
                                "scope": " ".join(sorted(scopes))})

    # --- Names and Role Provisioning Services 2.0 -------------------------------------------
    def memberships(self, path: str, q: dict):
        auth = self.headers.get("Authorization", "")
        grant = PLATFORM.tokens.get(auth.removeprefix("Bearer ").strip()) if auth.startswith("Bearer ") else None
        if grant is None or grant["exp"] < time.time() or NRPS_SCOPE not in grant["scopes"]:
            return self._send(401, {"error": "invalid_token"})
        if NRPS_MEDIA not in (self.headers.get("Accept") or ""):
            return self._send(406, {"error": f"Accept must include {NRPS_MEDIA}"})
        parts = path.split("/")  # /nrps/<context>/Members
        roster = PLATFORM.members.get(parts[2])
        if roster is None or parts[3:] != ["Members"]:
            return self._send(404, {"error": "no such context"})
        # NRPS 2.0 §2.4.1: the tool may ask for at most ``limit`` members a page; the platform pages by its
        # own size without one (``page_size``: Canvas's is 10) and never more than its maximum
        # (``max_page_size``, default the page size: Canvas's is 50)
        size = int(roster.get("page_size") or 100)
        limit = q.get("limit", "")
        if limit:
            if not limit.isdigit() or int(limit) < 1:
                return self._send(400, {"error": f"limit must be a positive integer, not {limit!r}"})
            size = min(int(limit), int(roster.get("max_page_size") or size))
        page = int(q.get("pageToken", "Pg0").removeprefix("Pg") or 0)
        PLATFORM.roster_requests += 1
        fault = PLATFORM.faults.get("roster") or {}
        if fault.get("page", 0) == page and fault.get("times", 1) != 0:
            if "times" in fault:
                fault["times"] -= 1
            if self._fault(fault):
                return None
        chunk = roster["members"][page * size:(page + 1) * size]
        headers = {}
        if (page + 1) * size < len(roster["members"]):
            # RFC 8288 links: ``links`` in /control/members chooses how the next page is named —
            # "absolute" (default), "relative" (a reference resolved against the page's URL),
            # "canvas" (current, next, first and last, as Canvas pages its roster), "several_types"
            # (rel="next last"), "foreign" (a next page on another host)
            own = f"/nrps/{parts[2]}/Members"
            nxt = f"{own}?pageToken=Pg{page + 1}&Since=AbC" + (f"&limit={limit}" if limit else "")
            style = roster.get("links") or "absolute"
            headers["Link"] = {
                "absolute": f'<{PLATFORM.base}{nxt}>; rel="next"',
                "relative": f'<{nxt}>; rel="next"',
                "canvas": f'<{PLATFORM.base}{own}?pageToken=Pg{page}>; rel="current",<{PLATFORM.base}{nxt}>; rel="next",'
                          f'<{PLATFORM.base}{own}>; rel="first",<{PLATFORM.base}{own}?pageToken=Last>; rel="last"',
                "several_types": f'<{PLATFORM.base}{nxt}>; rel="next last"',
                "foreign": f'<http://elsewhere.invalid{nxt}>; rel="next"',
            }[style]
        body = {"id": f"{PLATFORM.base}/nrps/{parts[2]}/Members", "context": {"id": parts[2]}, "members": chunk}
        return self._send(200, body, NRPS_MEDIA, headers)

    # --- Deep Linking 2.0 response -----------------------------------------------------------
    def deep_link_return(self, form: dict, request_id: str):
        """Deep Linking 2.0 §4.5, as the platform checks the tool's LtiDeepLinkingResponse: signed by the
        tool's key (``kid``), iss = the client id, aud = this issuer, exp, iat and nonce present (IMS
        Security Framework §5.2), message type, version, the request's deployment id; the request's
        ``data`` returned unchanged when it sent one (and, when it sent none, no ``data`` but a string);
        at most one item unless ``accept_multiple``; each item of a type in ``accept_types`` and shown
        in a way ``accept_presentation_document_targets`` lists (when sent).  No items at all is the
        tool's "nothing chosen": the platform adds nothing and says so."""
        token = form.get("JWT", "")
        try:
            kid = jwt.get_unverified_header(token).get("kid")
            claims = jwt.decode(token, PLATFORM.tool_key(kid), algorithms=["RS256"], audience=PLATFORM.issuer, issuer=CLIENT_ID,
                                options={"require": ["iss", "aud", "exp", "iat", "nonce"]})
        except (jwt.PyJWTError, ValueError) as exc:
            return self._send(400, f"deep linking response refused: {exc}", "text/plain")
        request = PLATFORM.dl_requests.pop(request_id, None)
        if request is None:
            return self._send(400, "deep linking response refused: it answers no deep linking request of this platform "
                                   "(or one already answered)", "text/plain")
        settings = request["settings"]
        problems = []
        if claims.get(CLAIM + "message_type") != "LtiDeepLinkingResponse":
            problems.append("message_type")
        if claims.get(CLAIM + "version") != "1.3.0":
            problems.append("version")
        if claims.get(CLAIM + "deployment_id") != request["deployment_id"]:
            problems.append("deployment_id")
        if "data" in settings and claims.get(DL + "data") != settings["data"]:
            problems.append("data not returned unchanged")
        if "data" not in settings and DL + "data" in claims and not isinstance(claims[DL + "data"], str):
            problems.append(f"data is {json.dumps(claims[DL + 'data'])}, not a string (the request sent none)")
        items = claims.get(DL + "content_items", [])
        if not isinstance(items, list) or not all(isinstance(i, dict) for i in items):
            problems.append("content_items is not a list of objects")
            items = []
        if len(items) > 1 and settings.get("accept_multiple") in (False, "false", None):
            problems.append(f"{len(items)} items, but accept_multiple is false")
        for item in items:
            if "accept_types" in settings and item.get("type") not in settings["accept_types"]:   # sent: it binds
                problems.append(f"item type {item.get('type')!r} not in accept_types")
            targets = settings.get("accept_presentation_document_targets")
            for shown in ("iframe", "window", "embed"):
                if shown in item and targets is not None and shown not in targets:
                    problems.append(f"item shown in {shown!r}, not in accept_presentation_document_targets")
        if problems:
            return self._send(400, "deep linking response refused: " + ", ".join(problems), "text/plain")
        PLATFORM.deep_links.append({"items": items, "verified": True, "msg": claims.get(DL + "msg"),
                                    "data": claims.get(DL + "data", "(absent)"), "exp_minus_iat": claims["exp"] - claims["iat"]})
        said = ("Added " + html.escape(items[0].get("title") or "")) if items else "Nothing was added"
        return self._send(200, "<!doctype html><html lang='en'><head><title>Added</title></head><body><p id='added'>"
                          + said + "</p></body></html>", "text/html; charset=utf-8")

    # --- a course page of the LMS that embeds the tool (the browser test) ---------------------
    def course_page(self, launch_id: str):
        spec = PLATFORM.launches.get(launch_id)
        if spec is None:
            return self._send(404, {"error": "no such launch"})
        login = spec["login_url"] + "?" + urlencode({
            "iss": PLATFORM.issuer, "login_hint": spec["sub"], "target_link_uri": spec["target_link_uri"],
            "lti_message_hint": launch_id, "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID})
        page = ('<!doctype html><html lang="en"><head><title>LMS course</title></head><body><h1>LMS course page</h1>'
                f'<iframe id="tool" title="Syllabus" src="{html.escape(login)}" width="1000" height="700"></iframe></body></html>')
        return self._send(200, page, "text/html; charset=utf-8")


# --- postMessage storage (LTI Client Side postMessages 0.1, LTI postMessage Storage 0.1, OIDC
# Login with LTI Client Side postMessages 0.1) ---------------------------------------------------
#
# The course page embeds the tool (iframe name "tool") and a storage frame named
# STORAGE_FRAME; the login initiation carries lti_storage_target=STORAGE_FRAME.  Messages are
# objects {subject, message_id, ...}; the answer's subject is the request's + ".response", with
# the same message_id, sent to the sender's origin only (postMessage's targetOrigin =
# event.origin).  Errors: {subject, message_id, error: {code, message}} with the codes
# unsupported_subject, wrong_origin and bad_request.  Values are kept per sender origin: a tool
# reads only what it stored.  Only the registered tool's origins may store (wrong_origin).
#   lti.capabilities → supported_messages [{subject, frame?}] (the page and the frame answer it)
#   lti.put_data {key, value} → {key, value}
#   lti.get_data {key} → {key, value}, or bad_request when nothing is stored under key
# Test modes of /storage_frame: relay=<url> forwards every message to a frame at <url> and
# answers nothing itself; forge=1 (that frame, on another origin) answers every put_data and
# get_data straight to the tool frame with the value the tool hopes for — a hostile origin.

STORAGE_FRAME = "post_message_forwarding"

_STORAGE_JS = """
(function () {
  var tools = %(tools)s, frameName = %(frame)s, capabilitiesOnly = %(capabilities_only)s;
  var store = {};
  window.addEventListener("message", function (event) {
    var data = event.data;
    if (!data || typeof data !== "object" || typeof data.subject !== "string" || /\\.response$/.test(data.subject)) { return; }
    function reply(body) {
      body.subject = data.subject + ".response";
      body.message_id = data.message_id;
      event.source.postMessage(body, event.origin);
    }
    if (tools.indexOf(event.origin) < 0) {
      reply({error: {code: "wrong_origin", message: "messages from " + event.origin + " are not accepted"}}); return;
    }
    if (typeof data.message_id !== "string" || !data.message_id) {
      reply({error: {code: "bad_request", message: "message_id is required"}}); return;
    }
    if (data.subject === "lti.capabilities") {
      reply({supported_messages: [{subject: "lti.capabilities"}, {subject: "lti.put_data", frame: frameName},
                                  {subject: "lti.get_data", frame: frameName}]});
      return;
    }
    if (capabilitiesOnly || (data.subject !== "lti.put_data" && data.subject !== "lti.get_data")) {
      reply({error: {code: "unsupported_subject", message: data.subject + " is not supported here"}}); return;
    }
    if (typeof data.key !== "string" || !data.key) { reply({error: {code: "bad_request", message: "key is required"}}); return; }
    var mine = store[event.origin] = store[event.origin] || {};
    if (data.subject === "lti.put_data") {
      if (data.value === undefined) { reply({key: data.key, error: {code: "bad_request", message: "value is required"}}); return; }
      mine[data.key] = data.value;
      reply({key: data.key, value: data.value});
    } else if (Object.prototype.hasOwnProperty.call(mine, data.key)) {
      reply({key: data.key, value: mine[data.key]});
    } else {
      reply({key: data.key, error: {code: "bad_request", message: "no value is stored under " + data.key}});
    }
  });
}());
"""

_RELAY_JS = """
window.addEventListener("message", function (event) {
  if (event.source === window.frames[0]) { return; }
  window.frames[0].postMessage(event.data, %(relay_origin)s);
});
"""

_FORGE_JS = """
window.addEventListener("message", function (event) {
  var data = event.data, tool = window.parent.parent.frames["tool"];
  if (!data || typeof data !== "object" || !tool) { return; }
  var value = String(data.key || "").replace(/^(state|nonce)_/, "");
  tool.postMessage({subject: data.subject + ".response", message_id: data.message_id, key: data.key, value: value,
                    supported_messages: [{subject: "lti.put_data"}, {subject: "lti.get_data"}]}, "*");
});
"""


def _tool_origins() -> list[str]:
    origins = []
    for uri in PLATFORM.tool["redirect_uris"]:
        parts = urlsplit(uri)
        origins.append(f"{parts.scheme}://{parts.netloc}")
    return origins


def _html(title: str, body: str) -> tuple[int, str, str]:
    return 200, f'<!doctype html><html lang="en"><head><title>{title}</title></head><body>{body}</body></html>', \
        "text/html; charset=utf-8"


def storage_frame_page(q: dict) -> tuple[int, str, str]:
    if q.get("forge"):
        return _html("storage", f"<script>{_FORGE_JS}</script>")
    if q.get("relay"):
        relay = q["relay"]
        parts = urlsplit(relay)
        return _html("storage", f'<iframe src="{html.escape(relay)}"></iframe>'
                                f"<script>{_RELAY_JS % {'relay_origin': json.dumps(f'{parts.scheme}://{parts.netloc}')}}</script>")
    js = _STORAGE_JS % {"tools": json.dumps(_tool_origins()), "frame": json.dumps(STORAGE_FRAME), "capabilities_only": "false"}
    return _html("storage", f"<script>{js}</script>")


def storage_course_page(launch_id: str) -> tuple[int, str, str]:
    """The course page of a platform that offers postMessage storage: the tool's frame, the
    storage frame beside it (``relay`` in the launch spec: the storage frame's test mode), and
    lti.capabilities answered by the page itself."""
    spec = PLATFORM.launches.get(launch_id)
    if spec is None:
        return 404, json.dumps({"error": "no such launch"}), "application/json"
    login = spec["login_url"] + "?" + urlencode({
        "iss": PLATFORM.issuer, "login_hint": spec["sub"], "target_link_uri": spec["target_link_uri"],
        "lti_message_hint": launch_id, "client_id": CLIENT_ID, "lti_deployment_id": DEPLOYMENT_ID,
        "lti_storage_target": STORAGE_FRAME})
    frame = "/storage_frame" + ("?" + urlencode({"relay": spec["relay"]}) if spec.get("relay") else "")
    js = _STORAGE_JS % {"tools": json.dumps(_tool_origins()), "frame": json.dumps(STORAGE_FRAME), "capabilities_only": "true"}
    return _html("LMS course", '<h1>LMS course page</h1>'
                 f'<iframe name="{STORAGE_FRAME}" src="{html.escape(frame)}" hidden></iframe>'
                 f'<iframe id="tool" name="tool" title="Syllabus" src="{html.escape(login)}" width="1000" height="700"></iframe>'
                 f"<script>{js}</script>")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--public-host", default="127.0.0.1", help="host name in the platform's URLs (issuer, endpoints)")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer(("127.0.0.1", args.port), Handler)
    PLATFORM.base = f"http://{args.public_host}:{server.server_address[1]}"
    print(f"PORT {server.server_address[1]}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    sys.exit(main())

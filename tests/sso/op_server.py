"""A small but real OpenID Connect provider for the tests, on Authlib's server side (Flask):
authorization code grant with PKCE (S256, required) and the OpenID Connect code flow, single-use
codes, signed ID tokens (RS256) with a JWKS that can rotate, discovery, userinfo and an
end-session endpoint.  Run as its own process by ``tests/sso/conftest.py``:

    python -m tests.sso.op_server PORT

``POST /_control`` (JSON) sets who signs in (``user`` claims), registers the client
(``client``, with its ``frontchannel_logout_uri``), says how the person signed in (``acr``: the ID
token's acr claim; none by default), adds claims to the ID token (``extra``: e.g. Google's ``hd``),
makes the next ID tokens misbehave (``mode``: tamper, nonce, aud, iss, expired, future, none —
unsigned —, hs256 — signed with the client secret, or ``hmac_secret`` —, es256 — with an EC key it publishes —, nokid
— no key id in the header), lists other signing algorithms in discovery (``algs``), names another
issuer in its discovery document (``discovery_issuer``), rotates the signing key (``rotate``), or
resets everything (``reset``).  ``GET /_log`` tells what happened (token requests, logouts).

Two more parts of the standards, each written from its text:

- **Microsoft Entra ID's endpoints** (as Microsoft's identity platform documents them, with the
  ``cloud_instance_name`` its discovery documents carry): ``/organizations/v2.0`` (and ``common``)
  names the issuer ``…/{tenantid}/v2.0``, ``/TENANT/v2.0`` the tenant's; the v1 endpoints
  ``/TENANT`` and ``/organizations`` name ``https://sts.windows.net/TENANT/`` and its template.
  ``/_control`` ``tenant`` puts the person in a tenant, and their ID tokens then carry ``tid`` and
  ``iss`` = ``…/<tid>/v2.0``; with ``v1`` they are shaped as v1 endpoints send them
  (``iss`` = ``https://sts.windows.net/<tid>/``, ``ver`` 1.0, ``upn``, ``unique_name``, ``oid``).
- ``skew``: seconds added to the ID token's times (the relying party's clock was moved).
- ``down``: the parts that answer 503 (``discovery``, ``jwks``) — a provider that cannot be read.
- **OpenID Connect Front-Channel Logout 1.0**: the discovery document says
  ``frontchannel_logout_supported`` and ``frontchannel_logout_session_supported``; every sign-in
  has an OP session (``sid``, in the ID token, §3); the end-session endpoint (RP-initiated logout,
  or the person signing out here, ``GET /logout`` without a hint) renders a page that loads the
  client's ``frontchannel_logout_uri`` in an iframe with ``iss`` and ``sid`` (§2, §4), then goes on
  to ``post_logout_redirect_uri`` when there is one.
"""
from __future__ import annotations

import base64
import json
import secrets
import sys
import threading
import time

from authlib.integrations.flask_oauth2 import AuthorizationServer
from authlib.oauth2.rfc6749 import grants
from authlib.oauth2.rfc7636 import CodeChallenge
from authlib.oidc.core import UserInfo
from authlib.oidc.core.grants import OpenIDCode
from flask import Flask, jsonify, redirect, request
from joserfc import jwt
from joserfc.jwk import ECKey, OctKey, RSAKey
from markupsafe import escape
from urllib.parse import urlencode

LOCK = threading.Lock()
STATE: dict = {}


def reset(port: int | None = None) -> None:
    with LOCK:
        issuer = STATE.get("issuer") or f"http://127.0.0.1:{port}"
        STATE.clear()
        STATE.update({
            "issuer": issuer, "keys": [_new_key()], "mode": "", "codes": {}, "tokens": {}, "log": [], "extra": {},
            "tenant": None, "sid": None, "algs": ["RS256"], "discovery_issuer": None,
            "ec_key": ECKey.generate_key("P-256", parameters={"kid": "ec-" + secrets.token_hex(4), "use": "sig",
                                                               "alg": "ES256"}, private=True),
            "client": {"client_id": "syllabus", "client_secret": "s3cret", "redirect_uris": []},
            "user": {"sub": "u-1001", "preferred_username": "ada", "given_name": "Ada", "family_name": "Lovelace",
                     "email": "ada@uni.example", "groups": ["faculty"]},
        })


def _new_key() -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": secrets.token_hex(8), "use": "sig", "alg": "RS256"}, private=True)


class Client:
    def __init__(self, data):
        self.data = data

    def get_client_id(self):
        return self.data["client_id"]

    def get_default_redirect_uri(self):
        return self.data["redirect_uris"][0] if self.data["redirect_uris"] else None

    def get_allowed_scope(self, scope):
        return " ".join(s for s in (scope or "").split() if s in ("openid", "email", "profile", "groups"))

    def check_redirect_uri(self, redirect_uri):
        return redirect_uri in self.data["redirect_uris"]

    def check_client_secret(self, client_secret):
        return secrets.compare_digest(client_secret or "", self.data["client_secret"])

    def check_endpoint_auth_method(self, method, endpoint):
        return method in ("client_secret_basic", "client_secret_post")

    def check_response_type(self, response_type):
        return response_type == "code"

    def check_grant_type(self, grant_type):
        return grant_type == "authorization_code"


class Code:
    def __init__(self, **kw):
        self.__dict__.update(kw)

    def get_redirect_uri(self):
        return self.redirect_uri

    def get_scope(self):
        return self.scope

    def get_nonce(self):
        return self.nonce

    def get_auth_time(self):
        return self.auth_time

    def get_acr(self):
        return self.acr   # how the person signed in here (``acr`` of /_control), whatever acr_values asked

    def get_amr(self):
        return None

    def is_expired(self):
        return time.time() > self.auth_time + 300


class CodeGrant(grants.AuthorizationCodeGrant):
    TOKEN_ENDPOINT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]

    def save_authorization_code(self, code, request):
        payload = request.payload
        with LOCK:
            STATE["codes"][code] = Code(
                code=code, client_id=request.client.get_client_id(), redirect_uri=payload.redirect_uri,
                scope=payload.scope, nonce=payload.data.get("nonce"), auth_time=int(time.time()),
                code_challenge=payload.data.get("code_challenge"),
                code_challenge_method=payload.data.get("code_challenge_method"), user=dict(STATE["user"]),
                acr=STATE.get("acr"), sid=STATE["sid"])

    def query_authorization_code(self, code, client):
        item = STATE["codes"].get(code)
        if item and item.client_id == client.get_client_id() and not item.is_expired():
            return item
        return None

    def delete_authorization_code(self, authorization_code):
        with LOCK:  # single use: a replayed code finds nothing (invalid_grant)
            STATE["codes"].pop(authorization_code.code, None)

    def authenticate_user(self, authorization_code):
        return authorization_code.user


class OpenIDCodeFlow(OpenIDCode):
    def exists_nonce(self, nonce, request):
        return any(c.nonce == nonce for c in STATE["codes"].values())

    def get_jwt_config(self, grant):  # the legacy hook Authlib still reads for iss/exp
        return {"key": STATE["keys"][-1], "alg": "RS256", "iss": STATE["issuer"], "exp": 3600}

    def resolve_client_private_key(self, client):
        return STATE["keys"][-1]

    def get_client_claims(self, client):
        return {"iss": STATE["issuer"], "aud": [client.get_client_id()]}

    def get_encode_header(self, client):
        return {"alg": "RS256", "kid": STATE["keys"][-1].kid}

    def generate_user_info(self, user, scope):
        return UserInfo(user)

    def encode_id_token(self, token, req):
        encoded = super().encode_id_token(token, req)
        mode = STATE["mode"]
        key = STATE["keys"][-1]
        claims = dict(jwt.decode(encoded, key).claims)
        sid = getattr(req.authorization_code, "sid", None) if getattr(req, "authorization_code", None) else None
        if sid:
            claims["sid"] = sid          # Front-Channel Logout 1.0 §3 (the OP session)
        if STATE["tenant"]:              # a multi-tenant issuer: the person's own tenant names the issuer
            claims["tid"] = STATE["tenant"]
            claims["iss"] = f"{STATE['issuer']}/{STATE['tenant']}/v2.0"
        if STATE["tenant"] and STATE.get("v1"):
            # Entra's v1 endpoints: the v1 issuer (final slash), ver 1.0, the person named by upn and
            # unique_name (no preferred_username), their object id in oid
            user = req.authorization_code.user if getattr(req, "authorization_code", None) else STATE["user"]
            claims.pop("preferred_username", None)
            claims.update({"iss": f"https://sts.windows.net/{STATE['tenant']}/", "ver": "1.0",
                           "upn": user.get("upn") or user.get("email"), "unique_name": user.get("upn") or user.get("email"),
                           "oid": user.get("oid") or "0b0e4e8c-51a1-4d4b-9a3b-5c2b7d0f6e11", "amr": ["pwd"]})
        claims.update(STATE["extra"])
        if STATE.get("skew"):   # the relying party's clock was moved by the test: the provider's moves with it
            for name in ("iat", "exp", "nbf", "auth_time"):
                if isinstance(claims.get(name), int):
                    claims[name] += int(STATE["skew"])
        now = int(time.time())
        if mode == "tamper":  # change a claim after signing: the signature no longer matches
            encoded = jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)
            head, body, sig = encoded.split(".")
            claims["preferred_username"] = "root"
            body = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
            return f"{head}.{body}.{sig}"
        if mode == "nonce":
            claims["nonce"] = "not-the-nonce-you-sent"
        elif mode == "aud":
            claims["aud"] = ["some-other-client"]
        elif mode == "iss":
            claims["iss"] = "https://evil.example"
        elif mode == "expired":
            claims["iat"], claims["exp"], claims["auth_time"] = now - 7200, now - 3600, now - 7200
        elif mode == "future":
            claims["iat"], claims["nbf"] = now + 3600, now + 3600
        elif mode == "none":       # RFC 7519 §6: an unsecured JWT
            def part(data):
                return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()
            return f"{part({'alg': 'none', 'typ': 'JWT'})}.{part(claims)}."
        elif mode == "hs256":      # OIDC Core 10.1: the client secret's octets as the MAC key
            secret = OctKey.import_key(STATE.get("hmac_secret") or STATE["client"]["client_secret"])
            return jwt.encode({"alg": "HS256"}, claims, secret, algorithms=["HS256"])
        elif mode == "es256":
            return jwt.encode({"alg": "ES256", "kid": STATE["ec_key"].kid}, claims, STATE["ec_key"])
        elif mode == "nokid":
            return jwt.encode({"alg": "RS256"}, claims, key)
        return jwt.encode({"alg": "RS256", "kid": key.kid}, claims, key)


def create_app() -> Flask:
    app = Flask(__name__)
    app.config["OAUTH2_TOKEN_EXPIRES_IN"] = {"authorization_code": 600}
    server = AuthorizationServer(app, query_client=lambda cid: Client(STATE["client"]) if cid == STATE["client"]["client_id"] else None,
                                 save_token=lambda token, req: STATE["tokens"].__setitem__(token["access_token"], dict(req.user)))
    server.register_grant(CodeGrant, [CodeChallenge(required=True), OpenIDCodeFlow(require_nonce=True)])

    def _discovery(base: str, issuer: str):
        return {
            "issuer": STATE["discovery_issuer"] or issuer, "authorization_endpoint": f"{base}/authorize",
            "token_endpoint": f"{base}/token", "jwks_uri": f"{base}/jwks", "userinfo_endpoint": f"{base}/userinfo",
            "end_session_endpoint": f"{base}/logout",
            "response_types_supported": ["code"], "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": STATE["algs"], "code_challenge_methods_supported": ["S256"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
            "scopes_supported": ["openid", "email", "profile", "groups"],
            "frontchannel_logout_supported": True, "frontchannel_logout_session_supported": True,
        }

    @app.get("/.well-known/openid-configuration")
    def discovery():
        if _down("discovery"):
            return jsonify({"error": "temporarily_unavailable"}), 503
        return jsonify(_discovery(STATE["issuer"], STATE["issuer"]))

    def _entra(document: dict) -> dict:
        # what Entra's discovery documents carry besides the standard's (the cloud: which v1 issuer)
        return {**document, "cloud_instance_name": "microsoftonline.com", "tenant_region_scope": "EU",
                "msgraph_host": "graph.microsoft.com", "rbac_url": "https://pas.windows.net"}

    @app.get("/<segment>/v2.0/.well-known/openid-configuration")
    def discovery_entra_v2(segment):
        """Entra's v2.0 discovery: a tenant's (issuer …/TENANT/v2.0) or the multi-tenant one
        (organizations, common: the issuer is a template of the tenant)."""
        if _down("discovery"):
            return jsonify({"error": "temporarily_unavailable"}), 503
        iss = STATE["issuer"]
        tenant = "{tenantid}" if segment in ("organizations", "common") else segment
        return jsonify(_entra(_discovery(iss, f"{iss}/{tenant}/v2.0")))

    @app.get("/<segment>/.well-known/openid-configuration")
    def discovery_entra_v1(segment):
        """Entra's v1 endpoints (login.microsoftonline.com/TENANT, …/organizations): the issuer is
        https://sts.windows.net/TENANT/ (with its final slash), or its template."""
        if _down("discovery"):
            return jsonify({"error": "temporarily_unavailable"}), 503
        tenant = "{tenantid}" if segment in ("organizations", "common") else segment
        return jsonify(_entra(_discovery(STATE["issuer"], f"https://sts.windows.net/{tenant}/")))

    def _down(what: str) -> bool:
        return what in (STATE.get("down") or ())

    @app.get("/jwks")
    def jwks():
        if _down("jwks"):
            return jsonify({"error": "temporarily_unavailable"}), 503
        keys = [k.as_dict(private=False) for k in STATE["keys"][-1:]]
        return jsonify({"keys": keys + [STATE["ec_key"].as_dict(private=False)]})

    @app.get("/authorize")
    def authorize():  # the person is already signed in at the provider: consent is implied
        STATE["log"].append({"event": "authorize", "args": dict(request.args)})
        if not STATE["sid"]:   # the person signs in here: a new OP session
            STATE["sid"] = secrets.token_urlsafe(16)
        return server.create_authorization_response(grant_user=dict(STATE["user"]))

    @app.post("/token")
    def token():
        STATE["log"].append({"event": "token", "code": request.form.get("code")})
        return server.create_token_response()

    @app.get("/userinfo")
    def userinfo():
        auth = request.headers.get("Authorization", "")
        user = STATE["tokens"].get(auth.removeprefix("Bearer ").strip())
        if user is None:
            return jsonify({"error": "invalid_token"}), 401
        return jsonify(user)

    @app.get("/logout")
    def logout():
        STATE["log"].append({"event": "logout", "args": dict(request.args)})
        back = request.args.get("post_logout_redirect_uri")
        sid, STATE["sid"] = STATE["sid"], None      # the OP session ends
        frontchannel = STATE["client"].get("frontchannel_logout_uri")
        if not frontchannel:
            return redirect(back) if back else ("signed out", 200)
        # Front-Channel Logout 1.0 §2/§4: the RP's URI in an iframe, with iss and sid (session required)
        query = urlencode({"iss": STATE["issuer"], "sid": sid or ""})
        src = f"{frontchannel}{'&' if '?' in frontchannel else '?'}{query}"
        then = f'<a id="continue" href="{escape(back)}">Continue</a>' if back else ""
        return (f'<!doctype html><title>Signed out</title><h1>You are signed out</h1>'
                f'<iframe id="rp" title="relying party" src="{escape(src)}"></iframe>{then}', 200,
                {"Content-Type": "text/html; charset=utf-8"})

    @app.get("/_frame")
    def frame():
        """Not the protocol: a page that frames ``src``, to play another site in the browser tests."""
        return (f'<!doctype html><title>Another site</title><iframe id="rp" title="framed" '
                f'src="{escape(request.args.get("src", ""))}"></iframe>', 200, {"Content-Type": "text/html; charset=utf-8"})

    @app.post("/_control")
    def control():
        data = request.get_json(force=True)
        if data.get("reset"):
            reset()
        with LOCK:
            if "user" in data:
                STATE["user"] = data["user"]
            if "client" in data:
                STATE["client"].update(data["client"])
            if "mode" in data:
                STATE["mode"] = data["mode"]
            if "acr" in data:
                STATE["acr"] = data["acr"]
            for name in ("extra", "tenant", "algs", "discovery_issuer", "hmac_secret", "v1", "down", "skew"):
                if name in data:
                    STATE[name] = data[name]
            if data.get("rotate"):
                STATE["keys"].append(_new_key())
        return jsonify({"kid": STATE["keys"][-1].kid})

    @app.get("/_log")
    def log():
        return jsonify(STATE["log"])

    return app


if __name__ == "__main__":
    port = int(sys.argv[1])
    reset(port)
    create_app().run(host="127.0.0.1", port=port, threaded=True, use_reloader=False)

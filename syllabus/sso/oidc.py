"""OpenID Connect relying party (LMS-3): authorization code flow with PKCE (S256), discovery,
JWKS with key rotation, and every check of the ID token made here — signature, ``iss``, ``aud``
(and ``azp``), ``exp``/``iat``/``nbf`` against :mod:`syllabus.core.clock`, ``nonce`` — on top of
Authlib (OAuth 2 client) and joserfc (JOSE), its JOSE library.

The state of a sign-in in progress (state, nonce, PKCE verifier) lives in the Django session
and is used once: a replayed callback finds nothing and is refused."""
from __future__ import annotations

import base64
import hashlib
import logging
import re
import secrets
from urllib.parse import urlsplit

import requests
from authlib.common.security import generate_token
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session
from authlib.oidc.core import CodeIDToken
from django.core.cache import cache
from joserfc import jwt
from joserfc.errors import (BadSignatureError, ClaimError, DecodeError, ExpiredTokenError, InvalidKeyIdError,
                            JoseError, MissingClaimError)
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

from syllabus.core import clock, outbound
from syllabus.core.errors import RuleViolation
from syllabus.core import jsondata

from .models import ASYMMETRIC_ALGS, HMAC_ALGS, IdentityProvider

logger = logging.getLogger(__name__)
RULE = "LMS-3"
HTTP_TIMEOUT = 10           # seconds for each call to the provider
MAX_DOCUMENT = 1_000_000    # bytes of a discovery document, key set or userinfo answer
METADATA_TTL = 3600         # seconds discovery and JWKS stay cached; the timer reads them again as often
REFRESH_RETRY = 15 * 60     # seconds before the timer tries again after a failed read
STALE_MAX = 7 * 24 * 3600   # seconds sign-in may go on with the last good copy while the provider cannot be read
JWKS_REFRESH_MIN = 30       # seconds between two forced JWKS refreshes (an unknown kid cannot make us hammer the provider)
LEEWAY = 60                 # seconds of clock skew allowed on exp/iat/nbf
FLOW_MAX_AGE = 15 * 60      # seconds a sign-in may take between our redirect and the callback
FLOWS_KEPT = 5              # sign-ins in progress kept per browser session
SESSION_KEY = "sso_oidc_flows"
TENANT_ID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def _get_json(url: str, what: str) -> dict:
    try:
        response = outbound.session(rule=RULE).get(url, timeout=HTTP_TIMEOUT, headers={"Accept": "application/json"},
                                                   stream=True)
        response.raise_for_status()
        data = jsondata.loads(outbound.read(response, MAX_DOCUMENT, rule=RULE, what=f"the {what}"))
    except (requests.RequestException, ValueError) as exc:
        raise RuleViolation(RULE, f"the {what} at {url} could not be read ({exc.__class__.__name__})") from None
    if not isinstance(data, dict):
        raise RuleViolation(RULE, f"the {what} at {url} is not a JSON object")
    return data


def discovery(provider: IdentityProvider, *, fresh: bool = False) -> dict:
    """The provider's ``/.well-known/openid-configuration``, whose ``issuer`` must be the configured
    one — or, for a multi-tenant Microsoft Entra ID issuer (``…/organizations/v2.0``), the template
    ``…/{tenantid}/v2.0`` of it, and then only with allowed tenants; for Entra ID's v1 endpoints its
    ``https://sts.windows.net/…/`` form (LMS-3).  Checked at every read: a provider whose document
    starts naming another issuer is refused from then on.

    Read from the cache (the timer puts it there every hour), else from the provider; when the
    provider cannot be read (down, an error page), sign-in goes on with the last good copy, kept on
    the provider, for up to STALE_MAX.  ``fresh``: from the provider, no fallback (adding a
    provider, the timer, ``sso refresh``)."""
    key = f"sso:oidc:discovery:{provider.issuer}"
    meta = None if fresh else cache.get(key)
    if meta is None:
        try:
            meta = _get_json(provider.issuer.rstrip("/") + "/.well-known/openid-configuration", "discovery document")
        except RuleViolation:
            meta = None if fresh else held(provider, "discovery", STALE_MAX)
            if meta is None:
                raise
            logger.warning("SSO %s: discovery document not read; signing in with the copy held", provider.issuer)
            return _check_tenants(provider, meta)
        named = str(meta.get("issuer") or "")
        if not discovery_names_issuer(named, provider.issuer, meta):
            cache.delete(key)   # a copy read before is not trusted either: sign-in stops until it names the issuer again
            forget(provider)
            raise RuleViolation(RULE, f"the discovery document names the issuer {named[:200]!r}, "
                                      f"not the configured {provider.issuer!r}")
        missing = [k for k in ("authorization_endpoint", "token_endpoint", "jwks_uri") if not meta.get(k)]
        if missing:
            raise RuleViolation(RULE, f"the discovery document of {provider.issuer} lacks {', '.join(missing)}")
        methods = meta.get("code_challenge_methods_supported")
        if methods is not None and "S256" not in methods:
            raise RuleViolation(RULE, f"{provider.issuer} does not support PKCE with S256")
        cache.set(key, meta, METADATA_TTL)
        keep(provider, "discovery", meta)
    return _check_tenants(provider, meta)


def _check_tenants(provider: IdentityProvider, meta: dict) -> dict:
    if is_multi_tenant(meta) and not provider.tenants:
        raise RuleViolation(RULE, f"{provider.issuer} is a multi-tenant issuer (its discovery document names "
                                  f"{meta['issuer']!r}: any Microsoft Entra tenant): list the tenant ids allowed to sign "
                                  "in (--allowed-tenant, the admin's Allowed tenants)")
    return meta


# --- the copy held on the provider (sso.tasks keeps it current) ---------------------------------

def held(provider: IdentityProvider, part: str, max_age: int) -> dict | None:
    """The provider's last good ``part`` (``discovery``, ``jwks``) when it was read at most
    ``max_age`` seconds ago by :mod:`syllabus.core.clock`."""
    stored = provider.oidc_metadata or {}
    data, read = stored.get(part), stored.get(f"{part}_read")
    if not isinstance(data, dict) or not isinstance(read, (int, float)):
        return None
    age = clock.now().timestamp() - read
    return data if 0 <= age <= max_age else None


def keep(provider: IdentityProvider, part: str, data: dict, **also: str) -> None:
    """Store what was just read and checked as the provider's last good ``part`` (with ``also``)."""
    stored = dict(provider.oidc_metadata or {})
    stored.update(also, **{part: data, f"{part}_read": clock.now().timestamp()})
    provider.oidc_metadata = stored   # a provider being added keeps it when it is saved
    if provider.pk:
        IdentityProvider.objects.filter(pk=provider.pk).update(oidc_metadata=stored)


def forget(provider: IdentityProvider) -> None:
    """Drop the copy held: the provider now names another issuer, nothing of it is trusted."""
    provider.oidc_metadata = {}
    if provider.pk:
        IdentityProvider.objects.filter(pk=provider.pk).update(oidc_metadata={})


# --- Microsoft Entra ID multi-tenant issuers ----------------------------------------------------

TENANT_PLACEHOLDER = "{tenantid}"
MULTI_TENANT_SEGMENTS = ("common", "organizations")   # Entra's multi-tenant endpoints (consumers has a fixed issuer)
# Personal Microsoft accounts (outlook.com, hotmail.com, live.com): Entra's "consumers" tenant
CONSUMERS_TENANT = "9188040d-6c67-4c5b-b112-36a304b66dad"
CONSUMERS_SEGMENTS = ("consumers", CONSUMERS_TENANT)
# Entra ID's v1 endpoints (and tokens of apps with accessTokenAcceptedVersion 1) name the issuer
# https://sts.windows.net/{tenantid}/; the discovery document's cloud_instance_name says which cloud
ENTRA_V1_ISSUERS = {"microsoftonline.com": "https://sts.windows.net/", "microsoftonline.us": "https://sts.windows.net/",
                    "partner.microsoftonline.cn": "https://sts.chinacloudapi.cn/"}


def entra_v1_base(meta: dict) -> str | None:
    """``https://sts.windows.net/`` when the discovery document is Microsoft Entra ID's (its
    ``cloud_instance_name``), else ``None``: no other provider's tokens may name an Entra issuer."""
    return ENTRA_V1_ISSUERS.get(str(meta.get("cloud_instance_name") or "").strip().lower())


def _first_segment(url: str) -> str:
    path = urlsplit(url).path.strip("/").split("/")
    return path[0].lower() if path and path[0] else ""


def configured_tenant(issuer: str) -> str | None:
    """The tenant id a single-tenant Entra issuer names: ``…/TENANT/v2.0``, ``…/TENANT`` (v1),
    ``https://sts.windows.net/TENANT/``."""
    segment = _first_segment(issuer)
    return segment if TENANT_ID.fullmatch(segment) else None


def template_of(named: str, configured: str) -> bool:
    """Whether ``named`` (a discovery document's issuer) is the multi-tenant template of the configured
    issuer: ``https://login.microsoftonline.com/{tenantid}/v2.0`` for ``…/organizations/v2.0``."""
    if named.count(TENANT_PLACEHOLDER) != 1:
        return False
    prefix, suffix = named.split(TENANT_PLACEHOLDER)
    configured, suffix = configured.rstrip("/"), suffix.rstrip("/")
    if not (configured.startswith(prefix) and configured.endswith(suffix)):
        return False
    return configured[len(prefix):len(configured) - len(suffix)] in MULTI_TENANT_SEGMENTS


def discovery_names_issuer(named: str, configured: str, meta: dict) -> bool:
    """Whether a discovery document naming ``named`` speaks for the configured issuer: the same, its
    multi-tenant template, or — Entra ID's v1 endpoints (``…/TENANT``, ``…/organizations``) — the v1
    issuer of the same tenant (``https://sts.windows.net/TENANT/``) or its template."""
    if named.rstrip("/") == configured.rstrip("/") or template_of(named, configured):
        return True
    base = entra_v1_base(meta)
    if not base:
        return False
    tenant = configured_tenant(configured)
    if tenant:
        return named.rstrip("/").lower() == f"{base}{tenant}"
    return named.rstrip("/") == f"{base}{TENANT_PLACEHOLDER}" and _first_segment(configured) in MULTI_TENANT_SEGMENTS


def is_multi_tenant(meta: dict) -> bool:
    return TENANT_PLACEHOLDER in str(meta.get("issuer") or "")


def issuer_forms(provider: IdentityProvider, meta: dict, tenant: str | None) -> list[str]:
    """Every issuer a token of ``tenant`` may name at this provider (without a final slash): the
    configured one (a multi-tenant one: its template with the tenant) and, at Microsoft Entra ID,
    the same tenant's v1 (``https://sts.windows.net/TENANT``) and v2.0 (``…/TENANT/v2.0``) forms."""
    named = str(meta.get("issuer") or provider.issuer)
    forms = [named.replace(TENANT_PLACEHOLDER, tenant) if tenant and is_multi_tenant(meta) else provider.issuer]
    if not is_multi_tenant(meta):
        forms.append(named)
    base = entra_v1_base(meta)
    if base and tenant:
        origin = urlsplit(str(meta.get("authorization_endpoint") or provider.issuer))
        forms += [f"{base}{tenant}", f"{origin.scheme}://{origin.netloc}/{tenant}/v2.0"]
    return list(dict.fromkeys(f.rstrip("/") for f in forms))


def _token_tenant(claims: dict, what: str) -> str | None:
    tid = claims.get("tid")
    if tid is None:
        return None
    if not isinstance(tid, str) or not TENANT_ID.fullmatch(tid.strip().lower()):
        raise RuleViolation(RULE, f"the {what}'s Microsoft Entra tenant (tid) is not a tenant id")
    return tid.strip().lower()


def refuse_personal_account(provider: IdentityProvider) -> None:
    raise RuleViolation(RULE, f"{provider.name} signs in accounts of the university's Microsoft Entra directory, and you "
                              "signed in with a personal Microsoft account (outlook.com, hotmail.com, live.com: the "
                              f"'consumers' tenant {CONSUMERS_TENANT}), which the library does not accept; sign in again "
                              "with your university account", status=403)


def expected_issuers(provider: IdentityProvider, meta: dict, claims: dict, what: str) -> list[str]:
    """The issuers ``claims`` may name: the configured one, or for a multi-tenant issuer its template
    with the token's own tenant (``tid``) — which must be one of the provider's allowed tenants; at
    Microsoft Entra ID also the tenant's v1 form (``https://sts.windows.net/TENANT/``).  A personal
    Microsoft account (the ``consumers`` tenant) is refused with its own message (LMS-3)."""
    entra = entra_v1_base(meta) is not None
    tid = _token_tenant(claims, what) if (entra or is_multi_tenant(meta)) else None
    if tid == CONSUMERS_TENANT:
        refuse_personal_account(provider)
    if not is_multi_tenant(meta):
        tenant = configured_tenant(provider.issuer) or configured_tenant(str(meta.get("issuer") or ""))
        if entra and tenant and tid and tid != tenant:
            raise RuleViolation(RULE, f"the {what} was issued by the Microsoft Entra tenant {tid}, and {provider.name} signs "
                                      f"in people of the tenant {tenant} only", status=403)
        return issuer_forms(provider, meta, tenant if entra else None)
    if tid is None:
        raise RuleViolation(RULE, f"the {what} names no Microsoft Entra tenant (tid), which a multi-tenant issuer must")
    if tid not in provider.tenants:
        raise RuleViolation(RULE, f"{provider.name} does not sign in people of the Microsoft Entra tenant {tid}: it is not "
                                  f"one of its allowed tenants ({', '.join(provider.tenants)}); an administrator of "
                                  f"{provider.institution.code} adds it to the provider's allowed tenants if it should",
                            status=403)
    return issuer_forms(provider, meta, tid)


def expected_issuer(provider: IdentityProvider, meta: dict, claims: dict, what: str) -> str:
    """The issuer ``claims`` must name: the one of :func:`expected_issuers` it names, else the first."""
    forms = expected_issuers(provider, meta, claims, what)
    named = str(claims.get("iss") or "").rstrip("/")
    return next((f for f in forms if f == named), forms[0])


def _jwks(provider: IdentityProvider, meta: dict, *, force: bool = False, fresh: bool = False) -> KeySet | None:
    """The provider's keys: cached (the timer puts them there every hour), else read; when they
    cannot be read, the last good copy kept on the provider, for up to STALE_MAX.  ``force`` reads
    them again (a key id we lack; at most once per JWKS_REFRESH_MIN seconds: then ``None``, the
    unknown key stays unknown); ``fresh`` reads them for the timer, no fallback."""
    key = f"sso:oidc:jwks:{meta['jwks_uri']}"
    stored = provider.oidc_metadata or {}
    ours = stored.get("jwks_uri") == meta["jwks_uri"]
    data = None if (force or fresh) else cache.get(key)
    if force:
        forced_key, now = key + ":forced", clock.now().timestamp()
        last = cache.get(forced_key)
        if last is not None and 0 <= now - last < JWKS_REFRESH_MIN:
            return None
        cache.set(forced_key, now, METADATA_TTL)
    if data is None:
        try:
            data = _get_json(meta["jwks_uri"], "key set (JWKS)")
        except RuleViolation:
            data = None if (force or fresh or not ours) else held(provider, "jwks", STALE_MAX)
            if data is None:
                raise
            logger.warning("SSO %s: key set not read; checking with the copy held", provider.issuer)
        else:
            cache.set(key, data, METADATA_TTL)
            keep(provider, "jwks", data, jwks_uri=meta["jwks_uri"])
    try:
        return KeySet.import_key_set(data)  # type: ignore[arg-type]  # checked by joserfc itself
    except (JoseError, ValueError, KeyError, TypeError) as exc:
        raise RuleViolation(RULE, f"the provider's key set could not be read ({exc.__class__.__name__})") from None


def refresh(provider: IdentityProvider) -> dict:
    """Read the discovery document and the key set again now, check them and keep them as the last
    good copy (the timer, ``sso refresh``); refuses naming what failed (LMS-3)."""
    meta = discovery(provider, fresh=True)
    _jwks(provider, meta, fresh=True)
    return meta


def redirect_uri(request, provider: IdentityProvider) -> str:
    from .selectors import absolute_url

    return absolute_url(request, "sso:oidc-callback", institution=provider.institution.code, slug=provider.slug)


def _client(request, provider: IdentityProvider, meta: dict) -> OAuth2Session:
    auth_methods = meta.get("token_endpoint_auth_methods_supported") or ["client_secret_basic"]
    method = "client_secret_basic" if "client_secret_basic" in auth_methods else "client_secret_post"
    if not provider.client_secret:
        method = "none"
    client = OAuth2Session(client_id=provider.client_id, client_secret=provider.client_secret or None,
                           scope=provider.scopes or "openid", redirect_uri=redirect_uri(request, provider),
                           code_challenge_method="S256", token_endpoint_auth_method=method)
    return outbound.guard(client, rule=RULE)   # the token endpoint comes from the discovery document


def begin(request, provider: IdentityProvider, next_url: str) -> str:
    """Remember a new sign-in in the session and return the provider's authorization URL."""
    meta = discovery(provider)
    state, nonce, verifier = secrets.token_urlsafe(32), secrets.token_urlsafe(32), generate_token(64)
    flows = dict(request.session.get(SESSION_KEY) or {})
    flows[state] = {"provider": provider.pk, "nonce": nonce, "verifier": verifier, "next": next_url,
                    "started": clock.now().timestamp()}
    request.session[SESSION_KEY] = dict(sorted(flows.items(), key=lambda kv: kv[1]["started"])[-FLOWS_KEPT:])
    with _client(request, provider, meta) as client:
        scope = provider.scopes if "openid" in provider.scopes.split() else f"openid {provider.scopes}".strip()
        extra = {"acr_values": provider.authn_context} if provider.authn_context else {}
        if provider.hosted_domains:   # Google's account chooser shows that domain's accounts only (a hint; checked after)
            extra["hd"] = provider.hosted_domains[0] if len(provider.hosted_domains) == 1 else "*"
        url, _ = client.create_authorization_url(meta["authorization_endpoint"], state=state, nonce=nonce,
                                                 code_verifier=verifier, scope=scope, **extra)
    return url


def finish(request, provider: IdentityProvider) -> tuple[dict, str, str]:
    """Check the callback and the tokens; returns ``(claims, id_token, next_url)`` or refuses."""
    params = request.GET
    state = params.get("state", "")
    flows = dict(request.session.get(SESSION_KEY) or {})
    flow = flows.pop(state, None) if state else None
    request.session[SESSION_KEY] = flows  # used once, whatever happens next
    _check_answer_issuer(provider, params.get("iss"))
    if params.get("error"):
        detail = params.get("error_description") or params.get("error")
        raise RuleViolation(RULE, f"{provider.name} did not sign you in: {detail[:300]}")
    if flow is None or flow["provider"] != provider.pk:
        raise RuleViolation(RULE, "the sign-in state does not match one started in this browser "
                                  "(it was already used, expired, or comes from elsewhere); please start again")
    if clock.now().timestamp() - flow["started"] > FLOW_MAX_AGE:
        raise RuleViolation(RULE, "the sign-in took too long; please start again")
    code = params.get("code", "")
    if not code or len(code) > 4096:
        raise RuleViolation(RULE, f"{provider.name} sent no authorization code")
    meta = discovery(provider)
    try:
        with _client(request, provider, meta) as client:
            token = client.fetch_token(meta["token_endpoint"], code=code, code_verifier=flow["verifier"],
                                       grant_type="authorization_code", timeout=HTTP_TIMEOUT)
    except OAuthError as exc:
        raise RuleViolation(RULE, f"{provider.name} refused the authorization code ({exc.error}"
                                  f"{': ' + exc.description[:200] if exc.description else ''})") from None
    except (requests.RequestException, ValueError) as exc:
        raise RuleViolation(RULE, f"{provider.name}'s token endpoint could not be reached ({exc.__class__.__name__})") from None
    id_token = token.get("id_token")
    if not id_token or not isinstance(id_token, str):
        raise RuleViolation(RULE, f"{provider.name} answered without an ID token")
    claims = verify_id_token(provider, meta, id_token, nonce=flow["nonce"], access_token=token.get("access_token"))
    if provider.authn_context and claims.get("acr") != provider.authn_context:
        # acr_values is a request the provider may ignore (OIDC Core 3.1.2.1): the ID token's acr is what counts
        from .saml import authn_context_refusal

        acr = claims.get("acr")
        raise RuleViolation(RULE, authn_context_refusal(provider, acr if isinstance(acr, str) else None), status=403)
    return merge_claims(claims, _userinfo(provider, meta, token, claims["sub"])), id_token, flow["next"]


def merge_claims(id_claims: dict, userinfo: dict) -> dict:
    """The ID token's claims over the userinfo's, with ``email_verified`` kept with the address it
    speaks of: a source that names another address says nothing about this one, and the address is
    unverified (false) if either source that speaks of it says so (LMS-3)."""
    merged = {**userinfo, **id_claims}
    merged.pop("email_verified", None)
    email = merged.get("email")
    said = [source["email_verified"] for source in (id_claims, userinfo)
            if "email_verified" in source and source.get("email", email) == email]
    if said:
        merged["email_verified"] = all(says_true(value) for value in said)
    return merged


def says_true(value) -> bool:
    """A boolean claim that is true: ``true``, or the string ``"true"`` some providers send."""
    return value is True or (isinstance(value, str) and value.strip().lower() == "true")


def issuer_matches(provider: IdentityProvider, named: str) -> bool:
    """Whether ``named`` is the provider's issuer (with or without a final slash) — for a multi-tenant
    issuer, its template with one of the allowed tenants; at Microsoft Entra ID, also the tenant's
    v1 form (:func:`issuer_forms`)."""
    try:
        meta: dict | None = discovery(provider)
    except RuleViolation:
        meta = None
    named = named.rstrip("/")
    if meta is None:
        return named == provider.issuer.rstrip("/")
    if is_multi_tenant(meta):
        return any(named.lower() == f.lower() for t in provider.tenants for f in issuer_forms(provider, meta, t))
    tenant = configured_tenant(provider.issuer) or configured_tenant(str(meta.get("issuer") or ""))
    return named in issuer_forms(provider, meta, tenant if entra_v1_base(meta) else None)


def _check_answer_issuer(provider: IdentityProvider, answered: str | None) -> None:
    """RFC 9207 (mix-up defence): a provider that names itself in its authorization answers
    (``iss``, sent by e.g. panva's oidc-provider, Keycloak, Okta) must name the configured issuer
    (a multi-tenant one: its template with an allowed tenant); one that says in its discovery
    document that it always does must not leave it out."""
    if answered is None:
        try:
            promised = discovery(provider).get("authorization_response_iss_parameter_supported") is True
        except RuleViolation:
            promised = False
        if promised:
            raise RuleViolation(RULE, f"{provider.name}'s answer does not name its issuer (iss), which its discovery "
                                      "document promises (RFC 9207); please start again")
        return
    if not issuer_matches(provider, answered):
        raise RuleViolation(RULE, f"the answer names the issuer {answered[:200]!r}, not the configured issuer "
                                  f"{provider.issuer!r} (RFC 9207: an answer from another provider)")


def provider_origins(provider: IdentityProvider) -> list[str]:
    """The web origins of the provider's own pages (its issuer, its end-session endpoint): who may
    frame our front-channel logout URI (CSP ``frame-ancestors``) and send a browser to it."""
    from syllabus.lti.origins import origin_of

    urls = [provider.issuer]
    try:
        urls.append(str(discovery(provider).get("end_session_endpoint") or ""))
    except RuleViolation:
        pass
    return list(dict.fromkeys(o for o in (origin_of(u, ("https", "http")) for u in urls) if o))


def _describe(error: JoseError, provider: IdentityProvider, claims: dict) -> str:
    claim = getattr(error, "claim", "")
    if isinstance(error, ExpiredTokenError) or claim == "exp":
        return "the ID token has expired"
    if isinstance(error, MissingClaimError):
        return f"the ID token lacks its {claim!r} claim"
    return {
        "iss": f"the ID token was issued by {str(claims.get('iss'))[:200]!r}, not by the configured issuer {provider.issuer!r}",
        "aud": f"the ID token is meant for {str(claims.get('aud'))[:200]!r}, not for this client ({provider.client_id!r})",
        "azp": "the ID token was issued to another client (azp)",
        "nonce": "the ID token does not answer this sign-in (its nonce differs)",
        "iat": "the ID token's issue time is in the future",
        "nbf": "the ID token is not valid yet",
        "at_hash": "the ID token does not match the access token (at_hash)",
    }.get(claim, f"the ID token's {claim or 'claims'} did not check out")


def _header(value: str) -> dict:
    try:
        head = value.split(".", 1)[0]
        header = jsondata.loads(base64.urlsafe_b64decode(head + "=" * (-len(head) % 4)))
    except (ValueError, TypeError):
        return {}
    return header if isinstance(header, dict) else {}


def check_alg(provider: IdentityProvider, meta: dict, alg, what: str = "ID token") -> None:
    """The algorithm a token of the provider may be signed with (OIDC Core 3.1.3.7, RFC 8725 §3.1):
    never ``none``; an HMAC one (the client secret as key) only when the provider is set to it, and
    then nothing else; otherwise an asymmetric one that its discovery document lists."""
    listed = [a for a in (meta.get("id_token_signing_alg_values_supported") or ["RS256"]) if isinstance(a, str)]
    if not isinstance(alg, str) or not alg or alg.lower() == "none":
        raise RuleViolation(RULE, f"the {what} is not signed (alg: none): refused")
    alg = alg[:20]
    if provider.signing_alg:
        if alg != provider.signing_alg:
            raise RuleViolation(RULE, f"the {what} is signed with {alg}, and {provider.name} is set to accept "
                                      f"{provider.signing_alg} only (ID token signing algorithm)")
        return
    if alg in HMAC_ALGS:
        raise RuleViolation(RULE, f"the {what} is signed with {alg}, a shared-secret algorithm (the client secret as "
                                  f"key), and {provider.name} is not set to it: refused (set the ID token signing "
                                  "algorithm only if the client is registered for it at the provider)")
    if alg not in ASYMMETRIC_ALGS:
        raise RuleViolation(RULE, f"the {what} is signed with {alg}, an algorithm Syllabus does not accept")
    if alg not in listed:
        raise RuleViolation(RULE, f"the {what} is signed with {alg}, which {provider.name}'s discovery document does not "
                                  f"list (id_token_signing_alg_values_supported: {', '.join(listed)[:200]})")


KEY_TYPES = {"RS": "RSA", "PS": "RSA", "ES": "EC", "Ed": "OKP"}   # alg prefix → the kty of its keys


def _decode_with(value: str, keys: KeySet, header: dict, registry: JWSRegistry):
    """Decode with the key set: by ``kid`` when the token names one; without, with each key of the
    algorithm's type in turn (OIDC Core 10.1 asks for a kid only when the set has several keys, and
    a provider's set often holds one signing key and others: encryption, another type)."""
    if header.get("kid"):
        return jwt.decode(value, keys, registry=registry)
    kty = KEY_TYPES.get(str(header.get("alg"))[:2])
    candidates = [k for k in keys.keys if k.key_type == kty and k.get("use", "sig") == "sig"
                  and k.get("alg", header["alg"]) == header["alg"]][:10]
    if not candidates:
        raise InvalidKeyIdError()
    for key in candidates[:-1]:
        try:
            return jwt.decode(value, key, registry=registry)
        except BadSignatureError:
            continue
    return jwt.decode(value, candidates[-1], registry=registry)


def _decode_signed(provider: IdentityProvider, meta: dict, value: str, what: str):
    """A JWT the provider signed (an ID token, a logout token), checked against its key set with an
    algorithm :func:`check_alg` allows; a key the set lacks — an unknown key id, or no key id and a
    signature the keys held do not verify — reads the key set again (the provider rotated its keys),
    at most once per JWKS_REFRESH_MIN seconds whatever the tokens say."""
    header = _header(value)
    if not header or value.count(".") != 2:
        raise RuleViolation(RULE, f"the {what} could not be read (it is not a signed JWT)")
    alg = str(header.get("alg") or "")
    check_alg(provider, meta, alg, what)
    registry = JWSRegistry(algorithms=[alg], strict_check_header=False)
    try:
        if alg in HMAC_ALGS:
            import warnings

            from joserfc.jwk import OctKey

            with warnings.catch_warnings():   # the length of the secret is checked when the provider is saved
                warnings.simplefilter("ignore")
                return jwt.decode(value, OctKey.import_key(provider.client_secret), registry=registry)
        keys = _jwks(provider, meta)
        if keys is None:
            raise RuleViolation(RULE, f"{provider.name}'s key set could not be read")
        try:
            return _decode_with(value, keys, header, registry)
        except (InvalidKeyIdError, ValueError, BadSignatureError) as exc:
            if isinstance(exc, BadSignatureError) and header.get("kid"):
                raise   # a key we hold by that id, and the signature is wrong: forged or altered
            # a key we do not know yet: the provider rotated its keys, read them again (once)
            fresh = _jwks(provider, meta, force=True)
            if fresh is None:
                raise RuleViolation(RULE, f"the {what} is signed with a key the provider does not publish (its key set "
                                          f"was read again less than {JWKS_REFRESH_MIN} seconds ago)") from None
            return _decode_with(value, fresh, header, registry)
    except BadSignatureError:
        raise RuleViolation(RULE, f"the {what}'s signature does not verify (it was altered or forged)") from None
    except InvalidKeyIdError:
        raise RuleViolation(RULE, f"the {what} is signed with a key the provider does not publish") from None
    except (DecodeError, JoseError) as exc:
        raise RuleViolation(RULE, f"the {what} could not be read ({exc.__class__.__name__})") from None


def verify_id_token(provider: IdentityProvider, meta: dict, id_token: str, *, nonce: str,
                    access_token: str | None = None) -> dict:
    token = _decode_signed(provider, meta, id_token, "ID token")
    claims = dict(token.claims)
    issuer = expected_issuer(provider, meta, claims, "ID token")
    options = {"iss": {"essential": True, "value": issuer}, "aud": {"essential": True, "value": provider.client_id},
               "sub": {"essential": True}, "exp": {"essential": True}, "iat": {"essential": True}}
    if str(claims.get("iss", "")).rstrip("/") == issuer.rstrip("/"):
        # the same issuer with or without its final slash (Entra's v1 form ends with one)
        options["iss"] = {"essential": True, "value": claims["iss"]}
    params = {"nonce": nonce, "client_id": provider.client_id}
    if access_token:
        params["access_token"] = access_token
    checked = CodeIDToken(claims, token.header, options, params)
    try:
        if "nonce" not in claims:
            raise MissingClaimError("nonce")
        checked.validate(now=int(clock.now().timestamp()), leeway=LEEWAY)
    except ClaimError as exc:
        raise RuleViolation(RULE, _describe(exc, provider, claims)) from None
    if not isinstance(claims.get("sub"), str) or not claims["sub"] or len(claims["sub"]) > 255:
        raise RuleViolation(RULE, "the ID token's subject (sub) is missing or not a short string")
    check_hosted_domain(provider, claims)
    return claims


def check_hosted_domain(provider: IdentityProvider, claims: dict) -> None:
    """Google Workspace: a provider limited to hosted domains signs in only accounts whose ID token
    names one of them in ``hd`` (Google's advice: the ID token's, never an e-mail suffix) (LMS-3)."""
    domains = provider.hosted_domains
    if not domains:
        return
    hd = claims.get("hd")
    hd = hd.strip().lower() if isinstance(hd, str) else ""
    if hd not in domains:
        said = f"an account of {hd[:200]!r}" if hd else "an account of no hosted domain (a personal account: no hd)"
        raise RuleViolation(RULE, f"{provider.name} signs in accounts of {', '.join(domains)} only, and you signed in with "
                                  f"{said}", status=403)


def _userinfo(provider: IdentityProvider, meta: dict, token: dict, sub: str) -> dict:
    """More claims from the userinfo endpoint (names, groups) when the provider has one; its
    ``sub`` must be the ID token's, else it is ignored."""
    endpoint = meta.get("userinfo_endpoint")
    if not endpoint or not token.get("access_token"):
        return {}
    try:
        response = outbound.session(rule=RULE).get(
            endpoint, timeout=HTTP_TIMEOUT, stream=True,
            headers={"Authorization": f"Bearer {token['access_token']}", "Accept": "application/json"})
        response.raise_for_status()
        data = jsondata.loads(outbound.read(response, MAX_DOCUMENT, rule=RULE, what="userinfo"))
    except (requests.RequestException, ValueError, RuleViolation):
        logger.warning("userinfo of %s could not be read; using the ID token's claims only", provider.issuer)
        return {}
    if not isinstance(data, dict) or data.get("sub") != sub:
        logger.warning("userinfo of %s names another subject; ignored", provider.issuer)
        return {}
    return data


def logout_url(request, provider: IdentityProvider, id_token: str) -> str | None:
    """RP-initiated logout at the provider, when its discovery document offers it."""
    try:
        meta = discovery(provider)
    except RuleViolation:
        return None
    endpoint = meta.get("end_session_endpoint")
    if not endpoint:
        return None
    from authlib.common.urls import add_params_to_uri
    from django.urls import reverse

    from .selectors import absolute_url

    back = absolute_url(request, "web:login") if reverse("web:login") else ""
    params = [("client_id", provider.client_id), ("post_logout_redirect_uri", back)]
    if id_token:
        params.insert(0, ("id_token_hint", id_token))
    return add_params_to_uri(endpoint, params)


# --- OpenID Connect Back-Channel Logout 1.0 -----------------------------------------------------

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
LOGOUT_TOKEN_MAX = 20_000     # characters of a logout token we read
LOGOUT_TOKEN_MAX_AGE = 600    # seconds: a logout token older than this (iat) is refused; jti kept as long


def frontchannel_uri(request, provider: IdentityProvider) -> str:
    from .selectors import absolute_url

    return absolute_url(request, "sso:oidc-frontchannel-logout", institution=provider.institution.code, slug=provider.slug)


def backchannel_uri(request, provider: IdentityProvider) -> str:
    from .selectors import absolute_url

    return absolute_url(request, "sso:oidc-backchannel-logout", institution=provider.institution.code, slug=provider.slug)


def verify_logout_token(provider: IdentityProvider, logout_token: str) -> dict:
    """The checks of Back-Channel Logout 1.0 §2.6: signed by the provider's key (asymmetric), ``iss``
    the configured issuer, ``aud`` this client, ``iat`` recent, ``events`` with the back-channel
    logout event, ``sub`` or ``sid``, no ``nonce`` (so that an ID token is never taken for one), and
    a ``jti`` not seen before (a replay is refused).  Returns the claims or refuses (LMS-3)."""
    if not logout_token or len(logout_token) > LOGOUT_TOKEN_MAX:
        raise RuleViolation(RULE, "no logout_token, or one too long")
    meta = discovery(provider)
    claims = dict(_decode_signed(provider, meta, logout_token, "logout token").claims)
    now = clock.now().timestamp()
    aud = claims.get("aud")
    if str(claims.get("iss", "")).rstrip("/") != expected_issuer(provider, meta, claims, "logout token").rstrip("/"):
        raise RuleViolation(RULE, f"the logout token was issued by {str(claims.get('iss'))[:200]!r}, not by the configured "
                                  f"issuer {provider.issuer!r}")
    if provider.client_id not in (aud if isinstance(aud, list) else [aud]):
        raise RuleViolation(RULE, f"the logout token is meant for {str(aud)[:200]!r}, not for this client")
    iat = claims.get("iat")
    if not isinstance(iat, (int, float)) or iat > now + LEEWAY or iat < now - LOGOUT_TOKEN_MAX_AGE:
        raise RuleViolation(RULE, "the logout token's issue time (iat) is missing, in the future or too old")
    exp = claims.get("exp")
    if exp is not None and (not isinstance(exp, (int, float)) or exp < now - LEEWAY):
        raise RuleViolation(RULE, "the logout token has expired")
    events = claims.get("events")
    if not isinstance(events, dict) or not isinstance(events.get(BACKCHANNEL_EVENT), dict):
        raise RuleViolation(RULE, f"the logout token has no {BACKCHANNEL_EVENT} event")
    if "nonce" in claims:
        raise RuleViolation(RULE, "a logout token carries no nonce (this is an ID token, not a logout token)")
    sub, sid = claims.get("sub"), claims.get("sid")
    if not (isinstance(sub, str) and sub) and not (isinstance(sid, str) and sid):
        raise RuleViolation(RULE, "the logout token names neither a subject (sub) nor a session (sid)")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise RuleViolation(RULE, "the logout token has no jti")
    seen = f"sso:oidc:logout-jti:{provider.pk}:{hashlib.sha256(jti.encode()).hexdigest()}"
    if not cache.add(seen, 1, LOGOUT_TOKEN_MAX_AGE + LEEWAY):
        raise RuleViolation(RULE, "this logout token was already used (a replay)")
    return claims


def id_token_sid(id_token: str) -> str | None:
    """The ``sid`` of an ID token verified when it was received (kept with the sign-in)."""
    try:
        payload = id_token.split(".")[1]
        claims = jsondata.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except (IndexError, ValueError):
        return None
    sid = claims.get("sid") if isinstance(claims, dict) else None
    return sid if isinstance(sid, str) else None

"""What the tool asks of a platform's own servers, hardened for real LMSs (LMS-1, LMS-2):

- **access tokens** (IMS Security Framework 1.0 §4.1: OAuth 2.0 client credentials with a signed
  JWT assertion, RFC 7523): one token per platform and set of scopes, kept in the database
  (:class:`~syllabus.lti.models.ServiceToken`, encrypted) and reused by every worker until
  ``TOKEN_EARLY`` before its ``expires_in`` — Canvas limits how often a tool may ask.  The
  platform's refusal (RFC 6749 §5.2 ``error``: ``invalid_client``, ``invalid_grant``,
  ``unsupported_grant_type``, ``invalid_scope``...), an HTML error page, a timeout: a
  :class:`ServiceError` with a reason an administrator can act on;
- **busy platforms**: HTTP 429 or 503 with ``Retry-After`` (seconds or an HTTP-date, RFC 9110
  §10.2.3) is a :class:`ServiceError` carrying ``retry_at`` (bounded);
- **the platform's key set** (its JWKS): kept in the database
  (:class:`~syllabus.lti.models.PlatformKeySet`) for its ``Cache-Control: max-age`` within
  ``KEYSET_FRESH_MIN``..``KEYSET_FRESH_MAX``; a launch signed with a ``kid`` it lacks fetches
  it again — at most once per ``KEYSET_REFETCH_EVERY`` per platform — so that a platform's key
  rotation (Canvas publishes a new key, then signs with it) does not break launches;
- connect and read **timeouts** from settings, each with an upper bound.

Every request goes through :func:`syllabus.core.outbound.session` (SSRF rules, size and time
ceilings)."""
from __future__ import annotations

import datetime as dt
import email.utils
import logging
import hashlib
import re
import uuid

import jwt
import requests
from django.db import IntegrityError, transaction

from syllabus.core import clock
from syllabus.core.errors import RuleViolation
from syllabus.core.limits import setting_within
from syllabus.core import jsondata

from . import keys as tool_keys
from .models import Platform, PlatformKeySet, ServiceToken

log = logging.getLogger(__name__)

TOKEN_EARLY = dt.timedelta(seconds=60)        # a token is renewed this long before it expires
TOKEN_LIFETIME_MAX = 24 * 3600                # an expires_in past a day is read as a day
TOKEN_LIFETIME_UNSAID = 300                   # no expires_in (RFC 6749 §5.1: RECOMMENDED): five minutes
KEYSET_FRESH_MIN = 60                         # seconds: a key set is kept at least this long...
KEYSET_FRESH_MAX = 24 * 3600                  # ...and at most this long, whatever max-age says
KEYSET_FRESH_UNSAID = 3600                    # no max-age: an hour
KEYSET_REFETCH_EVERY = dt.timedelta(minutes=1)   # an unknown kid fetches the key set again at most this often
# a platform's key set that cannot be read (its server down, a timeout): the keys kept verify launches
# signed with one of their kids for this long after their last good read, then launches are refused
KEYSET_KEPT_IF_UNREACHABLE = dt.timedelta(hours=24)
RETRY_AFTER_MIN = 60                          # seconds: a Retry-After of 0 is not an invitation to hammer
RETRY_AFTER_MAX = 6 * 3600                    # a Retry-After of a week is read as six hours


def timeouts() -> tuple[float, float]:
    """(connect, read) seconds for a platform's servers: LTI_HTTP_CONNECT_TIMEOUT (5, at most 30)
    and LTI_HTTP_READ_TIMEOUT (20, at most 120)."""
    return (setting_within("LTI_HTTP_CONNECT_TIMEOUT", 5, 0.1, 30), setting_within("LTI_HTTP_READ_TIMEOUT", 20, 0.1, 120))


class ServiceError(RuleViolation):
    """A platform's service could not be used; ``retry_at`` when the platform asked to be asked
    again later (429/503 with Retry-After)."""

    def __init__(self, rule: str, detail: str, *, retry_at: dt.datetime | None = None, status: int = 502):
        super().__init__(rule, detail, status=status)
        self.retry_at = retry_at


def retry_at_of(value: str | None, now: dt.datetime) -> dt.datetime:
    """When to ask again after a 429/503: ``Retry-After`` as delay-seconds or an HTTP-date
    (RFC 9110 §10.2.3), kept within RETRY_AFTER_MIN..RETRY_AFTER_MAX of ``now``; without a
    usable value, RETRY_AFTER_MIN... doubled to five minutes."""
    value = (value or "").strip()
    seconds: float | None = None
    if re.fullmatch(r"\d{1,10}", value):
        seconds = int(value)
    elif value:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError):
            when = None
        if when is not None:
            if when.tzinfo is None:
                when = when.replace(tzinfo=dt.timezone.utc)
            seconds = (when - now).total_seconds()
    if seconds is None:
        seconds = 5 * RETRY_AFTER_MIN
    return now + dt.timedelta(seconds=min(max(seconds, RETRY_AFTER_MIN), RETRY_AFTER_MAX))


def busy(rule: str, what: str, response: requests.Response) -> ServiceError | None:
    """A 429/503 answer as a ServiceError to retry later; else None."""
    if response.status_code not in (429, 503):
        return None
    retry_at = retry_at_of(response.headers.get("Retry-After"), clock.now())
    why = "too many requests (429)" if response.status_code == 429 else "the service is unavailable (503)"
    return ServiceError(rule, f"the platform answered {why} to {what}; Syllabus asks again after "
                              f"{retry_at:%Y-%m-%d %H:%M} UTC — nothing was changed", retry_at=retry_at)


def _is_html(response: requests.Response) -> bool:
    kind = (response.headers.get("Content-Type") or "").lower()
    return "html" in kind or response.text.lstrip()[:15].lower().startswith(("<!doctype", "<html"))


# --- access tokens (IMS Security Framework 1.0 §4.1) ------------------------------------------

def _scope_key(platform: Platform, scopes) -> str:
    said = [platform.client_id, platform.auth_token_url, platform.auth_audience, *sorted(scopes)]
    return hashlib.sha256("\n".join(said).encode()).hexdigest()


TOKEN_ERRORS = {
    "invalid_client": "the platform does not accept the tool's credentials (invalid_client): check the client id, "
                      "and that the LMS has the tool's public key URL (…/lti/jwks/)",
    "invalid_grant": "the platform refused the tool's signed assertion (invalid_grant): check the token URL and "
                     "the token audience of the platform, and the server clocks",
    "unsupported_grant_type": "the platform does not offer the client credentials grant (unsupported_grant_type): "
                              "is the token URL the LMS's LTI 1.3 token endpoint?",
    "invalid_scope": "the platform did not grant the Names and Role Provisioning scope (invalid_scope): turn on "
                     "Names and Role Provisioning for the tool in the LMS",
    "unauthorized_client": "the platform does not let this tool use its services (unauthorized_client): check the "
                           "tool's registration in the LMS",
    "invalid_request": "the platform found the token request not valid (invalid_request)",
}


def forget_token(platform: Platform, scopes) -> None:
    """A token the platform no longer accepts (401 before its expiry): the next call asks anew."""
    ServiceToken.objects.filter(platform=platform, scopes=_scope_key(platform, scopes)).delete()


def access_token(platform: Platform, scopes, session: requests.Session, *, rule: str = "LMS-2") -> str:
    """A bearer token for ``scopes``: the one kept for the platform while it has more than
    TOKEN_EARLY to live, else a new one from the platform's token endpoint (then kept)."""
    key = _scope_key(platform, scopes)
    now = clock.now()
    kept = ServiceToken.objects.filter(platform=platform, scopes=key, expires_at__gt=now + TOKEN_EARLY).first()
    if kept is not None:
        return kept.access_token
    granted, lifetime = _request_token(platform, scopes, session, rule)
    expires_at = clock.now() + dt.timedelta(seconds=lifetime)
    ServiceToken.objects.filter(platform=platform, expires_at__lte=now).delete()   # expired, or of an older registration
    try:
        with transaction.atomic():
            ServiceToken.objects.update_or_create(platform=platform, scopes=key,
                                                  defaults={"access_token": granted, "expires_at": expires_at,
                                                            "created_at": clock.now()})
    except IntegrityError:   # another worker kept its own at the same moment: both tokens are valid
        pass
    return granted


def _request_token(platform: Platform, scopes, session: requests.Session, rule: str) -> tuple[str, int]:
    url = platform.auth_token_url
    signing = tool_keys.signing_key()
    wall = int(clock.django_now().timestamp())   # read by the platform against its own clock: the wall clock
    assertion = jwt.encode({"iss": platform.client_id, "sub": platform.client_id,
                            "aud": platform.auth_audience or url, "iat": wall - 5, "exp": wall + 300,
                            "jti": "syllabus-" + uuid.uuid4().hex},
                           signing.private_key_pem, algorithm="RS256", headers={"kid": signing.kid})
    form = {"grant_type": "client_credentials",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion, "scope": " ".join(sorted(scopes))}
    connect, read = timeouts()
    try:
        r = session.post(url, data=form, headers={"Accept": "application/json"}, timeout=(connect, read))
    except requests.Timeout:
        raise ServiceError(rule, f"the platform's token endpoint {url} did not answer in time "
                                 f"(connect {connect:g} s, read {read:g} s)", status=504)
    except requests.RequestException as exc:
        raise ServiceError(rule, f"the platform's token endpoint {url} could not be reached ({str(exc)[:300]})")
    waiting = busy(rule, f"the token request ({url})", r)
    if waiting is not None:
        raise waiting
    try:
        body = jsondata.loads(r.content)
    except ValueError:
        body = None
    if r.status_code != 200:
        code = body.get("error") if isinstance(body, dict) else None
        if isinstance(code, str) and code:
            described = body.get("error_description")
            said = f" — the platform says: {str(described)[:200]}" if isinstance(described, str) and described else ""
            reason = TOKEN_ERRORS.get(code, f"the platform refused the token request ({code[:60]})")
            raise ServiceError(rule, f"{reason}{said}")
        if _is_html(r):
            raise ServiceError(rule, f"the token endpoint {url} answered {r.status_code} with a web page, not an OAuth 2.0 "
                                     "error (RFC 6749 §5.2): is the token URL right?")
        raise ServiceError(rule, f"the token endpoint {url} answered {r.status_code}")
    if not isinstance(body, dict) or not isinstance(body.get("access_token"), str) or not body["access_token"]:
        what = "a web page" if _is_html(r) else "no access_token"
        raise ServiceError(rule, f"the token endpoint {url} answered {what} instead of an access token: is the token URL right?")
    if str(body.get("token_type") or "bearer").lower() != "bearer":
        raise ServiceError(rule, f"the token endpoint {url} granted a {str(body['token_type'])[:30]} token, not a bearer token")
    lifetime = body.get("expires_in")
    try:
        lifetime = int(lifetime) if lifetime is not None and not isinstance(lifetime, bool) else TOKEN_LIFETIME_UNSAID
    except (TypeError, ValueError):
        lifetime = TOKEN_LIFETIME_UNSAID
    return body["access_token"][:4000], min(max(lifetime, 0), TOKEN_LIFETIME_MAX)


# --- the platform's key set (JWKS) ------------------------------------------------------------

def fresh_seconds(cache_control: str | None) -> int:
    """How long to keep a key set: ``max-age`` within KEYSET_FRESH_MIN..KEYSET_FRESH_MAX;
    ``no-store``/``no-cache``: the minimum; nothing said: KEYSET_FRESH_UNSAID."""
    directives = [d.strip().lower() for d in (cache_control or "").split(",") if d.strip()]
    if any(d in ("no-store", "no-cache") for d in directives):
        return KEYSET_FRESH_MIN
    for d in directives:
        m = re.fullmatch(r'max-age\s*=\s*"?(\d{1,10})"?', d)
        if m:
            return min(max(int(m.group(1)), KEYSET_FRESH_MIN), KEYSET_FRESH_MAX)
    return KEYSET_FRESH_UNSAID


def _holds(key_set: dict, kid: str) -> bool:
    return any(isinstance(k, dict) and k.get("kid") == kid for k in key_set.get("keys") or [])


def _fetch_key_set(platform: Platform, session: requests.Session) -> tuple[dict, int]:
    url = platform.keyset_url
    connect, read = timeouts()
    try:
        r = session.get(url, headers={"Accept": "application/json"}, timeout=(connect, read))
    except requests.Timeout:
        raise ServiceError("LMS-1", f"the platform's key set {url} did not answer in time", status=504)
    except requests.RequestException as exc:
        raise ServiceError("LMS-1", f"the platform's key set {url} could not be reached ({str(exc)[:300]})")
    if r.status_code != 200:
        raise ServiceError("LMS-1", f"the platform's key set {url} answered {r.status_code}")
    try:
        body = jsondata.loads(r.content)
    except ValueError:
        body = None
    if not isinstance(body, dict) or not isinstance(body.get("keys"), list):
        raise ServiceError("LMS-1", f"the platform's key set {url} is not a JSON Web Key Set (RFC 7517 §5)")
    return body, fresh_seconds(r.headers.get("Cache-Control"))


def key_set(platform: Platform, kid: str, session: requests.Session) -> dict:
    """The platform's key set for a launch signed with ``kid``: the kept one while fresh and
    holding ``kid``; else fetched again — when fresh but without ``kid``, only if the last fetch
    is older than KEYSET_REFETCH_EVERY (a launch with a made-up kid cannot make the tool hammer
    the platform).  The caller refuses a kid still unknown."""
    now = clock.now()
    kept = PlatformKeySet.objects.filter(platform=platform, url=platform.keyset_url).first()
    if kept is not None and kept.fresh_until > now:
        if _holds(kept.keys, kid):
            return kept.keys
        # a new kid: one worker claims the refetch (at most once per KEYSET_REFETCH_EVERY)
        if not PlatformKeySet.objects.filter(pk=kept.pk, fetched_at__lte=now - KEYSET_REFETCH_EVERY).update(fetched_at=now):
            return kept.keys
    try:
        body, seconds = _fetch_key_set(platform, session)
    except RuleViolation as exc:
        if kept is None or not _holds(kept.keys, kid) or now > (kept.read_at or kept.fetched_at) + KEYSET_KEPT_IF_UNREACHABLE:
            raise
        # the platform's key set is unreachable for a moment: the keys it published last verify this
        # launch; the next minute's launches use them without waiting for another timeout
        log.warning("LTI %s: key set %s could not be read (%s); the keys read on %s are used", platform,
                    platform.keyset_url, exc.detail, f"{kept.read_at or kept.fetched_at:%Y-%m-%d %H:%M} UTC")
        PlatformKeySet.objects.filter(pk=kept.pk).update(fresh_until=now + dt.timedelta(seconds=KEYSET_FRESH_MIN))
        return kept.keys
    fetched = clock.now()
    try:
        with transaction.atomic():
            PlatformKeySet.objects.update_or_create(platform=platform, defaults={
                "url": platform.keyset_url, "keys": body, "fetched_at": fetched, "read_at": fetched,
                "fresh_until": fetched + dt.timedelta(seconds=seconds)})
    except IntegrityError:   # another worker kept the key set at the same moment
        pass
    return body

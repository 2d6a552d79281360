"""Request rate limits (RATE-LIMIT, session 21): how often one account — or, when nobody is signed
in, one network address — may call the endpoints that cost work (a catalog search, a fetch of
another server's page, an import, an export) or that answer anyone (sign-in, LTI and SSO
launches, an API bearer token that is not valid).

Each rule is a setting ``RATE_LIMIT_<NAME>`` of the form ``COUNT/PERIOD`` (``30/minute``,
``60/hour``; the period may be ``second``, ``minute``, ``hour``, ``day`` or ``N minutes``...) or
``off``.  Counts are kept in fixed windows of that period:

- in the shared cache when there is one (``CACHE_URL``: Redis; ``INCR`` is atomic), so every web
  worker of every host counts together;
- else in the database (``org.RateCount``: one ``INSERT … ON CONFLICT DO UPDATE … RETURNING``
  statement, outside any transaction of the request), which every worker shares too.  Never in
  the worker's memory (behind N workers a per-process count would allow N times the limit) —
  but for ``RATE_LIMIT_API``, below.

Past the limit the request is refused before any work, ``429`` with ``Retry-After`` (the seconds
until the window ends) and the rule and setting named: the API answers problem details (a ninja
throttle, :class:`Throttle`, or the bearer-token check), the pages a refusal page
(``syllabus.web.middleware.RateLimitMiddleware``).  The one table of which endpoint counts
against which rule is :data:`PAGES` (pages, by URL name) and the ``throttle=`` of each API
operation; ``tests/security/test_rate_limits.py`` walks both.

One rule is counted differently: ``RATE_LIMIT_API`` (session 23), every authenticated API call, per
bearer token (a cookie-signed-in call: per account).  It is on every API call, reads included, so
it must not take the database's write lock (session 22 measured −49 % read throughput on SQLite
with the database counter): with ``CACHE_URL`` it is counted in Redis like the others, in one round
trip; without it, in the worker process's memory (:func:`_bump_local`) — the limit is then **per
web worker process** (``syllabus serve --workers N``: up to N times the limit), documented so.
"""
from __future__ import annotations

import functools
import hashlib
import math
import re
import threading
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import connections, router
from ninja.throttling import BaseThrottle

from syllabus.core import clock
from syllabus.core.errors import RuleViolation

from .throttle import client_address

RULE = "RATE-LIMIT"
MAX_COUNT = 1_000_000          # every numeric setting has a ceiling
MAX_PERIOD = 7 * 24 * 3600     # a window of a week at most


@dataclass(frozen=True)
class Limit:
    name: str
    setting: str
    default: str
    what: str                  # "searches": the message's words
    by_address: bool = False   # always counted by address (sign-in, launches, bad tokens)
    per_process: bool = False  # without CACHE_URL: in the worker's memory, not the database (RATE_LIMIT_API)


LIMITS = {limit.name: limit for limit in (
    Limit("signin", "RATE_LIMIT_SIGNIN", "60/minute", "sign-in attempts", by_address=True),
    Limit("launch", "RATE_LIMIT_LAUNCH", "600/minute", "sign-ins through an LMS or identity provider", by_address=True),
    Limit("bad-token", "RATE_LIMIT_BAD_TOKENS", "30/minute", "API requests with a token that is not valid", by_address=True),
    Limit("search", "RATE_LIMIT_SEARCH", "120/minute", "searches"),
    Limit("lookup", "RATE_LIMIT_LOOKUP", "30/minute", "look-ups of other servers (Cite it, ISBN/DOI, editions)"),
    Limit("import", "RATE_LIMIT_IMPORT", "60/hour", "imports"),
    Limit("export", "RATE_LIMIT_EXPORT", "60/minute", "exports and bibliographies"),
    Limit("api", "RATE_LIMIT_API", "600/minute", "API requests", per_process=True),
)}

# The pages, by URL name, and the rule each counts against; ``None`` for methods: every method.
PAGES: dict[str, tuple[str, frozenset[str] | None]] = {
    "web:login": ("signin", frozenset({"POST"})),
    "admin:login": ("signin", frozenset({"POST"})),
    "admin:password_change": ("signin", frozenset({"POST"})),   # the old password is checked: guessable
    "lti:login": ("launch", None),
    "lti:launch": ("launch", None),
    "lti:continue": ("launch", None),
    "lti:register": ("launch", None),
    "sso:login": ("launch", None),
    "sso:oidc-callback": ("launch", None),
    "sso:saml-acs": ("launch", None),
    "sso:saml-sls": ("launch", None),
    "sso:saml-discovery": ("launch", None),
    "sso:saml-discovery-start": ("launch", None),
    "sso:oidc-backchannel-logout": ("launch", None),
    "sso:oidc-frontchannel-logout": ("launch", None),
    "catalog:search": ("search", None),
    "lending:search": ("search", None),
    "resolver:openurl": ("search", None),
    "catalog:cite-it": ("lookup", None),
    "catalog:cite-it-harvest": ("lookup", None),
    "catalog:lookup-fill": ("lookup", None),
    "acquisitions:check-editions": ("lookup", None),
    "lists:paste-preview": ("lookup", frozenset({"POST"})),
    "lists:paste-add": ("lookup", frozenset({"POST"})),
    "catalog:list-import": ("import", frozenset({"POST"})),
    "catalog:list-import-preview": ("import", frozenset({"POST"})),
    "courses:roster-upload": ("import", frozenset({"POST"})),
    "catalog:list-export": ("export", None),
    "catalog:record-export": ("export", None),
    "catalog:collection-export": ("export", None),
}

_PERIODS = {"s": 1, "sec": 1, "second": 1, "m": 60, "min": 60, "minute": 60, "h": 3600, "hour": 3600,
            "d": 86400, "day": 86400}
_RATE = re.compile(r"^\s*(\d{1,7})\s*/\s*(\d{0,6})\s*([a-z]+?)s?\s*$")


@functools.lru_cache(maxsize=64)
def parse_rate(text: str, setting: str = "") -> tuple[int, int] | None:
    """``"30/minute"`` → (30, 60); ``"off"`` → None.  Anything else is a configuration error
    naming the setting (read on every API call: the parse of each text is kept)."""
    value = str(text).strip().lower()
    if value in {"off", "none", ""}:
        return None
    match = _RATE.match(value)
    if match and match.group(3) in _PERIODS:
        count, period = int(match.group(1)), int(match.group(2) or 1) * _PERIODS[match.group(3)]
        if 1 <= count <= MAX_COUNT and 1 <= period <= MAX_PERIOD:
            return count, period
    raise ImproperlyConfigured(f"{setting or 'a rate limit'} must be COUNT/PERIOD (e.g. 30/minute, 60/hour; "
                               f"count 1..{MAX_COUNT}, period up to 7 days) or off, not {text!r}")


def rate(name: str) -> tuple[int, int] | None:
    limit = LIMITS[name]
    return parse_rate(getattr(settings, limit.setting, limit.default), limit.setting)


class RateLimited(RuleViolation):
    """429 with ``Retry-After``: naming the rule, the setting and the limit."""

    status = 429

    def __init__(self, limit: Limit, count: int, period: int, retry_after: int, by_address: bool, who: str = ""):
        self.retry_after = retry_after
        per = {1: "second", 60: "minute", 3600: "hour", 86400: "day"}.get(period, f"{period} seconds")
        who = who or ("from your network address" if by_address else "from your account")
        super().__init__(RULE, f"too many {limit.what} {who} (at most {count} a {per}, {limit.setting}); "
                               f"try again in {retry_after} second{'s' if retry_after != 1 else ''}",
                         headers={"Retry-After": str(retry_after)})


def caller(request, limit: Limit) -> tuple[str, bool]:
    """Who a request counts for: the signed-in account, else (and always for the rules of
    anonymous endpoints) the network address (``SIGNIN_CLIENT_IP_HEADER``, as the sign-in
    throttle reads it)."""
    user = getattr(request, "auth", None) or getattr(request, "user", None)
    if not limit.by_address and user is not None and getattr(user, "is_authenticated", False):
        return f"user:{user.pk}", False
    return f"addr:{client_address(request) or '-'}", True


def hit(name: str, request, *, count_it: bool = True, who: tuple[str, str] | None = None) -> None:
    """Count one request of rule ``name``; past the limit raise :class:`RateLimited`.  With
    ``count_it=False`` only check (the bearer-token rule counts failures, and refuses every token
    while they are over the limit).  ``who``: the bucket and the words of the message, when the
    caller is not the account or address (``("token:<digest>", "with this API token")``)."""
    limit = LIMITS[name]
    parsed = rate(name)
    if parsed is None:
        return
    count, period = parsed
    if who is None:
        bucket, by_address = caller(request, limit)
        words = ""
    else:
        (bucket, words), by_address = who, False
    now = clock.now().timestamp()
    window_end = (int(now) // period + 1) * period
    if limit.per_process and not getattr(settings, "CACHE_URL", ""):
        hits = _bump_local(f"{name}:{bucket}", window_end, now, count_it)
    else:
        hits = _bump(f"{name}:{bucket}", window_end, period, count_it, now=now)
    if hits > count:
        raise RateLimited(limit, count, period, max(1, math.ceil(window_end - now)), by_address, words)


# The per-process counts of the rules counted in the worker's memory without CACHE_URL: bucket →
# (window end, hits).  Bounded: past _LOCAL_MAX buckets the windows that are over are dropped, and
# if that is not enough the whole table (a reset lets callers through, never refuses one wrongly).
_LOCAL: dict[str, tuple[int, int]] = {}
_LOCAL_LOCK = threading.Lock()
_LOCAL_MAX = 50_000


def _bump_local(bucket: str, window_end: int, now: float, count_it: bool = True) -> int:
    with _LOCAL_LOCK:
        end, hits = _LOCAL.get(bucket, (window_end, 0))
        if end != window_end:
            hits = 0
        if not count_it:
            return hits
        if bucket not in _LOCAL and len(_LOCAL) >= _LOCAL_MAX:
            for key in [k for k, (e, _) in _LOCAL.items() if e <= now]:
                del _LOCAL[key]
            if len(_LOCAL) >= _LOCAL_MAX:
                _LOCAL.clear()
        _LOCAL[bucket] = (window_end, hits + 1)
        return hits + 1


def forget_local() -> None:
    """Forget the per-process counts (the tests: each starts with none, as a fresh worker)."""
    with _LOCAL_LOCK:
        _LOCAL.clear()


def _bump(bucket: str, window_end: int, period: int, count_it: bool = True, *, now: float | None = None) -> int:
    """One more hit of ``bucket`` in the window ending at ``window_end``: the hits so far (with
    ``count_it=False``: the hits so far, none added)."""
    bucket = bucket[:255]
    if getattr(settings, "CACHE_URL", ""):
        from django.core.cache import caches

        cache = caches["default"]
        key = "rl:" + hashlib.sha256(f"{bucket}@{window_end}".encode()).hexdigest()
        if not count_it:
            return int(cache.get(key) or 0)
        # the window's end is in the key, so the key expires then: seconds left by our clock (the
        # server's EXPIREAT would use Redis's own clock), at least one
        ttl = max(1, math.ceil(window_end - (clock.now().timestamp() if now is None else now)) + 1)
        return _redis_incr(cache, key, min(ttl, period + 1))
    from .models import RateCount

    if not count_it:
        row = RateCount.objects.filter(bucket=bucket, window_end=window_end).values_list("hits", flat=True).first()
        return int(row or 0)
    db = router.db_for_write(RateCount)
    table = connections[db].ops.quote_name(RateCount._meta.db_table)
    sql = (f"INSERT INTO {table} (bucket, window_end, hits) VALUES (%s, %s, 1) "
           f"ON CONFLICT (bucket) DO UPDATE SET "
           f"hits = CASE WHEN {table}.window_end = excluded.window_end THEN {table}.hits + 1 ELSE 1 END, "
           f"window_end = excluded.window_end RETURNING hits")
    with connections[db].cursor() as cursor:
        cursor.execute(sql, [bucket, window_end])
        return int(cursor.fetchone()[0])


def _redis_incr(cache, key: str, ttl: int) -> int:
    """``INCR`` and ``EXPIRE`` in one ``MULTI``/``EXEC`` pipeline: one round trip to Redis (session 22
    measured Django's ``add`` + ``incr``: three, ≈ 6 ms a call on a loaded machine).  Setting the
    expiry again on every hit is harmless: it always points at the window's end."""
    client = getattr(cache, "_cache", None)
    if client is None or not hasattr(client, "get_client"):   # not Django's Redis back end
        cache.add(key, 0, timeout=ttl)
        return int(cache.incr(key))
    full = cache.make_and_validate_key(key)
    pipe = client.get_client(full, write=True).pipeline(transaction=True)
    pipe.incr(full)
    pipe.expire(full, ttl)
    hits, _ = pipe.execute()
    return int(hits)


def forget_stale(now) -> int:
    """Delete the counts whose window is over (the timer sweep ``org_forget_rate_counts``)."""
    from .models import RateCount

    return RateCount.objects.filter(window_end__lte=int(now.timestamp())).delete()[0]


class Throttle(BaseThrottle):
    """A django-ninja throttle counting against one rule: ``@router.get(..., throttle=Throttle("search"))``.
    Past the limit the refusal is kept on the request (``request.rate_limited``: the throttle object
    is shared by every thread of the worker) and ninja raises its ``Throttled``, which the API
    answers as that refusal's problem details (429, ``Retry-After``, ``rule: RATE-LIMIT``;
    ``syllabus.api.api``)."""

    def __init__(self, name: str):
        if name not in LIMITS:
            raise ImproperlyConfigured(f"no rate limit named {name!r}")
        self.name = name

    def allow_request(self, request) -> bool:
        try:
            hit(self.name, request)
        except RateLimited as exc:
            request.rate_limited = exc
            return False
        return True

"""API authentication: a bearer token (``syllabus token create``) or the web session.

A bearer token that is not valid counts against ``RATE_LIMIT_BAD_TOKENS`` for the caller's network
address (RATE-LIMIT, session 21); past it every bearer token from that address is refused, 429
with ``Retry-After`` — even a valid one, so that a guesser learns nothing while refused.

Every authenticated call counts against ``RATE_LIMIT_API`` (RATE-LIMIT, session 23): per bearer
token (each of a person's tokens has its own count: a script's token and a portal's), and per
account for calls made with the web session's cookie.  Past it the call is refused before the
operation runs, 429 problem details with ``Retry-After``."""
from __future__ import annotations

from ninja.security import HttpBearer
from ninja.security.session import SessionAuth as DjangoSessionAuth

from syllabus.core.errors import RuleViolation
from syllabus.org import ratelimit
from syllabus.org.models import hash_token
from syllabus.org.services import token_for

READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token: str):
        ratelimit.hit("bad-token", request, count_it=False)
        try:
            found = token_for(token)
        except RuleViolation:             # an expired token (AUTH-EXPIRY) is not valid: counted, then named
            ratelimit.hit("bad-token", request)
            raise
        if found is None:
            ratelimit.hit("bad-token", request)
            return None
        user = request.user = found.user
        # the token's digest names its count (never the token itself, even hashed again in a key)
        ratelimit.hit("api", request, who=(f"token:{hash_token(token)[:32]}", "with this API token"))
        if found.read_only and request.method not in READ_METHODS:
            raise RuleViolation("AUTH-SCOPE", f"this API token ({found.prefix}…) is read-only: it opens GET and HEAD "
                                              "operations only; use a token made without --read-only to change anything",
                                status=403)
        return user


class SessionAuth(DjangoSessionAuth):
    """Django's session (the signed-in browser), counted per account against ``RATE_LIMIT_API``
    (the class keeps ninja's name: it names the security scheme in the OpenAPI document)."""

    def authenticate(self, request, key):
        user = super().authenticate(request, key)
        if user is not None:
            ratelimit.hit("api", request, who=(f"user:{user.pk}", "from your account"))
        return user


AUTH = [TokenAuth(), SessionAuth()]

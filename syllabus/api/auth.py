"""API authentication: a bearer token (``syllabus token create``) or the web session.

A bearer token that is not valid counts against ``RATE_LIMIT_BAD_TOKENS`` for the caller's network
address (RATE-LIMIT, session 21); past it every bearer token from that address is refused, 429
with ``Retry-After`` — even a valid one, so that a guesser learns nothing while refused."""
from __future__ import annotations

from ninja.security import HttpBearer, django_auth

from syllabus.org import ratelimit
from syllabus.org.services import user_for_token


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token: str):
        ratelimit.hit("bad-token", request, count_it=False)
        user = user_for_token(token)
        if user is not None:
            request.user = user
        else:
            ratelimit.hit("bad-token", request)
        return user


AUTH = [TokenAuth(), django_auth]

"""A CSRF token for a response, as ``django.middleware.csrf.get_token`` gives it, with its mask
drawn from one read of the operating system's random source (issue 19, session 12).

Django draws each of the mask's 32 characters with its own ``secrets.choice`` — 32 reads of
``os.urandom`` and ~100 Python calls per token; a kept student page (lists_tags.fill_reader_page)
needs a fresh token on every response.  Here the mask is drawn from random bytes by rejection
(a byte below 248 = 4 × 62 picks one of the 62 characters, each with the same probability; the
others are dropped), so the token is as unpredictable as Django's and has the same form: mask,
then the secret shifted by the mask — the CSRF middleware checks it unchanged.  The cookie's
secret is used and renewed exactly as ``get_token`` does."""
from __future__ import annotations

import secrets

from django.middleware import csrf

_CHARS = csrf.CSRF_ALLOWED_CHARS
_N = len(_CHARS)
_INDEX = {c: i for i, c in enumerate(_CHARS)}
_BELOW = 256 - 256 % _N   # bytes below it map uniformly onto the characters


def _mask() -> list[int]:
    picks: list[int] = []
    while len(picks) < csrf.CSRF_SECRET_LENGTH:
        picks += [b % _N for b in secrets.token_bytes(48) if b < _BELOW]
    return picks[:csrf.CSRF_SECRET_LENGTH]


def get_token(request) -> str:
    """``django.middleware.csrf.get_token(request)``, cheaper (see the module doc)."""
    meta = request.META
    if "CSRF_COOKIE" in meta:
        secret = meta["CSRF_COOKIE"]
        meta["CSRF_COOKIE_NEEDS_UPDATE"] = True   # (the cookie is sent again: its expiry renewed)
    else:
        secret = csrf._add_new_csrf_cookie(request)  # type: ignore[attr-defined]  # (Django's own, not in its stubs)
    mask = _mask()
    return "".join(_CHARS[m] for m in mask) + "".join(_CHARS[(_INDEX[c] + m) % _N] for c, m in zip(secret, mask))

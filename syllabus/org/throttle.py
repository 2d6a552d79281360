"""Sign-in throttling by account and by address (issue 18 item 5, §12).

Every password sign-in — the sign-in page, the admin's, and anything else that calls Django's
``authenticate(username=..., password=...)`` — goes through ``ThrottledModelBackend``: while the
account or the caller's address is locked it refuses, even the right password.  Failures are
counted from Django's ``user_login_failed`` signal, so a login view of another app that
authenticates with a username and password is covered too; a successful sign-in clears the
account's count.  Limits (settings, from the environment):

- ``SIGNIN_MAX_FAILURES_PER_ACCOUNT`` (5) and ``SIGNIN_MAX_FAILURES_PER_ADDRESS`` (20) failures
  within ``SIGNIN_WINDOW_SECONDS`` (900) lock for ``SIGNIN_LOCKOUT_SECONDS`` (900);
- ``API_TOKENS_PER_HOUR`` (10): at most that many API tokens created per user per hour;
- ``ILL_PARTNER_MAX_FAILURES`` (10) failed authentications of an ILL partner's ISO 18626 post
  (CON-2: its header and shared secret) from one address within the same window lock that
  partner from that address for the same lockout (``POST /api/v1/iso18626`` answers 429 with
  ``Retry-After``); a post with the right secret clears the count.

Administrators unlock accounts in the admin (Users → action "Unlock sign-in"); superusers also
see and unlock addresses under "Sign-in throttles".
"""
from __future__ import annotations

import datetime as dt
import math

from django.conf import settings
from django.contrib.auth import get_user_model
from syllabus.org.backends import SyllabusBackend
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.db import transaction
from django.dispatch import receiver

from syllabus.core import clock

RULE = "AUTH-THROTTLE"


def _setting(name: str, default: int) -> int:
    return int(getattr(settings, name, default))


class SignInLocked(DjangoPermissionDenied):
    """Raised by the backend while an account or address is locked; Django's ``authenticate``
    turns it into a failed sign-in, the sign-in forms into this message."""

    def __init__(self, kind: str, until: dt.datetime):
        self.kind, self.until = kind, until
        minutes = max(1, math.ceil((until - clock.now()).total_seconds() / 60))
        self.minutes = minutes
        self.message = (f"{RULE}: too many failed sign-ins {'for this account' if kind == 'account' else 'from your network address'}; "
                        f"try again in {minutes} minute{'s' if minutes != 1 else ''}, or ask an administrator to unlock it")
        super().__init__(self.message)


def normal_username(username) -> str:
    """The account a failure counts against: the name read like the sign-in form reads it (NFKC
    through ``User.normalize_username``, the one normaliser), then lower-cased."""
    return get_user_model().normalize_username(str(username or "").strip()).lower()[:200]


def client_address(request) -> str:
    """The caller's address: ``REMOTE_ADDR``, or — behind trusted proxies — the address the
    outermost of them saw, read from the header they set (``SIGNIN_CLIENT_IP_HEADER``, e.g.
    ``HTTP_X_FORWARDED_FOR``).  A proxy *appends* to what the client sent, so only the
    ``SIGNIN_TRUSTED_PROXIES`` right-hand entries are the proxies' word: that many from the right
    (session 19; the first entry, as before, is whatever the client wrote — a new one per guess
    escaped every lock by address)."""
    if request is None:
        return ""
    header = getattr(settings, "SIGNIN_CLIENT_IP_HEADER", "")
    if header and request.META.get(header):
        hops = [hop.strip() for hop in str(request.META[header]).split(",") if hop.strip()]
        proxies = min(max(int(getattr(settings, "SIGNIN_TRUSTED_PROXIES", 1)), 1), 10)
        if hops:
            return hops[-min(proxies, len(hops))][:200]
    return (request.META.get("REMOTE_ADDR") or "")[:200]


def _rows(username: str, address: str):
    from .models import SignInThrottle

    keys = []
    if username:
        keys.append((SignInThrottle.ACCOUNT, normal_username(username)))
    if address:
        keys.append((SignInThrottle.ADDRESS, address))
    return SignInThrottle, keys


def _locked(model, keys) -> tuple[str, dt.datetime] | None:
    now = clock.now()
    for kind, key in keys:
        row = model.objects.filter(kind=kind, key=key, locked_until__gt=now).first()
        if row is not None:
            return kind, row.locked_until
    return None


def check(username: str, address: str) -> None:
    """Raise ``SignInLocked`` while the account or the address is locked."""
    locked = _locked(*_rows(username, address))
    if locked is not None:
        raise SignInLocked(*locked)


def record_failure(username: str, address: str) -> None:
    """Count one failed sign-in for the account and the address; lock past the limit."""
    model, keys = _rows(username, address)
    _count(model, keys, {model.ACCOUNT: _setting("SIGNIN_MAX_FAILURES_PER_ACCOUNT", 5),
                         model.ADDRESS: _setting("SIGNIN_MAX_FAILURES_PER_ADDRESS", 20)})


def _count(model, keys, limits: dict[str, int]) -> None:
    """One more failure for each (kind, key) of ``keys``: past ``limits[kind]`` within the window,
    the key is locked for the lockout (a failure while locked does not lengthen the lock)."""
    now = clock.now()
    window = dt.timedelta(seconds=_setting("SIGNIN_WINDOW_SECONDS", 900))
    lockout = dt.timedelta(seconds=_setting("SIGNIN_LOCKOUT_SECONDS", 900))
    with transaction.atomic():
        for kind, key in keys:
            row, _ = model.objects.select_for_update().get_or_create(kind=kind, key=key, defaults={"window_start": now})
            if row.locked_until is not None and row.locked_until > now:
                continue  # a refused attempt while locked does not lengthen the lock
            if row.window_start + window < now or row.locked_until is not None:
                row.failures, row.window_start, row.locked_until = 0, now, None
            row.failures += 1
            row.last_failure_at = now
            if row.failures >= limits[kind]:
                row.locked_until = now + lockout
            row.save()


def partner_key(requesting: str, supplying: str, address: str) -> str:
    """The key an ILL partner's failed authentication counts against (CON-2): the partner (the
    requesting member's agency and the supplier's) and the address it is posted from — so a wrong
    secret from one address does not lock the partner posting from its own."""
    return f"{requesting.upper()[:60]}>{supplying.upper()[:60]}@{address}"[:200]


def partner_locked_until(key: str) -> dt.datetime | None:
    """While failed authentications of this partner from this address are locked: until when."""
    from .models import SignInThrottle

    locked = _locked(SignInThrottle, [(SignInThrottle.PARTNER, key)])
    return locked[1] if locked else None


def record_partner_failure(key: str) -> dt.datetime | None:
    """One failed authentication of an ILL partner's post (``ILL_PARTNER_MAX_FAILURES``, 10, within
    ``SIGNIN_WINDOW_SECONDS`` lock it for ``SIGNIN_LOCKOUT_SECONDS``); until when it is now locked."""
    from .models import SignInThrottle

    _count(SignInThrottle, [(SignInThrottle.PARTNER, key)],
           {SignInThrottle.PARTNER: _setting("ILL_PARTNER_MAX_FAILURES", 10)})
    return partner_locked_until(key)


def record_partner_success(key: str) -> None:
    """The partner authenticated from this address: its failures there no longer count."""
    from .models import SignInThrottle

    SignInThrottle.objects.filter(kind=SignInThrottle.PARTNER, key=key).delete()


def retry_after(until: dt.datetime) -> int:
    """Seconds until ``until`` (at least 1): an HTTP ``Retry-After``."""
    return max(1, math.ceil((until - clock.now()).total_seconds()))


def record_success(username: str) -> None:
    model, keys = _rows(username, "")
    for kind, key in keys:
        model.objects.filter(kind=kind, key=key).delete()


def forget_stale(now) -> int:
    """Delete the rows that no longer count: not locked, and their window over (AUTH-THROTTLE)."""
    from django.db.models import Q

    from .models import SignInThrottle

    window = dt.timedelta(seconds=_setting("SIGNIN_WINDOW_SECONDS", 900))
    stale = SignInThrottle.objects.filter(Q(locked_until__isnull=True) | Q(locked_until__lte=now), window_start__lt=now - window)
    return stale.delete()[0]


def unlock(actor, *, username: str = "", address: str = "", partner: str = "") -> int:
    """Clear the lock and the count of an account, an address and/or an ILL partner's
    (:func:`partner_key`) (audit trail: ORG-6)."""
    from syllabus.core import audit

    model, keys = _rows(username, address)
    if partner:
        keys.append((model.PARTNER, partner))
    removed = 0
    with transaction.atomic():
        for kind, key in keys:
            for row in model.objects.filter(kind=kind, key=key):
                audit.event(actor, row, "unlocked", note=f"sign-in {kind} {key} unlocked")
                row.delete()
                removed += 1
    return removed


class ThrottledModelBackend(SyllabusBackend):
    """Django's username/password backend, refusing while the account or address is locked."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get(get_user_model().USERNAME_FIELD)
        if username is None or password is None:
            return None
        check(username, client_address(request))
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed, dispatch_uid="syllabus.signin.failed")
def _failed(sender, credentials, request=None, **kwargs):
    username = credentials.get("username") or credentials.get(get_user_model().USERNAME_FIELD)
    if not username:
        return  # not a password sign-in (another app's own login): not ours to count
    address = client_address(request)
    try:
        check(username, address)
    except SignInLocked:
        return
    record_failure(username, address)


@receiver(user_logged_in, dispatch_uid="syllabus.signin.succeeded")
def _succeeded(sender, user, request=None, **kwargs):
    record_success(user.get_username())


class ThrottledFormMixin:
    """For the sign-in forms: a locked account or address gets its own clear message (and the
    view answers 429), not the usual "username and password didn't match"."""

    locked: SignInLocked | None = None
    merged: str = ""   # ORG-MERGE: the account was merged into another one (the message saying which)

    def clean(self):
        from django import forms

        username = self.cleaned_data.get("username")
        address = client_address(self.request)
        try:
            check(username or "", address)
            return super().clean()
        except SignInLocked as exc:
            self.locked = exc
            raise forms.ValidationError(exc.message, code="locked")
        except forms.ValidationError:
            try:  # this failure may have been the one that locks
                check(username or "", address)
            except SignInLocked as exc:
                self.locked = exc
                raise forms.ValidationError(exc.message, code="locked")
            merged = _merged_account(username, self.cleaned_data.get("password"))
            if merged is not None:
                self.merged = merged
                raise forms.ValidationError(merged, code="merged")
            raise


def _merged_account(username, password) -> str | None:
    """ORG-MERGE: the message for a sign-in to an account that was merged into another one — only
    with that account's right password (else the usual "didn't match": a username alone never tells
    whether an account exists, nor which account it became).  The password of the merged account
    never signs in the other one: it was not set for it."""
    from django.utils.translation import gettext

    from .models import User

    if not username or not password:
        return None
    user = (User.objects.select_related("merged_into").filter(username=User.normalize_username(str(username).strip()),
                                                                merged_into__isnull=False).first())
    if user is None or user.merged_into is None or not user.check_password(password):
        return None
    return gettext("This account was merged into the account %(target)s (ORG-MERGE). Sign in as %(target)s — with "
                   "its own password or your institution's sign-in.") % {"target": user.merged_into.username}


def check_token_creation(user) -> None:
    """At most ``API_TOKENS_PER_HOUR`` tokens created per user per hour (issue 18 item 5)."""
    from syllabus.core.errors import RuleViolation

    from .models import ApiToken

    limit = _setting("API_TOKENS_PER_HOUR", 10)
    since = clock.now() - dt.timedelta(hours=1)
    if ApiToken.objects.filter(user=user, created_at__gt=since).count() >= limit:
        raise RuleViolation(RULE, f"at most {limit} API tokens per hour for one account; try again later", status=429)

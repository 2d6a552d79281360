"""Changes of state in the organisation context."""
from __future__ import annotations

import datetime as dt
import logging
import secrets
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q

from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation

from .models import ApiToken, RoleAssignment, User, hash_token
from .roles import Role, Scope

logger = logging.getLogger(__name__)
TOKEN_PREFIX = "syl_"
LAST_USED_EVERY_SECONDS = 60


def create_api_token(user: User, name: str = "", actor=None, *, throttled: bool = False,
                     days: int | None = None, read_only: bool = False) -> tuple[ApiToken, str]:
    """Create a bearer token; the raw value is returned once and never stored.

    It expires after ``days`` (default ``API_TOKEN_DAYS``; ``0``: never) — AUTH-EXPIRY; a
    ``read_only`` one opens only GET and HEAD operations — AUTH-SCOPE.

    ``throttled=True`` — for every route where a person asks for a token themselves (a page or
    an endpoint, not the operator's ``syllabus token create``) — refuses past
    ``API_TOKENS_PER_HOUR`` tokens per account per hour (issue 18 item 5, ``AUTH-THROTTLE``)."""
    if throttled:
        from .throttle import check_token_creation

        check_token_creation(user)
    days = settings.API_TOKEN_DAYS if days is None else days
    if not 0 <= days <= 3660:
        raise RuleViolation("AUTH-EXPIRY", f"a token lives 1 to 3,660 days (0: never expires), not {days}")
    expires_at = clock.now() + dt.timedelta(days=days) if days else None
    raw = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(user=user, name=name, prefix=raw[:12], digest=hash_token(raw), expires_at=expires_at,
                                     read_only=read_only)
        audit.event(actor, token, "created", note=f"API token for {user.username}, "
                                                  f"{f'expires {expires_at:%Y-%m-%d %H:%M} UTC' if expires_at else 'never expires'}")
    return token, raw


def revoke_api_token(token: ApiToken, actor=None) -> None:
    with transaction.atomic():
        if token.revoked_at is None:
            audit.update(actor, token, revoked_at=clock.now())


def user_for_token(raw: str) -> User | None:
    token = token_for(raw)
    return token.user if token else None


def token_for(raw: str) -> ApiToken | None:
    """The active token ``raw`` names, with its user; None when it opens nothing; an expired
    one is refused naming AUTH-EXPIRY."""
    if not raw or not raw.startswith(TOKEN_PREFIX):
        return None
    token = (ApiToken.objects.select_related("user", "user__institution", "user__user_group")
             .filter(digest=hash_token(raw), revoked_at__isnull=True).first())
    # an inactive or expired person is refused whatever the way in (check_may_sign_in; LMS-3): a
    # token made while enrolled ends with the account's expiry date, as the sessions do
    if token is None or not token.user.is_active or token.user.is_expired:
        return None
    now = clock.now()
    if token.expired(now):
        raise RuleViolation("AUTH-EXPIRY", f"this API token ({token.prefix}…) expired on {token.expires_at:%Y-%m-%d %H:%M} UTC: "
                                           "ask for a new one (syllabus token create)", status=401,
                            headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    # at most one write a minute per token (issue 18 item 3): a read-only API call must not take
    # the write lock; the condition in the UPDATE keeps concurrent calls from writing it twice
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() >= LAST_USED_EVERY_SECONDS:
        stale = Q(last_used_at__isnull=True) | Q(last_used_at__lte=now - dt.timedelta(seconds=LAST_USED_EVERY_SECONDS))
        ApiToken.objects.filter(stale, pk=token.pk).update(last_used_at=now)
    return token


def assign_role(user: User, role: str, *, library=None, department: str = "", actor=None) -> RoleAssignment:
    if role not in Role.values:
        raise RuleViolation("ORG-3", f"unknown role {role!r}")
    if user.institution_id is None:
        raise RuleViolation("ORG-3", "a user needs an institution before a role")
    if library is not None and library.institution_id != user.institution_id:
        raise RuleViolation("ORG-3", "a role can only be scoped to a library of the user's institution")
    scope = Scope.LIBRARY if library else Scope.DEPARTMENT if department else Scope.INSTITUTION
    with transaction.atomic():
        ra, created = RoleAssignment.objects.get_or_create(
            user=user, role=role, scope=scope, institution_id=user.institution_id, library=library, department=department or ""
        )
        if created:
            audit.created(actor, ra)
    user.__dict__.pop("_role_cache", None)
    return ra


# --- the people loader (ORG-3, CRS-2) -----------------------------------------------------

USER_COLUMNS = ("username", "first_name", "last_name", "email", "user_group", "external_id", "status", "expiry_date")
_USER_TEXT = {"first_name": 150, "last_name": 150, "email": 254, "external_id": 100}  # column → longest value


def email_values(user: User | None, email: str, *, verified: bool, stored: str | None = None) -> dict[str, Any]:
    """The one place that decides what writing ``email`` onto ``user`` (``None``: a new person) does
    to ``User.email_verified`` — every way an address is written goes through it: the people file,
    an SSO provider and an LMS (``provision_person``, ``lti.services.person_for``), the person's own
    contact details (``notify.services.update_contact``), the Django admin (``UserAdmin``), the demo.

    ``verified``: the source vouches for the address (the people file, an LMS, an identity provider
    that verifies addresses).  A *different* address takes the source's word: from anyone else — the
    person, an administrator typing it in the admin, a provider that does not verify — it is stored
    for letters but never matches an LMS launch or a typed instructor (LMS-1, LMS-3).  The *same*
    address (case aside) keeps a flag it already had: an unverifying source repeating what the people
    file said takes nothing away.  ``stored``: the address before the change when ``user`` already
    holds the new one (a bound admin form)."""
    email = (email or "").strip()
    before = (user.email if stored is None else stored) if user is not None else ""
    same = user is not None and email.lower() == (before or "").lower()
    return {"email": email, "email_verified": bool(verified) or (same and bool(user and user.email_verified))}


def _user_values(row: dict, present: set[str], groups: dict[str, int]) -> dict:
    """The values a row sets (a column the file does not have is left as it is)."""
    import datetime as dt

    from django.contrib.auth.validators import UnicodeUsernameValidator
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from syllabus.core.loading import RowError, cell

    # NFKC, as the sign-in form reads what is typed: "ａｎｎａ" (full-width) is the account "anna",
    # never a look-alike second account that could not sign in with its password
    username = User.normalize_username(cell(row, "username"))
    if not username:
        raise RowError("no username")
    if len(username) > 150:
        raise RowError("username is longer than 150 characters")
    try:
        UnicodeUsernameValidator()(username)
    except ValidationError:
        raise RowError(f"bad username {username!r} (letters, digits and @ . + - _ only)")
    values: dict = {}
    for name, limit in _USER_TEXT.items():
        if name in present:
            values[name] = cell(row, name)
            if len(values[name]) > limit:
                raise RowError(f"{name} is longer than {limit} characters")
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            raise RowError(f"bad email {values['email']!r}")
    if "email" in values:
        values.update(email_values(None, values["email"], verified=True))   # the institution's own people file vouches
    if "user_group" in present:
        code = cell(row, "user_group")
        if code and code.lower() not in groups:
            raise RowError(f"unknown user_group {code!r} (known: {', '.join(sorted(groups)) or 'none'})")
        values["user_group_id"] = groups[code.lower()] if code else None
    if "status" in present:
        status = cell(row, "status").lower() or "active"
        if status not in ("active", "inactive"):
            raise RowError(f"bad status {status!r} (expected active or inactive)")
        values["is_active"] = status == "active"
    if "expiry_date" in present:
        raw = cell(row, "expiry_date")
        try:
            values["expiry_date"] = dt.date.fromisoformat(raw) if raw else None
        except ValueError:
            raise RowError(f"bad expiry_date {raw!r} (expected YYYY-MM-DD)")
    values["username"] = username
    return values


def import_users(source, institution, actor=None):
    """Load people of ``institution`` from CSV (``USER_COLUMNS``; ``username`` required), idempotent
    on the username.  Bulk: the institution's people are read once, new ones inserted and
    changed ones updated in batches, all in one transaction, each change in the audit trail.
    A bad row is reported with its line number and skipped; it never stops the others."""
    from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX

    from syllabus.core.loading import ImportReport, RowError, chunks, csv_rows

    from .models import UserGroup

    report = ImportReport()
    rows = csv_rows(source, rule="ORG-3", required=("username",), columns=USER_COLUMNS)
    groups = {code.lower(): pk for code, pk in UserGroup.objects.filter(institution=institution).values_list("code", "id")}
    parsed: list[tuple[int, dict]] = []
    seen: dict[str, int] = {}
    present: set[str] | None = None
    for line, row in rows:
        if present is None:
            present = {k for k in row if k}
        try:
            if row.get(None):
                raise RowError(f"{len(row[None])} more field(s) than the header has")
            values = _user_values(row, present, groups)
            key = values["username"].lower()
            if key in seen:
                raise RowError(f"duplicate of line {seen[key]} (same username)")
            seen[key] = line
            parsed.append((line, values))
        except RowError as exc:
            report.reject(line, str(exc))

    existing: dict[str, User] = {}
    for part in chunks([v["username"] for _, v in parsed]):
        for u in User.objects.filter(username__in=part):
            existing[u.username] = u
    fields = [f for f in ("first_name", "last_name", "email", "email_verified", "external_id", "user_group_id", "is_active",
                          "expiry_date")]
    to_create: list[tuple[int, User]] = []
    to_update: list[tuple[int, User, dict]] = []
    for line, values in parsed:
        user = existing.get(values["username"])
        if user is not None and user.institution_id != institution.pk:
            report.reject(line, f"username {values['username']} belongs to another institution")
            continue
        if user is not None and user.merged_into_id is not None:
            # ORG-MERGE: never brought back to life by a file that still lists it
            report.reject(line, f"{values['username']} was merged into another account (ORG-MERGE): update the file, "
                                "or merge the other way round")
            continue
        if user is None:
            # no password: people sign in through SSO or LTI, or an administrator sets one
            user = User(institution=institution, password=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20), **values)
            to_create.append((line, user))
            continue
        changes = {f: [getattr(user, f), values[f]] for f in fields if f in values and getattr(user, f) != values[f]}
        if changes:
            for f, (_, new) in changes.items():
                setattr(user, f, new)
            to_update.append((line, user, changes))
        else:
            report.unchanged += 1

    with transaction.atomic():
        User.objects.bulk_create([u for _, u in to_create], batch_size=1000)
        changed_fields = sorted({f for _, _, ch in to_update for f in ch})
        if changed_fields:
            User.objects.bulk_update([u for _, u, _ in to_update], changed_fields, batch_size=1000)
        audit.many(actor, [
            *((u, "created", {f: [None, getattr(u, f)] for f in ("username", *fields) if getattr(u, f) not in (None, "")}, "people loader")
              for _, u in to_create),
            *((u, "updated", ch, "people loader") for _, u, ch in to_update),
        ])
    for line, u in to_create:
        report.created += 1
        report.lines.append(f"line {line}: created {u.username}")
    for line, u, ch in to_update:
        report.updated += 1
        report.lines.append(f"line {line}: updated {u.username} ({', '.join(sorted('user_group' if c == 'user_group_id' else c for c in ch))})")
    report.lines.sort(key=lambda text: int(text.split(":", 1)[0].split()[1]))
    return report
# --- people who arrive from outside (SSO, LTI): one place that matches, creates and updates them ---

USERNAME_MAX = 150  # Django's username column


@dataclass(frozen=True)
class PersonDetails:
    """What an identity source (an SSO provider, an LMS launch) says about a person.

    ``None`` means "the source did not say": the stored value is kept.  ``user_group`` is a
    user-group code of the institution; ``roles`` are :class:`Role` values granted with
    institution scope (never revoked here: roles given by hand stay)."""

    username: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    user_group: str | None = None
    roles: tuple[str, ...] = ()
    email_verified: bool = True   # False: stored for letters, never matched (User.email_verified)


def has_back_office_rights(user: User) -> bool:
    """Whether the person holds any back-office right: a role assignment (any role, any scope —
    an institution's administrator included), the staff flag (the admin) or superuser.  An
    identity source that is not trusted for staff accounts must not be handed such an account by
    an unverified attribute (an LMS e-mail address, LMS-1)."""
    return user.is_staff or user.is_superuser or RoleAssignment.objects.filter(user=user).exists()


def check_may_sign_in(user: User, *, rule: str = "LMS-3", through_institution: bool = False) -> None:
    """An inactive or expired person is refused, whatever the way in.  ``through_institution``:
    the way in is one an institution's administrator configures (an SSO provider, an LTI
    platform), which never signs in a platform superuser — that administrator cannot touch a
    superuser's account in the admin, and an IdP or LMS they control must not hand it to them."""
    if not user.is_active:
        raise PermissionDenied(rule, f"the account {user.username!r} is inactive")
    if user.is_expired and user.expiry_date is not None:
        raise PermissionDenied(rule, f"the account {user.username!r} expired on {user.expiry_date.isoformat()}")
    if through_institution and user.is_superuser:
        raise PermissionDenied(rule, f"the account {user.username!r} is a platform superuser: it signs in with its "
                                     "password here, not through an institution's identity provider or LMS")


def provision_person(institution, details: PersonDetails, *, create: bool = True, source: str,
                     rule: str = "LMS-3", actor=None) -> tuple[User, bool]:
    """Find the person ``details.username`` of ``institution``, create them (just in time) when
    ``create`` allows it, and bring the attributes the source sent up to date.

    Returns ``(user, created)``.  Refuses (``RuleViolation``/``PermissionDenied`` naming ``rule``)
    an empty or over-long username, a username that belongs to another institution, an unknown
    person when ``create`` is false, and an inactive or expired person.  Runs in one
    transaction: a refusal leaves nothing written.  ``source`` ("sso:okta", "lti:moodle") goes
    into the audit trail (ORG-6)."""
    # NFKC like the sign-in form and the people file: an IdP's "ａｎｎａ" (full-width) is the person "anna"
    username = User.normalize_username((details.username or "").strip())
    if not username:
        raise RuleViolation(rule, "the identity source sent no username")
    if len(username) > USERNAME_MAX:
        raise RuleViolation(rule, f"the username is longer than {USERNAME_MAX} characters")
    with transaction.atomic():
        found = User.objects.select_for_update().filter(username=username).first()
        if found is not None and found.merged_into_id is not None:
            # ORG-MERGE: the account was merged into another one; the source names the same person
            found = User.objects.select_for_update().filter(pk=found.merged_into_id).first() or found
        if found is not None and found.institution_id != institution.pk:
            raise PermissionDenied(rule, f"the username {username!r} belongs to another institution")
        group = _user_group(institution, details.user_group)
        values: dict[str, Any] = {k: v[:field_max] for k, v, field_max in (
            ("first_name", details.first_name, 150), ("last_name", details.last_name, 150),
        ) if v is not None}
        if details.email is not None:
            values.update(email_values(found, details.email[:254], verified=details.email_verified))
        if group is not None:
            values["user_group"] = group
        created = found is None
        if found is None:
            if not create:
                raise PermissionDenied(rule, f"{institution.code} signs in existing people only, and {username!r} is not one of them")
            user = User(username=username, institution=institution, **values)
            user.set_unusable_password()
            user.save()
            audit.created(actor, user, note=f"signed in for the first time through {source}")
        else:
            user = found
            check_may_sign_in(user, rule=rule, through_institution=True)
            audit.update(actor, user, note=f"from {source}", **values)
        for role in details.roles:
            if role in Role.values:
                assign_role(user, role, actor=actor)
    return user, created


def _user_group(institution, code: str | None):
    if not code:
        return None
    from .models import UserGroup

    group = UserGroup.objects.filter(institution=institution, code=code).first()
    if group is None:
        logger.warning("user group %r does not exist at %s: the person's group is left as it is", code, institution.code)
    return group

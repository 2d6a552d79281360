"""Organisation (ORG-1..6): consortium → institutions → libraries, calendars, people, roles,
configuration values and branding."""
from __future__ import annotations

import hashlib

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models import Q

from syllabus.core import clock

from .roles import Role, Scope

WEEKDAYS = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"]


class OrgUnit(models.Model):
    """A unit of the organisation (ORG-1: consortium, institution, library): a unique code and the
    name it is shown by."""

    code = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=200)

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return self.name


class Consortium(OrgUnit):
    class Meta:
        verbose_name_plural = "consortia"


class Institution(OrgUnit):
    consortium = models.ForeignKey(Consortium, on_delete=models.PROTECT, related_name="institutions")
    # ORG-5 branding
    short_name = models.CharField(max_length=60, blank=True)
    logo_url = models.CharField(max_length=500, blank=True, help_text="URL or /static/ path of the logo")
    primary_color = models.CharField(max_length=7, default="#1f4e79")
    accent_color = models.CharField(max_length=7, default="#f2a900")


class Library(OrgUnit):
    institution = models.ForeignKey(Institution, on_delete=models.PROTECT, related_name="libraries")
    # ORG-2: weekly opening days, e.g. "mon,tue,wed,thu,fri"
    open_weekdays = models.CharField(max_length=40, default="mon,tue,wed,thu,fri")
    opening_hours = models.CharField(max_length=200, blank=True, help_text="e.g. Mon–Fri 08:00–20:00")
    timezone = models.CharField(max_length=60, default="UTC")

    class Meta:
        verbose_name_plural = "libraries"
        ordering = ["code"]

    @property
    def open_weekday_numbers(self) -> set[int]:
        names = [d.strip().lower()[:3] for d in self.open_weekdays.split(",") if d.strip()]
        return {WEEKDAYS.index(n) for n in names if n in WEEKDAYS}


class ClosedDate(models.Model):
    """A day (or a run of days) the library is closed although its weekday is open."""

    library = models.ForeignKey(Library, on_delete=models.CASCADE, related_name="closed_dates")
    start = models.DateField()
    end = models.DateField(help_text="inclusive")
    description = models.CharField(max_length=200, blank=True)

    class Meta:
        ordering = ["start"]
        constraints = [models.CheckConstraint(condition=Q(end__gte=models.F("start")), name="closed_date_end_after_start")]

    def __str__(self) -> str:
        return f"{self.library.code} closed {self.start}–{self.end} {self.description}"


class UserGroup(models.Model):
    """Configurable list of user groups (Undergraduate, Postgraduate, Faculty, Staff...)."""

    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="user_groups")
    code = models.SlugField(max_length=40)
    name = models.CharField(max_length=100)

    class Meta:
        unique_together = [("institution", "code")]
        ordering = ["institution", "name"]

    def __str__(self) -> str:
        return self.name


class User(AbstractUser):
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.PROTECT, related_name="users")
    user_group = models.ForeignKey(UserGroup, null=True, blank=True, on_delete=models.SET_NULL, related_name="users")
    phone = models.CharField(max_length=40, blank=True)
    preferred_language = models.CharField(max_length=10, blank=True)
    # from the people loader (ORG-3): the SIS's id of the person, and when the account lapses
    external_id = models.CharField(max_length=100, blank=True, db_index=True)
    expiry_date = models.DateField(null=True, blank=True)
    # where the address came from: the people file, an LMS or an identity provider that verifies
    # addresses vouch for it; one the person typed (contact details), one an administrator typed in
    # the admin, or one an identity provider that does not verify addresses sent (unless marked) does
    # not — it still gets letters, but never matches an LMS launch or a typed instructor to this
    # person (LMS-1, LMS-3).  Written only through org.services.email_values
    email_verified = models.BooleanField(default=True)
    # ORG-MERGE: this account was merged into another one (org.merging.merge_people) and is
    # inactive since; an LMS or SSO sign-in that still names it leads to that account instead
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    help_text="the account this one was merged into (ORG-MERGE)")
    merged_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        full = self.get_full_name()
        return f"{full} ({self.username})" if full else self.username

    @property
    def is_expired(self) -> bool:
        return self.expiry_date is not None and self.expiry_date < clock.now().date()

    # --- roles -------------------------------------------------------------------
    def role_assignments_cached(self) -> list["RoleAssignment"]:
        cache = getattr(self, "_role_cache", None)
        if cache is None:
            cache = list(self.role_assignments.select_related("library", "institution"))
            self._role_cache = cache
        return cache

    def has_role(self, role: str, *, library: Library | None = None, department: str | None = None,
                 institution: Institution | None = None) -> bool:
        """True when the user holds ``role`` with a scope that covers the target.

        An institution-scoped role covers every library and department of that institution;
        a library scope covers that library; a department scope covers that department only."""
        if not self.is_authenticated or not self.is_active:
            return False
        inst_id = institution.pk if institution else library.institution_id if library else self.institution_id
        anywhere = library is None and department is None
        for ra in self.role_assignments_cached():
            if ra.role != role or ra.institution_id != inst_id:
                continue
            if ra.scope == Scope.INSTITUTION:
                return True
            if ra.scope == Scope.LIBRARY and (anywhere or (library is not None and ra.library_id == library.pk)):
                return True
            if ra.scope == Scope.DEPARTMENT and (anywhere or ra.department == department):
                return True
        return False

    def has_any_role(self, *roles: str, **scope) -> bool:
        return any(self.has_role(r, **scope) for r in roles)

    @property
    def is_back_office(self) -> bool:
        return self.is_authenticated and bool(self.role_assignments_cached())

    @property
    def is_librarian(self) -> bool:
        return self.has_role(Role.COURSE_RESERVES_OPERATOR)

    @property
    def is_administrator(self) -> bool:
        return self.is_superuser or self.has_role(Role.GENERAL_SYSTEM_ADMINISTRATOR)


class RoleAssignment(models.Model):
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    role = models.CharField(max_length=60, choices=Role.choices)
    scope = models.CharField(max_length=20, choices=Scope.choices, default=Scope.INSTITUTION)
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="+")
    library = models.ForeignKey(Library, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    department = models.CharField(max_length=60, blank=True, help_text="department code for department scope")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "role", "scope", "institution", "library", "department"], name="uniq_role_assignment"),
            models.CheckConstraint(
                condition=(Q(scope="institution", library__isnull=True, department="")
                           | Q(scope="library", library__isnull=False, department="")
                           | (Q(scope="department", library__isnull=True) & ~Q(department=""))),
                name="role_scope_consistent",
            ),
        ]

    def __str__(self) -> str:
        where = self.library.code if self.library_id else self.department or self.institution.code
        return f"{self.get_role_display()} @ {where}"


class ConfigValue(models.Model):
    """An explicit configuration value at one level (ORG-4).  Exactly one of the levels is set."""

    key = models.CharField(max_length=100, db_index=True)
    consortium = models.ForeignKey(Consortium, null=True, blank=True, on_delete=models.CASCADE, related_name="config_values")
    institution = models.ForeignKey(Institution, null=True, blank=True, on_delete=models.CASCADE, related_name="config_values")
    library = models.ForeignKey(Library, null=True, blank=True, on_delete=models.CASCADE, related_name="config_values")
    value = models.JSONField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(consortium__isnull=False, institution__isnull=True, library__isnull=True)
                           | Q(consortium__isnull=True, institution__isnull=False, library__isnull=True)
                           | Q(consortium__isnull=True, institution__isnull=True, library__isnull=False)),
                name="config_value_one_level",
            ),
            models.UniqueConstraint(fields=["key", "consortium"], condition=Q(consortium__isnull=False), name="uniq_config_consortium"),
            models.UniqueConstraint(fields=["key", "institution"], condition=Q(institution__isnull=False), name="uniq_config_institution"),
            models.UniqueConstraint(fields=["key", "library"], condition=Q(library__isnull=False), name="uniq_config_library"),
        ]

    def __str__(self) -> str:
        owner = self.library or self.institution or self.consortium
        return f"{self.key} = {self.value!r} @ {owner}"

    @property
    def level(self) -> str:
        return "library" if self.library_id else "institution" if self.institution_id else "consortium"


USERNAME_MAX = 150  # Django's username column


def typed_username(value) -> str:
    """A username as a person typed it (a form, an API payload, a command line), read the way the
    sign-in form reads it: surrounding blanks dropped, then NFKC through ``User.normalize_username``
    — the one normaliser — so that a full-width ``ａｄａ`` finds ``ada`` wherever staff name a person."""
    return User.normalize_username(str(value or "").strip())


def hash_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


class ApiToken(models.Model):
    """A bearer token for the REST API; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=12, db_index=True)
    digest = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(default=clock.now)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    # AUTH-EXPIRY (session 25): refused from this moment on; empty for a token that never expires
    # (every token made before session 25, and `token create --days 0`)
    expires_at = models.DateTimeField(null=True, blank=True)
    # AUTH-SCOPE (session 25): a read-only token opens GET and HEAD only (a report, a portal)
    read_only = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.user.username})"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None

    def expired(self, now=None) -> bool:
        return self.expires_at is not None and self.expires_at <= (now or clock.now())


class SignInThrottle(models.Model):
    """Failed sign-ins counted per account and per network address (issue 18 item 5), and an ILL
    partner's failed authentications per partner and address (CON-2): past the limit within the
    window, that account, address or partner is locked for a while, whatever password comes next.  An administrator unlocks it in the admin (Users → "Unlock sign-in")."""

    ACCOUNT, ADDRESS, PARTNER = "account", "address", "partner"
    kind = models.CharField(max_length=10, choices=[(ACCOUNT, "account"), (ADDRESS, "address"),
                                                    (PARTNER, "ILL partner from an address")])
    key = models.CharField(max_length=200, help_text="the username (lower case), the network address, or an ILL "
                                                     "partner's agencies and the address it posts from")
    failures = models.PositiveIntegerField(default=0)
    window_start = models.DateTimeField(default=clock.now)
    last_failure_at = models.DateTimeField(null=True, blank=True)
    locked_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["kind", "key"], name="uniq_signin_throttle")]

    def __str__(self) -> str:
        return f"{self.kind} {self.key}: {self.failures} failure(s)"

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > clock.now()


class RateCount(models.Model):
    """RATE-LIMIT (session 21): requests of one rule by one account or network address within the
    current fixed window (``syllabus.org.ratelimit``), when no shared cache (``CACHE_URL``) counts
    them.  One row per rule and caller, bumped by one statement; the timer sweep deletes the rows
    whose window is over."""

    bucket = models.CharField(max_length=255, unique=True, help_text="rule:account or rule:address")
    window_end = models.BigIntegerField(help_text="when the current window ends (seconds since 1970)")
    hits = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.bucket}: {self.hits}"

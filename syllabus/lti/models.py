"""LTI 1.3 Advantage tool (LMS-1, LMS-2): the tool's signing keys, the platforms (LMSs) each
institution registers with their deployments, one-time login states, the people and LMS
contexts the launches have linked."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core import clock
from syllabus.core.encryption import EncryptedTextField


class ToolKey(models.Model):
    """An RSA key pair of the tool.  The newest unretired key signs; a retired key is still
    published in the JWKS until ``retired_at + LTI_KEY_OVERLAP_DAYS`` so that platforms that
    cached it keep verifying messages signed just before the rotation."""

    kid = models.CharField(max_length=64, unique=True)
    private_key_pem = EncryptedTextField()   # SEC-KEY
    public_jwk = models.JSONField()
    created_at = models.DateTimeField(default=clock.now)
    retired_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kid} ({'retired ' + self.retired_at.date().isoformat() if self.retired_at else 'signing'})"


class CourseMatch(models.TextChoices):
    CONTEXT_ID = "context_id", _("Stored LMS context id")
    LABEL = "label", _("Context label = course code (or CODE-SECTION)")
    CUSTOM = "custom", _("Custom parameter course_code")
    LIS_OFFERING = "lis_offering", _("LIS course offering sourcedId = a course's SIS id")
    LIS_SECTION = "lis_section", _("LIS course section sourcedId(s) = a course's SIS ids (cross-listed sections)")


class UsernameClaim(models.TextChoices):
    """Which value of a launch (or roster member) is a Syllabus username, to find a person the
    institution loaded before their first launch (LMS-1)."""

    SOURCEDID = "sourcedid", _("LIS person sourcedId (Canvas SIS id, Moodle ID number, Blackboard batch UID)")
    BRIGHTSPACE_USERNAME = "brightspace_username", _("Brightspace username (claim http://www.brightspace.com)")
    BRIGHTSPACE_ORG_DEFINED_ID = "brightspace_org_defined_id", _("Brightspace Org Defined ID (claim http://www.brightspace.com)")


class Platform(models.Model):
    """An LMS registered by an institution (one institution may have several)."""

    institution = models.ForeignKey("org.Institution", on_delete=models.PROTECT, related_name="lti_platforms")
    name = models.CharField(max_length=200, blank=True)
    issuer = models.URLField(max_length=500, help_text=_("the platform's issuer (iss), e.g. https://canvas.instructure.com"))
    client_id = models.CharField(max_length=255, help_text=_("the client id the platform gave the tool"))
    auth_login_url = models.URLField(max_length=500, help_text=_("OIDC authorization endpoint of the platform"))
    auth_token_url = models.URLField(max_length=500, help_text=_("OAuth2 token endpoint (services: roster sync)"))
    auth_audience = models.CharField(max_length=500, blank=True, help_text=_("audience of the token request, when not the token URL"))
    keyset_url = models.URLField(max_length=500, help_text=_("the platform's public keys (JWKS)"))
    course_match = models.CharField(max_length=20, choices=CourseMatch.choices, default=CourseMatch.LABEL)
    username_claim = models.CharField(
        _("username in the launch"), max_length=30, choices=UsernameClaim.choices, default=UsernameClaim.SOURCEDID,
        help_text=_("The launch value that is a person's Syllabus username: a person the institution loaded (people file, "
                    "SSO) is found by it at their first launch and in the roster sync. Brightspace sends its username and "
                    "Org Defined ID in its own claim when the deployment's security settings share them (LMS-1)."))
    trust_email_for_staff = models.BooleanField(
        _("trust the LMS's e-mail addresses for staff accounts"), default=False,
        help_text=_("Off (advised): a launch is never matched by e-mail to a person who holds a back-office role "
                    "(any role assignment, staff flag or institution administrator) — an LMS that lets users change "
                    "their e-mail address without verification would hand them that account (LMS-1). Matching by the "
                    "stored LMS account (sub) is unaffected."))
    verifies_email = models.BooleanField(
        _("the LMS's e-mail addresses are verified"), default=True,
        help_text=_("On: the LMS confirms an address before its users may use it (Moodle's default e-mail change "
                    "confirmation, a campus directory): a launch's address finds the one person who holds it, and a "
                    "person a launch creates has it as verified — so their campus sign-in finds the same account. Off, "
                    "for an LMS that lets users change their address unconfirmed: a launch's address is stored for "
                    "letters only and finds nobody, and no sign-in is matched to it (LMS-1, LMS-3)."))
    adopt_first_deployment = models.BooleanField(
        _("accept the deployment id of the first launch"), default=False,
        help_text=_("Set by a dynamic registration whose answer carried no deployment id (Canvas creates the "
                    "deployment later, when the app is installed): the first launch of this client that verifies "
                    "with the platform's keys adds its deployment id, and this turns off — later launches must use a "
                    "registered deployment (LMS-1)."))
    lms_origins = models.TextField(
        _("LMS web addresses"), blank=True,
        help_text=_("The web addresses people open the LMS at, one a line — e.g. https://canvas.school.edu, "
                    "https://learn.school.edu or https://*.school.edu — when they differ from the login URL's: "
                    "Syllabus's pages shown before a launch is read (the login, the storage page, a refusal) may be "
                    "framed there. Needed for a Canvas on the school's own domain; the addresses the platform's own "
                    "launches name are added below by themselves (LMS-1)."))
    # the LMS origins the platform's verified launches named (launch_presentation.return_url,
    # tool_platform.url), newest first, at most settings.LTI_FRAME_ORIGINS_KEPT
    seen_origins = models.JSONField(_("LMS web addresses named by launches"), default=list, blank=True, editable=False)
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["institution", "issuer", "client_id"]
        constraints = [models.UniqueConstraint(fields=["issuer", "client_id"], name="uniq_lti_platform")]

    def __str__(self) -> str:
        return self.name or f"{self.issuer} ({self.client_id})"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .origins import parse_admin_origins

        super().clean()
        origins, problems = parse_admin_origins(self.lms_origins)
        if problems:
            raise ValidationError({"lms_origins": [f"LMS-1: {p}" for p in problems]})
        self.lms_origins = "\n".join(origins)

    @property
    def lms_origin_list(self) -> list[str]:
        """The administrator's "LMS web addresses" (checked on save; a bad line is skipped here)."""
        from .origins import parse_admin_origins

        return parse_admin_origins(self.lms_origins)[0][:20]

    @property
    def origin(self) -> str:
        """scheme://host[:port] of the platform's pages (its issuer and login URL)."""
        from urllib.parse import urlsplit

        parts = urlsplit(self.auth_login_url or self.issuer)
        return f"{parts.scheme}://{parts.netloc}"


class Deployment(models.Model):
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="deployments")
    deployment_id = models.CharField(max_length=255)
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["deployment_id"]
        constraints = [models.UniqueConstraint(fields=["platform", "deployment_id"], name="uniq_lti_deployment")]

    def __str__(self) -> str:
        return self.deployment_id


class LoginState(models.Model):
    """One OIDC login initiation: the state and nonce the tool issued, bound to the platform and
    the target link; a launch consumes it exactly once (OIDC Core 3.1.3.7, LTI Core 5.3)."""

    state = models.CharField(max_length=100, unique=True)
    nonce = models.CharField(max_length=100, unique=True)
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="+")
    target_link_uri = models.URLField(max_length=1000)
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)
    # the login's lti_storage_target (LTI Client Side postMessages): the platform's frame that
    # keeps the state and nonce for a browser that drops the state cookie; "" = cookie only
    storage_target = models.CharField(max_length=64, blank=True, default="")

    def __str__(self) -> str:
        return f"{self.state} ({'used' if self.used_at else 'open'})"


class LaunchTicket(models.Model):
    """"Open in a new window" after a launch whose session the framed browser would not keep
    (LMS-1): a one-time secret (only its SHA-256 is stored) that signs the launch's person in at
    the top level and continues to the launch's destination — single use, two minutes."""

    token_hash = models.CharField(max_length=64, unique=True)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="+")
    destination = models.CharField(max_length=1000)
    carry = models.JSONField(default=dict, blank=True)   # the launch's session values its destination needs
    created_at = models.DateTimeField(default=clock.now, db_index=True)
    used_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"ticket for {self.user_id} ({'used' if self.used_at else 'open'})"


class Identity(models.Model):
    """The person an LMS account (issuer, sub) is (LMS-1)."""

    issuer = models.CharField(max_length=500)
    sub = models.CharField(max_length=255)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="lti_identities")
    sis_id = models.CharField(
        max_length=150, blank=True,
        help_text="the value the platform's last launch or roster sync sent as the person's username "
                  "(Platform.username_claim: LIS person_sourcedid, Brightspace username or Org Defined ID); "
                  "likely duplicate accounts are found by it (ORG-MERGE)")
    created_at = models.DateTimeField(default=clock.now)
    last_launch_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name_plural = "identities"
        constraints = [models.UniqueConstraint(fields=["issuer", "sub"], name="uniq_lti_identity")]

    def __str__(self) -> str:
        return f"{self.sub} @ {self.issuer} → {self.user}"


class ContextLink(models.Model):
    """An LMS course (context) of a platform linked to a Syllabus course, with what the roster
    sync needs (LMS-2) and its last summary."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="contexts")
    context_id = models.CharField(max_length=255)
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="lti_contexts")
    label = models.CharField(max_length=255, blank=True)
    title = models.CharField(max_length=500, blank=True)
    deployment_id = models.CharField(max_length=255, blank=True)
    memberships_url = models.URLField(max_length=1000, blank=True)
    created_at = models.DateTimeField(default=clock.now)
    last_synced_at = models.DateTimeField(null=True, blank=True)
    last_sync = models.JSONField(default=dict, blank=True)  # {"created": n, ..., "error": "..."}
    # LMS-1, ROLL-12: the earlier LMS course this one is a copy of, as the platform's signed launch
    # named it ($Context.id.history) — a link of the same platform and deployment only
    copied_from = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="copies")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "context_id"], name="uniq_lti_context")]

    def __str__(self) -> str:
        return f"{self.label or self.context_id} → {self.course}"


class RegistrationLink(models.Model):
    """A one-time link an institution's administrator pastes into an LMS for LTI Dynamic
    Registration (LMS-1): the LMS opens it, the tool reads the LMS's OpenID configuration and
    registers itself there.  Only a hash of the link's secret is kept; the link is consumed by
    the registration that succeeds, and expires or may be revoked before that."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="lti_registration_links")
    token_hash = models.CharField(max_length=64, unique=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=clock.now)
    expires_at = models.DateTimeField()
    used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    platform = models.ForeignKey(Platform, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"registration link of {self.institution_id} ({self.status})"

    @property
    def status(self) -> str:
        """``used``, ``revoked``, ``expired`` or ``open``."""
        if self.used_at is not None:
            return "used"
        if self.revoked_at is not None:
            return "revoked"
        if self.expires_at <= clock.now():
            return "expired"
        return "open"


class PlatformKeySet(models.Model):
    """The platform's public keys (its JWKS), as last fetched — shared by every worker (LMS-1).
    Used until ``fresh_until`` (the answer's ``Cache-Control: max-age`` within bounds); a launch
    signed with a key it does not hold fetches the key set again at most once a minute per
    platform (a platform's key rotation)."""

    platform = models.OneToOneField(Platform, on_delete=models.CASCADE, related_name="key_set_cache")
    url = models.URLField(max_length=500)   # the key set URL it came from: another URL is another key set
    keys = models.JSONField(default=dict)
    fetched_at = models.DateTimeField(default=clock.now)
    fresh_until = models.DateTimeField(default=clock.now)
    # the last good read: a key set kept past fresh_until still verifies launches (its kids only) for
    # KEYSET_KEPT_IF_UNREACHABLE after it while the platform's key set cannot be read (null: fetched_at)
    read_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"key set of {self.platform_id} (fetched {self.fetched_at:%Y-%m-%d %H:%M})"


class ServiceToken(models.Model):
    """An OAuth 2.0 access token a platform granted the tool for a set of scopes (LMS-2), reused by
    every worker until shortly before it expires — Canvas limits how often a tool may ask."""

    platform = models.ForeignKey(Platform, on_delete=models.CASCADE, related_name="+")
    # SHA-256 of the client id, token URL, audience and sorted scopes: a registration changed in the
    # administration asks anew
    scopes = models.CharField(max_length=64)
    access_token = EncryptedTextField()   # SEC-KEY
    expires_at = models.DateTimeField()
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["platform", "scopes"], name="uniq_lti_service_token")]

    def __str__(self) -> str:
        return f"access token of {self.platform_id} until {self.expires_at:%Y-%m-%d %H:%M}"

"""Identity providers per institution (LMS-3): OpenID Connect and SAML 2.0, with how their
attributes map onto a person, the SAML service provider's own key pair per institution, the
record of used SAML assertions (replays are refused) and the sign-ins that single logout ends."""
from __future__ import annotations

from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from syllabus.core import clock
from syllabus.core.encryption import EncryptedTextField
from syllabus.org.models import Institution, User

# the claims and attributes that carry an e-mail address (OIDC, SAML name, OIDs, the WS-Federation claim)
EMAIL_ATTRIBUTES = frozenset({"email", "mail", "emailaddress", "urn:oid:0.9.2342.19200300.100.1.3",
                              "urn:oid:1.2.840.113549.1.9.1",   # PKCS #9 emailAddress (Keycloak's X500 email mapper)
                              "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress"})
MAP_MAX_ENTRIES = 50   # group and role value maps: at most this many VALUE=CODE pairs
TRUST_EMAIL_HELP = _("Matters only when the username attribute is an e-mail address (email, mail): off (advised), such a "
                     "sign-in is refused for a person with back-office rights (any role assignment, staff flag or "
                     "institution administrator) — an identity provider that lets people change their address "
                     "without verification would hand them that account (LMS-3).")
VERIFIES_EMAIL_HELP = _("Whether an address the provider sends without saying it is verified is trusted. SAML never says; "
                        "OpenID Connect says with email_verified, which always wins (false is never trusted) — this setting "
                        "is for a provider that leaves it out (Microsoft Entra ID). Off (the default for new providers): the "
                        "address is stored for letters but never matches an LMS launch or an instructor to the person, and a "
                        "provider whose username attribute is an e-mail address signs nobody in. Tick it only when the "
                        "address comes from the institution's directory and people cannot set it themselves (LMS-3).")
REFEDS_MFA = "https://refeds.org/profile/mfa"   # REFEDS Multi-Factor Authentication Profile (SAML and OIDC)
AUTHN_CONTEXT_HELP = _("Leave empty to accept any sign-in. Otherwise the sign-in must be made this way: SAML asks for this "
                       "AuthnContextClassRef (RequestedAuthnContext) and refuses an assertion with another one; OpenID Connect "
                       "sends it as acr_values and refuses an ID token whose acr differs. For multi-factor sign-in: "
                       "https://refeds.org/profile/mfa (Shibboleth IdP, InCommon, eduGAIN), or the provider's own value "
                       "(Okta: urn:okta:loa:2fa:any; Keycloak: the ACR name of its step-up flow) (LMS-3).")


CHECK_SCOPES_HELP = _("Scoped attributes (eduPersonPrincipalName, eduPersonScopedAffiliation, subject-id, pairwise-id, and the "
                      "username attribute when it reads user@scope) must carry a scope the IdP's metadata declares "
                      "(shibmd:Scope), or one listed below; otherwise the sign-in is refused, as the Shibboleth SP does "
                      "(LMS-3). Untick only for an IdP you alone trust, whose scopes you cannot list.")
EXTRA_SCOPES_HELP = _("Comma-separated scopes (DNS domains, e.g. uni.example) this IdP may assert besides those of its "
                      "metadata: for an IdP whose metadata declares none (Microsoft Entra ID, Okta, Keycloak) (LMS-3).")
METADATA_MAX_AGE_DEFAULT = 7     # days a SAML IdP's metadata read from its URL is trusted (new providers)
METADATA_MAX_AGE_MAX = 365
METADATA_MAX_AGE_HELP = _("SAML metadata read from a URL is trusted for at most this many days after it was last read (or "
                          "until its validUntil, when earlier): past it, sign-in through the provider is refused until "
                          "the timer reads it again. With a metadata signing certificate, a document must also say "
                          "until when it is valid (validUntil, at most 28 days ahead). Empty: off. 7 days for new "
                          "providers; one added before session 22 takes 7 days at its next good read of metadata that "
                          "allows it, unless an administrator saves it here first (LMS-3).")
ASYMMETRIC_ALGS = ("RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA")
HMAC_ALGS = ("HS256", "HS384", "HS512")
SIGNING_ALG_CHOICES = [(alg, alg) for alg in (*ASYMMETRIC_ALGS, *HMAC_ALGS)]


def split_list(text: str | None) -> list[str]:
    """``"a, b\nc"`` → ``["a", "b", "c"]`` (lower case, in order, once each)."""
    return list(dict.fromkeys(v.strip().lower() for v in (text or "").replace(",", "\n").split() if v.strip()))


class Kind(models.TextChoices):
    OIDC = "oidc", _("OpenID Connect")
    SAML = "saml", _("SAML 2.0")


class IdentityProvider(models.Model):
    institution = models.ForeignKey(Institution, on_delete=models.CASCADE, related_name="identity_providers")
    slug = models.SlugField(max_length=40, help_text="short name in URLs, unique within the institution")
    name = models.CharField(max_length=100, help_text="the label of the sign-in button, e.g. “University account”")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    enabled = models.BooleanField(default=True)
    order = models.PositiveSmallIntegerField(default=10, validators=[MaxValueValidator(1000)],
                                             help_text="buttons are shown in this order")
    existing_only = models.BooleanField(
        default=False, help_text="existing people only: never create a person on first sign-in")
    trust_email_for_staff = models.BooleanField(_("trust the provider's e-mail addresses for staff accounts"), default=False,
                                                help_text=TRUST_EMAIL_HELP)
    verifies_email = models.BooleanField(_("the provider's e-mail addresses are verified"), default=False,
                                         help_text=VERIFIES_EMAIL_HELP)
    authn_context = models.CharField(_("required authentication context"), max_length=200, blank=True,
                                     help_text=AUTHN_CONTEXT_HELP)

    # --- attribute mapping (claims for OIDC, attribute names or OIDs for SAML) ----------------
    username_attribute = models.CharField(max_length=200, blank=True,
                                          help_text="default: sub (OIDC), eduPersonPrincipalName (SAML)")
    previous_username_attribute = models.CharField(
        _("previous username attribute"), max_length=200, blank=True,
        help_text=_("The attribute that named people before the username attribute above (Microsoft Entra ID: "
                    "preferred_username, before oid): a person who signed in through this provider by it is found by it "
                    "once, then keyed on the new one. Empty once everyone has signed in again (LMS-3)."))
    first_name_attribute = models.CharField(max_length=200, blank=True, help_text="default: given_name / givenName")
    last_name_attribute = models.CharField(max_length=200, blank=True, help_text="default: family_name / sn")
    email_attribute = models.CharField(max_length=200, blank=True, help_text="default: email / mail")
    group_attribute = models.CharField(max_length=200, blank=True,
                                       help_text="claim or attribute whose values choose the user group, e.g. eduPersonAffiliation")
    group_map = models.JSONField(default=dict, blank=True,
                                 help_text='value → user-group code, first match wins: {"faculty": "faculty", "student": "undergraduate"}')
    role_attribute = models.CharField(max_length=200, blank=True,
                                      help_text="claim or attribute whose values grant roles, e.g. eduPersonEntitlement")
    role_map = models.JSONField(default=dict, blank=True,
                                help_text='value → role: {"urn:mace:uni:library": "course_reserves_operator"}')

    # --- OpenID Connect ------------------------------------------------------------------------
    issuer = models.URLField(max_length=500, blank=True, help_text="its /.well-known/openid-configuration gives the endpoints")
    client_id = models.CharField(max_length=200, blank=True)
    client_secret = EncryptedTextField(max_length=500, blank=True)   # SEC-KEY
    scopes = models.CharField(max_length=200, blank=True, default="openid email profile")
    allowed_tenants = models.TextField(
        _("allowed tenants"), blank=True, max_length=2000,
        help_text=_("Microsoft Entra ID registered with a multi-tenant issuer (…/organizations/v2.0 or …/common/v2.0): the "
                    "directory (tenant) ids whose people may sign in, one per line or comma-separated. Required for such an "
                    "issuer — without it any Microsoft tenant could sign people in (LMS-3)."))
    allowed_hosted_domains = models.CharField(
        _("allowed hosted domains"), max_length=500, blank=True,
        help_text=_("Google Workspace: the domains (hd claim) whose accounts may sign in, comma-separated, e.g. "
                    "riverside.edu; empty: any account the provider signs in (LMS-3)."))
    signing_alg = models.CharField(
        _("ID token signing algorithm"), max_length=10, blank=True, choices=SIGNING_ALG_CHOICES,
        help_text=_("Empty (advised): any asymmetric algorithm the provider's discovery document lists, checked against its "
                    "published keys. HS256/HS384/HS512 only when the client is registered for it at the provider: the client "
                    "secret is then the key, and every other algorithm is refused (LMS-3)."))

    # --- SAML 2.0 ------------------------------------------------------------------------------
    metadata_url = models.URLField(max_length=500, blank=True, help_text="where the IdP's metadata was read")
    metadata_xml = models.TextField(blank=True, help_text="the IdP's metadata (SAML 2.0 EntityDescriptor)")
    entity_id = models.CharField(max_length=500, blank=True, help_text="the IdP's entityID, read from its metadata")
    metadata_signing_cert = models.TextField(
        _("metadata signing certificate"), blank=True,
        help_text=_("PEM certificate the metadata must be signed with (a federation's aggregate: InCommon, eduGAIN, UK "
                    "federation): checked when it is added and at every refresh; unsigned or altered metadata is refused "
                    "and the copy held is kept (LMS-3)"))
    metadata_max_age = models.PositiveSmallIntegerField(
        _("maximum metadata age (days)"), null=True, blank=True, default=METADATA_MAX_AGE_DEFAULT,
        validators=[MinValueValidator(1), MaxValueValidator(METADATA_MAX_AGE_MAX)], help_text=METADATA_MAX_AGE_HELP)
    # False: added before session 22 and left off by its migration, never chosen since — it takes the
    # default at its next good read when its metadata allows (services.refresh_saml_metadata, LMS-3)
    metadata_max_age_chosen = models.BooleanField(default=True, editable=False)
    check_scopes = models.BooleanField(_("check attribute scopes"), default=True, help_text=CHECK_SCOPES_HELP)
    extra_scopes = models.CharField(_("scopes declared here"), max_length=500, blank=True, help_text=EXTRA_SCOPES_HELP)
    metadata_fetched_at = models.DateTimeField(null=True, blank=True, editable=False,
                                               help_text="when the metadata (SAML) or the discovery document and key set "
                                                         "(OpenID Connect) were last read from the provider")
    metadata_refresh_due = models.DateTimeField(null=True, blank=True, editable=False, db_index=True,
                                                help_text="when they are read again: SAML by cacheDuration (else every 4 "
                                                          "hours), OpenID Connect every hour; 15 minutes after a failure")
    refresh_error = models.TextField(_("last refresh failure"), blank=True, editable=False, max_length=1000,
                                     help_text=_("Why the provider's metadata (SAML) or discovery document and key set "
                                                 "(OpenID Connect) could not be read again at the last attempt; empty once "
                                                 "a read succeeds. Sign-in goes on with the copy held (LMS-3)."))
    refresh_failed_at = models.DateTimeField(_("last refresh failed at"), null=True, blank=True, editable=False)
    # OpenID Connect: the last discovery document and key set read and checked, with when (the "…_read" keys,
    # POSIX seconds) — what the timer keeps current and what sign-in falls back on when the provider cannot be read
    oidc_metadata = models.JSONField(default=dict, blank=True, editable=False)

    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["institution", "order", "name"]
        constraints = [models.UniqueConstraint(fields=["institution", "slug"], name="uniq_idp_slug_per_institution")]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_kind_display()}, {self.institution.code})"

    DEFAULTS = {
        Kind.OIDC: {"username": "sub", "first_name": "given_name", "last_name": "family_name", "email": "email"},
        Kind.SAML: {"username": "eduPersonPrincipalName", "first_name": "givenName", "last_name": "sn", "email": "mail"},
    }

    @property
    def tenants(self) -> list[str]:
        """The allowed Microsoft Entra tenant ids (lower case)."""
        return split_list(self.allowed_tenants)

    @property
    def hosted_domains(self) -> list[str]:
        """The allowed Google Workspace hosted domains (lower case)."""
        return split_list(self.allowed_hosted_domains)

    def attribute(self, what: str) -> str:
        return getattr(self, f"{what}_attribute") or self.DEFAULTS[Kind(self.kind)][what]

    @property
    def local_scopes(self) -> list[str]:
        return split_list(self.extra_scopes)

    @property
    def names_people_by_email(self) -> bool:
        """Whether the attribute that names the person (and matches existing people) is an e-mail address."""
        username = self.attribute("username").strip().lower()
        return username in EMAIL_ATTRIBUTES or username == self.attribute("email").strip().lower()


class LinkedAccount(models.Model):
    """Who a provider's username attribute value names here, once a sign-in found them by another
    way than the username itself: by an e-mail address both sides vouch for (LMS-3, docs/sso.md
    *One person, one account*).  Also written at every sign-in by username, so that a person's
    account answers one identity per provider: a second one with the same address is refused."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="linked_accounts")
    subject = models.CharField(max_length=255, help_text="the value of the provider's username attribute")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sso_links")
    linked_by = models.CharField(max_length=10, choices=[("username", "username"), ("email", "e-mail address"),
                                                         ("rekeyed", "previous username attribute")])
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "subject"], name="uniq_sso_link_subject")]

    def __str__(self) -> str:
        return f"{self.subject} at {self.provider_id} is {self.user_id}"


class ServiceProvider(models.Model):
    """What Syllabus shows identity providers for one institution: its SAML key pair (signs
    requests, decrypts encrypted assertions) and the host names that open its sign-in page."""

    institution = models.OneToOneField(Institution, on_delete=models.CASCADE, related_name="sso_service_provider")
    host_names = models.CharField(max_length=500, blank=True,
                                  help_text="comma-separated host names whose sign-in page is this institution's")
    discovery_url = models.URLField(
        _("discovery service"), max_length=500, blank=True,
        help_text=_("An external SAML discovery service (SeamlessAccess, a federation's WAYF) the sign-in page sends people "
                    "to when they choose their institution there; empty: the sign-in page's own list (LMS-3)."))
    private_key_pem = EncryptedTextField(editable=False)   # SEC-KEY
    certificate_pem = models.TextField(editable=False)
    created_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"SSO of {self.institution.code}"

    @property
    def hosts(self) -> list[str]:
        return split_list(self.host_names)


class UsedAssertion(models.Model):
    """A SAML assertion already consumed: the same one presented again is a replay.  Kept until
    its own NotOnOrAfter (after which it is refused as expired anyway); the tick sweeps older rows."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="+")
    assertion_id = models.CharField(max_length=200)
    used_at = models.DateTimeField(default=clock.now)
    keep_until = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["provider", "assertion_id"], name="uniq_used_assertion")]

    def __str__(self) -> str:
        return f"assertion {self.assertion_id} used {self.used_at:%Y-%m-%d %H:%M}"


class SignIn(models.Model):
    """One sign-in through a provider, tied to the Django session: sign-out ends the IdP
    session from it (OIDC id_token hint, SAML NameID and SessionIndex), and a SAML logout
    request from the IdP finds the sessions to end by NameID."""

    provider = models.ForeignKey(IdentityProvider, on_delete=models.CASCADE, related_name="sign_ins")
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="+")
    session_key = models.CharField(max_length=64, db_index=True)
    subject = models.CharField(max_length=500, help_text="OIDC sub, or SAML NameID")
    name_id_xml = models.TextField(blank=True, help_text="the SAML NameID element as received (its format and qualifiers)")
    session_index = models.CharField(max_length=200, blank=True)
    id_token = EncryptedTextField(blank=True)   # SEC-KEY: sent back as the sign-out hint
    sid = models.CharField(max_length=255, blank=True, db_index=True,
                           help_text="OIDC session id (the ID token's sid): what front- and back-channel logout name")
    created_at = models.DateTimeField(default=clock.now, db_index=True)

    class Meta:
        indexes = [models.Index(fields=["provider", "subject"])]

    def __str__(self) -> str:
        return f"{self.user_id} through {self.provider_id} at {self.created_at:%Y-%m-%d %H:%M}"

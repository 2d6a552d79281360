"""Admin of identity providers: an institution's administrator sees and edits their own."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from syllabus.core import encryption
from syllabus.core.errors import RuleViolation
from syllabus.org.admin import InstitutionScopedAdmin
from syllabus.core.forms import refusals_as_errors
from syllabus.core.secrets import kept_secret

from . import presets, services
from .models import IdentityProvider, Kind, ServiceProvider


class IdentityProviderForm(encryption.KeepsUnreadable, forms.ModelForm):
    issuer = forms.URLField(max_length=500, required=False, assume_scheme="https",
                            help_text="its /.well-known/openid-configuration gives the endpoints")
    metadata_url = forms.URLField(max_length=500, required=False, assume_scheme="https",
                                  help_text="where the IdP's metadata is read (or paste the XML below)")
    preset = forms.ChoiceField(
        label="Attribute preset", required=False, choices=[("", "—")] + presets.choices(),
        help_text="fills the username, name, e-mail, group and role attributes left empty with the names this identity "
                  "provider product sends (docs/sso.md, Attribute presets); the fields below can still be changed (LMS-3)")
    idp_entity_id = forms.CharField(
        label="IdP entity ID", max_length=500, required=False,
        help_text="the IdP to take out of a federation's aggregate (InCommon, eduGAIN, UK federation); empty: the only "
                  "IdP in the metadata (LMS-3)")

    class Meta:
        model = IdentityProvider
        fields = ["institution", "name", "slug", "kind", "enabled", "order", "existing_only", "trust_email_for_staff",
                  "verifies_email", "authn_context", "username_attribute",
                  "first_name_attribute", "last_name_attribute", "email_attribute", "group_attribute", "group_map",
                  "role_attribute", "role_map", "issuer", "client_id", "client_secret", "scopes", "allowed_tenants",
                  "allowed_hosted_domains", "signing_alg", "metadata_url",
                  "metadata_signing_cert", "metadata_xml", "metadata_max_age", "check_scopes", "extra_scopes",
                  "previous_username_attribute"]
        # the secret is never written back into the page (view-source showed it); empty keeps the saved one
        widgets = {"client_secret": forms.PasswordInput(render_value=False)}
        help_texts = {"client_secret": "empty keeps the secret saved; type it again when the issuer changes"}

    def clean(self):
        data = super().clean()
        # as saved: a secret no configured key opens is kept as it is, or replaced (SEC-KEY)
        saved = encryption.saved(self.instance, "client_secret") if self.instance.pk else ""
        # the token endpoint comes from the issuer: a kept secret would go to the new one, which whoever
        # edits the issuer chooses — so a new issuer gets the secret only when it is typed (core.secrets)
        moved = ["the issuer"] if data.get("issuer") and data.get("issuer") != self.instance.issuer else []
        try:
            data["client_secret"] = kept_secret(saved, data.get("client_secret") or "", moved=moved, rule="LMS-3",
                                                field="client_secret", what="the client secret")
        except RuleViolation as exc:
            self.add_error("client_secret", str(exc))
        institution, kind = data.get("institution"), data.get("kind")
        if institution is None or not kind:
            return data
        with refusals_as_errors():
            if data.get("preset"):
                fields = [f"{what}_attribute" for what in ("username", "first_name", "last_name", "email", "group", "role")]
                data.update(presets.fill(kind, data["preset"], {f: data.get(f) or "" for f in fields}))
            data["group_map"] = services.parse_value_map(data.get("group_map"), what="group")
            data["role_map"] = services.parse_value_map(data.get("role_map"), what="role")
            services.check_maps(institution, data["group_map"], data["role_map"])
            if kind == Kind.OIDC and not (data.get("issuer") and data.get("client_id")):
                raise RuleViolation("LMS-3", "an OpenID Connect provider needs its issuer and client id")
            if kind == Kind.OIDC:
                data.update(services.clean_oidc_options(
                    issuer=data["issuer"], allowed_tenants=data.get("allowed_tenants") or "",
                    allowed_hosted_domains=data.get("allowed_hosted_domains") or "",
                    signing_alg=data.get("signing_alg") or "", client_secret=data.get("client_secret") or ""))
            if kind == Kind.SAML:
                from . import saml

                data["extra_scopes"] = services.parse_scopes(data.get("extra_scopes"))

                self._saml_metadata(data)
                self.instance.entity_id = saml.idp_entity_id(data["metadata_xml"])
                saml.check_signed_validity(data["metadata_xml"], signing_cert=data["metadata_signing_cert"],
                                           max_age_days=data.get("metadata_max_age"),
                                           where=f"the metadata of {self.instance.entity_id}")
                self.instance.metadata_refresh_due = None   # read again from its URL at the next tick
                self.instance.metadata_max_age_chosen = True   # saved here: the age shown is the administrator's (LMS-3)
        return data

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk and not self.is_bound:
            self.fields["idp_entity_id"].initial = self.instance.entity_id

    def _saml_metadata(self, data) -> None:
        """The metadata pasted or read from its URL; from an aggregate, the IdP named; with a signing
        certificate, only after its signature is checked.  The copy held (checked when it was
        stored) is kept when neither it, its URL, the certificate nor the IdP changed (LMS-3)."""
        from . import saml

        saved = self.instance
        xml = (data.get("metadata_xml") or "").replace("\r\n", "\n").strip()
        url = data.get("metadata_url") or ""
        cert = data["metadata_signing_cert"] = saml.check_signing_cert(data.get("metadata_signing_cert") or "")
        wanted = (data.get("idp_entity_id") or "").strip()
        held = saved.pk and xml == (saved.metadata_xml or "").replace("\r\n", "\n").strip()
        if held and url == saved.metadata_url and cert == saved.metadata_signing_cert and wanted in ("", saved.entity_id):
            return
        if url and (not xml or held):
            data["metadata_xml"], _ = saml.read_metadata(url, entity_id=wanted, signing_cert=cert)
        elif xml:
            data["metadata_xml"] = saml.select_idp(xml, entity_id=wanted, signing_cert=cert,
                                                   where="the metadata pasted")
        else:
            raise RuleViolation("LMS-3", "a SAML provider needs its metadata (XML or URL)")


@admin.register(IdentityProvider)
class IdentityProviderAdmin(InstitutionScopedAdmin):
    form = IdentityProviderForm
    list_display = ("name", "kind", "institution", "slug", "enabled", "existing_only", "trust_email_for_staff", "refresh_failed_at", "entity_id",
                    "issuer")
    list_filter = ("kind", "enabled")
    readonly_fields = ("entity_id", "metadata_fetched_at", "metadata_refresh_due", "refresh_failed_at", "refresh_error",
                       "metadata_scopes", "linked_accounts", "metadata_state")

    @admin.display(description=_("SAML metadata held"))
    def metadata_state(self, obj):
        """Current until when — or the refusal sign-in meets: expired (validUntil) or older than the
        maximum metadata age (LMS-3)."""
        from . import saml

        return (saml.metadata_state(obj) if obj and obj.pk else "") or "—"

    @admin.display(description="accounts linked (by e-mail address)")
    def linked_accounts(self, obj):
        rows = obj.linked_accounts.filter(linked_by="email").select_related("user")[:50] if obj and obj.pk else []
        return ", ".join(f"{r.subject} → {r.user.username}" for r in rows) or "none"

    @admin.display(description="scopes in its metadata (shibmd:Scope)")
    def metadata_scopes(self, obj):
        from . import saml

        scopes = saml.metadata_scopes(obj.metadata_xml) if obj and obj.metadata_xml else ()
        return ", ".join(f"{s.value} (regexp)" if s.regexp else s.value for s in scopes) or "none"
    fieldsets = (
        (None, {"fields": ("institution", "name", "slug", "kind", "enabled", "order", "existing_only", "authn_context")}),
        ("Attribute mapping", {"fields": ("preset", "trust_email_for_staff", "verifies_email", "username_attribute", "previous_username_attribute",
                                          "first_name_attribute", "last_name_attribute", "email_attribute", "group_attribute", "group_map", "role_attribute", "role_map",
                                          "linked_accounts")}),
        ("OpenID Connect", {"fields": ("issuer", "client_id", "client_secret", "scopes", "allowed_tenants",
                                       "allowed_hosted_domains", "signing_alg")}),
        ("SAML 2.0", {"fields": ("metadata_url", "idp_entity_id", "metadata_signing_cert", "metadata_xml", "entity_id",
                                    "metadata_max_age", "metadata_scopes", "check_scopes", "extra_scopes")}),
        ("Reading the provider again (the timer)", {"fields": ("metadata_state", "metadata_fetched_at", "metadata_refresh_due",
                                                               "refresh_failed_at", "refresh_error")}),
    )


@admin.register(ServiceProvider)
class ServiceProviderAdmin(InstitutionScopedAdmin):
    list_display = ("institution", "host_names", "created_at")
    readonly_fields = ("certificate_pem", "created_at")
    fields = ("institution", "host_names", "discovery_url", "certificate_pem", "created_at")

    def has_add_permission(self, request):
        return False  # made with the institution's first SAML provider (it generates the key pair)

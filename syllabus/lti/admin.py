"""Platforms per institution in the admin (LMS-1): an institution's administrator registers and
edits its own platforms and deployments; every change is audited (org's scoped admin)."""
from django.contrib import admin
from django.db import models
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext as _

from syllabus.org.admin import InstitutionScopedAdmin

from .models import ContextLink, Deployment, Identity, Platform, ToolKey
from .services import recent_history_problem, tool_urls


class DeploymentInline(admin.TabularInline):
    model = Deployment
    extra = 1
    fields = ("deployment_id", "created_at")
    readonly_fields = ("created_at",)

    def has_view_permission(self, request, obj=None):
        return request.user.is_active and (request.user.is_superuser or request.user.is_administrator)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(Platform)
class PlatformAdmin(InstitutionScopedAdmin):
    list_display = ("__str__", "institution", "issuer", "client_id", "course_match", "username_claim", "trust_email_for_staff", "active")
    list_filter = ("course_match", "trust_email_for_staff", "active")
    search_fields = ("name", "issuer", "client_id")
    inlines = [DeploymentInline]
    readonly_fields = ("paste_into_the_lms", "seen_origins", "course_copy_history")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}

    def get_form(self, request, obj=None, **kwargs):
        self._base = request.build_absolute_uri("/")
        return super().get_form(request, obj, **kwargs)

    @admin.display(description="Paste into the LMS")
    def paste_into_the_lms(self, obj):
        urls = format_html_join("", "<div>{}: <code>{}</code></div>", tool_urls(getattr(self, "_base", "/")).items())
        # one link instead of six values: LTI Dynamic Registration (LMS-1)
        return format_html('{}<div>Or register the LMS with one link: <a href="{}">LMS registration links</a></div>',
                           urls, reverse("lti:registrations"))

    @admin.display(description=_("course-copy history (ROLL-12)"))
    def course_copy_history(self, obj):
        """Why this platform's launches' $Context.id.history was ignored lately (noted once a day)."""
        entry = recent_history_problem(obj) if obj is not None and obj.pk else None
        if entry is None:
            return _("no problem in the last 7 days")
        return _("%(day)s: %(note)s") % {"day": entry.at.strftime("%Y-%m-%d %H:%M UTC"), "note": entry.note}


@admin.register(ContextLink)
class ContextLinkAdmin(InstitutionScopedAdmin):
    institution_path = "platform__institution"
    list_display = ("__str__", "platform", "last_synced_at", "sync_status")
    # copied_from: set by a launch's course-copy history (ROLL-12); a choice here would list other institutions' links
    readonly_fields = ("sync_status", "last_sync", "last_synced_at", "copied_from")
    raw_id_fields = ("course",)

    @admin.display(description=_("roster sync (LMS-2)"))
    def sync_status(self, obj):
        """The last roster sync in words: why it failed (and when it is tried again), or what it did."""
        last = obj.last_sync if isinstance(obj.last_sync, dict) else {}
        if last.get("error"):
            again = _(" — asked again after %(when)s") % {"when": last["retry_at"][:16].replace("T", " ")} \
                if last.get("retry_at") else ""
            return f"{last['error']}{again}"
        if not last:
            return _("not synced yet")
        return _("created %(created)s, updated %(updated)s, unchanged %(unchanged)s, removed %(removed)s") % {
            k: last.get(k, 0) for k in ("created", "updated", "unchanged", "removed")}


@admin.register(Identity)
class IdentityAdmin(InstitutionScopedAdmin):
    institution_path = "user__institution"
    list_display = ("sub", "issuer", "user", "last_launch_at")
    raw_id_fields = ("user",)
    search_fields = ("sub", "user__username")


@admin.register(ToolKey)
class ToolKeyAdmin(admin.ModelAdmin):
    """Public half only; rotate with ``syllabus lti rotate-key``."""

    list_display = ("kid", "created_at", "retired_at")
    fields = ("kid", "public_jwk", "created_at", "retired_at")
    readonly_fields = fields

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

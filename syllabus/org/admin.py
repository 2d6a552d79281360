"""Django admin for organisation data; an institution's administrator sees only their institution."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from syllabus.core.errors import RuleViolation

from . import config
from .models import ClosedDate, ConfigValue, Consortium, Institution, Library, RoleAssignment, User, UserGroup


class InstitutionScopedAdmin(admin.ModelAdmin):
    """Superusers see everything; other administrators see rows of their own institution."""

    institution_path = "institution"

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        return qs.filter(**{self.institution_path: request.user.institution_id})

    def has_module_permission(self, request):
        return request.user.is_active and (request.user.is_superuser or request.user.is_administrator)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


@admin.register(Consortium)
class ConsortiumAdmin(admin.ModelAdmin):
    list_display = ("code", "name")


@admin.register(Institution)
class InstitutionAdmin(InstitutionScopedAdmin):
    institution_path = "pk"
    list_display = ("code", "name", "consortium")


class ClosedDateInline(admin.TabularInline):
    model = ClosedDate
    extra = 0


@admin.register(Library)
class LibraryAdmin(InstitutionScopedAdmin):
    list_display = ("code", "name", "institution", "open_weekdays")
    inlines = [ClosedDateInline]


@admin.register(UserGroup)
class UserGroupAdmin(InstitutionScopedAdmin):
    list_display = ("code", "name", "institution")


class RoleAssignmentInline(admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fk_name = "user"


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "institution", "user_group")
    list_filter = ("institution", "user_group")
    fieldsets = BaseUserAdmin.fieldsets + (("Syllabus", {"fields": ("institution", "user_group", "phone", "preferred_language")}),)
    inlines = [RoleAssignmentInline]

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(institution_id=request.user.institution_id)

    def has_module_permission(self, request):
        return request.user.is_active and (request.user.is_superuser or request.user.is_administrator)

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_change_permission = has_add_permission = has_delete_permission = has_view_permission


class ConfigValueForm(forms.ModelForm):
    key = forms.ChoiceField(choices=())

    class Meta:
        model = ConfigValue
        fields = ["key", "consortium", "institution", "library", "value"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["key"].choices = [(k, f"{k} — {p.description}") for k, p in sorted(config.REGISTRY.items())]

    def clean(self):
        data = super().clean()
        key = data.get("key")
        if key and "value" in data:
            try:
                data["value"] = config.param(key).coerce(data["value"])
            except RuleViolation as exc:
                raise forms.ValidationError(str(exc))
        return data


@admin.register(ConfigValue)
class ConfigValueAdmin(InstitutionScopedAdmin):
    form = ConfigValueForm
    list_display = ("key", "value", "consortium", "institution", "library")
    list_filter = ("key",)

    def get_queryset(self, request):
        qs = admin.ModelAdmin.get_queryset(self, request)
        if request.user.is_superuser:
            return qs
        inst = request.user.institution_id
        from django.db.models import Q

        return qs.filter(Q(institution_id=inst) | Q(library__institution_id=inst))

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser:
            inst = request.user.institution_id
            form.base_fields["consortium"].disabled = True
            form.base_fields["institution"].queryset = Institution.objects.filter(pk=inst)
            form.base_fields["library"].queryset = Library.objects.filter(institution_id=inst)
        return form

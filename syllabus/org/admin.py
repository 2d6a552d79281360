"""Django admin for organisation data; an institution's administrator sees only their institution."""
from __future__ import annotations

from django import forms
from django.contrib import admin
from django.db.models import Q
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin

from syllabus.core.forms import refusals_as_errors

from . import config
from . import throttle
from .models import ClosedDate, ConfigValue, Consortium, Institution, Library, RoleAssignment, SignInThrottle, User, UserGroup
from .services import email_values


class ThrottledAdminAuthenticationForm(throttle.ThrottledFormMixin, AdminAuthenticationForm):
    """The admin's sign-in is throttled like the site's (issue 18 item 5)."""


admin.site.login_form = ThrottledAdminAuthenticationForm


def _own(request) -> bool:
    """True when the administrator is scoped to their institution (not a superuser)."""
    return not request.user.is_superuser


# --- which institution a row belongs to (ORG-3) ------------------------------------------------
# model -> the lookups from that model to its institution's id, any of which may match.  Found
# by walking foreign keys for most models; an app may declare its own (``register_scope``), or
# declare with no lookup a model whose rows belong to no institution (every administrator may
# choose them).  A model with no way to an institution is offered to no institution's
# administrator at all.
_SCOPES: dict[type, tuple[str, ...]] = {}


def register_scope(model, *lookups: str) -> None:
    """Declare how ``model``'s rows reach their institution (``register_scope(M, "library__institution")``);
    with no lookup, the model is shared by every institution."""
    _SCOPES[model] = tuple(lookups)


def institution_lookups(model, _depth: int = 3) -> tuple[str, ...] | None:
    """The lookups from ``model`` to its institution id; ``()`` for a shared model, ``None`` when
    the model has no way to an institution."""
    if model in _SCOPES:
        return _SCOPES[model]
    if model is Institution:
        return ("pk",)
    # breadth first over forward foreign keys: the shortest way wins, in field order
    frontier = [(model, "")]
    for _ in range(_depth):
        following = []
        for current, prefix in frontier:
            for field in current._meta.get_fields():
                if not (field.is_relation and field.concrete and (field.many_to_one or field.one_to_one)):
                    continue
                if field.related_model is Institution:
                    return (f"{prefix}{field.name}",)
                following.append((field.related_model, f"{prefix}{field.name}__"))
        frontier = following
    return None


def scope_filter(model, institution_id) -> Q | None:
    """A ``Q`` keeping the rows of ``model`` that belong to ``institution_id``; ``None`` when the
    model is shared; ``Q(pk__in=[])`` when it has no institution."""
    lookups = institution_lookups(model)
    if lookups == ():
        return None
    if lookups is None:
        return Q(pk__in=[])
    condition = Q()
    for lookup in lookups:
        condition |= Q(**{lookup: institution_id})
    return condition


def scoped(queryset, request):
    """``queryset`` limited to the administrator's institution (all of it for a superuser)."""
    if not _own(request):
        return queryset
    condition = scope_filter(queryset.model, request.user.institution_id)
    return queryset if condition is None else queryset.filter(condition).distinct()


register_scope(Consortium, "institutions")
register_scope(ConfigValue, "institution", "library__institution")
register_scope(User, "institution")


class ScopedChoicesAudited:
    """What every admin page of an institution's administrator shares:

    - every choice of a related row — select lists, many-to-many boxes, ids typed in raw-id
      fields, autocomplete and the same in inlines — is limited to their institution, so that a
      typed id of another institution's row is refused as "not a valid choice" (ORG-3: an
      administrator acts within their institution; issue 18 item 1);
    - changelist filters offer only values found in their own rows;
    - every save and delete is written to the audit trail with the changed fields (ORG-6),
      as the services do.
    """

    def _scope_choices(self, db_field, request, kwargs) -> None:
        if _own(request):
            base = kwargs.get("queryset")
            if base is None:
                base = db_field.related_model._default_manager.all()
            kwargs["queryset"] = scoped(base, request)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        self._scope_choices(db_field, request, kwargs)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    def get_list_filter(self, request):
        """Relation filters list only the values of the administrator's own rows (a plain
        RelatedFieldListFilter would name every institution's groups, libraries...)."""
        filters = super().get_list_filter(request)
        if not _own(request):
            return filters
        out = []
        for item in filters:
            if isinstance(item, str) and "__" not in item:
                try:
                    field = self.model._meta.get_field(item)
                except Exception:
                    field = None
                if field is not None and field.is_relation:
                    item = (item, admin.RelatedOnlyFieldListFilter)
            out.append(item)
        return out

    def save_model(self, request, obj, form, change):
        from syllabus.core import audit

        super().save_model(request, obj, form, change)
        if not change:
            audit.created(request.user, obj, note="in the administration")
        elif form.changed_data:
            changes = {name: [_plain_initial(form, name), audit._plain(audit._field_value(obj, name))]
                       for name in form.changed_data if _is_concrete(obj, name)}
            if changes:
                audit.changed(request.user, obj, changes, note="in the administration")

    def delete_model(self, request, obj):
        from syllabus.core import audit

        audit.deleted(request.user, obj, note="in the administration")
        super().delete_model(request, obj)

    def delete_queryset(self, request, queryset):
        from syllabus.core import audit

        for obj in queryset:
            audit.deleted(request.user, obj, note="in the administration")
        super().delete_queryset(request, queryset)

    def save_formset(self, request, form, formset, change):
        from syllabus.core import audit

        instances = formset.save(commit=False)
        for obj in formset.deleted_objects:
            audit.deleted(request.user, obj, note="in the administration")
            obj.delete()
        for obj in instances:
            is_new = obj.pk is None
            obj.save()
            if is_new:
                audit.created(request.user, obj, note="in the administration")
            else:
                audit.event(request.user, obj, "updated", note="in the administration")
        formset.save_m2m()


def _is_concrete(obj, name: str) -> bool:
    try:
        field = obj._meta.get_field(name)
    except Exception:
        return False
    return field.concrete and not field.many_to_many


def _plain_initial(form, name: str):
    from syllabus.core import audit

    value = form.initial.get(name)
    return audit._plain(value.pk if hasattr(value, "pk") else value)


class InstitutionScopedAdmin(ScopedChoicesAudited, admin.ModelAdmin):
    """Superusers see everything; other administrators see rows of their own institution."""

    institution_path: str | None = None  # found from the model (institution_lookups) unless an admin names it

    def get_queryset(self, request):
        qs = super().get_queryset(request)
        if request.user.is_superuser:
            return qs
        if self.institution_path:
            return qs.filter(**{self.institution_path: request.user.institution_id})
        return scoped(qs, request)

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

    # an institution's administrator edits their institution (branding...), never creates or
    # removes institutions, nor moves theirs to another consortium
    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return request.user.is_superuser

    def get_readonly_fields(self, request, obj=None):
        return () if request.user.is_superuser else ("consortium", "code")


class ClosedDateInline(ScopedChoicesAudited, admin.TabularInline):
    model = ClosedDate
    extra = 0


@admin.register(Library)
class LibraryAdmin(InstitutionScopedAdmin):
    list_display = ("code", "name", "institution", "open_weekdays")
    inlines = [ClosedDateInline]


@admin.register(UserGroup)
class UserGroupAdmin(InstitutionScopedAdmin):
    list_display = ("code", "name", "institution")


class RoleAssignmentInline(ScopedChoicesAudited, admin.TabularInline):
    model = RoleAssignment
    extra = 0
    fk_name = "user"


PRIVILEGED_FIELDS = ("is_superuser", "is_staff", "groups", "user_permissions")


@admin.register(User)
class UserAdmin(ScopedChoicesAudited, BaseUserAdmin):
    list_display = ("username", "email", "first_name", "last_name", "institution", "user_group")
    list_filter = ("institution", "user_group")
    fieldsets = BaseUserAdmin.fieldsets + (("Syllabus", {"fields": ("institution", "user_group", "phone", "preferred_language", "expiry_date",
                                                                    "email_verified")}),)
    readonly_fields = ("email_verified",)   # set by where the address came from (org.services.email_values)
    inlines = [RoleAssignmentInline]
    actions = ["unlock_sign_in", "merge_accounts"]

    @admin.action(description="Merge these two accounts of one person…")
    def merge_accounts(self, request, queryset):
        """ORG-MERGE: two people chosen here open the merge page (preview, then confirm) with the newer
        account as the one that goes away; swap them there if needed."""
        from urllib.parse import urlencode

        from django.shortcuts import redirect
        from django.urls import reverse

        people = list(queryset.order_by("pk")[:3])
        if len(people) != 2:
            self.message_user(request, "Choose exactly two accounts to merge.", level="error")
            return None
        return redirect(f"{reverse('org:merge')}?{urlencode({'source': people[1].username, 'target': people[0].username})}")

    @admin.action(description="Unlock sign-in (clear failed sign-ins)")
    def unlock_sign_in(self, request, queryset):
        """Issue 18 item 5: lift the lock that too many failed sign-ins put on these accounts."""
        count = sum(1 for user in queryset if throttle.unlock(request.user, username=user.get_username()))
        self.message_user(request, f"{count} account(s) unlocked.")

    def get_queryset(self, request):
        """An institution's administrator manages the people of their institution — never a
        superuser account (whose password they could otherwise reset through the admin)."""
        qs = super().get_queryset(request)
        return qs if request.user.is_superuser else qs.filter(institution_id=request.user.institution_id, is_superuser=False)

    def get_fieldsets(self, request, obj=None):
        """An institution's administrator never sees (so never sets) the superuser, staff and
        Django permission fields: roles (ORG-3) are how they give rights."""
        fieldsets = super().get_fieldsets(request, obj)
        if request.user.is_superuser:
            return fieldsets
        return [(name, {**opts, "fields": tuple(f for f in opts["fields"] if f not in PRIVILEGED_FIELDS)})
                for name, opts in fieldsets]

    def get_form(self, request, obj=None, **kwargs):
        form = super().get_form(request, obj, **kwargs)
        if not request.user.is_superuser and "institution" in form.base_fields:
            form.base_fields["institution"].required = True
        return form

    def save_model(self, request, obj, form, change):
        if _own(request) and obj.institution_id is None:  # a user added by an institution's administrator is theirs
            obj.institution_id = request.user.institution_id
        was_verified = obj.email_verified
        if "email" in form.changed_data:   # typed here: stored for letters, never matched (LMS-1, LMS-3)
            obj.email_verified = email_values(obj, obj.email, verified=False, stored=form.initial.get("email") or "")["email_verified"]
        super().save_model(request, obj, form, change)
        if change and obj.email_verified != was_verified:
            from syllabus.core import audit

            audit.changed(request.user, obj, {"email_verified": [was_verified, obj.email_verified]},
                          note="in the administration: an address typed here is not verified")

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
            with refusals_as_errors():
                data["value"] = config.param(key).coerce(data["value"])
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


@admin.register(SignInThrottle)
class SignInThrottleAdmin(admin.ModelAdmin):
    """Failed sign-ins by account and by address (issue 18 item 5), and ILL partners' failed
    authentications by partner and address (CON-2).  Superusers only: an address
    belongs to no institution; institution administrators unlock their people from Users."""

    list_display = ("kind", "key", "failures", "last_failure_at", "locked_until")
    list_filter = ("kind",)
    search_fields = ("key",)
    readonly_fields = ("kind", "key", "failures", "window_start", "last_failure_at", "locked_until")
    actions = ["unlock"]

    @admin.action(description="Unlock (clear failed sign-ins)")
    def unlock(self, request, queryset):
        count = 0
        for row in queryset:
            which = {row.ACCOUNT: "username", row.ADDRESS: "address", row.PARTNER: "partner"}[row.kind]
            count += throttle.unlock(request.user, **{which: row.key})
        self.message_user(request, f"{count} lock(s) lifted.")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_module_permission(self, request):
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None):
        return self.has_module_permission(request)

    has_delete_permission = has_view_permission

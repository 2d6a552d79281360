"""The directory of ILL partners outside the consortium in the admin (CON-2): an institution's
administrator sees and edits its own partners; the same checks as the back office
(:mod:`syllabus.consortium.partners`), the shared secret never shown nor written to the audit trail."""
from django import forms
from django.contrib import admin

from syllabus.core import audit, encryption
from syllabus.core.errors import RuleViolation
from syllabus.core.forms import refusals_as_errors
from syllabus.org.admin import InstitutionScopedAdmin

from . import partners
from .models import IllPartner


class IllPartnerForm(encryption.KeepsUnreadable, forms.ModelForm):
    endpoint_url = forms.URLField(max_length=500, assume_scheme="https", help_text="where its ISO 18626 messages are posted")
    auth_value = forms.CharField(required=False, max_length=500, widget=forms.PasswordInput(render_value=False),
                                 help_text="a shared secret; empty keeps the one saved — type it again when the address or the header changes")

    class Meta:
        model = IllPartner
        fields = ("institution", "agency_id", "name", "endpoint_url", "auth_header", "auth_value", "active")

    def clean(self):
        data = super().clean()
        with refusals_as_errors():
            data.update(partners.clean(data))
        try:   # an empty secret keeps the saved one, unless the address or the header name changed (CON-2)
            data["auth_value"] = partners.secret_to_save(self.instance if self.instance.pk else None, data)
        except RuleViolation as exc:
            self.add_error("auth_value", str(exc))
        return data


@admin.register(IllPartner)
class IllPartnerAdmin(InstitutionScopedAdmin):
    form = IllPartnerForm
    list_display = ("agency_id", "name", "institution", "endpoint_url", "active")
    list_filter = ("active",)
    search_fields = ("agency_id", "name")

    def save_model(self, request, obj, form, change):
        obj.save()
        changed = [name for name in form.changed_data if name != "auth_value"]
        if not change:
            audit.event(request.user, obj, "created", note=f"CON-2: ILL partner {obj.agency_id}, in the administration")
        elif changed:
            audit.event(request.user, obj, "updated", note="in the administration: " + ", ".join(changed))
        if change and "auth_value" in form.changed_data and form.cleaned_data.get("auth_value") != form.initial.get("auth_value"):
            audit.event(request.user, obj, "secret", note="CON-2: the shared secret was changed, in the administration")

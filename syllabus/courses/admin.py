from django.contrib import admin
from django.core.exceptions import ValidationError
from django.forms.models import BaseInlineFormSet

from syllabus.org.admin import InstitutionScopedAdmin

from .models import Course, CourseSisId
from .services import set_sis_ids


class SisIdFormSet(BaseInlineFormSet):
    def clean(self):
        """An SIS id names one course of the institution (CRS-2), refused here rather than by the database."""
        super().clean()
        ids = [f.cleaned_data["sis_id"].strip() for f in self.forms
               if f.cleaned_data.get("sis_id") and not f.cleaned_data.get("DELETE")]
        if len(ids) != len(set(ids)):
            raise ValidationError("CRS-2: the same SIS id is listed twice")
        taken = (CourseSisId.objects.filter(institution_id=self.instance.institution_id, sis_id__in=ids)
                 .exclude(course_id=self.instance.pk).select_related("course").first())
        if taken is not None:
            raise ValidationError(f"CRS-2: the SIS id {taken.sis_id} already names the course {taken.course}")


class SisIdInline(admin.TabularInline):
    """The course's SIS ids (LIS course offering / section sourcedIds, LMS-1); the course file's ``sis_ids`` column sets them too."""

    model = CourseSisId
    formset = SisIdFormSet
    fields = ("sis_id",)
    extra = 0

    def has_view_permission(self, request, obj=None):   # as the course page (InstitutionScopedAdmin)
        return request.user.is_active and (request.user.is_superuser or request.user.is_administrator)

    has_add_permission = has_change_permission = has_delete_permission = has_view_permission


@admin.register(Course)
class CourseAdmin(InstitutionScopedAdmin):
    inlines = (SisIdInline,)
    list_display = ("code", "section", "name", "term", "department", "institution")
    search_fields = ("code", "name", "instructors__username")
    list_filter = ("institution", "term")
    filter_horizontal = ("instructors",)

    def save_formset(self, request, form, formset, change):
        if formset.model is CourseSisId:   # through the service: the institution's scope, the audit trail (CRS-2)
            formset.save(commit=False)   # (what the admin's change message reads; nothing is written by it)
            kept = [f.cleaned_data["sis_id"] for f in formset.forms
                    if f.cleaned_data.get("sis_id") and not f.cleaned_data.get("DELETE")]
            set_sis_ids(request.user, form.instance, kept)
            return
        super().save_formset(request, form, formset, change)

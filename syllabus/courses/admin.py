from django.contrib import admin

from syllabus.org.admin import InstitutionScopedAdmin

from .models import Course


@admin.register(Course)
class CourseAdmin(InstitutionScopedAdmin):
    list_display = ("code", "section", "name", "term", "department", "institution")
    search_fields = ("code", "name", "instructors__username")
    list_filter = ("institution", "term")
    filter_horizontal = ("instructors",)

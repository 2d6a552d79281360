"""Django admin for resource lists (read-mostly: the workflow runs through the services)."""
from django.contrib import admin

from syllabus.org.admin import InstitutionScopedAdmin

from .models import Citation, LibrarianTask, ResourceList


@admin.register(ResourceList)
class ResourceListAdmin(InstitutionScopedAdmin):
    list_display = ("title", "institution", "status", "visibility", "assignee", "updated_at")
    list_filter = ("institution", "status", "visibility")
    search_fields = ("title", "courses__code")
    readonly_fields = ("status", "sent_at", "published_at", "completed_at", "created_at", "updated_at")
    filter_horizontal = ("courses", "owners", "collaborators")


@admin.register(Citation)
class CitationAdmin(InstitutionScopedAdmin):
    institution_path = "resource_list__institution"
    list_display = ("title", "type", "status", "resource_list")
    list_filter = ("type", "status")
    search_fields = ("title",)
    readonly_fields = ("status", "formatted", "formatted_style", "file", "file_type", "file_size")
    raw_id_fields = ("resource_list", "section", "record", "created_by")


@admin.register(LibrarianTask)
class LibrarianTaskAdmin(InstitutionScopedAdmin):
    institution_path = "resource_list__institution"
    list_display = ("kind", "resource_list", "citation", "count", "updated_at", "resolved_at")
    list_filter = ("kind",)
    raw_id_fields = ("resource_list", "citation", "created_by", "resolved_by")

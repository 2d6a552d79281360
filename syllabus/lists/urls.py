"""Pages of resource lists, mounted at /lists/."""
from django.urls import path

from . import views

app_name = "lists"

urlpatterns = [
    path("", views.my_lists, name="mine"),
    path("new/", views.create, name="create"),
    path("tasks/", views.tasks, name="tasks"),
    path("rollover/", views.rollover, name="rollover"),
    path("rollover/<id:run_id>/", views.rollover_run, name="rollover-run"),
    path("<id:pk>/", views.view, name="view"),
    path("<id:pk>/edit/", views.edit, name="edit"),
    path("<id:pk>/edit/settings/", views.list_settings, name="settings"),
    path("<id:pk>/edit/send/", views.send_list, name="send"),
    path("<id:pk>/edit/visibility/", views.set_visibility, name="visibility"),
    path("<id:pk>/edit/sections/", views.add_section, name="add-section"),
    path("<id:pk>/edit/sections/<id:section_id>/", views.update_section, name="update-section"),
    path("<id:pk>/edit/sections/<id:section_id>/move/", views.move_section, name="move-section"),
    path("<id:pk>/edit/sections/<id:section_id>/delete/", views.delete_section, name="delete-section"),
    path("<id:pk>/edit/items/", views.add_citation, name="add-citation"),
    path("<id:pk>/edit/paste/", views.paste_preview, name="paste-preview"),
    path("<id:pk>/edit/paste/add/", views.paste_add, name="paste-add"),
    path("<id:pk>/edit/items/<id:citation_id>/", views.citation_page, name="update-citation"),  # GET: the item's edit page
    path("<id:pk>/edit/items/<id:citation_id>/services/", views.citation_services, name="citation-services"),  # htmx
    path("<id:pk>/edit/items/<id:citation_id>/move/", views.move_citation, name="move-citation"),
    path("<id:pk>/edit/items/<id:citation_id>/delete/", views.delete_citation, name="delete-citation"),
    path("<id:pk>/edit/items/<id:citation_id>/send/", views.send_citation, name="send-citation"),
    path("<id:pk>/edit/items/<id:citation_id>/file/", views.upload, name="upload"),
    path("<id:pk>/edit/items/<id:citation_id>/file/remove/", views.remove_file, name="remove-file"),
    path("items/<id:citation_id>/file/", views.download, name="file"),
    path("<id:pk>/library/", views.library, name="library"),
    path("<id:pk>/library/assign/", views.assign, name="assign"),
    path("<id:pk>/library/status/", views.list_status, name="list-status"),
    path("<id:pk>/library/items/<id:citation_id>/status/", views.item_status, name="item-status"),
    path("<id:pk>/library/items/<id:citation_id>/note/", views.library_note, name="library-note"),
    path("<id:pk>/library/tasks/<id:task_id>/done/", views.task_done, name="task-done"),
]

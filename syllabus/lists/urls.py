"""Pages of resource lists, mounted at /lists/."""
from django.urls import path

from . import views

app_name = "lists"

urlpatterns = [
    path("", views.my_lists, name="mine"),
    path("new/", views.create, name="create"),
    path("tasks/", views.tasks, name="tasks"),
    path("rollover/", views.rollover, name="rollover"),
    path("rollover/<int:run_id>/", views.rollover_run, name="rollover-run"),
    path("<int:pk>/", views.view, name="view"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/edit/settings/", views.list_settings, name="settings"),
    path("<int:pk>/edit/send/", views.send_list, name="send"),
    path("<int:pk>/edit/visibility/", views.set_visibility, name="visibility"),
    path("<int:pk>/edit/sections/", views.add_section, name="add-section"),
    path("<int:pk>/edit/sections/<int:section_id>/", views.update_section, name="update-section"),
    path("<int:pk>/edit/sections/<int:section_id>/move/", views.move_section, name="move-section"),
    path("<int:pk>/edit/sections/<int:section_id>/delete/", views.delete_section, name="delete-section"),
    path("<int:pk>/edit/items/", views.add_citation, name="add-citation"),
    path("<int:pk>/edit/items/<int:citation_id>/", views.update_citation, name="update-citation"),
    path("<int:pk>/edit/items/<int:citation_id>/move/", views.move_citation, name="move-citation"),
    path("<int:pk>/edit/items/<int:citation_id>/delete/", views.delete_citation, name="delete-citation"),
    path("<int:pk>/edit/items/<int:citation_id>/send/", views.send_citation, name="send-citation"),
    path("<int:pk>/edit/items/<int:citation_id>/file/", views.upload, name="upload"),
    path("<int:pk>/edit/items/<int:citation_id>/file/remove/", views.remove_file, name="remove-file"),
    path("items/<int:citation_id>/file/", views.download, name="file"),
    path("<int:pk>/library/", views.library, name="library"),
    path("<int:pk>/library/assign/", views.assign, name="assign"),
    path("<int:pk>/library/status/", views.list_status, name="list-status"),
    path("<int:pk>/library/items/<int:citation_id>/status/", views.item_status, name="item-status"),
    path("<int:pk>/library/items/<int:citation_id>/note/", views.library_note, name="library-note"),
    path("<int:pk>/library/tasks/<int:task_id>/done/", views.task_done, name="task-done"),
]

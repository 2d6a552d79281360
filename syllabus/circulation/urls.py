from django.urls import path

from . import views

app_name = "circulation"

urlpatterns = [
    path("card/", views.card, name="card"),
    path("citations/<int:citation_id>/hold/", views.place_hold, name="place-hold"),
    path("citations/<int:citation_id>/done/", views.done, name="done"),
    path("citations/<int:citation_id>/accessible/", views.accessible_request, name="accessible-request"),
    path("holds/", views.hold_queue, name="holds"),
    path("holds/<int:hold_id>/<slug:action>/", views.hold_action, name="hold-action"),
    path("accessible/", views.accessible_queue, name="accessible"),
    path("accessible/<int:pk>/", views.accessible_detail, name="accessible-detail"),
    path("accessible/<int:pk>/file/", views.accessible_file, name="accessible-file"),
    path("personal-copies/", views.personal_copies, name="personal-copies"),
    path("personal-copies/<int:citation_id>/<slug:action>/", views.personal_copy_action, name="personal-copy-action"),
]

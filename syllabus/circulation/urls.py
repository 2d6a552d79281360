from django.urls import path

from . import views

app_name = "circulation"

urlpatterns = [
    path("card/", views.card, name="card"),
    path("citations/<id:citation_id>/hold/", views.place_hold, name="place-hold"),
    path("citations/<id:citation_id>/done/", views.done, name="done"),
    path("citations/<id:citation_id>/accessible/", views.accessible_request, name="accessible-request"),
    path("holds/", views.hold_queue, name="holds"),
    path("holds/<id:hold_id>/<slug:action>/", views.hold_action, name="hold-action"),
    path("accessible/", views.accessible_queue, name="accessible"),
    path("accessible/<id:pk>/", views.accessible_detail, name="accessible-detail"),
    path("accessible/<id:pk>/file/", views.accessible_file, name="accessible-file"),
    path("personal-copies/", views.personal_copies, name="personal-copies"),
    path("personal-copies/<id:citation_id>/<slug:action>/", views.personal_copy_action, name="personal-copy-action"),
]

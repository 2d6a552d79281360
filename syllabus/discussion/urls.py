from django.urls import path

from . import views

app_name = "discussion"

urlpatterns = [
    path("", views.index, name="index"),
    path("alerts/", views.alerts, name="alerts"),
    path("lists/<id:pk>/", views.list_pane, name="list-pane"),
    path("items/<id:citation_id>/", views.item_pane, name="item-pane"),
]

"""Pages of analytics, mounted at /analytics/."""
from django.urls import path

from . import views

app_name = "analytics"

urlpatterns = [
    path("", views.index, name="index"),
    path("me/", views.mine, name="mine"),
    path("events/", views.events, name="events"),
    path("reports/<slug:code>/", views.report, name="report"),
    path("lists/<id:list_id>/", views.list_engagement, name="list-engagement"),
]

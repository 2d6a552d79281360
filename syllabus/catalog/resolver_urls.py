"""The link resolver's page at the site root: ``/openurl?<OpenURL 1.0 KEV>`` (DSV-6)."""
from django.urls import path

from . import views

app_name = "resolver"

urlpatterns = [
    path("openurl", views.openurl_page, name="openurl"),
]

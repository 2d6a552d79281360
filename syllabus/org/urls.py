"""Administrators' pages about people, mounted at /people/ (ORG-MERGE)."""
from django.urls import path

from . import views

app_name = "org"

urlpatterns = [
    path("merge/", views.merge, name="merge"),
    path("duplicates/", views.duplicates, name="duplicates"),
]

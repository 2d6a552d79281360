"""LTI pages, mounted at /lti/.  login, launch and jwks are called by LMSs (public)."""
from django.urls import path

from . import views

app_name = "lti"

urlpatterns = [
    path("login/", views.login, name="login"),
    path("launch/", views.launch, name="launch"),
    path("jwks/", views.jwks, name="jwks"),
    path("session/", views.session_kept, name="session"),
    path("continue/", views.continue_launch, name="continue"),
    path("context/", views.context, name="context"),
    path("deep-link/", views.deep_link, name="deep-link"),
    path("courses/<id:course_id>/", views.course_lists, name="course"),
]

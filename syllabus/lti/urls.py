"""LTI pages, mounted at /lti/.  login, launch, jwks and register (with a
one-time registration link) are called by LMSs (public)."""
from django.urls import path

from . import registration_views, views

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
    path("courses/<id:course_id>/copy-earlier/", views.copy_earlier, name="copy-earlier"),
    path("courses/<id:course_id>/lists/<id:list_id>/ask-to-edit/", views.ask_to_edit, name="ask-to-edit"),
    # LTI Dynamic Registration: the administrator's links, and the page the LMS opens with one
    path("registrations/", registration_views.links, name="registrations"),
    path("registrations/<id:registration_link_id>/revoke/", registration_views.revoke, name="registration-revoke"),
    path("register/<str:token>/", registration_views.register, name="register"),
]

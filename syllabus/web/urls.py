from django.conf import settings
from django.urls import path
from django.views.generic import RedirectView

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("courses/", views.courses, name="courses"),
    path("courses/<id:course_id>/", views.course_detail, name="course"),
    # browsers and feed readers ask for /favicon.ico whatever the page links (a 404 in every console)
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "syllabus/favicon.svg", permanent=True), name="favicon"),
]

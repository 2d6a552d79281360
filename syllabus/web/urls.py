from django.urls import path

from . import views

app_name = "web"

urlpatterns = [
    path("", views.home, name="home"),
    path("login/", views.LoginView.as_view(), name="login"),
    path("logout/", views.LogoutView.as_view(), name="logout"),
    path("courses/", views.courses, name="courses"),
    path("courses/<id:course_id>/", views.course_detail, name="course"),
]

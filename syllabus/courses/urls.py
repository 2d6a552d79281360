"""Staff pages of courses, mounted at /courses/ (the course search and detail are the shell's)."""
from django.urls import path

from . import views

app_name = "courses"

urlpatterns = [
    path("<id:course_id>/roster/", views.roster, name="roster"),
    path("<id:course_id>/roster/add/", views.add_member, name="roster-add"),
    path("<id:course_id>/roster/upload/", views.upload_roster, name="roster-upload"),
    path("<id:course_id>/roster/<str:username>/remove/", views.remove_member, name="roster-remove"),
]

from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "syllabus.courses"
    label = "courses"
    verbose_name = "Courses"

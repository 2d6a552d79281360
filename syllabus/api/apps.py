from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "syllabus.api"
    label = "api"

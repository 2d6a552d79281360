from django.apps import AppConfig


class WebConfig(AppConfig):
    name = "syllabus.web"
    label = "web"

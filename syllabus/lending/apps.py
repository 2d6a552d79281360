from django.apps import AppConfig


class LendingConfig(AppConfig):
    name = "syllabus.lending"
    label = "lending"

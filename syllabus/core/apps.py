from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "syllabus.core"
    label = "core"
    verbose_name = "Core"

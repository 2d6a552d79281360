from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "syllabus.analytics"
    label = "analytics"
    verbose_name = "Analytics: usage, reports and suggestions"

    def ready(self):
        from .recording import install

        install()

from syllabus.core.apps import SyllabusAppConfig


class AnalyticsConfig(SyllabusAppConfig):
    verbose_name = "Analytics: usage, reports and suggestions"

    def ready(self):
        from .recording import install

        install()

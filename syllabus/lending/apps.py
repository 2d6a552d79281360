from django.apps import AppConfig


class LendingConfig(AppConfig):
    name = "syllabus.lending"
    label = "lending"

    def ready(self):
        from . import access  # noqa: F401  (registers the catalog access check)

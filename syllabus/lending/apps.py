from syllabus.core.apps import SyllabusAppConfig


class LendingConfig(SyllabusAppConfig):

    def ready(self):
        from . import access  # noqa: F401  (registers the catalog access check)

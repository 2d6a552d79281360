from syllabus.core.apps import SyllabusAppConfig


class SsoConfig(SyllabusAppConfig):
    verbose_name = "Single sign-on"

    def ready(self):
        from . import signin  # noqa: F401  (adds the provider buttons to the sign-in page, and the IdP sign-out)

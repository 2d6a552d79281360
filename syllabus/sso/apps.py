from django.apps import AppConfig


class SsoConfig(AppConfig):
    name = "syllabus.sso"
    label = "sso"
    verbose_name = "Single sign-on"

    def ready(self):
        from . import signin  # noqa: F401  (adds the provider buttons to the sign-in page, and the IdP sign-out)

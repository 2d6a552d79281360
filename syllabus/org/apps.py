from syllabus.core.apps import SyllabusAppConfig


class OrgConfig(SyllabusAppConfig):
    verbose_name = "Organisation"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        # every app declares its configuration parameters in <app>/params.py
        autodiscover_modules("params")
        # ORG-MERGE: every app says what a merge of two accounts does to its rows (org.merging)
        autodiscover_modules("merge")
        from . import throttle  # noqa: F401  (sign-in failure counting: issue 18 item 5)
        from .backends import install

        install()  # the person and configuration read with the session (issue 19, session 11)

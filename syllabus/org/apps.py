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
        from django.core import checks

        checks.register(_check_rate_limits)


def _check_rate_limits(app_configs=None, **kwargs):
    """RATE-LIMIT: a ``RATE_LIMIT_*`` value that is not ``COUNT/PERIOD`` or ``off`` stops ``serve`` and
    ``migrate`` at the start, naming the variable (not a 500 at the first request it concerns)."""
    from django.core import checks
    from django.core.exceptions import ImproperlyConfigured

    from .ratelimit import LIMITS, rate

    errors = []
    for name in LIMITS:
        try:
            rate(name)
        except ImproperlyConfigured as exc:
            errors.append(checks.Error(str(exc), id="org.E001"))
    return errors

from syllabus.core.apps import SyllabusAppConfig


class NotifyConfig(SyllabusAppConfig):
    verbose_name = "Notifications"

    def ready(self):
        from django.utils.module_loading import autodiscover_modules

        autodiscover_modules("letters")

        from django.core import checks

        checks.register(_check_send_timeouts)

        from syllabus.org.backends import read_with_user

        from .nav import unread_expression

        # the bell's badge comes with the signed-in person's own query (issue 19)
        read_with_user("unread_notifications", unread_expression)


def _check_send_timeouts(app_configs=None, **kwargs):
    """At start-up: a send must give up before its outbox lease runs out (see delivery.py)."""
    from django.core import checks

    from .delivery import timeout_problems

    return [checks.Error(problem, id="notify.E001") for problem in timeout_problems()]

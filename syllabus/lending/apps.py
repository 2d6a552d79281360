from syllabus.core.apps import SyllabusAppConfig


class LendingConfig(SyllabusAppConfig):

    def ready(self):
        from . import access  # noqa: F401  (registers the catalog access check)

        _declare_audit_actions()


def _declare_audit_actions() -> None:
    """A loan request's audit trail (LDL-13, ORG-6) says each step in the reader's language."""
    from django.utils.translation import pgettext_lazy

    from syllabus.core.labels import declare_actions

    declare_actions({
        "access": pgettext_lazy("audit", "Opened by the patron"), "finish": pgettext_lazy("audit", "Finished viewing"),
        "hand_over": pgettext_lazy("audit", "Copy handed over (grace period)"),
        "session_end": pgettext_lazy("audit", "Session ended"), "grace_expire": pgettext_lazy("audit", "Grace period expired"),
        "renew": pgettext_lazy("audit", "Renewed"),
    })

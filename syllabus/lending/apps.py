from syllabus.core.apps import SyllabusAppConfig


class LendingConfig(SyllabusAppConfig):

    def ready(self):
        from . import access  # noqa: F401  (registers the catalog access check)

        _declare_audit_labels()


def _declare_audit_labels() -> None:
    """A loan request's audit trail (LDL-13, ORG-6) says each step and field in the reader's language."""
    from django.utils.translation import gettext_lazy, pgettext_lazy

    from syllabus.core.labels import declare_actions, declare_fields

    declare_fields({
        "step": gettext_lazy("Workflow step"), "slot": gettext_lazy("Copy"), "handed_over_at": gettext_lazy("Handed over"),
        "grace_due_at": gettext_lazy("Grace period ends"), "session_started_at": gettext_lazy("Session started"),
        "session_due_at": gettext_lazy("Session ends"), "renewals": gettext_lazy("Renewals"),
        "completed_at": gettext_lazy("Completed"), "outcome": gettext_lazy("Outcome"),
        "place": gettext_lazy("Place in queue"),
    })

    declare_actions({
        "access": pgettext_lazy("audit", "Opened by the patron"), "finish": pgettext_lazy("audit", "Finished viewing"),
        "hand_over": pgettext_lazy("audit", "Copy handed over (grace period)"),
        "session_end": pgettext_lazy("audit", "Session ended"), "grace_expire": pgettext_lazy("audit", "Grace period expired"),
        "renew": pgettext_lazy("audit", "Renewed"),
    })

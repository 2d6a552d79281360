"""Timers of the consortium: inter-library loans past their due date become Overdue (CON-2)."""
from celery import shared_task

from syllabus.core.tasks import periodic

from . import services


@periodic("consortium.ill_overdue")
def ill_overdue(now) -> int:
    return services.sweep_overdue_loans(now)


@shared_task(name="syllabus.consortium.tasks.deliver_ill_messages")
def deliver_ill_messages() -> int:
    from .delivery import deliver_due

    return deliver_due()


@periodic("consortium.ill_deliver")
def ill_deliver(now) -> int:
    """ISO 18626 messages to partners outside the consortium, due now (new ones, retries)."""
    from .delivery import deliver_due

    return deliver_due(now)

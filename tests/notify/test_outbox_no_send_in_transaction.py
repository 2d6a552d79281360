"""SPEC §12 / issue 5: nothing is ever sent from inside a transaction. Every delivery entry
point (``deliver_due``, the Celery task, the sweep, ``syllabus deliver``) refuses with a clear
error when called inside one. ``transaction=True`` tests: no test-runner transaction around
them, so what they see is what real code paths see."""
from __future__ import annotations

import pytest
from django.core import mail
from django.core.management import call_command
from django.db import transaction

from syllabus.notify.delivery import SendInsideTransaction, deliver_due, inside_transaction
from syllabus.notify.models import OutboxMessage
from syllabus.notify.services import queue_letter

pytestmark = pytest.mark.django_db(transaction=True)
Status = OutboxMessage.Status


def _queue(patron):
    with transaction.atomic():
        queue_letter("test_due_soon", patron, {"patron": "Pat", "title": "Middlemarch", "due": "9 March"},
                     key="loan:1:due", channels=("email",))


def _run_deliver_command():
    call_command("deliver")


def _run_celery_task():
    from syllabus.notify.tasks import deliver_outbox

    deliver_outbox.run()  # what a Celery worker runs


def _run_sweep():
    from syllabus.notify.tasks import sweep

    sweep(None)


@pytest.mark.parametrize("entry", [deliver_due, _run_deliver_command, _run_celery_task, _run_sweep],
                         ids=["deliver_due", "syllabus deliver", "celery task", "sweep"])
def test_delivering_inside_a_transaction_is_refused_and_sends_nothing(entry, due_letter, patron):
    _queue(patron)
    with pytest.raises(SendInsideTransaction, match="outside any transaction"):
        with transaction.atomic():
            entry()
    assert len(mail.outbox) == 0
    assert OutboxMessage.objects.get().status == Status.PENDING and OutboxMessage.objects.get().attempts == 0


def test_outside_a_transaction_delivery_runs(due_letter, patron):
    _queue(patron)
    assert not inside_transaction()
    assert deliver_due().sent == 1
    assert len(mail.outbox) == 1


def test_a_savepoint_inside_a_transaction_is_still_a_transaction(due_letter, patron):
    with transaction.atomic():
        with transaction.atomic():
            assert inside_transaction()
    assert not inside_transaction()

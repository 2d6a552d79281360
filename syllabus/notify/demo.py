"""Demo data of notifications: a letter that bounced (Failed tab of the outbox monitor, ready
to be retried by the Letter Administrator — the demo login ``librarian``).  Every other demo
letter is real: the apps' demo data queue them through their services."""
from __future__ import annotations

from syllabus.org.models import User

from .letters import LETTERS
from .models import OutboxMessage
from .services import render_letter

BOUNCED = "s.student@old-mail.example"


def load(stdout) -> None:
    if OutboxMessage.objects.filter(idempotency_key__startswith="demo:").exists() or not LETTERS:
        return
    student = User.objects.filter(username="student").first()
    if student is None:
        return
    code = "list_complete" if "list_complete" in LETTERS else sorted(LETTERS)[0]
    letter = LETTERS[code]
    context = {**letter.full_sample, "recipient_name": student.get_full_name(), "institution_name": student.institution.name}
    subject, body = render_letter(code, context, institution=student.institution)
    OutboxMessage.objects.create(
        idempotency_key=f"demo:{code}:bounced:email", letter=code, channel="email", institution=student.institution,
        recipient=student, address=BOUNCED, subject=subject, body=body, context={k: str(v) for k, v in context.items()},
        status=OutboxMessage.Status.FAILED, attempts=8,
        last_error=f"SMTPRecipientsRefused: {{'{BOUNCED}': (550, b'5.1.1 <{BOUNCED}>: Recipient address rejected: User unknown')}}",
    )
    stdout.write("  notifications: one bounced letter in the outbox monitor (Failed tab, sign in as librarian)")

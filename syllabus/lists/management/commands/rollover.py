"""``syllabus rollover --institution CODE --from-term T1 --to-term T2 [--dry-run] [--clear-notes]``:
copy the lists of last term's courses to the new term's (ROLL-1..11, syllabus.lists.rollover)."""
import datetime as dt

from django.core.management.base import BaseCommand, CommandError

from syllabus.core.errors import RuleViolation
from syllabus.lists.rollover import roll_over_lists
from syllabus.org.models import Institution, User, typed_username


def _date(raw: str) -> dt.date:
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise CommandError(f"--to-term-start: {raw!r} is not a date (YYYY-MM-DD)") from None


class Command(BaseCommand):
    help = ("Term rollover: copy every resource list of the old term's courses to the new term's courses (found, or "
            "created with the same code and section). Run it with --dry-run first: it prints what it would do and "
            "changes nothing. Idempotent: a list already copied to the new term is never copied again.")

    def add_arguments(self, parser):
        parser.add_argument("--institution", required=True, help="institution code")
        parser.add_argument("--from-term", required=True, help="the old term, as courses name it (e.g. 2026S)")
        parser.add_argument("--to-term", required=True, help="the new term (e.g. 2026F)")
        parser.add_argument("--to-term-start", type=_date, default=None,
                            help="the new term's first day (YYYY-MM-DD), when none of its courses has a start date yet; "
                                 "dates move by the difference to the old term's first day (ROLL-3)")
        parser.add_argument("--dry-run", action="store_true", help="report what would happen; change nothing (ROLL-9)")
        notes = parser.add_mutually_exclusive_group()
        notes.add_argument("--keep-notes", dest="keep_notes", action="store_true", default=True,
                           help="keep the items' notes for students and the library's notes (the default, ROLL-4)")
        notes.add_argument("--clear-notes", dest="keep_notes", action="store_false", help="clear them in the copies (ROLL-4)")
        parser.add_argument("--as", dest="username", default=None,
                            help="run as this course reserves operator of the institution (audited as them; default: the system)")

    def handle(self, *args, institution, from_term, to_term, to_term_start, dry_run, keep_notes, username, **options):
        inst = Institution.objects.filter(code=institution).first()
        if inst is None:
            raise CommandError(f"no institution with code {institution!r}")
        actor = None
        if username:
            actor = User.objects.filter(username=typed_username(username), institution=inst).first()
            if actor is None:
                raise CommandError(f"no user {username!r} at {institution}")
        verbose = options.get("verbosity", 1) >= 1
        try:
            report = roll_over_lists(actor, inst, from_term=from_term, to_term=to_term, keep_notes=keep_notes,
                                     dry_run=dry_run, to_term_start=to_term_start,
                                     progress=(lambda item: self.stdout.write(item.line())) if verbose else None)
        except RuleViolation as exc:
            # the rule names the input as the page and the API do; here it is an option
            option = f" (option --{exc.field.replace('_', '-')})" if exc.field else ""
            raise CommandError(f"{exc}{option}") from None
        self.stdout.write(report.summary())

"""``syllabus people merge SOURCE TARGET [--apply]`` and ``syllabus people duplicates INSTITUTION``
(ORG-MERGE, docs/sso.md *Merging two accounts of one person*)."""
from django.core.management.base import BaseCommand, CommandError

from syllabus.core.errors import RuleViolation
from syllabus.org import merging
from syllabus.org.models import Institution, User, typed_username


class Command(BaseCommand):
    help = ("People: `people merge SOURCE TARGET` lists what merging the account SOURCE into TARGET moves (a dry run); "
            "`--apply` merges. `people duplicates INSTITUTION` lists likely duplicate accounts.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        merge = sub.add_parser("merge", help="merge the account SOURCE into TARGET (dry run unless --apply)")
        merge.add_argument("source", help="the username of the account that goes away (deactivated, kept)")
        merge.add_argument("target", help="the username of the account that stays")
        merge.add_argument("--apply", action="store_true", help="merge (without it: only list what would move)")
        merge.add_argument("--by", default="", help="the administrator's username recorded in the audit trail; "
                                                    "their rights are checked (default: the server's operator)")
        dup = sub.add_parser("duplicates", help="likely duplicate accounts of an institution")
        dup.add_argument("institution", help="the institution's code")

    def handle(self, *args, action, **opts):
        if action == "duplicates":
            institution = Institution.objects.filter(code=opts["institution"]).first()
            if institution is None:
                raise CommandError(f"no institution {opts['institution']!r}")
            found = merging.likely_duplicates(institution)
            for dup in found:
                people = ", ".join(f"{p.username} ({p.get_full_name() or '-'}, {p.email or '-'})" for p in dup.people)
                why = f"{dup.reason} {dup.detail}" if dup.detail else dup.reason
                self.stdout.write(f"{why}: {people}")
            self.stdout.write(f"{len(found)} group(s) of likely duplicates")
            return
        source, target = self._user(opts["source"]), self._user(opts["target"])
        by = self._user(opts["by"]) if opts["by"] else None
        try:
            report = merging.merge_people(source, target, by=by, apply=opts["apply"], operator=by is None)
        except RuleViolation as exc:
            raise CommandError(str(exc))
        head = "Merged" if report.applied else "Would merge (dry run; --apply to merge)"
        self.stdout.write(f"{head} {report.source} into {report.target}:")
        for line in report.as_text() or ["nothing to move"]:
            self.stdout.write(f"  {line}")
        for excess in report.excesses:
            self.stdout.write(f"Over a limit: {excess}")
        if report.applied:
            self.stdout.write(f"{report.source} is deactivated; its sign-ins through the LMS or SSO lead to {report.target}.")

    def _user(self, username: str) -> User:
        user = User.objects.filter(username=typed_username(username)).first()
        if user is None:
            raise CommandError(f"no user {username!r}")
        return user

from django.core.management.base import BaseCommand, CommandError

from syllabus.core.errors import RuleViolation

from syllabus.org.models import ApiToken, User, typed_username
from syllabus.org.services import create_api_token, revoke_api_token


class Command(BaseCommand):
    help = "API bearer tokens: `token create USERNAME [--name N] [--days N] [--read-only]`, `token list USERNAME`, `token revoke PREFIX`."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        create = sub.add_parser("create")
        create.add_argument("username")
        create.add_argument("--name", default="")
        create.add_argument("--days", type=int, default=None,
                            help="days the token lives (default API_TOKEN_DAYS; 0: never expires) — AUTH-EXPIRY")
        create.add_argument("--read-only", action="store_true",
                            help="the token opens GET and HEAD operations only — AUTH-SCOPE")
        lst = sub.add_parser("list")
        lst.add_argument("username")
        revoke = sub.add_parser("revoke")
        revoke.add_argument("prefix")

    def handle(self, *args, action, **opts):
        if action == "create":
            try:
                user = User.objects.get(username=typed_username(opts["username"]))
            except User.DoesNotExist:
                raise CommandError(f"no user {opts['username']!r}")
            try:
                token, raw = create_api_token(user, opts.get("name", ""), days=opts.get("days"),
                                               read_only=opts.get("read_only", False))
            except RuleViolation as exc:
                raise CommandError(str(exc)) from None
            self.stdout.write(raw)
            self.stderr.write(f"expires {token.expires_at:%Y-%m-%d %H:%M} UTC" if token.expires_at else "never expires")
        elif action == "list":
            for t in ApiToken.objects.filter(user__username=typed_username(opts["username"])).order_by("created_at"):
                state = "revoked" if t.revoked_at else "expired" if t.expired() else "active"
                ends = f"expires {t.expires_at:%Y-%m-%d}" if t.expires_at else "never expires"
                scope = "  read-only" if t.read_only else ""
                self.stdout.write(f"{t.prefix}…  {state}  created {t.created_at:%Y-%m-%d}  {ends}{scope}  {t.name}")
        else:
            tokens = ApiToken.objects.filter(prefix=opts["prefix"][:12], revoked_at__isnull=True)
            if not tokens:
                raise CommandError("no active token with that prefix")
            for t in tokens:
                revoke_api_token(t)
            self.stdout.write(f"revoked {len(tokens)}")

"""``syllabus lti registration-url | add-platform | add-deployment | set-platform | list-platforms | rotate-key`` (LMS-1)."""
from django.core.management.base import BaseCommand, CommandError

from syllabus.core.errors import RuleViolation
from syllabus.lti import keys, registration, services
from syllabus.lti.models import CourseMatch, Platform, UsernameClaim
from syllabus.org.models import Institution


class Command(BaseCommand):
    help = "Register LMS platforms (LTI 1.3) per institution, list them, add deployment ids, rotate the tool's key."

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        reg = sub.add_parser("registration-url", aliases=["registration_url"],
                             help="a one-time LTI Dynamic Registration link to paste into the LMS")
        reg.add_argument("--institution", required=True, help="institution code")
        reg.add_argument("--expires-hours", type=int, default=registration.DEFAULT_HOURS,
                         help=f"how long the link may be used (1 to {registration.MAX_HOURS}, default {registration.DEFAULT_HOURS})")
        reg.add_argument("--base-url", default="http://127.0.0.1:8000", help="where Syllabus is served")
        add = sub.add_parser("add-platform", aliases=["add_platform"], help="register a platform and print the tool's URLs")
        add.add_argument("--institution", required=True, help="institution code")
        add.add_argument("--issuer", required=True)
        add.add_argument("--client-id", required=True)
        add.add_argument("--deployment-id", action="append", default=[], help="repeat for several deployments")
        add.add_argument("--auth-login-url", required=True)
        add.add_argument("--auth-token-url", required=True)
        add.add_argument("--keyset-url", required=True)
        add.add_argument("--auth-audience", default="")
        add.add_argument("--name", default="")
        add.add_argument("--course-match", default=CourseMatch.LABEL, choices=CourseMatch.values,
                         help="how a launch finds its course: context_id, label (course code), custom (course_code), "
                              "lis_offering / lis_section (the LIS course offering / section sourcedId among the courses' SIS ids)")
        add.add_argument("--username-claim", default=UsernameClaim.SOURCEDID, choices=UsernameClaim.values,
                         help="the launch value that is a person's username: sourcedid (LIS person_sourcedid), "
                              "brightspace_username or brightspace_org_defined_id (D2L's http://www.brightspace.com claim)")
        add.add_argument("--trust-email-for-staff", action="store_true",
                         help="match people with back-office rights by the LMS's e-mail address too (off: refused, LMS-1)")
        add.add_argument("--base-url", default="http://127.0.0.1:8000", help="where Syllabus is served (for the printed URLs)")
        dep = sub.add_parser("add-deployment", aliases=["add_deployment"], help="add a deployment id to a platform")
        dep.add_argument("--issuer", required=True)
        dep.add_argument("--client-id", required=True)
        dep.add_argument("--deployment-id", required=True)
        trust = sub.add_parser("set-platform", aliases=["set_platform"],
                               help="change a platform's e-mail trust for staff accounts, course match or username claim")
        trust.add_argument("--issuer", required=True)
        trust.add_argument("--client-id", required=True)
        trust.add_argument("--trust-email-for-staff", choices=["on", "off"],
                           help="on: an LMS e-mail address may match a person with back-office rights (LMS-1)")
        trust.add_argument("--verifies-email", choices=["on", "off"],
                           help="off: the LMS lets users change their e-mail address unconfirmed; its addresses match "
                                "nobody (LMS-1, LMS-3)")
        trust.add_argument("--course-match", choices=CourseMatch.values)
        trust.add_argument("--username-claim", choices=UsernameClaim.values)
        lst = sub.add_parser("list-platforms", aliases=["list_platforms"], help="the registered platforms")
        lst.add_argument("--institution", default="", help="institution code (default: all)")
        sub.add_parser("rotate-key", aliases=["rotate_key"], help="new signing key; the old one stays published for a while")

    def handle(self, *args, action, **o):
        action = action.replace("_", "-")
        try:
            getattr(self, "do_" + action.replace("-", "_"))(**o)
        except RuleViolation as exc:
            raise CommandError(str(exc))

    def do_registration_url(self, *, institution, expires_hours, base_url, **_):
        inst = Institution.objects.filter(code=institution).first()
        if inst is None:
            raise CommandError(f"no institution with code {institution!r}")
        link, token = registration.create_link(None, inst, expires_hours)
        keys.signing_key()
        self.stdout.write(registration.link_url(base_url, token))
        self.stderr.write(f"one-time registration link for {inst.code}, valid until {link.expires_at.isoformat()} (LMS-1): "
                          "paste it into the LMS's dynamic registration (it is shown only once)")

    def do_add_platform(self, *, institution, issuer, client_id, deployment_id, auth_login_url, auth_token_url, keyset_url,
                        auth_audience, name, course_match, base_url, trust_email_for_staff=False,
                        username_claim=UsernameClaim.SOURCEDID, **_):
        inst = Institution.objects.filter(code=institution).first()
        if inst is None:
            raise CommandError(f"no institution with code {institution!r}")
        platform = services.register_platform(None, inst, issuer=issuer, client_id=client_id, deployment_ids=deployment_id,
                                              auth_login_url=auth_login_url, auth_token_url=auth_token_url, keyset_url=keyset_url,
                                              course_match=course_match, name=name, auth_audience=auth_audience,
                                              trust_email_for_staff=trust_email_for_staff, username_claim=username_claim)
        keys.signing_key()
        self.stdout.write(f"registered {platform} for {inst.code} (course match: {platform.course_match}; "
                          f"username: {platform.username_claim}; "
                          f"staff matched by e-mail: {'yes' if platform.trust_email_for_staff else 'no'})")
        for label, url in services.tool_urls(base_url).items():
            self.stdout.write(f"  {label.replace('_', ' ')} URL: {url}")

    def do_add_deployment(self, *, issuer, client_id, deployment_id, **_):
        platform = Platform.objects.filter(issuer=issuer, client_id=client_id).first()
        if platform is None:
            raise CommandError(f"no platform with issuer {issuer} and client id {client_id}")
        services.add_deployment(None, platform, deployment_id)
        self.stdout.write(f"{platform}: deployments {', '.join(platform.deployments.values_list('deployment_id', flat=True))}")

    def do_set_platform(self, *, issuer, client_id, trust_email_for_staff=None, course_match=None, username_claim=None,
                        verifies_email=None, **_):
        platform = Platform.objects.filter(issuer=issuer, client_id=client_id).first()
        if platform is None:
            raise CommandError(f"no platform with issuer {issuer} and client id {client_id}")
        if trust_email_for_staff is None and course_match is None and username_claim is None and verifies_email is None:
            raise CommandError("say what to change: --trust-email-for-staff, --verifies-email, --course-match or "
                               "--username-claim")
        if trust_email_for_staff is not None:
            services.set_trust_email_for_staff(None, platform, trust_email_for_staff == "on")
        if verifies_email is not None:
            services.set_verifies_email(None, platform, verifies_email == "on")
        services.set_matching(None, platform, course_match=course_match, username_claim=username_claim)
        self.stdout.write(f"{platform}: e-mail addresses verified: {'yes' if platform.verifies_email else 'no'}; "
                          f"staff matched by e-mail: {'yes' if platform.trust_email_for_staff else 'no'}; "
                          f"course match: {platform.course_match}; username: {platform.username_claim}")

    def do_list_platforms(self, *, institution, **_):
        qs = Platform.objects.select_related("institution").prefetch_related("deployments")
        if institution:
            qs = qs.filter(institution__code=institution)
        rows = list(qs)
        for p in rows:
            deps = ", ".join(d.deployment_id for d in p.deployments.all()) or "—"
            self.stdout.write(f"{p.institution.code}\t{p.issuer}\tclient {p.client_id}\tdeployments {deps}\t"
                              f"match {p.course_match}\tusername {p.username_claim}\tstaff e-mail {'trusted' if p.trust_email_for_staff else 'not trusted'}\t"
                              f"{'active' if p.active else 'inactive'}")
        self.stdout.write(f"{len(rows)} platform(s)")

    def do_rotate_key(self, **_):
        key = keys.rotate()
        self.stdout.write(f"new signing key {key.kid}; retired keys stay published for the overlap period")

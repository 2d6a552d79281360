"""``syllabus sso add-oidc | add-saml | list`` — identity providers per institution (LMS-3)."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from syllabus.core.errors import RuleViolation
from syllabus.org.models import Institution
from syllabus.sso import presets, saml, selectors, services
from syllabus.sso.models import METADATA_MAX_AGE_DEFAULT, REFEDS_MFA, IdentityProvider, Kind


class Command(BaseCommand):
    help = ("Identity providers per institution: `sso add-oidc --institution CODE --name NAME --issuer URL "
            "--client-id ID --client-secret SECRET`, `sso add-saml --institution CODE --name NAME (--metadata URL|FILE | --mdq BASE) [--entity-id IDP --metadata-signing-cert FILE --scope DOMAIN]`, "
            "`sso refresh` (SAML metadata from its URL, OpenID discovery), `sso list`.")

    def add_arguments(self, parser):
        sub = parser.add_subparsers(dest="action", required=True)
        for name in ("add-oidc", "add_oidc", "add-saml", "add_saml"):
            p = sub.add_parser(name)
            p.add_argument("--institution", required=True, help="institution code")
            p.add_argument("--name", required=True, help="label of the sign-in button")
            p.add_argument("--slug", help="short name in URLs (default: from the name)")
            p.add_argument("--existing-only", action="store_true", help="never create people on first sign-in")
            p.add_argument("--trust-email-for-staff", action="store_true",
                           help="with an e-mail username attribute: sign in people with back-office rights too (off: refused, LMS-3)")
            p.add_argument("--group-map", default="", help="VALUE=GROUPCODE,... (first match wins)")
            p.add_argument("--role-map", default="", help="VALUE=ROLE,... (institution-wide roles granted)")
            p.add_argument("--first-name-attribute", default="")
            p.add_argument("--last-name-attribute", default="")
            p.add_argument("--email-attribute", default="")
            kind = "oidc" if "oidc" in name else "saml"
            p.add_argument("--preset", default="", choices=list(presets.PRESETS[kind]),
                           help="the attribute names an identity provider product sends, for the attributes not given "
                                "(docs/sso.md, Attribute presets)")
            p.add_argument("--email-verified", action="store_true",
                           help="the provider's addresses come from the directory, people cannot set them: an address sent "
                                "without email_verified (SAML: always; OIDC: Entra ID) may match people (off: stored for "
                                "letters only; an e-mail username attribute signs nobody in, LMS-3)")
            how = p.add_mutually_exclusive_group()
            how.add_argument("--require-mfa", action="store_true",
                             help="sign-in must be multi-factor: --authn-context https://refeds.org/profile/mfa (REFEDS MFA)")
            how.add_argument("--authn-context", default="",
                             help="sign-in must be made this way: SAML AuthnContextClassRef / OIDC acr (asked for, then checked)")
            if "oidc" in name:
                p.add_argument("--issuer", required=True)
                p.add_argument("--client-id", required=True)
                p.add_argument("--client-secret", default="")
                p.add_argument("--scopes", default="openid email profile")
                p.add_argument("--username-claim", default="", help="default: sub")
                p.add_argument("--group-claim", default="")
                p.add_argument("--role-claim", default="")
                p.add_argument("--allowed-tenant", action="append", default=[], metavar="TENANT_ID",
                               help="Microsoft Entra multi-tenant issuer (…/organizations/v2.0): a directory (tenant) id "
                                    "whose people may sign in; repeat for several (required for such an issuer, LMS-3)")
                p.add_argument("--hosted-domain", action="append", default=[], metavar="DOMAIN",
                               help="Google Workspace: sign in accounts of this domain only (the ID token's hd); repeat "
                                    "for several")
                p.add_argument("--signing-alg", default="", metavar="ALG",
                               help="ID token signing algorithm to accept, and only it (default: any asymmetric one the "
                                    "discovery document lists); HS256/HS384/HS512 only if the client is registered for "
                                    "it: the client secret is then the key")
            else:
                source = p.add_mutually_exclusive_group(required=True)
                source.add_argument("--metadata",
                                    help="the IdP's metadata, or a federation's aggregate (with --entity-id): a URL or a file")
                source.add_argument("--mdq", metavar="BASE",
                                    help="a Metadata Query (MDQ) service, e.g. https://mdq.incommon.org: reads "
                                         "BASE/entities/{entity ID}, signed (needs --entity-id and --metadata-signing-cert)")
                p.add_argument("--entity-id", default="", help="the IdP to take out of an aggregate (its entityID)")
                p.add_argument("--metadata-signing-cert", default="", metavar="FILE",
                               help="PEM certificate the metadata must be signed with (the federation's): checked now "
                                    "and at every refresh")
                p.add_argument("--scope", action="append", default=[], metavar="DOMAIN",
                               help="a scope the IdP may assert besides its metadata's shibmd:Scope (repeatable; for an "
                                    "IdP whose metadata declares none: Entra ID, Okta, Keycloak)")
                p.add_argument("--max-age", default=str(METADATA_MAX_AGE_DEFAULT), metavar="DAYS",
                               help="days the metadata read from a URL is trusted after its last read (sign-in refused "
                                    f"past it until it is read again), 1..365, or off (default {METADATA_MAX_AGE_DEFAULT}); with "
                                    "--metadata-signing-cert the metadata must also carry a validUntil (LMS-3)")
                p.add_argument("--no-scope-check", action="store_true",
                               help="do not check scoped attributes against declared scopes (not advised, LMS-3)")
                p.add_argument("--username-attribute", default="", help="default: eduPersonPrincipalName (or NameID)")
                p.add_argument("--group-attribute", default="")
                p.add_argument("--role-attribute", default="")
        ref = sub.add_parser("refresh", help="read SAML IdP metadata again from its URL (key rollover), and OpenID "
                                             "providers' discovery documents, now")
        ref.add_argument("--institution", help="only this institution's")
        lst = sub.add_parser("list")
        lst.add_argument("--institution", help="only this institution's")

    def handle(self, *args, action, **opts):
        action = action.replace("_", "-")
        try:
            if action == "list":
                return self._list(opts.get("institution"))
            if action == "refresh":
                return self._refresh(opts.get("institution"))
            institution = Institution.objects.filter(code=opts["institution"]).first()
            if institution is None:
                raise CommandError(f"no institution {opts['institution']!r}")
            common = dict(name=opts["name"], slug=opts.get("slug"), group_map=opts["group_map"], role_map=opts["role_map"],
                          existing_only=opts["existing_only"], trust_email_for_staff=opts["trust_email_for_staff"],
                          verifies_email=opts["email_verified"],
                          authn_context=REFEDS_MFA if opts["require_mfa"] else opts["authn_context"],
                          preset=opts["preset"], attributes={what: opts[f"{what}_attribute"]
                                                              for what in ("first_name", "last_name", "email")})
            if action == "add-oidc":
                provider = services.add_oidc_provider(
                    institution, issuer=opts["issuer"], client_id=opts["client_id"], client_secret=opts["client_secret"],
                    username_claim=opts["username_claim"], group_claim=opts["group_claim"], role_claim=opts["role_claim"],
                    scopes=opts["scopes"], allowed_tenants=opts["allowed_tenant"],
                    allowed_hosted_domains=opts["hosted_domain"], signing_alg=opts["signing_alg"], **common)
            else:
                cert = ""
                if opts["metadata_signing_cert"]:
                    try:
                        with open(opts["metadata_signing_cert"], encoding="utf-8") as f:
                            cert = saml.check_signing_cert(f.read(100_000))
                    except (OSError, UnicodeDecodeError):
                        raise RuleViolation("LMS-3", f"no certificate file {opts['metadata_signing_cert']}") from None
                source = opts["metadata"]
                if opts["mdq"]:
                    if not cert:   # an MDQ answer crosses the network one entity at a time: only its signature vouches for it
                        raise RuleViolation("LMS-3", "an MDQ service's answers are trusted only signed: give the federation's "
                                                     "metadata signing certificate (--metadata-signing-cert)")
                    source = saml.mdq_url(opts["mdq"], opts["entity_id"])
                xml, url = saml.read_metadata(source, entity_id=opts["entity_id"], signing_cert=cert)
                provider = services.add_saml_provider(
                    institution, metadata_xml=xml, metadata_url=url, metadata_signing_cert=cert, username_attribute=opts["username_attribute"],
                    scopes=opts["scope"], check_scopes=not opts["no_scope_check"],
                    metadata_max_age=services.check_max_age(opts["max_age"]),
                    group_attribute=opts["group_attribute"], role_attribute=opts["role_attribute"], **common)
        except RuleViolation as exc:
            raise CommandError(str(exc))
        self.stdout.write(f"added {provider.get_kind_display()} provider {provider.slug!r} to {institution.code}")
        if provider.kind == Kind.OIDC:
            self.stdout.write("register this redirect URI with the provider:")
            self.stdout.write("  " + _url("sso:oidc-callback", institution=institution.code, slug=provider.slug))
            self.stdout.write("and, if it offers OpenID Connect Back-Channel Logout (Keycloak), this back-channel logout URL:")
            self.stdout.write("  " + _url("sso:oidc-backchannel-logout", institution=institution.code, slug=provider.slug))
            self.stdout.write("or, if it offers Front-Channel Logout (Keycloak, Entra ID), this front-channel logout URL:")
            self.stdout.write("  " + _url("sso:oidc-frontchannel-logout", institution=institution.code, slug=provider.slug))
        else:
            self.stdout.write(f"IdP entity ID: {provider.entity_id}")
            scopes = saml.provider_scopes(provider)
            if not provider.check_scopes:
                self.stdout.write("scoped attributes: not checked (--no-scope-check)")
            elif scopes:
                self.stdout.write("scopes it may assert: " + ", ".join(
                    f"{s.value} (regexp)" if s.regexp else s.value for s in scopes))
            else:
                self.stdout.write("LMS-3: its metadata declares no scope (shibmd:Scope): a scoped username such as "
                                  "user@uni.example is refused until you declare its scopes (--scope, or the admin)")
            self.stdout.write("give the IdP this SP metadata URL (entity ID, endpoints, certificate):")
            self.stdout.write("  " + _url("sso:saml-metadata", institution=institution.code))

    def _refresh(self, code: str | None) -> None:
        qs = IdentityProvider.objects.select_related("institution").filter(kind=Kind.SAML).exclude(metadata_url="")
        if code:
            qs = qs.filter(institution__code=code)
        failed = []
        for p in qs.order_by("institution__code", "slug"):
            try:
                changed = services.refresh_saml_metadata(p)
            except RuleViolation as exc:
                failed.append(f"{p.institution.code}/{p.slug}: {exc}")
                continue
            self.stdout.write(f"{p.institution.code}/{p.slug}: {'changed' if changed else 'unchanged'}, next read "
                              f"{p.metadata_refresh_due:%Y-%m-%d %H:%M} UTC")
        oidc_providers = IdentityProvider.objects.select_related("institution").filter(kind=Kind.OIDC, enabled=True)
        if code:
            oidc_providers = oidc_providers.filter(institution__code=code)
        for p in oidc_providers.order_by("institution__code", "slug"):
            try:   # the issuer it names is checked again: a changed one is refused, sign-in stops (LMS-3)
                services.refresh_oidc_metadata(p)
            except RuleViolation as exc:
                failed.append(f"{p.institution.code}/{p.slug}: {exc}")
                continue
            self.stdout.write(f"{p.institution.code}/{p.slug}: discovery document and key set read again, issuer "
                              f"{p.issuer}, next read {p.metadata_refresh_due:%Y-%m-%d %H:%M} UTC")
        if failed:
            raise CommandError("\n".join(failed))

    def _list(self, code: str | None) -> None:
        qs = IdentityProvider.objects.select_related("institution").order_by("institution__code", "order", "name")
        if code:
            qs = qs.filter(institution__code=code)
        rows = list(qs)
        if not rows:
            self.stdout.write("no identity providers")
            return
        for p in rows:
            where = p.issuer if p.kind == Kind.OIDC else p.entity_id
            flags = ", ".join(f for f, on in (("disabled", not p.enabled), ("existing people only", p.existing_only),
                                              ("staff e-mail trusted", p.trust_email_for_staff and p.names_people_by_email),
                                              ("e-mail verified", p.verifies_email),
                                              (f"requires {p.authn_context}", bool(p.authn_context)),
                                              ("scopes unchecked", p.kind == Kind.SAML and not p.check_scopes),
                                              (saml.metadata_state(p) if p.kind == Kind.SAML else "",
                                               p.kind == Kind.SAML and bool(p.metadata_xml)),
                                              (f"tenants {', '.join(p.tenants)}", bool(p.tenants)),
                                              (f"hosted domains {', '.join(p.hosted_domains)}", bool(p.hosted_domains)),
                                              (f"signed with {p.signing_alg} only", bool(p.signing_alg)),
                                              (f"last read failed {p.refresh_failed_at:%Y-%m-%d %H:%M} UTC: "
                                               f"{p.refresh_error[:200]}" if p.refresh_failed_at else "",
                                               bool(p.refresh_error))) if on)
            self.stdout.write(f"{p.institution.code}\t{p.slug}\t{p.kind}\t{p.name}\t{where}" + (f"\t({flags})" if flags else ""))


def _url(name: str, **kwargs) -> str:
    return selectors.absolute_url(None, name, **kwargs)

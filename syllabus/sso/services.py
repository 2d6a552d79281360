"""Changes of state of single sign-on (LMS-3): providers are added and checked, people signed in
by a provider are matched/created through the organisation's one people service, SAML
assertions are recorded once (a second use is a replay), and sign-ins are kept for logout."""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
import re
from urllib.parse import urlsplit

from django.db import IntegrityError, transaction
from django.db.models.functions import Coalesce
from django.utils.text import slugify

from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.org.models import Institution, User, UserGroup, typed_username
from syllabus.org.roles import Role
from syllabus.org.services import PersonDetails, has_back_office_rights, provision_person

from .models import (MAP_MAX_ENTRIES, METADATA_MAX_AGE_DEFAULT, METADATA_MAX_AGE_MAX, IdentityProvider, Kind, LinkedAccount,
                     ServiceProvider, SignIn, UsedAssertion)
from .oidc import says_true

logger = logging.getLogger(__name__)
RULE = "LMS-3"
ATTRIBUTE_VALUE_MAX = 1000   # characters of one attribute value we read
ATTRIBUTE_VALUES_MAX = 200   # values of one multi-valued attribute we look at


# --- value maps ("student=undergraduate,faculty=faculty") -------------------------------------

def parse_value_map(text: str | dict | None, *, what: str) -> dict[str, str]:
    """``"student=undergraduate, faculty=faculty"`` → ``{"student": "undergraduate", ...}`` (order kept)."""
    if not text:
        return {}
    if isinstance(text, dict):
        pairs = list(text.items())
    else:
        pairs = []
        for part in str(text).split(","):
            if not part.strip():
                continue
            if "=" not in part:
                raise RuleViolation(RULE, f"{what} map entry {part.strip()!r} is not VALUE=CODE")
            value, code = part.rsplit("=", 1)
            pairs.append((value.strip(), code.strip()))
    if len(pairs) > MAP_MAX_ENTRIES:
        raise RuleViolation(RULE, f"a {what} map has at most {MAP_MAX_ENTRIES} entries")
    out: dict[str, str] = {}
    for value, code in pairs:
        if not str(value).strip() or not str(code).strip():
            raise RuleViolation(RULE, f"{what} map entry {value!r}={code!r} has an empty side")
        out[str(value).strip()] = str(code).strip()
    return out


def check_maps(institution: Institution, group_map: dict, role_map: dict) -> None:
    known = set(UserGroup.objects.filter(institution=institution).values_list("code", flat=True))
    unknown = [code for code in group_map.values() if code not in known]
    if unknown:
        raise RuleViolation(RULE, f"no user group {', '.join(sorted(set(unknown)))} at {institution.code} "
                                  f"(known: {', '.join(sorted(known)) or 'none'})")
    bad_roles = [r for r in role_map.values() if r not in Role.values]
    if bad_roles:
        raise RuleViolation(RULE, f"unknown role {', '.join(sorted(set(bad_roles)))} (roles: {', '.join(Role.values)})")


def _free_slug(institution: Institution, name: str, slug: str | None) -> str:
    base = slugify(slug or name)[:40] or "idp"
    if slug:
        if IdentityProvider.objects.filter(institution=institution, slug=base).exists():
            raise RuleViolation(RULE, f"{institution.code} already has a provider {base!r}")
        return base
    candidate, n = base, 1
    while IdentityProvider.objects.filter(institution=institution, slug=candidate).exists():
        n += 1
        candidate = f"{base[:36]}-{n}"
    return candidate


def _common(institution, name, *, slug, group_attribute, group_map, role_attribute, role_map, authn_context="") -> dict:
    authn_context = (authn_context or "").strip()
    if len(authn_context) > 200 or any(c.isspace() for c in authn_context):
        raise RuleViolation(RULE, "the required authentication context is one URI or name (at most 200 characters, no "
                                  "spaces), e.g. https://refeds.org/profile/mfa")
    if not (name or "").strip():
        raise RuleViolation(RULE, "a provider needs a name (the label of its sign-in button)")
    if len(name) > 100:
        raise RuleViolation(RULE, "a provider's name has at most 100 characters")
    group_map = parse_value_map(group_map, what="group")
    role_map = parse_value_map(role_map, what="role")
    if group_map and not group_attribute:
        raise RuleViolation(RULE, "a group map needs the claim or attribute it reads (--group-claim / --group-attribute)")
    if role_map and not role_attribute:
        raise RuleViolation(RULE, "a role map needs the claim or attribute it reads")
    check_maps(institution, group_map, role_map)
    return {"institution": institution, "name": name.strip(), "slug": _free_slug(institution, name, slug),
            "group_attribute": group_attribute or "", "group_map": group_map,
            "role_attribute": role_attribute or "", "role_map": role_map, "authn_context": authn_context}


def _mapping(kind: str, preset: str, attributes: dict[str, str] | None, *, username: str, group: str,
             role: str) -> dict[str, str]:
    """The attribute fields of a new provider: those given, and a preset's names for the others."""
    from . import presets

    given = {"username_attribute": username or "", "group_attribute": group or "", "role_attribute": role or "",
             **{f"{what}_attribute": (attributes or {}).get(what) or "" for what in ("first_name", "last_name", "email")}}
    filled = presets.fill(kind, preset, given)
    too_long = [k for k, v in filled.items() if len(v) > 200]
    if too_long:
        raise RuleViolation(RULE, f"an attribute name has at most 200 characters ({too_long[0]})")
    return filled


MAX_TENANTS = 50          # allowed Entra tenants of one provider
MAX_HOSTED_DOMAINS = 20   # allowed Google Workspace domains of one provider
HMAC_SECRET_MIN = 32      # characters of a client secret used as an HMAC key (RFC 7518 §3.2: as long as the hash)
_DOMAIN = re.compile(r"(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}")


def clean_oidc_options(*, issuer: str, allowed_tenants, allowed_hosted_domains, signing_alg: str,
                       client_secret: str) -> dict:
    """The OpenID Connect settings beyond issuer and client, normalised, or refused naming LMS-3:
    tenant ids (GUIDs) — required by an issuer at Entra's multi-tenant endpoints (``common``,
    ``organizations``), whose discovery document would otherwise let any tenant in; hosted domains;
    and an HMAC signing algorithm only with a client secret long enough to be its key."""
    from . import oidc
    from .models import HMAC_ALGS, SIGNING_ALG_CHOICES, split_list

    tenants = split_list(allowed_tenants if isinstance(allowed_tenants, str) else "\n".join(allowed_tenants or []))
    bad = [t for t in tenants if not oidc.TENANT_ID.fullmatch(t)]
    if bad:
        raise RuleViolation(RULE, f"{bad[0][:60]!r} is not a Microsoft Entra tenant id (a directory id such as "
                                  "72f988bf-86f1-41af-91ab-2d7cd011db47)")
    if len(tenants) > MAX_TENANTS:
        raise RuleViolation(RULE, f"at most {MAX_TENANTS} allowed tenants per provider")
    path = urlsplit(issuer).path.strip("/").split("/")
    if (path and path[0].lower() in oidc.CONSUMERS_SEGMENTS) or oidc.CONSUMERS_TENANT in tenants:
        raise RuleViolation(RULE, f"the Microsoft Entra tenant 'consumers' ({oidc.CONSUMERS_TENANT}) is personal Microsoft "
                                  "accounts (outlook.com, hotmail.com, live.com), which anybody can open: Syllabus does "
                                  "not sign them in; use the university's tenant id (a personal account a person must use "
                                  "is invited as a guest of that tenant)")
    if path and path[0].lower() in oidc.MULTI_TENANT_SEGMENTS and not tenants:
        raise RuleViolation(RULE, f"{issuer} is a multi-tenant issuer (any Microsoft Entra tenant signs in there): list the "
                                  "tenant ids allowed to sign in (--allowed-tenant, the admin's Allowed tenants)")
    domains = split_list(allowed_hosted_domains if isinstance(allowed_hosted_domains, str)
                         else "\n".join(allowed_hosted_domains or []))
    bad = [d for d in domains if not _DOMAIN.fullmatch(d)]
    if bad:
        raise RuleViolation(RULE, f"{bad[0][:60]!r} is not a domain name (a Google Workspace hosted domain such as riverside.edu)")
    if len(domains) > MAX_HOSTED_DOMAINS:
        raise RuleViolation(RULE, f"at most {MAX_HOSTED_DOMAINS} allowed hosted domains per provider")
    signing_alg = (signing_alg or "").strip()
    if signing_alg and signing_alg not in dict(SIGNING_ALG_CHOICES):
        raise RuleViolation(RULE, f"unknown ID token signing algorithm {signing_alg[:20]!r} (one of: "
                                  f"{', '.join(dict(SIGNING_ALG_CHOICES))})")
    if signing_alg in HMAC_ALGS and len(client_secret or "") < HMAC_SECRET_MIN:
        raise RuleViolation(RULE, f"{signing_alg} uses the client secret as its key: it needs a client secret of at least "
                                  f"{HMAC_SECRET_MIN} characters")
    values = {"allowed_tenants": "\n".join(tenants), "allowed_hosted_domains": ", ".join(domains), "signing_alg": signing_alg}
    if len(values["allowed_tenants"]) > 2000 or len(values["allowed_hosted_domains"]) > 500:
        raise RuleViolation(RULE, "too many allowed tenants or hosted domains")
    return values


def check_discovery(provider: IdentityProvider) -> dict:
    """Read the provider's discovery document now (not from the cache) and check the settings
    against it: the issuer it names (refused when another: :func:`oidc.discovery`), allowed tenants
    only for a multi-tenant issuer, a chosen signing algorithm that it lists (LMS-3)."""
    from . import oidc

    meta = oidc.discovery(provider, fresh=True)
    if provider.tenants and not oidc.is_multi_tenant(meta):
        raise RuleViolation(RULE, f"allowed tenants are for a multi-tenant issuer, and {provider.issuer} names one issuer "
                                  f"({str(meta.get('issuer'))[:200]}): leave them empty")
    listed = meta.get("id_token_signing_alg_values_supported") or ["RS256"]
    if provider.signing_alg and provider.signing_alg not in listed:
        raise RuleViolation(RULE, f"{provider.issuer} does not list {provider.signing_alg} among its ID token signing "
                                  f"algorithms ({', '.join(str(a) for a in listed)[:200]})")
    return meta


def add_oidc_provider(institution: Institution, *, name: str, issuer: str, client_id: str, client_secret: str = "",
                      slug: str | None = None, username_claim: str = "", group_claim: str = "", group_map=None,
                      role_claim: str = "", role_map=None, existing_only: bool = False, scopes: str = "",
                      check: bool = True, actor=None, trust_email_for_staff: bool = False,
                      verifies_email: bool = False, authn_context: str = "", allowed_tenants=(),
                      allowed_hosted_domains=(), signing_alg: str = "", preset: str = "",
                      attributes: dict[str, str] | None = None) -> IdentityProvider:
    """Add an OpenID Connect provider; with ``check`` its discovery document is read now, so
    that a wrong issuer is refused here rather than at the first sign-in.  ``verifies_email``:
    an address sent without ``email_verified`` is trusted (off: stored for letters only).
    ``allowed_tenants``: Entra tenant ids (required for a multi-tenant issuer);
    ``allowed_hosted_domains``: Google Workspace ``hd`` values; ``signing_alg``: see
    :func:`oidc.check_alg`; ``preset``: the claim names of an identity provider product
    (:mod:`presets`) for the attributes not given (``attributes``: first/last name, e-mail)."""
    issuer = (issuer or "").strip().rstrip("/")
    if not issuer.startswith(("https://", "http://")):
        raise RuleViolation(RULE, "the issuer is an http(s) URL")
    if not client_id:
        raise RuleViolation(RULE, "an OpenID Connect provider needs the client id it registered Syllabus under")
    options = clean_oidc_options(issuer=issuer, allowed_tenants=allowed_tenants,
                                 allowed_hosted_domains=allowed_hosted_domains, signing_alg=signing_alg,
                                 client_secret=client_secret)
    mapping = _mapping(Kind.OIDC, preset, attributes, username=username_claim, group=group_claim, role=role_claim)
    values = _common(institution, name, slug=slug, group_attribute=mapping.pop("group_attribute"), group_map=group_map,
                     role_attribute=mapping.pop("role_attribute"), role_map=role_map, authn_context=authn_context)
    provider = IdentityProvider(kind=Kind.OIDC, issuer=issuer, client_id=client_id, client_secret=client_secret or "",
                                **mapping, existing_only=existing_only,
                                trust_email_for_staff=bool(trust_email_for_staff), verifies_email=bool(verifies_email),
                                scopes=scopes or "openid email profile", **options, **values)
    if check:
        check_discovery(provider)
    with transaction.atomic():
        provider.save()
        audit.created(actor, provider)
    return provider


SCOPE_NAME = re.compile(r"[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,62}[a-z0-9])?)+")


def parse_scopes(text: str | list | None) -> str:
    """``"uni.example, med.uni.example"`` as stored (lower case, comma-separated): DNS names only,
    at most 20 (LMS-3)."""
    parts = text if isinstance(text, (list, tuple)) else str(text or "").split(",")
    scopes = list(dict.fromkeys(p.strip().lower() for p in parts if p and p.strip()))
    if len(scopes) > 20:
        raise RuleViolation(RULE, "at most 20 scopes are declared on a provider")
    bad = [s for s in scopes if len(s) > 253 or not SCOPE_NAME.fullmatch(s)]
    if bad:
        raise RuleViolation(RULE, f"a scope is a DNS domain such as uni.example, not {bad[0][:100]!r}")
    text = ",".join(scopes)
    if len(text) > 500:
        raise RuleViolation(RULE, "the scopes declared on a provider take at most 500 characters")
    return text


def record_refusal(provider: IdentityProvider, message: str) -> None:
    """A refused sign-in that concerns the provider's trust (an IdP speaking outside its scope) is
    kept in the audit trail of the provider; nothing else is written."""
    audit.event(None, provider, "sign-in refused", note=message[:1000])


def add_saml_provider(institution: Institution, *, name: str, metadata_xml: str, metadata_url: str = "",
                      slug: str | None = None, username_attribute: str = "", group_attribute: str = "", group_map=None,
                      role_attribute: str = "", role_map=None, existing_only: bool = False, actor=None,
                      trust_email_for_staff: bool = False, verifies_email: bool = False,
                      authn_context: str = "", metadata_signing_cert: str = "", scopes: str = "",
                      check_scopes: bool = True, preset: str = "",
                      attributes: dict[str, str] | None = None,
                      metadata_max_age: int | None = METADATA_MAX_AGE_DEFAULT) -> IdentityProvider:
    """``metadata_xml``: the IdP's EntityDescriptor, as :func:`saml.read_metadata` takes it out of
    an aggregate (after checking its signature with ``metadata_signing_cert``, kept for refreshes).
    ``scopes``: scopes the IdP may assert besides its metadata's ``shibmd:Scope``; ``preset``,
    ``attributes``: as :func:`add_oidc_provider`; ``metadata_max_age``: days the metadata read from
    ``metadata_url`` is trusted after its last read (None: off)."""
    from . import saml

    mapping = _mapping(Kind.SAML, preset, attributes, username=username_attribute, group=group_attribute,
                       role=role_attribute)
    values = _common(institution, name, slug=slug, group_attribute=mapping.pop("group_attribute"), group_map=group_map,
                     role_attribute=mapping.pop("role_attribute"), role_map=role_map, authn_context=authn_context)
    values["extra_scopes"] = parse_scopes(scopes)
    values["check_scopes"] = bool(check_scopes)
    metadata_signing_cert = saml.check_signing_cert(metadata_signing_cert)
    metadata_max_age = check_max_age(metadata_max_age)
    entity_id = saml.idp_entity_id(metadata_xml)
    saml.check_signed_validity(metadata_xml, signing_cert=metadata_signing_cert, max_age_days=metadata_max_age,
                               where=f"the metadata of {entity_id}")
    now = clock.now()
    fetched = ({"metadata_fetched_at": now, "metadata_refresh_due": saml.next_refresh(metadata_xml, now, metadata_max_age)}
               if metadata_url else {})
    with transaction.atomic():
        service_provider(institution)
        provider = IdentityProvider.objects.create(
            kind=Kind.SAML, metadata_xml=metadata_xml, metadata_url=metadata_url or "", entity_id=entity_id, **fetched,
            metadata_signing_cert=metadata_signing_cert, metadata_max_age=metadata_max_age, **mapping,
            existing_only=existing_only,
            trust_email_for_staff=bool(trust_email_for_staff), verifies_email=bool(verifies_email), **values)
        audit.created(actor, provider)
    return provider


def check_max_age(days) -> int | None:
    """A provider's maximum metadata age in days (1..365), or None for off; refused naming LMS-3."""
    if days is None or days == "" or str(days).strip().lower() == "off":
        return None
    try:
        value = int(str(days).strip())
    except ValueError:
        raise RuleViolation(RULE, f"the maximum metadata age is a number of days (1 to {METADATA_MAX_AGE_MAX}) or off, "
                                  f"not {str(days)[:20]!r}") from None
    if not 1 <= value <= METADATA_MAX_AGE_MAX:
        raise RuleViolation(RULE, f"the maximum metadata age is between 1 and {METADATA_MAX_AGE_MAX} days (or off), "
                                  f"not {value}")
    return value


def refresh_saml_metadata(provider: IdentityProvider, now=None, actor=None) -> bool:
    """Read a SAML provider's metadata again from its URL (an IdP's key rollover, a new validUntil),
    and keep it when it still describes the same IdP and is current; returns whether it changed.
    A failed read keeps the copy held (until its own validUntil, after which sign-in through it is
    refused, :func:`saml.check_metadata_current`) and is tried again in REFRESH_RETRY (LMS-3)."""
    from . import saml

    now = now or clock.now()
    if provider.kind != Kind.SAML or not provider.metadata_url:
        raise RuleViolation(RULE, f"{provider.name} has no metadata URL to read again (its metadata was pasted or read "
                                  "from a file: load the new one in the admin)")
    try:
        # the same IdP taken out of the document (an aggregate's other IdPs are not ours), after its
        # signature is checked when a signing certificate is configured
        xml, _url = saml.read_metadata(provider.metadata_url, entity_id=provider.entity_id,
                                       signing_cert=provider.metadata_signing_cert)
        entity_id = saml.idp_entity_id(xml)
        if entity_id != provider.entity_id:
            raise RuleViolation(RULE, f"the metadata at {provider.metadata_url} now describes {entity_id[:200]!r}, not "
                                      f"{provider.entity_id!r}: kept the metadata held; add the other IdP as a provider of its own")
        saml.check_signed_validity(xml, signing_cert=provider.metadata_signing_cert,
                                   max_age_days=provider.metadata_max_age, where=f"the metadata at {provider.metadata_url}")
    except RuleViolation as exc:
        record_refresh_failure(provider, now, exc, retry=saml.REFRESH_RETRY)
        raise
    changed = xml != provider.metadata_xml
    adopted = _default_age_allowed(provider, xml)
    max_age = METADATA_MAX_AGE_DEFAULT if adopted else provider.metadata_max_age
    with transaction.atomic():
        IdentityProvider.objects.filter(pk=provider.pk).update(
            metadata_xml=xml, metadata_fetched_at=now,
            metadata_refresh_due=saml.next_refresh(xml, now, max_age),
            refresh_error="", refresh_failed_at=None,
            **({"metadata_max_age": max_age, "metadata_max_age_chosen": True} if adopted else {}))
        if adopted:
            audit.changed(actor, provider, {"metadata_max_age": [None, max_age]},
                          note="the default maximum metadata age, taken at a good read of its metadata (the provider was "
                               "added before session 22 and its age left off by the upgrade; LMS-3)")
        if changed:   # the trail names the versions (SHA-256), not megabytes of XML twice
            import hashlib

            digests = [hashlib.sha256(v.encode()).hexdigest()[:16] for v in (provider.metadata_xml, xml)]
            audit.changed(actor, provider, {"metadata_xml": digests}, note="SAML metadata read again from its URL")
    provider.refresh_from_db()
    return changed


def _default_age_allowed(provider: IdentityProvider, xml: str) -> bool:
    """Does a provider added before session 22 (its maximum metadata age left off by the upgrade and
    never chosen since) take the default age with this metadata, just read well from its URL?  Not
    when the metadata would be refused under it (signed without a validUntil, or one too far ahead):
    that provider stays off, and its page says why (:func:`default_age_pending`, LMS-3)."""
    return (not provider.metadata_max_age_chosen and provider.metadata_max_age is None
            and not default_age_pending(provider, xml))


def default_age_pending(provider: IdentityProvider, xml: str | None = None) -> str:
    """Why a provider whose maximum metadata age was left off by the upgrade is still off: "" when it
    is not one (or the metadata allows the default, taken at its next good read); else the refusal
    the default age would give its metadata (LMS-3)."""
    from . import saml

    if provider.metadata_max_age_chosen or provider.metadata_max_age is not None or provider.kind != Kind.SAML:
        return ""
    try:
        saml.check_signed_validity(provider.metadata_xml if xml is None else xml, signing_cert=provider.metadata_signing_cert,
                                   max_age_days=METADATA_MAX_AGE_DEFAULT, where="its metadata")
    except RuleViolation as exc:
        return exc.detail
    return ""


def due_for_refresh(kind: str, now, limit: int | None = None):
    """The enabled providers of ``kind`` whose metadata is due at ``now``, the longest overdue first
    (never read yet before all), at most ``limit`` (the tick's budget: SSO_REFRESH_PER_TICK)."""
    from django.db.models import F, Q

    rows = IdentityProvider.objects.filter(kind=kind, enabled=True).filter(
        Q(metadata_refresh_due__isnull=True) | Q(metadata_refresh_due__lte=now))
    if kind == Kind.SAML:
        rows = rows.exclude(metadata_url="")
    rows = rows.select_related("institution").order_by(F("metadata_refresh_due").asc(nulls_first=True), "pk")
    return list(rows[:limit] if limit is not None else rows)


def refresh_budget() -> int:
    """How many providers of each kind one tick reads at most (LMS-3): each read is bounded by the
    outbound deadline, so the tick is too — the others are read at the next ticks, the longest overdue
    first."""
    from django.conf import settings

    return min(max(int(getattr(settings, "SSO_REFRESH_PER_TICK", 20)), 1), 1000)


def refresh_due_metadata(now, budget: int | None = None) -> int:
    """The tick: read again the SAML providers' metadata whose time has come (cacheDuration, else
    every four hours), at most ``budget`` of them (SSO_REFRESH_PER_TICK); one failure does not stop
    the others.  Returns how many were read (changed or not)."""
    read = 0
    for provider in due_for_refresh(Kind.SAML, now, refresh_budget() if budget is None else budget):
        read += 1
        try:
            refresh_saml_metadata(provider, now)
        except RuleViolation:
            pass   # recorded on the provider and logged
    return read


def record_refresh_failure(provider: IdentityProvider, now, exc: RuleViolation, *, retry: int) -> None:
    """A read of the provider's metadata (SAML) or discovery document and key set (OpenID Connect)
    failed: say why on the provider (the admin, ``sso list``), try again in ``retry`` seconds; sign-in
    goes on with the copy held (LMS-3)."""
    IdentityProvider.objects.filter(pk=provider.pk).update(
        metadata_refresh_due=now + dt.timedelta(seconds=retry), refresh_error=str(exc)[:1000], refresh_failed_at=now)
    logger.warning("SSO %s: not read again: %s", provider, exc)


def refresh_oidc_metadata(provider: IdentityProvider, now=None) -> dict:
    """Read an OpenID provider's discovery document and key set again and keep them as the copy held
    (the issuer it names is checked again: a changed one drops the copy and stops sign-in); the next
    read is due in an hour. A failure is recorded on the provider and tried again in 15 minutes;
    sign-in goes on with the copy held (LMS-3)."""
    from . import oidc

    now = now or clock.now()
    if provider.kind != Kind.OIDC:
        raise RuleViolation(RULE, f"{provider.name} is not an OpenID Connect provider")
    try:
        meta = oidc.refresh(provider)
    except RuleViolation as exc:
        record_refresh_failure(provider, now, exc, retry=oidc.REFRESH_RETRY)
        raise
    IdentityProvider.objects.filter(pk=provider.pk).update(
        metadata_fetched_at=now, metadata_refresh_due=now + dt.timedelta(seconds=oidc.METADATA_TTL),
        refresh_error="", refresh_failed_at=None)
    provider.refresh_from_db()
    return meta


def refresh_due_oidc(now, budget: int | None = None) -> int:
    """The tick: read again the discovery document and key set of every enabled OpenID provider whose
    time has come (every hour; 15 minutes after a failure), at most ``budget`` of them
    (SSO_REFRESH_PER_TICK); one failure does not stop the others.  Returns how many were read well."""
    read = 0
    for provider in due_for_refresh(Kind.OIDC, now, refresh_budget() if budget is None else budget):
        try:
            refresh_oidc_metadata(provider, now)
            read += 1
        except RuleViolation:
            pass   # recorded on the provider and logged
    return read


def service_provider(institution: Institution) -> ServiceProvider:
    """The institution's SAML service provider, its key pair made on first use."""
    sp = ServiceProvider.objects.filter(institution=institution).first()
    if sp is not None:
        return sp
    key_pem, cert_pem = _self_signed_pair(f"Syllabus {institution.code}")
    with transaction.atomic():
        sp, created = ServiceProvider.objects.get_or_create(
            institution=institution, defaults={"private_key_pem": key_pem, "certificate_pem": cert_pem})
        if created:
            audit.created(None, sp, note="SAML key pair made")
    return sp


def _self_signed_pair(common_name: str) -> tuple[str, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from cryptography.x509.oid import NameOID

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name[:64])])
    now = clock.now()
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1)).not_valid_after(now + dt.timedelta(days=3650))
            .sign(key, hashes.SHA256()))
    key_pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    return key_pem, cert.public_bytes(serialization.Encoding.PEM).decode()


# --- attribute mapping ----------------------------------------------------------------------

def _values(attributes: dict, name: str) -> list[str]:
    if not name:
        return []
    raw = attributes.get(name)
    if raw is None:
        # SAML attributes arrive under their friendly name or their OID/URN name; claims are exact
        lowered = name.lower()
        raw = next((v for k, v in attributes.items() if k.lower() == lowered), None)
    if raw is None:
        return []
    if not isinstance(raw, (list, tuple)):
        raw = [raw]
    return [str(v)[:ATTRIBUTE_VALUE_MAX] for v in raw[:ATTRIBUTE_VALUES_MAX] if v is not None and str(v) != ""]


def _first(attributes: dict, name: str) -> str | None:
    values = _values(attributes, name)
    return values[0].strip() if values else None


def _map_values(values: list[str], value_map: dict[str, str]) -> list[str]:
    """Codes whose VALUE matches, in the map's order; ``student@uni.edu`` also matches ``student``."""
    seen = {v.strip().lower() for v in values} | {v.strip().lower().split("@", 1)[0] for v in values}
    return [code for value, code in value_map.items() if value.strip().lower() in seen]


def map_person(provider: IdentityProvider, attributes: dict) -> PersonDetails:
    groups = _map_values(_values(attributes, provider.group_attribute), provider.group_map or {})
    roles = _map_values(_values(attributes, provider.role_attribute), provider.role_map or {})
    return PersonDetails(
        username=_first(attributes, provider.attribute("username")) or "",
        first_name=_first(attributes, provider.attribute("first_name")),
        last_name=_first(attributes, provider.attribute("last_name")),
        email=_first(attributes, provider.attribute("email")),
        user_group=groups[0] if groups else None,
        roles=tuple(dict.fromkeys(roles)),
    )


def sign_in_person(provider: IdentityProvider, attributes: dict, *, subject: str, assertion_id: str = "",
                   assertion_keep_until=None) -> User:
    """Map what the provider said and match/create/update the person, in one transaction with
    the record of the SAML assertion: a replay, an unknown person under "existing people only",
    an inactive or expired person are refused and leave nothing written."""
    if not provider.enabled:
        raise RuleViolation(RULE, f"the identity provider {provider.name!r} is disabled")
    details = map_person(provider, attributes)
    if not details.username:
        from .presets import hint

        raise RuleViolation(RULE, f"{provider.name} sent no {provider.attribute('username')!r}, the attribute that names the "
                                  f"person{hint(provider.kind, attributes)}")
    vouched = False
    if email_unverified(provider, attributes):
        details = _without_unverified_email(provider, details)
    elif not email_vouched(provider, attributes):
        details = _email_unvouched(provider, details)
    else:
        vouched = bool(details.email)
    check_email_trust(provider, details.username)
    subject_name = User.normalize_username(details.username.strip())[:255]
    previous = _first(attributes, provider.previous_username_attribute) if provider.previous_username_attribute else None
    with transaction.atomic():
        if assertion_id:
            record_assertion(provider, assertion_id, assertion_keep_until)
        account, linked_by = (rekeyed(provider, subject_name, previous) if previous else (None, ""))
        if account is None:
            account, linked_by = account_for(provider, details, subject_name, vouched=vouched)
        found = dataclasses.replace(details, username=account.username) if account is not None else details
        user, _created = provision_person(provider.institution, found, create=not provider.existing_only,
                                          source=f"sso:{provider.slug}")
        if linked_by:
            LinkedAccount.objects.create(provider=provider, subject=subject_name, user=user, linked_by=linked_by)
            if linked_by == "email":
                audit.event(None, user, "linked", note=f"signed in through sso:{provider.slug} as {subject_name!r}, "
                                                       f"found by the e-mail address {details.email} (LMS-3)")
    return user


def rekeyed(provider: IdentityProvider, subject: str, previous: str) -> tuple[User | None, str]:
    """A provider whose username attribute changed (Microsoft Entra ID: ``preferred_username`` →
    ``oid``) finds a person it does not know by the new key by the old one, once: the identity it
    linked under the old key is re-keyed on the new one (``(user, "")``); with a single-tenant
    issuer, an account named by the old key that never signed in through it is linked
    (``(user, "rekeyed")``).  Never across tenants by name: a multi-tenant provider's
    ``preferred_username`` is not verified by a guest's tenant, so there only links count.
    ``(None, "")`` when the old key names nobody (LMS-3)."""
    if LinkedAccount.objects.filter(provider=provider, subject=subject).exists():
        return None, ""   # known by the new key already
    old = User.normalize_username(previous.strip())[:255]
    link = LinkedAccount.objects.select_related("user").filter(provider=provider, subject=old).first()
    if link is not None:
        LinkedAccount.objects.filter(pk=link.pk).update(subject=subject, linked_by="rekeyed")
        audit.event(None, link.user, "linked", note=f"sso:{provider.slug} re-keyed from {provider.previous_username_attribute} "
                                                    f"{old!r} to {provider.username_attribute} {subject!r} (LMS-3)")
        return link.user, ""
    if provider.tenants:
        return None, ""
    user = User.objects.filter(username=typed_username(old), institution=provider.institution).first()
    if user is None or LinkedAccount.objects.filter(provider=provider, user=user).exists():
        return None, ""   # nobody, or the account answers another identity of this provider already
    audit.event(None, user, "linked", note=f"signed in through sso:{provider.slug} as {subject!r}, found by its previous "
                                           f"username attribute {provider.previous_username_attribute} {old!r} (LMS-3)")
    return user, "rekeyed"


def account_for(provider: IdentityProvider, details: PersonDetails, subject: str, *,
                vouched: bool) -> tuple[User | None, str]:
    """Which existing account a sign-in lands on, and how to remember it: ``(user, "")`` for an
    identity linked before; ``(None, "username")`` for the person named by the username attribute
    (found or created by :func:`provision_person`); ``(user, "email")`` for the one person of the
    institution whose address — vouched for here (the people file, an LMS, a provider that verifies
    addresses) — is the one this provider vouches for (``vouched``: ``email_verified`` true, or the
    provider's *e-mail addresses are verified* setting): a password account or an LMS one is the same
    person's, one account for all (docs/sso.md *One person, one account*).  Never by an address one
    side does not vouch for; a person with back-office rights only when the provider is trusted for
    staff e-mail addresses; an account already linked to another identity of this provider is refused
    rather than shared (LMS-3)."""
    link = LinkedAccount.objects.select_related("user").filter(provider=provider, subject=subject).first()
    if link is not None:
        return link.user, ""
    if User.objects.filter(username=subject).exists() or not vouched or not details.email:
        return None, "username"
    # an account merged into another (ORG-MERGE) counts as the account it became
    same = list(User.objects.filter(institution=provider.institution, email__iexact=details.email.strip(),
                                    email_verified=True)
                .values_list(Coalesce("merged_into_id", "id"), flat=True).distinct()[:2])
    if len(same) != 1:
        return None, "username"   # nobody, or two people with that address: a new account, matched by nobody's address
    user = User.objects.get(pk=same[0])
    other = LinkedAccount.objects.filter(provider=provider, user=user).first()
    if other is not None:
        raise PermissionDenied(RULE, f"{provider.name} signs you in as {subject!r}, and the account with your e-mail address "
                                     f"({user.username!r}) already signs in through it as {other.subject!r}: one account "
                                     "answers one identity per provider; ask the institution's administrator")
    if not provider.trust_email_for_staff and not user.is_superuser and has_back_office_rights(user):
        raise PermissionDenied(RULE, f"{provider.name} signs you in as {subject!r}, found by your e-mail address, and the "
                                     f"account {user.username!r} with that address has back-office rights: this provider is "
                                     "not trusted to match staff accounts by e-mail (the provider setting \"Trust the "
                                     "provider's e-mail addresses for staff accounts\" is off); sign in with your password, or "
                                     "ask the institution's administrator to link the accounts")
    return user, "email"


VERIFIED_CLAIM = "email"   # OpenID Connect's email_verified speaks of this claim only


def email_unverified(provider: IdentityProvider, attributes: dict) -> bool:
    """OpenID Connect: the provider says the person's ``email`` is not verified — ``email_verified``
    present and anything but true (``false``, ``"false"``, ``0``...).  Absent: the provider did not say
    (Entra ID never does); :func:`email_vouched` then goes by the provider's ``verifies_email``."""
    if provider.kind != Kind.OIDC or "email_verified" not in attributes:
        return False
    return not says_true(attributes["email_verified"])


def email_vouched(provider: IdentityProvider, attributes: dict) -> bool:
    """Whether the address the provider sent may name a person: OpenID Connect's ``email_verified``
    about its ``email`` claim when the provider sends it (true: yes; anything else is refused
    above), else the provider's own setting (``verifies_email``) — for SAML, which has no such flag,
    and for an OpenID provider that leaves the claim out (Microsoft Entra ID)."""
    if (provider.kind == Kind.OIDC and "email_verified" in attributes
            and provider.attribute("email").strip().lower() == VERIFIED_CLAIM):
        return says_true(attributes["email_verified"])
    return provider.verifies_email


def _without_unverified_email(provider: IdentityProvider, details: PersonDetails) -> PersonDetails:
    """An address the provider marks unverified never names a person (it would match whoever holds
    that address here) and is never stored (letters would go to it, and an LMS launch matches people
    by their stored address): refused when the username is that claim, else dropped — the stored
    address stays (LMS-3)."""
    if provider.attribute("username").strip().lower() == VERIFIED_CLAIM:
        raise PermissionDenied(RULE, f"{provider.name} names people by e-mail address ({provider.attribute('username')}) and "
                                     "says this address is not verified (email_verified: false): it does not name anybody "
                                     "here; verify the address at the identity provider, then sign in again")
    if provider.attribute("email").strip().lower() == VERIFIED_CLAIM:
        logger.warning("SSO %s: e-mail address marked unverified (email_verified false); not stored", provider)
        return dataclasses.replace(details, email=None)
    return details


def _email_unvouched(provider: IdentityProvider, details: PersonDetails) -> PersonDetails:
    """An address the provider sent without saying it is verified (SAML never says; an OpenID
    provider may leave ``email_verified`` out), from a provider not marked as verifying addresses
    (``verifies_email``, off for new providers), never names a person — a provider whose username
    attribute is an e-mail address is refused for everybody, as OpenID Connect's ``email_verified:
    false`` is — and the address is stored for letters only, marked unverified, so that no LMS
    launch or typed instructor is matched to this person by it (LMS-3)."""
    if provider.names_people_by_email:
        silent = ("SAML does not say whether an address is verified" if provider.kind == Kind.SAML
                  else "the provider does not say whether this address is verified (no email_verified)")
        raise PermissionDenied(RULE, f"{provider.name} names people by e-mail address ({provider.attribute('username')}), and "
                                     f"{silent}: this provider is not marked as "
                                     "verifying e-mail addresses (the provider setting \"The provider's e-mail addresses are "
                                     "verified\" is off), so it signs nobody in by e-mail; ask the institution's administrator")
    return dataclasses.replace(details, email_verified=False)


def check_email_trust(provider: IdentityProvider, username: str) -> None:
    """A provider whose username attribute is an e-mail address, not trusted for staff accounts,
    never signs in a person with back-office rights (LMS-3; superusers are refused anyway, with
    their own message).  Raised before anything is written."""
    if provider.trust_email_for_staff or not provider.names_people_by_email:
        return
    found = User.objects.filter(username=typed_username(username), institution=provider.institution).first()
    if found is not None and not found.is_superuser and has_back_office_rights(found):
        raise PermissionDenied(RULE, f"{provider.name} names people by e-mail address ({provider.attribute('username')}), and "
                                     f"the account {found.username!r} has back-office rights: this provider is not trusted "
                                     "to sign in staff accounts by e-mail (the provider setting \"Trust the provider's e-mail "
                                     "addresses for staff accounts\" is off); sign in with your password or ask the "
                                     "institution's administrator")


def record_assertion(provider: IdentityProvider, assertion_id: str, keep_until) -> None:
    keep_until = keep_until or clock.now() + dt.timedelta(hours=24)
    try:
        with transaction.atomic():
            UsedAssertion.objects.create(provider=provider, assertion_id=assertion_id[:200], keep_until=keep_until)
    except IntegrityError:
        raise RuleViolation(RULE, "this SAML assertion was already used (a replay)") from None


def record_sign_in(provider: IdentityProvider, user: User, session_key: str, *, subject: str, name_id_xml: str = "",
                   session_index: str = "", id_token: str = "") -> SignIn:
    from .oidc import id_token_sid

    sid = (id_token_sid(id_token) or "") if id_token else ""
    return SignIn.objects.create(provider=provider, user=user, session_key=session_key, subject=subject[:500],
                                 name_id_xml=name_id_xml, session_index=session_index[:200], id_token=id_token,
                                 sid=sid[:255])


def end_sessions(provider: IdentityProvider, subject: str, session_indexes: list[str] | None = None) -> int:
    """A logout request from the IdP: end the Django sessions signed in as ``subject`` there."""
    from importlib import import_module

    from django.conf import settings

    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = SignIn.objects.filter(provider=provider, subject=subject)
    if session_indexes:
        rows = rows.filter(session_index__in=session_indexes)
    ended = 0
    for row in list(rows):
        store(session_key=row.session_key).delete()
        ended += 1
    rows.delete()
    return ended


def end_oidc_sessions(provider: IdentityProvider, *, sub: str | None, sid: str | None,
                      user: User | None = None) -> int:
    """A back- or front-channel logout: end the Django sessions signed in through ``provider`` as
    ``sub`` (or as ``user``) — only the one of ID-token session ``sid`` when the provider names one
    (Back-Channel Logout 1.0 §2.5, Front-Channel Logout 1.0 §2)."""
    from importlib import import_module

    from django.conf import settings
    from django.db.models import Q

    from .oidc import id_token_sid

    store = import_module(settings.SESSION_ENGINE).SessionStore
    rows = SignIn.objects.filter(provider=provider)
    if sub:
        rows = rows.filter(subject=sub)
    if user is not None:
        rows = rows.filter(user=user)
    if sid:   # sign-ins recorded before the sid column (session 19) have it in their ID token only
        rows = rows.filter(Q(sid=sid) | Q(sid=""))
    ended = [row for row in rows if not sid or (row.sid or id_token_sid(row.id_token)) == sid]
    for row in ended:
        store(session_key=row.session_key).delete()
    SignIn.objects.filter(pk__in=[row.pk for row in ended]).delete()
    return len(ended)


def front_channel_logout(provider: IdentityProvider, *, iss: str | None, sid: str | None, signed_in: SignIn | None) -> int:
    """OpenID Connect Front-Channel Logout 1.0: the provider's logout page loaded our URI in a frame.
    With ``iss`` and ``sid`` (the provider requires the session): ``iss`` must be the provider's
    issuer, and the sessions of that ``sid`` end.  Without them: the sessions through this provider
    of the person whose browser this is (``signed_in``, from its session cookie) end — none when
    the browser sent no cookie.  Returns how many ended; refuses a mismatched ``iss`` (LMS-3)."""
    from . import oidc

    if len(iss or "") > 500 or len(sid or "") > 255:
        raise RuleViolation(RULE, "the front-channel logout's iss or sid is too long")
    if sid and not iss:
        raise RuleViolation(RULE, "a front-channel logout naming a session (sid) must name its issuer (iss) too")
    if iss and not oidc.issuer_matches(provider, iss):
        raise RuleViolation(RULE, f"the front-channel logout names the issuer {iss[:200]!r}, not {provider.name}'s "
                                  f"({provider.issuer!r})")
    if sid:
        return end_oidc_sessions(provider, sub=None, sid=sid)
    if signed_in is None or signed_in.provider_id != provider.pk:
        return 0
    return end_oidc_sessions(provider, sub=signed_in.subject, sid=None, user=signed_in.user)


FORGET_PER_TICK = 5000   # rows of each kind one tick forgets at most (a short write; the rest at the next ticks)


def sweep(now) -> int:
    """Forget used assertions past their validity and sign-ins older than 30 days, at most
    FORGET_PER_TICK of each per tick, oldest first, so that no tick holds the write lock long."""
    moved = 0
    for rows in (UsedAssertion.objects.filter(keep_until__lt=now).order_by("keep_until"),
                 SignIn.objects.filter(created_at__lt=now - dt.timedelta(days=30)).order_by("created_at")):
        ids = list(rows.values_list("pk", flat=True)[:FORGET_PER_TICK])
        if ids:
            moved += rows.model.objects.filter(pk__in=ids).delete()[0]
    return moved

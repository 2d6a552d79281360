"""The institution's directory of inter-library loan partners outside the consortium (CON-2): the
systems (Alma, ReShare, Rapido, another ISO 18626 peer) its staff send requests to, each by its
agency id (ISIL) and the address its ISO 18626 messages are posted to.

The address is ``https`` (the messages carry the reader's id and the optional shared secret);
plain ``http`` is accepted only where the operator says so, ``ILL_PARTNERS_ALLOW_HTTP`` (default:
``DEBUG``) — a test or a development machine.  Where the address leads is checked when it is saved
(back office, admin, API: :func:`vet_address`) and again when a message is posted
(:mod:`syllabus.core.outbound`: no private or local address unless the operator lists the host in
``OUTBOUND_PRIVATE_HOSTS``)."""
from __future__ import annotations

from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction

from syllabus.core import audit, clock, encryption
from syllabus.core.errors import NotFound, RuleViolation, refuse_too_long
from syllabus.core.secrets import kept_secret
from syllabus.org.models import User

from .models import IllPartner, check_auth_header

RULE = "CON-2"
LOOKUP_SECONDS = 5.0   # looking the partner's host up when its address is saved
FIELDS = ("agency_id", "name", "endpoint_url", "auth_header", "auth_value")


def http_allowed() -> bool:
    value = getattr(settings, "ILL_PARTNERS_ALLOW_HTTP", None)
    return bool(settings.DEBUG if value is None else value)


def check_endpoint(url: str) -> str:
    """The partner's address, or a CON-2 refusal naming what is wrong with it."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if not parts.hostname or parts.scheme not in ("http", "https"):
        raise RuleViolation(RULE, "endpoint: the partner's ISO 18626 address, https://…", field="endpoint_url")
    if parts.scheme != "https" and not http_allowed():
        raise RuleViolation(RULE, "endpoint: an https address (ISO 18626 messages carry the reader's id and the "
                                  "shared secret; ILL_PARTNERS_ALLOW_HTTP allows http on a test machine)",
                            field="endpoint_url")
    if parts.username or parts.password:
        raise RuleViolation(RULE, "endpoint: no user name or password in the address; use the header and its value",
                            field="endpoint_url")
    return url


def vet_address(url: str) -> None:
    """The checks the outbound client applies when it posts (``core.outbound``), made when the
    address is saved: its host resolved, no private, loopback, link-local or otherwise local address
    unless the platform operator allows the host (``OUTBOUND_PRIVATE_HOSTS``).  A host that cannot be
    looked up now is kept (it is looked up, and vetted, again at every post)."""
    import time

    from syllabus.core import outbound

    try:
        outbound.check_url(url, rule=RULE, field="endpoint_url", deadline=time.monotonic() + LOOKUP_SECONDS)
    except RuleViolation as exc:
        if exc.status in (502, 504):   # no such host (yet), or the lookup is slow: vetted when posted
            return
        raise RuleViolation(RULE, f"endpoint: {exc.detail}", field="endpoint_url") from None


def clean(data: dict) -> dict:
    """The partner's fields trimmed, bounded and checked (CON-2 refusals naming the field)."""
    out = {name: str(data.get(name) or "").strip() for name in FIELDS}
    out["agency_id"] = out["agency_id"].upper()
    refuse_too_long(RULE, IllPartner, **out)
    if not out["agency_id"]:
        raise RuleViolation(RULE, "agency id: the partner's ISO 18626 agency id (ISIL) is required", field="agency_id")
    if not out["name"]:
        raise RuleViolation(RULE, "name: the partner's name is required", field="name")
    out["endpoint_url"] = check_endpoint(out["endpoint_url"])
    vet_address(out["endpoint_url"])
    if out["auth_value"] and not out["auth_header"]:
        raise RuleViolation(RULE, "header: name the header the shared secret goes in (e.g. Authorization)",
                            field="auth_header")
    check_auth_header(out["auth_header"])
    if any(c in out["auth_value"] for c in "\r\n"):
        raise RuleViolation(RULE, "secret: a one-line value (no line break)", field="auth_value")
    return out


def secret_to_save(partner: IllPartner | None, c: dict, *, keep: bool = True) -> str:
    """The shared secret ``partner`` is saved with, its fields ``c`` (cleaned) given: the one typed;
    an empty one keeps the saved secret (``keep``; a cleared header clears it) — but not once the
    address or the header name changes: the secret goes there with the next message and
    authenticates the partner's answers, so it is typed again (:func:`core.secrets.kept_secret`,
    the rule the OpenID providers' admin applies to a changed issuer)."""
    if partner is None or not keep or not c["auth_header"]:
        return c["auth_value"]
    moved = [what for name, what in (("endpoint_url", "the address"), ("auth_header", "the header name"))
             if c[name] != getattr(partner, name)]
    return kept_secret(encryption.saved(partner, "auth_value"), c["auth_value"], moved=moved, rule=RULE, field="auth_value",
                       what="the shared secret")


def partners_of(institution) -> list[IllPartner]:
    return list(IllPartner.objects.filter(institution=institution).order_by("agency_id", "pk"))


def partner_of(actor: User, partner_id: int) -> IllPartner:
    """One partner of the actor's institution, for its staff (404 for another institution's)."""
    from .services import ensure_ill_staff

    ensure_ill_staff(actor, actor.institution)
    partner = IllPartner.objects.filter(pk=partner_id, institution_id=actor.institution_id or 0).first()
    if partner is None:
        raise NotFound(RULE, "no such partner of your library")
    return partner


def save_partner(actor: User, data: dict, partner: IllPartner | None = None, *, keep_secret: bool = True) -> IllPartner:
    """Add a partner to the actor's institution's directory, or change one (an empty secret keeps
    the one it has, unless the header is cleared too, or ``keep_secret`` is false; and not when the
    address or the header name changes: :func:`secret_to_save`)."""
    from syllabus.consortium import iso18626

    from .services import ensure_ill_staff

    ensure_ill_staff(actor, actor.institution)
    c = clean(data)
    c["auth_value"] = secret_to_save(partner, c, keep=keep_secret)
    if iso18626.institution_of(c["agency_id"]) is not None:
        raise RuleViolation(RULE, f"agency id: {c['agency_id']} is a member of the consortium; its requests go to it "
                                  "directly", field="agency_id")
    active = bool(data.get("active", True))
    with transaction.atomic():
        clash = IllPartner.objects.filter(institution=actor.institution, agency_id=c["agency_id"])
        if partner is not None:
            clash = clash.exclude(pk=partner.pk)
        if clash.exists():
            raise RuleViolation(RULE, f"agency id: {c['agency_id']} is already in your directory", field="agency_id",
                                status=409)
        secret = c.pop("auth_value")   # never in the audit trail: only whether it changed
        if partner is None:
            partner = IllPartner(institution=actor.institution, active=active, created_at=clock.now(),
                                 updated_at=clock.now(), **c)
            partner.save()
            audit.created(actor, partner, note=f"CON-2: ILL partner {partner.agency_id}")
        else:
            audit.update(actor, partner, note="CON-2: ILL partner changed", active=active, updated_at=clock.now(), **c)
        if secret != encryption.saved(partner, "auth_value"):   # an unreadable one kept: the same object (SEC-KEY)
            partner.auth_value = secret
            partner.save(update_fields=["auth_value"])
            audit.event(actor, partner, "secret",
                        note=f"CON-2: the shared secret was {'changed' if secret else 'removed'}")
    return partner


def update_partner(actor: User, partner: IllPartner, changes: dict) -> IllPartner:
    """Change the fields in ``changes`` (the API's PATCH); the others keep their values.  The secret
    is kept when ``auth_value`` is not given, and removed when it is given empty."""
    partner = partner_of(actor, partner.pk)
    data = {name: getattr(partner, name) for name in FIELDS if name != "auth_value"}   # the secret: only as given
    data["active"] = partner.active
    data.update({k: v for k, v in changes.items() if k in (*FIELDS, "active")})
    return save_partner(actor, data, partner, keep_secret="auth_value" not in changes)


def deactivate_partner(actor: User, partner: IllPartner) -> IllPartner:
    """The partner is kept (its requests and messages name it) but no longer posted to nor heard."""
    partner = partner_of(actor, partner.pk)
    if partner.active:
        audit.update(actor, partner, note=f"CON-2: ILL partner {partner.agency_id} deactivated", active=False,
                     updated_at=clock.now())
    return partner


def delete_partner(actor: User, partner: IllPartner) -> None:
    partner = partner_of(actor, partner.pk)
    audit.deleted(actor, partner, note=f"CON-2: ILL partner {partner.agency_id} removed")
    partner.delete()


# --- a partner's answers: who is posting (CON-2) -----------------------------------------------------

def partner_posting(request) -> IllPartner | None:
    """The active partner that posted this ISO 18626 ``supplyingAgencyMessage`` to the requester's
    address, authenticated by the header and shared secret configured for it; ``None`` otherwise.

    The message names both agencies: ``requestingAgencyId`` is the member the answer is for (its
    institution code) and ``supplyingAgencyId`` the partner in that institution's directory.  The
    request must carry the partner's header with its secret (compared in constant time); a partner
    without a secret cannot post (nothing would tell it from anyone else).  Only the body's size
    (``Content-Length``, at most ``iso18626.MAX_BYTES``) is trusted before it is read, and it is
    read with the safe parser (no DTD, no entity, no network): validation against the schema comes
    after, so a partner's badly formed message still gets its ERROR confirmation.

    Failed authentications of a partner of the directory are counted per partner and address
    (:mod:`syllabus.org.throttle`, as failed sign-ins are): past ``ILL_PARTNER_MAX_FAILURES`` the
    partner is not heard from that address for a while — even with the right secret — and the
    post is refused with a 429 and ``Retry-After``; a post with the right secret clears the count."""
    import hmac

    from syllabus.org import throttle

    from lxml import etree

    from . import iso18626

    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    if not 0 < length <= iso18626.MAX_BYTES:
        return None
    try:
        root = iso18626.read(request.body, "the message")
    except RuleViolation:
        return None
    if root.tag != f"{{{iso18626.NS}}}ISO18626Message" or len(root) != 1 \
            or etree.QName(root[0]).localname != "supplyingAgencyMessage":
        return None
    header = iso18626.read_header(root[0])
    institution = iso18626.institution_of(header.requesting) if header.requesting else None
    if institution is None or not header.supplying:
        return None
    partner = IllPartner.objects.filter(institution=institution, agency_id=header.supplying.upper()).first()
    if partner is None:
        return None   # no partner to speak for (a member's staff posting with their token, or nobody)
    key = throttle.partner_key(header.requesting, header.supplying, throttle.client_address(request))
    until = throttle.partner_locked_until(key)
    if until is None:
        if partner.active and partner.auth_header and partner.auth_value and hmac.compare_digest(
                request.headers.get(partner.auth_header, "").encode("utf-8"), partner.auth_value.encode("utf-8")):
            throttle.record_partner_success(key)
            return partner
        until = throttle.record_partner_failure(key)
        if until is None:
            return None
    raise RuleViolation(throttle.RULE, f"too many failed authentications of {partner.agency_id} from your address; try "
                                       f"again in {throttle.retry_after(until)} seconds", status=429,
                        headers={"Retry-After": str(throttle.retry_after(until))})


def endpoint_for(ill) -> IllPartner | None:
    """The active partner of the requesting institution that ``ill``'s supplier is."""
    if ill.requesting_institution_id is None or not ill.supplying_agency:
        return None
    return IllPartner.objects.filter(institution_id=ill.requesting_institution_id, agency_id=ill.supplying_agency,
                                     active=True).first()

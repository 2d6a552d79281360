"""LTI Dynamic Registration 1.0 (1EdTech), the tool's side (LMS-1).

An institution's administrator creates a one-time **registration link** (stored as a hash,
expiring, revocable) and pastes it into the LMS.  The LMS opens it with ``openid_configuration``
(and usually ``registration_token``); the tool

1. reads the platform's OpenID configuration through :mod:`syllabus.core.outbound` (SSRF-safe)
   and checks it (§3.4-3.5 of the specification: the issuer's origin is the configuration URL's,
   the required members, the LTI platform configuration and what it supports);
2. shows the administrator what will be registered, and on confirmation
3. POSTs its client registration to the platform's ``registration_endpoint`` (Bearer
   ``registration_token``) — OpenID Connect Dynamic Client Registration with the
   ``https://purl.imsglobal.org/spec/lti-tool-configuration`` member (§3.5.2);
4. from the answer (``client_id``, ``deployment_id``) registers the platform for the link's
   institution through :func:`syllabus.lti.services.register_platform` — the one way a platform is
   registered — or adds the deployment to the same platform of the same institution, and
   consumes the link, in one transaction after the remote call succeeded.

Every refusal is a :class:`RegistrationRefused` (``LMS-1: ...``); nothing is written before the
platform accepted the registration.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
import re
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext_lazy

from syllabus.core import audit, clock, outbound
from syllabus.core.errors import RuleViolation
from syllabus.org.models import Institution
from syllabus.core import jsondata

from . import keys
from .models import Platform, RegistrationLink
from .services import CANVAS_CLOUD_ISSUERS, CUSTOM_PARAMETERS, DEEP_LINKING, NRPS_SCOPE, RESOURCE_LINK, add_deployment, register_platform, tool_urls

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
DEFAULT_HOURS = 24
MAX_HOURS = 7 * 24
CONFIGURATION_MAX = 200_000     # bytes of an OpenID configuration: a few kB in practice
ANSWER_MAX = 200_000            # bytes of the registration endpoint's answer
TIMEOUT = 15
TOOL_NAME = "Syllabus"
# human-readable members sent in every language of the site: the default under their own name,
# the others as ``name#<lang>`` (OpenID Connect Dynamic Client Registration §2.1; LTI Dynamic
# Registration §3.5.2: ``client_name#ja``, a message's ``label#ja``) — the LMS shows its user's
TOOL_TEXTS = {"client_name": gettext_lazy("Syllabus"), "description": gettext_lazy("Course reading lists"),
              "course_label": gettext_lazy("Syllabus"), "deep_linking_label": gettext_lazy("Add from Syllabus")}
# the claims the tool reads at launch (LMS-1): who the person is
CLAIMS = ("iss", "sub", "name", "given_name", "family_name", "email")
# where an instructor adds Syllabus content (deep linking), by the names LMSs use for them
DEEP_LINKING_PLACEMENTS = ("ContentArea", "link_selection", "assignment_selection", "editor_button", "RichTextEditor",
                           "AddContentMenu")
# where a course shows Syllabus (a resource link), by the names LMSs use for it: Canvas's course menu
RESOURCE_LINK_PLACEMENTS = ("course_navigation",)
CANVAS = "https://canvas.instructure.com/lti/"
# Canvas's extensions of the tool configuration (doc/api/registration.md): the personal data a
# launch carries ("public": name and e-mail, which Syllabus matches people by) and a tool id
CANVAS_PRIVACY_LEVEL, CANVAS_TOOL_ID = CANVAS + "privacy_level", CANVAS + "tool_id"
# required members of the platform's OpenID configuration (LTI Dynamic Registration §3.5.1)
REQUIRED = ("issuer", "authorization_endpoint", "registration_endpoint", "jwks_uri", "token_endpoint",
            "token_endpoint_auth_methods_supported", "token_endpoint_auth_signing_alg_values_supported",
            "scopes_supported", "response_types_supported", "subject_types_supported",
            "id_token_signing_alg_values_supported", "claims_supported", PLATFORM_CONFIGURATION)


class RegistrationRefused(RuleViolation):
    """A registration the tool refuses or could not complete (LMS-1)."""

    def __init__(self, detail: str, status: int = 400):
        super().__init__("LMS-1", detail, status=status)


# --- the links ---------------------------------------------------------------------------------

def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_link(actor, institution: Institution, hours: int = DEFAULT_HOURS) -> tuple[RegistrationLink, str]:
    """A new link for ``institution``, valid ``hours`` (1 to 168); returns (link, secret) — the
    secret is shown once, only its hash is kept."""
    try:
        hours = int(hours)
    except (TypeError, ValueError):
        raise RuleViolation("LMS-1", "the link's lifetime is a whole number of hours", field="expires_hours") from None
    if not 1 <= hours <= MAX_HOURS:
        raise RuleViolation("LMS-1", f"a registration link lives 1 to {MAX_HOURS} hours (7 days), not {hours}",
                            field="expires_hours")
    token = secrets.token_urlsafe(32)
    with transaction.atomic():
        link = RegistrationLink.objects.create(institution=institution, token_hash=_hash(token), created_by=actor,
                                               expires_at=clock.now() + dt.timedelta(hours=hours))
        audit.created(actor, link, note=f"LTI registration link, valid {hours} h")
    return link, token


def link_url(base: str, token: str) -> str:
    return f"{base.rstrip('/')}/lti/register/{token}/"


def revoke(actor, link: RegistrationLink) -> RegistrationLink:
    with transaction.atomic():
        if RegistrationLink.objects.filter(pk=link.pk, used_at__isnull=True, revoked_at__isnull=True).update(
                revoked_at=clock.now()) != 1:
            raise RuleViolation("LMS-1", f"this registration link is {link.status}: there is nothing to revoke", status=409)
        audit.event(actor, link, "LTI registration link revoked")
    link.refresh_from_db()
    return link


def open_link(token: str) -> RegistrationLink:
    """The link of this secret, if it may still be used."""
    link = None
    if token and len(token) <= 100:
        link = RegistrationLink.objects.select_related("institution").filter(token_hash=_hash(token)).first()
    if link is None:
        raise RegistrationRefused("this registration link is not one Syllabus issued; create a new one", status=404)
    status = link.status
    if status != "open":
        why = {"used": "was already used (a link registers one platform)", "revoked": "was revoked",
               "expired": "has expired"}[status]
        raise RegistrationRefused(f"this registration link {why}; ask your Syllabus administrator for a new one", status=410)
    return link


# --- the platform's configuration --------------------------------------------------------------

@dataclass
class PlatformConfig:
    url: str
    issuer: str
    authorization_endpoint: str
    token_endpoint: str
    jwks_uri: str
    registration_endpoint: str
    product: str
    version: str
    scopes: list[str]
    claims: list[str]
    messages: dict[str, list[str]] = field(default_factory=dict)   # message type → its placements
    canvas: bool = False          # product_family_code "canvas": Canvas's registration members are sent
    canvas_cloud: bool = False    # Instructure's shared issuer, accepted from another origin (see check_issuer)

    @property
    def deep_linking(self) -> bool:
        return DEEP_LINKING in self.messages


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}".lower()


def _strings(value) -> bool:
    return isinstance(value, list) and all(isinstance(v, str) for v in value)


def _https(url: str, what: str) -> None:
    """An address of the platform is https, but on a host the operator lets through (an intranet
    LMS, OUTBOUND_PRIVATE_HOSTS)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise RegistrationRefused(f"the platform's {what} is not an https URL: {url[:200]!r}")
    allowed = outbound.private_hosts_allowed()
    if parts.scheme == "http" and not ("*" in allowed or parts.hostname.lower() in allowed):
        raise RegistrationRefused(f"the platform's {what} must use https, not {url[:200]!r}")


def _get_json(session: requests.Session, url: str, what: str, bearer: str = "") -> dict:
    headers = {"Accept": "application/json", **({"Authorization": f"Bearer {bearer}"} if bearer else {})}
    try:
        response = session.get(url, headers=headers, timeout=TIMEOUT, stream=True)
        body = outbound.read(response, CONFIGURATION_MAX, rule="LMS-1", what=what)
    except RuleViolation as exc:
        raise RegistrationRefused(f"{what} ({url[:200]}) could not be read: {exc.detail}", status=502) from None
    except requests.RequestException as exc:
        raise RegistrationRefused(f"{what} ({url[:200]}) could not be read: {exc.__class__.__name__}", status=502) from None
    if response.status_code != 200:
        raise RegistrationRefused(f"{what} ({url[:200]}) answered HTTP {response.status_code}", status=502)
    try:
        data = jsondata.loads(body)
    except ValueError:
        raise RegistrationRefused(f"{what} ({url[:200]}) is not JSON", status=502) from None
    if not isinstance(data, dict):
        raise RegistrationRefused(f"{what} ({url[:200]}) is not a JSON object", status=502)
    return data


def fetch_configuration(url: str, registration_token: str = "") -> PlatformConfig:
    """The platform's OpenID configuration at ``url``, read and checked (Dynamic Registration §3.4, §3.5.1).
    The registration token goes along as a Bearer token: Canvas asks for it (doc/api/registration.md,
    "Canvas OpenID Configuration"); a platform that does not need it ignores it."""
    url = (url or "").strip()
    if not url:
        raise RegistrationRefused("the LMS opened the link without its openid_configuration: start the registration "
                                  "from the LMS (it adds the parameter)")
    if len(url) > 2000:
        raise RegistrationRefused("the openid_configuration URL is longer than 2,000 characters")
    _https(url, "openid_configuration URL")
    session = outbound.session(rule="LMS-1", field="openid_configuration", max_bytes=CONFIGURATION_MAX)
    data = _get_json(session, url, "the platform's OpenID configuration", registration_token)
    return check_configuration(url, data)


def _messages(lti: dict) -> dict[str, list[str]]:
    """Message type → placements, from ``messages_supported``: objects ``{type, placements}`` (the
    specification, Canvas) or bare type names with the platform's ``placements`` beside them
    (Moodle 4.x).  Absent: resource links only."""
    supported = lti.get("messages_supported")
    if supported is None:
        return {RESOURCE_LINK: []}
    shared: list[str] = lti["placements"] if _strings(lti.get("placements")) else []
    messages: dict[str, list[str]] = {}
    if not isinstance(supported, list):
        raise RegistrationRefused("the platform's messages_supported is not a list")
    for m in supported:
        if isinstance(m, str):
            messages[m] = list(shared)
        elif isinstance(m, dict) and isinstance(m.get("type"), str):
            placements = m.get("placements")
            messages[m["type"]] = [p for p in placements if isinstance(p, str)] if isinstance(placements, list) else []
        else:
            raise RegistrationRefused("the platform's messages_supported lists something that is neither a message type "
                                      "nor a {type, placements} object")
    if RESOURCE_LINK not in messages:
        raise RegistrationRefused(f"the platform does not support {RESOURCE_LINK}, which Syllabus needs")
    return messages


def check_configuration(url: str, data: dict) -> PlatformConfig:
    missing = [name for name in REQUIRED if name not in data]
    if missing:
        raise RegistrationRefused(f"the platform's OpenID configuration lacks {', '.join(missing)}")
    for name in ("issuer", "authorization_endpoint", "registration_endpoint", "jwks_uri", "token_endpoint"):
        if not isinstance(data[name], str) or not data[name] or len(data[name]) > 500:
            raise RegistrationRefused(f"the platform's {name} is not a URL of at most 500 characters")
        _https(data[name], name)
    for name in REQUIRED[5:12]:
        if not _strings(data[name]):
            raise RegistrationRefused(f"the platform's {name} is not a list of strings")
    issuer = data["issuer"]
    parts = urlsplit(issuer)
    if parts.query or parts.fragment:
        raise RegistrationRefused(f"the platform's issuer {issuer} has a query or fragment (OpenID Connect Discovery §3)")
    if "private_key_jwt" not in data["token_endpoint_auth_methods_supported"]:
        raise RegistrationRefused("the platform does not accept private_key_jwt at its token endpoint (LTI Security Framework)")
    for name in ("token_endpoint_auth_signing_alg_values_supported", "id_token_signing_alg_values_supported"):
        if "RS256" not in data[name]:
            raise RegistrationRefused(f"the platform's {name} lacks RS256")
    if "id_token" not in data["response_types_supported"]:
        raise RegistrationRefused("the platform's response_types_supported lacks id_token")
    lti = data[PLATFORM_CONFIGURATION]
    if not isinstance(lti, dict):
        raise RegistrationRefused(f"the platform's {PLATFORM_CONFIGURATION} is not an object")
    for name in ("product_family_code", "version"):
        if not isinstance(lti.get(name), str) or not lti.get(name):
            raise RegistrationRefused(f"the platform's {PLATFORM_CONFIGURATION} lacks {name}")
    messages = _messages(lti)
    canvas_cloud = check_issuer(url, data)
    return PlatformConfig(url=url, issuer=issuer, authorization_endpoint=data["authorization_endpoint"],
                          token_endpoint=data["token_endpoint"], jwks_uri=data["jwks_uri"],
                          registration_endpoint=data["registration_endpoint"],
                          product=lti["product_family_code"][:100], version=lti["version"][:100],
                          scopes=list(data["scopes_supported"]), claims=list(data["claims_supported"]), messages=messages,
                          canvas=lti["product_family_code"] == "canvas", canvas_cloud=canvas_cloud)


def _cloud_host(url: str) -> bool:
    """On a host of Instructure's hosted Canvas (settings.LTI_CANVAS_CLOUD_HOSTS and their subdomains)."""
    host = (urlsplit(url).hostname or "").lower()
    return any(host == h or host.endswith("." + h) for h in settings.LTI_CANVAS_CLOUD_HOSTS)


def check_issuer(url: str, data: dict) -> bool:
    """The issuer is on the origin of the configuration URL (Dynamic Registration §3.5.1): a
    configuration cannot name another platform's issuer.  One known exception: Instructure's hosted
    Canvas names the same issuer (https://canvas.instructure.com, or its beta and test ones) for
    every school, and may serve the configuration from the school's domain.  It is accepted only
    from a configuration of product ``canvas`` whose key set, authorization and token endpoints are
    on Instructure's hosts and whose registration endpoint is there or on the configuration's own
    origin — then only Instructure's keys can sign a launch for the client id the registration
    returns, so the configuration's origin cannot impersonate anyone (docs/lti.md).  Returns True
    when the exception was used."""
    issuer = data["issuer"]
    if _origin(issuer) == _origin(url):
        return False
    if issuer.rstrip("/") not in CANVAS_CLOUD_ISSUERS:
        raise RegistrationRefused(f"the platform's issuer {issuer} is not on the origin of its configuration URL "
                                  f"({_origin(url)}): refused, it could be another platform's name")
    hosts = ", ".join(settings.LTI_CANVAS_CLOUD_HOSTS)
    problems = []
    if data[PLATFORM_CONFIGURATION].get("product_family_code") != "canvas":
        problems.append("its product is not canvas")
    problems += [f"its {name} {data[name][:200]} is not on Instructure's hosts ({hosts})"
                 for name in ("jwks_uri", "authorization_endpoint", "token_endpoint") if not _cloud_host(data[name])]
    if not (_cloud_host(data["registration_endpoint"]) or _origin(data["registration_endpoint"]) == _origin(url)):
        problems.append("its registration_endpoint is neither on Instructure's hosts nor on the configuration's origin")
    if problems:
        raise RegistrationRefused(f"the configuration at {_origin(url)} names Instructure's Canvas issuer {issuer}, but "
                                  + "; ".join(problems) + ": refused (a self-hosted Canvas must name its own issuer: "
                                  "lti_iss in its config/security.yml)")
    return True


# --- the registration ----------------------------------------------------------------------------

def requested_placements(config: PlatformConfig) -> list[str]:
    """The deep-linking placements the platform lists that Syllabus asks for."""
    return [p for p in config.messages.get(DEEP_LINKING, []) if p in DEEP_LINKING_PLACEMENTS]


def resource_link_placements(config: PlatformConfig) -> list[str]:
    """Where a course shows Syllabus, among the resource-link placements the platform lists."""
    return [p for p in config.messages.get(RESOURCE_LINK, []) if p in RESOURCE_LINK_PLACEMENTS]


def existing_platform(issuer: str, institution: Institution) -> Platform | None:
    """A platform of this issuer the institution registered already (a registration adds a deployment to it)."""
    return Platform.objects.filter(issuer=issuer, institution=institution).first()


_NETLOC = re.compile(r"^[A-Za-z0-9.-]{1,253}(:\d{1,5})?$")   # a host name (or IPv4) and a port: nothing a CSP header would read


def frame_origin(config_url: str) -> str:
    """The origin that may frame the registration page: the LMS's, from its configuration URL."""
    parts = urlsplit(config_url or "")
    if parts.scheme not in ("https", "http") or not _NETLOC.match(parts.netloc):
        return ""
    return _origin(config_url)


def frame_origins(config_url: str, referer: str = "") -> list[str]:
    """The origins that may frame the registration page.  Hosted Canvas serves its configuration
    from its shared host but shows the page in a frame of the school's Canvas (school.instructure.com
    or the school's own domain): then Instructure's domains and the https page that opened it."""
    origin = frame_origin(config_url)
    if not origin:
        return []
    origins = [origin]
    if _cloud_host(config_url):
        origins += [f"https://*.{h}" for h in settings.LTI_CANVAS_CLOUD_HOSTS]
        opener = frame_origin(referer)
        if opener.startswith("https://") and opener not in origins:
            origins.append(opener)
    return origins


def localized(member: str, text: str) -> dict[str, str]:
    """``{member: <default language>, member#fr: <French>, ...}`` of TOOL_TEXTS[text]."""
    out = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            value = str(TOOL_TEXTS[text])
        out[member if code == settings.LANGUAGE_CODE else f"{member}#{code}"] = value
    return out


def client_registration(config: PlatformConfig, base: str, logo: str = "") -> dict:
    """The tool's registration request (Dynamic Registration §3.5.2; OpenID Connect Dynamic Client Registration)."""
    urls = tool_urls(base)
    course_placements = resource_link_placements(config)
    messages: list[dict] = [{"type": RESOURCE_LINK, "target_link_uri": urls["launch"], **localized("label", "course_label"),
                             **({"placements": course_placements} if course_placements else {})}]
    if config.deep_linking:
        placements = requested_placements(config)
        # DR §3.5.2: the content item types the tool returns (an ltiResourceLink)
        messages.append({"type": DEEP_LINKING, "target_link_uri": urls["deep_linking"],
                         **localized("label", "deep_linking_label"), "supported_types": ["ltiResourceLink"],
                         **({"placements": placements} if placements else {})})
    tool_configuration: dict = {
        "domain": urlsplit(base).netloc,
        "target_link_uri": urls["launch"],
        **localized("description", "description"),
        "claims": [c for c in CLAIMS if c in config.claims or c in ("iss", "sub")],
        "messages": messages,
        # DR §3.5.2 custom_parameters: the earlier LMS courses of a course copied for a new term
        # (LTI Core 1.3 substitution variables; a platform without them sends them as written)
        "custom_parameters": dict(CUSTOM_PARAMETERS),
    }
    body: dict = {
        "application_type": "web",
        "response_types": ["id_token"],
        "grant_types": ["implicit", "client_credentials"],
        "initiate_login_uri": urls["login"],
        "redirect_uris": [urls["launch"]],
        **localized("client_name", "client_name"),
        "jwks_uri": urls["jwks"],
        "token_endpoint_auth_method": "private_key_jwt",
        TOOL_CONFIGURATION: tool_configuration,
    }
    if logo:
        body["logo_uri"] = logo
    if NRPS_SCOPE in config.scopes:
        body["scope"] = NRPS_SCOPE
    if config.canvas:
        # Canvas reads scope unconditionally (app/controllers/lti/ims/dynamic_registration_controller.rb),
        # and its privacy level defaults to "anonymous": no name nor e-mail, which Syllabus matches people by
        body.setdefault("scope", "")
        tool_configuration.update({CANVAS_PRIVACY_LEVEL: "public", CANVAS_TOOL_ID: "syllabus"})
    return body


@dataclass
class Outcome:
    platform: Platform
    deployment_id: str
    new_platform: bool
    adopts_first_deployment: bool = False   # no deployment id given: the first launch's is taken, then locked


def register(token: str, config_url: str, registration_token: str, base: str, logo: str = "") -> Outcome:
    """Complete the registration of the link ``token`` (see the module docstring)."""
    link = open_link(token)
    config = fetch_configuration(config_url, registration_token)
    keys.signing_key()   # the key the platform will read at jwks_uri exists before it is told of it
    answer = _post_registration(config, client_registration(config, base, logo), registration_token)
    client_id = answer.get("client_id")
    if not isinstance(client_id, str) or not client_id.strip() or len(client_id) > 255:
        raise RegistrationRefused("the platform's answer has no client_id (a string of at most 255 characters)", status=502)
    tool_conf = answer.get(TOOL_CONFIGURATION)
    deployment_id = tool_conf.get("deployment_id", "") if isinstance(tool_conf, dict) else ""
    if isinstance(deployment_id, int) and not isinstance(deployment_id, bool):   # a number, as some LMSs send it
        deployment_id = str(deployment_id)
    if not isinstance(deployment_id, str) or len(deployment_id) > 255:
        raise RegistrationRefused("the platform's deployment_id is not a string of at most 255 characters", status=502)
    actor = link.created_by
    with transaction.atomic():
        locked = RegistrationLink.objects.select_for_update().get(pk=link.pk)
        if locked.status != "open":
            raise RegistrationRefused(f"this registration link is {locked.status}: it registered nothing", status=410)
        existing = Platform.objects.select_for_update().filter(issuer=config.issuer, client_id=client_id).first()
        if existing is not None and existing.institution_id != link.institution_id:
            raise RegistrationRefused(f"the platform {config.issuer} with client id {client_id} is registered to another "
                                      "institution: it is not registered again (remove the registration the LMS just "
                                      "made, or ask the platform operator)", status=409)
        if existing is not None:
            platform, created = existing, False
            if deployment_id:
                add_deployment(actor, platform, deployment_id)
        else:
            platform = register_platform(actor, link.institution, issuer=config.issuer, client_id=client_id,
                                         deployment_ids=[deployment_id] if deployment_id else [],
                                         auth_login_url=config.authorization_endpoint, auth_token_url=config.token_endpoint,
                                         keyset_url=config.jwks_uri, name=f"{config.product} {config.version}".strip())
            created = True
            if not deployment_id:   # Canvas: the deployment exists once the admin installs the app (docs/lti.md)
                Platform.objects.filter(pk=platform.pk).update(adopt_first_deployment=True)
                platform.adopt_first_deployment = True
        RegistrationLink.objects.filter(pk=link.pk).update(used_at=clock.now(), platform=platform)
        audit.event(actor, platform, "registered (dynamic registration)" if created else
                    "deployment added (dynamic registration)",
                    note=f"{config.product} {config.version}; deployment "
                    + (deployment_id or ("(none given: the first launch's is accepted)" if created else "(none given)"))
                    + ("; Instructure's shared Canvas issuer" if config.canvas_cloud else ""))
    return Outcome(platform=platform, deployment_id=deployment_id, new_platform=created,
                   adopts_first_deployment=platform.adopt_first_deployment)


def _texts(value) -> list[str]:
    """The messages in a list, an object of lists (Rails: field → messages) or a string."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v)]
    if isinstance(value, dict):
        message = value.get("message") or value.get("error_description") or value.get("error")
        if isinstance(message, str):
            field_name = value.get("field") or value.get("attribute")
            return [f"{field_name}: {message}" if isinstance(field_name, str) else message]
        return [f"{k}: {t}" for k, v in value.items() for t in _texts(v)]
    return []


def refusal_text(answer) -> str:
    """What a platform says when it refuses a registration: RFC 7591's ``{error, error_description}``,
    Canvas's 422 ``{"errors": [...]}`` (a list, or field → messages) or its 401 ``{"errorMessage": ...}``."""
    if not isinstance(answer, dict):
        return ""
    parts = [str(answer[k]) for k in ("error", "error_description", "errorMessage") if isinstance(answer.get(k), (str, int))]
    parts += _texts(answer.get("errors"))
    return "; ".join(p[:300] for p in parts if p)[:1000]


def _post_registration(config: PlatformConfig, body: dict, registration_token: str) -> dict:
    headers = {"Content-Type": "application/json", "Accept": "application/json"}
    if registration_token:
        headers["Authorization"] = f"Bearer {registration_token}"
    session = outbound.session(rule="LMS-1", field="registration_endpoint", max_bytes=ANSWER_MAX)
    url = config.registration_endpoint
    try:
        response = session.post(url, data=json.dumps(body), headers=headers, timeout=TIMEOUT, stream=True,
                                allow_redirects=False)
        raw = outbound.read(response, ANSWER_MAX, rule="LMS-1", what="the registration endpoint's answer")
    except RuleViolation as exc:
        raise RegistrationRefused(f"the platform's registration endpoint ({url[:200]}) could not be reached: {exc.detail}",
                                  status=502) from None
    except requests.RequestException as exc:
        raise RegistrationRefused(f"the platform's registration endpoint ({url[:200]}) could not be reached: "
                                  f"{exc.__class__.__name__}", status=502) from None
    try:
        answer = jsondata.loads(raw)
    except ValueError:
        answer = None
    if response.status_code not in (200, 201):
        said = refusal_text(answer)
        raise RegistrationRefused(f"the platform refused the registration (HTTP {response.status_code})"
                                  + (f": {said}" if said else ""), status=502)
    if not isinstance(answer, dict):
        raise RegistrationRefused("the platform's answer to the registration is not a JSON object", status=502)
    return answer

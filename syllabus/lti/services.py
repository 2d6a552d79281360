"""LTI 1.3 Advantage (LMS-1, LMS-2): platform registration, the launch's own checks (one-time
state and nonce bound to the login, issuer, audience, required claims, target link), who the
person is, which course the LMS context is, enrolment by LTI role, deep-linking responses and
the Names and Role Provisioning roster sync.

Every refusal is an :class:`LaunchRefused` (``LMS-1: ...``) raised before anything is written."""
from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
from dataclasses import dataclass
from urllib.parse import parse_qsl, urljoin, urlsplit, urlunsplit

import requests
from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.db.models.functions import Coalesce

from syllabus.core import audit, clock, outbound
from syllabus.core.errors import RuleViolation
from syllabus.core.limits import column, setting_within
from syllabus.courses import services as courses
from syllabus.courses.models import Course
from syllabus.org.models import Institution, User
from syllabus.org.merging import merged_target
from syllabus.org.services import check_may_sign_in, email_values, has_back_office_rights
from syllabus.core import jsondata

from . import platform_http
from .models import ContextLink, CourseMatch, Deployment, Identity, LaunchTicket, LoginState, Platform, UsernameClaim
from .origins import origin_of

log = logging.getLogger("syllabus.lti")

CLAIM = "https://purl.imsglobal.org/spec/lti/claim/"
DL_CLAIM = "https://purl.imsglobal.org/spec/lti-dl/claim/"
NRPS_CLAIM = "https://purl.imsglobal.org/spec/lti-nrps/claim/namesroleservice"
NRPS_SCOPE = "https://purl.imsglobal.org/spec/lti-nrps/scope/contextmembership.readonly"
NRPS_MEDIA = "application/vnd.ims.lti-nrps.v2.membershipcontainer+json"
LIS = "http://purl.imsglobal.org/vocab/lis/v2/"
LTI1_ROLE = "urn:lti:role:ims/lis/"
RESOURCE_LINK = "LtiResourceLinkRequest"
DEEP_LINKING = "LtiDeepLinkingRequest"
LOGIN_LIFETIME = dt.timedelta(minutes=10)
TICKET_LIFETIME = dt.timedelta(minutes=2)   # "Open in a new window" after a launch
KEY_SET_MAX = 1_000_000          # bytes of a platform's key set (JWKS): a few keys are a few kB
MAX_ROSTER_PAGES = 200           # a platform paging for ever is stopped
MAX_MEMBERS = 50_000


class LaunchRefused(RuleViolation):
    """A login or launch the tool refuses (LMS-1); ``what`` names the check that failed."""

    def __init__(self, what: str, detail: str, status: int = 400):
        super().__init__("LMS-1", detail, status=status)
        self.what = what


# --- registration -------------------------------------------------------------------------

def _check_url(value: str, name: str) -> str:
    value = (value or "").strip()
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.netloc:
        raise RuleViolation("LMS-1", f"{name} must be an http(s) URL, not {value!r}", field=name)
    if len(value) > 500:
        raise RuleViolation("LMS-1", f"{name} is longer than 500 characters", field=name)
    return value


def _check_choice(value: str, choices, name: str) -> str:
    if value not in choices.values:
        raise RuleViolation("LMS-1", f"{name.replace('_', ' ')} is one of {', '.join(choices.values)}, not {value!r}", field=name)
    return value


def register_platform(actor, institution: Institution, *, issuer: str, client_id: str, deployment_ids=(),
                      auth_login_url: str, auth_token_url: str, keyset_url: str, course_match: str = CourseMatch.LABEL,
                      name: str = "", auth_audience: str = "", trust_email_for_staff: bool = False,
                      username_claim: str = UsernameClaim.SOURCEDID) -> Platform:
    _check_choice(course_match, CourseMatch, "course_match")
    _check_choice(username_claim, UsernameClaim, "username_claim")
    client_id = (client_id or "").strip()
    if not client_id or len(client_id) > 255:
        raise RuleViolation("LMS-1", "a platform needs a client id (at most 255 characters)", field="client_id")
    values = {"issuer": _check_url(issuer, "issuer"), "auth_login_url": _check_url(auth_login_url, "auth_login_url"),
              "auth_token_url": _check_url(auth_token_url, "auth_token_url"), "keyset_url": _check_url(keyset_url, "keyset_url")}
    try:
        with transaction.atomic():
            platform = Platform.objects.create(institution=institution, client_id=client_id, course_match=course_match,
                                               username_claim=username_claim,
                                               name=(name or "")[:200], auth_audience=(auth_audience or "")[:500],
                                               trust_email_for_staff=bool(trust_email_for_staff), **values)
            audit.created(actor, platform)
            for dep in deployment_ids:
                add_deployment(actor, platform, dep)
    except IntegrityError:
        raise RuleViolation("LMS-1", f"a platform with issuer {values['issuer']} and client id {client_id} is already registered", status=409)
    return platform


def _set_flag(actor, platform: Platform, field: str, value: bool, action: str) -> Platform:
    """One of the platform's e-mail trust settings on or off, audited as ``action`` on/off."""
    with transaction.atomic():
        locked = Platform.objects.select_for_update().get(pk=platform.pk)
        if getattr(locked, field) != bool(value):
            Platform.objects.filter(pk=locked.pk).update(**{field: bool(value)})
            audit.event(actor, locked, f"{action} {'on' if value else 'off'}", changes={field: [getattr(locked, field), bool(value)]})
    setattr(platform, field, bool(value))
    return platform


def set_verifies_email(actor, platform: Platform, verifies: bool) -> Platform:
    """Whether the platform's e-mail addresses are taken as verified (LMS-1, LMS-3), audited."""
    return _set_flag(actor, platform, "verifies_email", verifies, "LMS e-mail addresses verified")


def set_trust_email_for_staff(actor, platform: Platform, trusted: bool) -> Platform:
    """Turn the platform's "Trust the LMS's e-mail addresses for staff accounts" on or off (LMS-1), audited."""
    return _set_flag(actor, platform, "trust_email_for_staff", trusted, "trust e-mail for staff accounts")


def set_matching(actor, platform: Platform, *, course_match: str | None = None, username_claim: str | None = None) -> Platform:
    """Change how the platform's launches find their course (``course_match``) and their person
    (``username_claim``), audited (LMS-1).  Contexts already linked stay linked."""
    wanted = {k: _check_choice(v, choices, k) for k, v, choices in (("course_match", course_match, CourseMatch),
                                                                    ("username_claim", username_claim, UsernameClaim))
              if v is not None}
    with transaction.atomic():
        locked = Platform.objects.select_for_update().get(pk=platform.pk)
        changes = {k: [getattr(locked, k), v] for k, v in wanted.items() if getattr(locked, k) != v}
        if changes:
            Platform.objects.filter(pk=locked.pk).update(**{k: v[1] for k, v in changes.items()})
            audit.changed(actor, locked, changes)
    for k, v in wanted.items():
        setattr(platform, k, v)
    return platform


def add_deployment(actor, platform: Platform, deployment_id: str) -> Deployment:
    deployment_id = (deployment_id or "").strip()
    if not deployment_id or len(deployment_id) > 255:
        raise RuleViolation("LMS-1", "a deployment id is 1 to 255 characters", field="deployment_id")
    with transaction.atomic():
        dep, created = Deployment.objects.get_or_create(platform=platform, deployment_id=deployment_id)
        if created:
            audit.event(actor, platform, "deployment added", note=deployment_id)
    return dep


def tool_urls(base: str) -> dict[str, str]:
    base = base.rstrip("/")
    return {"login": f"{base}/lti/login/", "launch": f"{base}/lti/launch/", "jwks": f"{base}/lti/jwks/",
            "deep_linking": f"{base}/lti/launch/"}


# --- login (OIDC third-party initiated) -----------------------------------------------------

def check_target_link(target: str, base: str) -> str:
    """The target link must be a page of this tool (LTI Core 5.3: never an open redirect)."""
    if not target:
        raise LaunchRefused("target_link_uri", "the login request has no target_link_uri")
    t, b = urlsplit(target), urlsplit(base)
    if (t.scheme, t.netloc) != (b.scheme, b.netloc):
        raise LaunchRefused("target_link_uri", f"the target_link_uri {target} is not a page of this tool ({b.scheme}://{b.netloc})")
    return target


def record_login(platform: Platform, state: str, nonce: str, target_link_uri: str, storage_target: str = "") -> LoginState:
    return LoginState.objects.create(platform=platform, state=state, nonce=nonce, target_link_uri=target_link_uri,
                                     storage_target=storage_target)


# LTI Client Side postMessages §lti_storage_target: "_parent" or the name of a frame of the
# platform's window (Canvas: post_message_forwarding); a name is HTML's, we take a safe subset
_STORAGE_TARGET = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")


def storage_target_of(value: str | None) -> str:
    """The login's ``lti_storage_target``, checked ("" when absent)."""
    value = (value or "").strip()
    if not value:
        return ""
    if not _STORAGE_TARGET.match(value):
        raise LaunchRefused("lti_storage_target", "lti_storage_target must be _parent or a frame name "
                                                  "(letters, digits, . _ -, at most 64)")
    return value


def storage_login(state: str) -> LoginState | None:
    """The open, recent login of ``state`` that kept its state in the platform's frame, if any."""
    if not state:
        return None
    return (LoginState.objects.select_related("platform").exclude(storage_target="")
            .filter(state=state, used_at__isnull=True, created_at__gt=clock.now() - LOGIN_LIFETIME).first())


def nonce_is_fresh(nonce: str) -> bool:
    return LoginState.objects.filter(nonce=nonce, used_at__isnull=True, created_at__gt=clock.now() - LOGIN_LIFETIME).exists()


# --- launch checks -------------------------------------------------------------------------

def login_for(state: str, cookie: str | None, *, storage_verified: bool = False) -> LoginState:
    """The login this launch answers: the state must be one the tool issued, to this browser
    — its cookie, or, for a login that stored it in the platform's frame (LTI Client Side
    postMessages), the tool's launch page read it back from that frame (``storage_verified``)
    — unused and recent."""
    if not state:
        raise LaunchRefused("state", "state mismatch: the launch carries no state")
    login = LoginState.objects.select_related("platform", "platform__institution").filter(state=state).first()
    if login is None:
        raise LaunchRefused("state", "state mismatch: this launch does not answer a login the tool started")
    if cookie != state and not (storage_verified and login.storage_target):
        raise LaunchRefused("state", "state mismatch: the launch's state is not the one given to this browser at login")
    if login.used_at is not None:
        raise LaunchRefused("nonce", "replayed launch: its nonce was already used")
    if login.created_at <= clock.now() - LOGIN_LIFETIME:
        raise LaunchRefused("state", "the login is older than 10 minutes; launch again from the LMS")
    return login


REQUIRED = ("iss", "aud", "sub", "exp", "iat", "nonce", CLAIM + "message_type", CLAIM + "version",
            CLAIM + "deployment_id", CLAIM + "target_link_uri", CLAIM + "roles")
# claims LTI defines as JSON objects: anything else (a string, a list) is refused, never a 500
OBJECT_CLAIMS = (CLAIM + "resource_link", CLAIM + "context", CLAIM + "tool_platform", CLAIM + "launch_presentation",
                 CLAIM + "lis", CLAIM + "custom", NRPS_CLAIM, DL_CLAIM + "deep_linking_settings")
STRING_CLAIMS = ("sub", "nonce", "email", "given_name", "family_name", "name", "azp", CLAIM + "deployment_id",
                 CLAIM + "target_link_uri")
# IMS Security Framework 1.0 §5.1.3 and §6.1: the platform signs with its RSA key (RS256 by
# default); a symmetric algorithm would be keyed with what the tool holds of the platform — its
# public key, no secret (the algorithm-confusion attack) — and "none" is no signature at all
SIGNING_ALGORITHMS = ("RS256", "RS384", "RS512")
CLOCK_SKEW = dt.timedelta(seconds=60)   # an LMS's clock a minute ahead is not a forged token


def check_header(header: dict) -> None:
    """The id_token's JOSE header (LMS-1): an RSA algorithm and the ``kid`` of the platform's key
    that signed it (LTI Core 1.3 §5.1.2: the platform MUST name the key in ``kid``)."""
    alg = header.get("alg")
    if alg not in SIGNING_ALGORITHMS:
        raise LaunchRefused("alg", f"the id_token is signed with {str(alg)[:20]}: an LTI launch is signed with the "
                                   f"platform's RSA key ({', '.join(SIGNING_ALGORITHMS)})")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid.strip():
        raise LaunchRefused("kid", "the id_token's header names no key (kid) of the platform's key set")


def _timestamp(claims: dict, name: str) -> float:
    value = claims[name]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise LaunchRefused(name, f"{name} must be a number of seconds (a NumericDate), not {str(value)[:40]!r}")
    return float(value)


def check_claims(login: LoginState, claims: dict) -> None:
    """What pylti1p3 does not check: issuer and audience against the login's platform (OIDC Core
    3.1.3.7), every required claim by name and type, the nonce issued for this very login, and
    the target_link_uri of the login (LTI Core 5.3).  A launch without a course context is valid
    (LTI Core 5.4.1: the context claim is optional) except for deep linking."""
    platform = login.platform
    missing = [name for name in REQUIRED if name not in claims]
    kind = claims.get(CLAIM + "message_type")
    for name in OBJECT_CLAIMS:
        if claims.get(name) is not None and not isinstance(claims[name], dict):
            raise LaunchRefused("claim", f"{name.removeprefix(CLAIM)} must be an object, not {type(claims[name]).__name__}")
    for name in STRING_CLAIMS:
        if claims.get(name) is not None and not isinstance(claims[name], str):
            raise LaunchRefused("claim", f"{name.removeprefix(CLAIM)} must be a string, not {type(claims[name]).__name__}")
    roles = claims.get(CLAIM + "roles")
    if roles is not None and not (isinstance(roles, list) and all(isinstance(r, str) for r in roles)):
        raise LaunchRefused("claim", "roles must be a list of role URIs (an empty list for none)")
    if kind == RESOURCE_LINK and not (claims.get(CLAIM + "resource_link") or {}).get("id"):
        missing.append(CLAIM + "resource_link (id)")
    if kind == DEEP_LINKING and not (claims.get(DL_CLAIM + "deep_linking_settings") or {}).get("deep_link_return_url"):
        missing.append(DL_CLAIM + "deep_linking_settings (deep_link_return_url)")
    if kind == DEEP_LINKING:
        check_accept_types(claims.get(DL_CLAIM + "deep_linking_settings") or {})
        if (claims.get(DL_CLAIM + "deep_linking_settings") or {}).get("deep_link_return_url") and \
                not return_url_origin(claims[DL_CLAIM + "deep_linking_settings"]):
            raise LaunchRefused("claim", "deep_linking_settings.deep_link_return_url is not a web address (http or https) "
                                         "Syllabus could send the chosen content to")
    context = claims.get(CLAIM + "context")
    if (context is not None or kind == DEEP_LINKING) and not (context or {}).get("id"):
        missing.append(CLAIM + "context (id)")
    if missing:
        anonymous = "; an anonymous launch (no sub) cannot open Syllabus, which needs to know who opens it" if "sub" in missing else ""
        raise LaunchRefused("claim", f"the launch lacks the required claim(s) {', '.join(missing)}{anonymous}")
    if not claims["sub"].strip():
        raise LaunchRefused("sub", "an anonymous launch (empty sub): Syllabus needs to know who opens it")
    sub_max = column(Identity, "sub")  # OpenID Connect: at most 255 ASCII characters
    if len(claims["sub"]) > sub_max:  # kept in Identity.sub: PostgreSQL refused it (WEB-VALUE), SQLite kept it whole
        raise LaunchRefused("sub", f"sub: at most {sub_max} characters")
    if kind not in (RESOURCE_LINK, DEEP_LINKING):
        raise LaunchRefused("claim", f"message type {str(kind)[:60]!r} is not one this tool handles")
    if claims.get(CLAIM + "version") != "1.3.0":
        raise LaunchRefused("claim", f"LTI version {str(claims.get(CLAIM + 'version'))[:20]!r}, expected 1.3.0")
    if claims["iss"] != platform.issuer:
        raise LaunchRefused("iss", f"the id_token's issuer {str(claims['iss'])[:200]} is not the platform that started the login")
    aud = claims["aud"] if isinstance(claims["aud"], list) else [claims["aud"]]
    if platform.client_id not in aud:
        raise LaunchRefused("aud", f"wrong audience: the id_token is for {', '.join(map(str, aud))[:300]}, not this tool's client id")
    # Security Framework §5.1.3 (4, 5): several audiences need azp; an azp present must be this tool
    if (len(aud) > 1 or "azp" in claims) and claims.get("azp") != platform.client_id:
        raise LaunchRefused("aud", "wrong audience: the authorized party (azp) is not this tool" if "azp" in claims else
                            "wrong audience: several audiences and no authorized party (azp) naming this tool")
    now = clock.now().timestamp()
    if _timestamp(claims, "exp") <= now:
        raise LaunchRefused("exp", "the id_token has expired")
    if _timestamp(claims, "iat") > now + CLOCK_SKEW.total_seconds():
        raise LaunchRefused("iat", "the id_token was issued in the future (iat): check the LMS's clock")
    if claims["nonce"] != login.nonce:
        raise LaunchRefused("nonce", "the id_token's nonce is not the one issued for this login (replay)")
    if claims[CLAIM + "target_link_uri"] != login.target_link_uri:
        raise LaunchRefused("target_link_uri", "the id_token's target_link_uri differs from the one of the login request")
    if not deployment_accepted(platform, claims[CLAIM + "deployment_id"]):
        raise LaunchRefused("deployment", f"unknown deployment {claims[CLAIM + 'deployment_id'][:255]!r} of {platform}")


def deployment_registered(platform: Platform, deployment_id: str) -> bool:
    """Is ``deployment_id`` one of the platform's?  Read once per platform row loaded (a launch
    asks three times: its claims, pylti1p3's check, the first deployment's adoption)."""
    known = platform.__dict__.setdefault("_deployments_registered", {})
    if deployment_id not in known:
        known[deployment_id] = Deployment.objects.filter(platform=platform, deployment_id=deployment_id).exists()
    return known[deployment_id]


def deployment_accepted(platform: Platform, deployment_id: str) -> bool:
    """A registered deployment, or the first one of a platform that adopts its first (LMS-1)."""
    return deployment_registered(platform, deployment_id) or (platform.adopt_first_deployment and not platform.deployments.exists())


DL_ITEM = "ltiResourceLink"   # the one content item type Syllabus returns: a link that launches it on a list, section or item


def check_accept_types(settings: dict) -> None:
    """Deep Linking 2.0 §4.4.1: the platform lists in ``accept_types`` the content item types it takes
    here, and the tool returns only those.  Syllabus places ``ltiResourceLink`` items; a placement
    that does not accept them (only ``link``, ``file``, ``html``...) is refused at once, naming what
    it accepts — not after the instructor chose, with a response the LMS would reject.  A platform
    that leaves ``accept_types`` out (it is required) is taken to accept LTI links."""
    accepted = settings.get("accept_types")
    if accepted is None:
        return
    if not isinstance(accepted, list) or not all(isinstance(t, str) for t in accepted):
        raise LaunchRefused("claim", "deep_linking_settings.accept_types must be a list of content item types")
    if DL_ITEM not in accepted:
        named = ", ".join(t[:40] for t in accepted[:10]) or "nothing"
        raise LaunchRefused("accept_types", f"this place of the LMS accepts {named}, not LTI links (ltiResourceLink), "
                                            "which is what Syllabus adds: add Syllabus from a place of the LMS that adds "
                                            "external tool links (Deep Linking 2.0 accept_types)")


def return_url_origin(settings: dict) -> str:
    """The origin of the deep-linking request's ``deep_link_return_url`` ("" when it is no web address)."""
    return origin_of(settings.get("deep_link_return_url"), ("https", "http")) or ""


def deep_link_response(platform: Platform, deployment_id: str, settings: dict, items: list) -> str:
    """The signed LtiDeepLinkingResponse (Deep Linking 2.0 §4.5) with ``items`` (pylti1p3
    ``DeepLinkResource``s; none: the instructor chose nothing, and the LMS adds nothing).  The
    request's ``data`` is returned exactly as it came, and left out when the request had none:
    pylti1p3 sends ``"data": null`` then, which is not the opaque string the specification names."""
    from pylti1p3.deep_link import DeepLink

    from .config import registration_for

    link = DeepLink(registration_for(platform), deployment_id, settings)  # type: ignore[arg-type]  # the platform's claim, checked by check_claims
    claims = link.get_message_jwt(items)
    if "data" not in settings:
        claims.pop(DL_CLAIM + "data", None)
    return link.encode_jwt(claims)


def adopt_first_deployment(platform: Platform, deployment_id) -> None:
    """After the id_token verified with the platform's keys: a platform registered without a
    deployment id (Canvas's dynamic registration: the deployment exists once the admin installs
    the app) takes the deployment of its first launch, then accepts only registered ones (LMS-1).
    Under a row lock, so that two first launches cannot both add theirs."""
    deployment_id = str(deployment_id)
    if not deployment_id.strip() or len(deployment_id) > 255:
        raise LaunchRefused("deployment", "a deployment id is 1 to 255 characters")
    if deployment_registered(platform, deployment_id):
        return
    with transaction.atomic():
        locked = Platform.objects.select_for_update().get(pk=platform.pk)
        if not locked.adopt_first_deployment or locked.deployments.exists():
            raise LaunchRefused("deployment", f"unknown deployment {deployment_id!r} of {platform}")
        add_deployment(None, locked, deployment_id)
        Platform.objects.filter(pk=locked.pk).update(adopt_first_deployment=False)
        audit.event(None, locked, "first deployment adopted from a launch", note=deployment_id)
    platform.adopt_first_deployment = False


def explain(exc: Exception, header: dict | None = None, keyset_url: str = "") -> LaunchRefused:
    """pylti1p3's exception as a refusal with a clear reason (the time checks first: PyJWT's
    "not yet valid" comes wrapped in pylti1p3's "Can't decode id_token")."""
    text = str(exc)
    low = text.lower()
    if "expired" in low:
        return LaunchRefused("exp", "the id_token has expired")
    if "(iat)" in low or "issued at" in low or "not yet valid" in low:
        return LaunchRefused("iat", f"the id_token is not valid yet ({text})")
    if "unable to find public key" in low:
        kid = str((header or {}).get("kid", ""))[:100]
        return LaunchRefused("kid", f"bad signature: no key with kid {kid!r} in the platform's key set {keyset_url}".rstrip())
    if "kid not found" in low:
        return LaunchRefused("kid", "the id_token's header names no key (kid) of the platform's key set")
    if "signature" in low or "can't decode id_token" in low:
        return LaunchRefused("signature", f"bad signature: the id_token does not verify with the platform's keys ({text})")
    if "deployment" in low:
        return LaunchRefused("deployment", "unknown deployment")
    if "nonce" in low:
        return LaunchRefused("nonce", "replayed or unknown nonce")
    if "state" in low:
        return LaunchRefused("state", "state mismatch")
    return LaunchRefused("claim", f"the launch is not valid: {text}")


# --- who, which course, which role ------------------------------------------------------------

def role_of(claims: dict) -> str | None:
    """LTI roles → course role: Instructor, TeachingAssistant → instructor; Learner → student;
    Administrator and the rest → none (no staff rights by launch alone)."""
    roles = [str(r) for r in claims.get(CLAIM + "roles") or []]
    names = set()
    for r in roles:
        if r.startswith(LTI1_ROLE):  # LTI 1.1's URN, which some platforms still send in 1.3 launches
            # urn:lti:role:ims/lis/Learner, .../Instructor/TeachingAssistant: a sub-role is a kind of its
            # principal, and only the principal counts (.../Learner/Instructor is a learner)
            names.add(r.removeprefix(LTI1_ROLE).split("/")[0])
        elif r.startswith(LIS + "membership#"):
            names.add(r.removeprefix(LIS + "membership#"))
        elif r.startswith(LIS + "membership/"):
            # LTI Core 1.3 §A.2.3.1 sub-roles, membership/<principal>#<sub-role>: the principal role is
            # implied (Learner#NonCreditLearner is a learner, Instructor#TeachingAssistant an instructor)
            # and is the only one that counts — the vocabulary's Learner#Instructor (a learner who is an
            # instructor elsewhere) is a learner, never someone who edits the course's lists
            names.add(r.removeprefix(LIS + "membership/").partition("#")[0])
        elif "/" not in r and "#" not in r:
            names.add(r)  # short names, deprecated but seen in the wild
    if names & {"Instructor", "TeachingAssistant"}:
        return courses.INSTRUCTOR
    if "Learner" in names:
        return courses.STUDENT
    return None


# LTI Core 1.3 §5.4.6 / Canvas "Variable Substitutions": a variable the platform cannot resolve is
# sent as written — Canvas sends ``"person_sourcedid": "$Person.sourcedId"`` for a person without
# an SIS id and ``$Canvas.course.sisSourceId`` for a course without one
_UNRESOLVED = re.compile(r"^\$[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")


def substituted(value) -> str:
    """A launch value that a platform filled in from a substitution variable: stripped, and ""
    when the platform sent the variable itself, unresolved (LMS-1) — never a username or a
    course code."""
    value = str(value or "").strip()
    return "" if _UNRESOLVED.match(value) else value


TEST_USER = "http://purl.imsglobal.org/vocab/lti/system/person#TestUser"


def is_test_user(roles) -> bool:
    """LTI Core 1.3 §A.2.4 ``TestUser``: Canvas's "Student View" and Blackboard's "Student
    Preview" person, also listed in their Names and Roles rosters."""
    return isinstance(roles, list) and TEST_USER in roles


BRIGHTSPACE = "http://www.brightspace.com"   # D2L Brightspace's own launch claim: tenant_id, org_defined_id, user_id, username


def username_in(platform: Platform, claims: dict) -> str:
    """The value of a launch (or of a roster member's claims) that the platform says is a person's
    Syllabus username (``Platform.username_claim``, LMS-1): the LIS ``person_sourcedid``, or
    Brightspace's ``username`` or ``org_defined_id`` from its ``http://www.brightspace.com`` claim
    — read in NFKC like the sign-in form and the people file; "" when the launch does not carry it
    (or carries an unresolved substitution variable)."""
    if platform.username_claim == UsernameClaim.SOURCEDID:
        holder, field = claims.get(CLAIM + "lis"), "person_sourcedid"
    else:
        holder = claims.get(BRIGHTSPACE)
        field = "username" if platform.username_claim == UsernameClaim.BRIGHTSPACE_USERNAME else "org_defined_id"
    value = holder.get(field) if isinstance(holder, dict) else None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return ""
    return User.normalize_username(substituted(value))[:column(User, "username")]


def _username(platform: Platform, claims: dict) -> str:
    digest = hashlib.sha256(f"{platform.issuer}|{claims['sub']}".encode()).hexdigest()[:16]
    return f"lti-{digest}"


def names_of(claims: dict) -> tuple[str, str]:
    """(first, last) name from a launch's or a member's claims: ``given_name``/``family_name``, or
    — when the platform sends neither, only the full ``name`` (OpenLearning's lti1p3platform, and
    LTI Core allows it) — the full name split at its last space (LMS-1)."""
    given = str(claims.get("given_name") or "").strip()
    family = str(claims.get("family_name") or "").strip()
    if not given and not family:
        full = " ".join(str(claims.get("name") or "").split())
        given, _, family = full.rpartition(" ") if " " in full else (full, "", "")
    return given[:150], family[:150]


def person_for(platform: Platform, claims: dict) -> tuple[User, bool]:
    """(user, created): by (issuer, sub); else a person of the institution whose username is the
    launch's username value (:func:`username_in`: the LIS ``person_sourcedid`` or Brightspace's
    username / Org Defined ID, as the platform is set) or with the same e-mail (exactly one); else a new person.  An e-mail
    match to a person with back-office rights is refused (``LaunchRefused("email")``, before
    anything is written) unless the platform is trusted for staff e-mails (LMS-1)."""
    # a username, read in NFKC like the sign-in form and the people file (a full-width look-alike is the same person)
    sourced = username_in(platform, claims)
    ident = Identity.objects.select_related("user").filter(issuer=platform.issuer, sub=claims["sub"]).first()
    if ident is not None:
        if sourced and ident.sis_id != sourced:   # kept for finding duplicate accounts (ORG-MERGE)
            Identity.objects.filter(pk=ident.pk).update(sis_id=sourced)
        return ident.user, False
    people = User.objects.filter(institution=platform.institution)
    email = (claims.get("email") or "").strip()
    user = people.filter(username=sourced).first() if sourced else None
    if user is not None and user.merged_into_id is not None:
        user = merged_target(user)   # ORG-MERGE: the account it was merged into is the same person
    if user is None and email and platform.verifies_email:
        # only an address someone vouched for: one a person typed in their contact details, or an
        # identity provider that does not verify addresses sent, never hands them another's LMS account;
        # an account merged into another (ORG-MERGE) counts as the account it became
        same = list(people.filter(email__iexact=email, email_verified=True)
                    .values_list(Coalesce("merged_into_id", "id"), flat=True).distinct()[:2])
        user = User.objects.get(pk=same[0]) if len(same) == 1 else None
        if user is not None and not platform.trust_email_for_staff and not user.is_superuser and has_back_office_rights(user):
            # an LMS that lets people change their e-mail without verifying it would hand them this
            # account (superusers are refused by check_may_sign_in, with their own message)
            raise LaunchRefused("email", f"the LMS's e-mail address {email} belongs to an account with back-office rights, and "
                                         f"{platform} is not trusted to match staff accounts by e-mail (the platform setting "
                                         "\"Trust the LMS's e-mail addresses for staff accounts\" is off); ask the library's "
                                         "administrator to link your LMS account (LTI identities in the administration)",
                                status=403)
    created = user is None
    if user is None:
        from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
        import secrets

        first, last = names_of(claims)
        user = User.objects.create(username=_username(platform, claims), institution=platform.institution,
                                   # the LMS vouches for it, when it verifies addresses (LMS-1, LMS-3)
                                   **email_values(None, email[:254], verified=platform.verifies_email),
                                   first_name=first, last_name=last,
                                   password=UNUSABLE_PASSWORD_PREFIX + secrets.token_hex(20))
        audit.created(None, user, note=f"LTI launch from {platform}")
    Identity.objects.create(issuer=platform.issuer, sub=claims["sub"], user=user, sis_id=sourced)
    return user, created


def _current_first(qs):
    today = clock.now().date()
    found = list(qs[:20])
    if len(found) == 1:
        return found[0]
    current = [c for c in found if c.start_date and c.end_date and c.start_date <= today <= c.end_date]
    return current[0] if len(current) == 1 else None


def _by_code(institution: Institution, code: str) -> Course | None:
    code = (code or "").strip()
    if not code:
        return None
    base = Course.objects.filter(institution=institution)
    course = _current_first(base.filter(code=code))
    if course is None and "-" in code:
        head, section = code.rsplit("-", 1)
        course = _current_first(base.filter(code=head, section=section))
    return course


def _by_sis_ids(institution: Institution, sis_ids: list[str]) -> Course | None:
    """The course the SIS ids name: one course (a cross-listed course holds several of the ids),
    or — when they name several — the one whose term is current; None when none or ambiguous."""
    if not sis_ids:
        return None
    found = (Course.objects.filter(institution=institution, sis_ids__sis_id__in=sis_ids[:courses.MAX_SIS_IDS])
             .distinct().order_by("pk"))
    return _current_first(found)


def match_course(platform: Platform, claims: dict) -> Course | None:
    """The platform's course-match rule: the stored context id; or context label = course code
    (``CODE`` or ``CODE-SECTION``, preferring the course whose term is current); or the custom
    parameter ``course_code``; or the LIS claim's ``course_offering_sourcedid`` /
    ``course_section_sourcedid`` (comma-separated for a cross-listed course, as Canvas sends
    them) among the courses' SIS ids."""
    return _match(platform, claims)[0]


def _match(platform: Platform, claims: dict) -> tuple[Course | None, ContextLink | None]:
    """:func:`match_course`, and the context's stored link when that is how it matched."""
    context = claims.get(CLAIM + "context") or {}
    if not context.get("id"):
        return None, None   # a link outside any course (LTI Core 5.4.1): no course to open
    link = ContextLink.objects.select_related("course").filter(platform=platform, context_id=context.get("id")).first()
    if link is not None:
        return link.course, link
    return _match_by_rule(platform, claims, context), None


def _match_by_rule(platform: Platform, claims: dict, context: dict) -> Course | None:
    if platform.course_match == CourseMatch.CONTEXT_ID:
        return _current_first(Course.objects.filter(institution=platform.institution, lti_context_id=context.get("id")))
    if platform.course_match == CourseMatch.LABEL:
        return _by_code(platform.institution, context.get("label", ""))
    if platform.course_match in (CourseMatch.LIS_OFFERING, CourseMatch.LIS_SECTION):
        lis = claims.get(CLAIM + "lis") or {}
        field = "course_offering_sourcedid" if platform.course_match == CourseMatch.LIS_OFFERING else "course_section_sourcedid"
        value = lis.get(field)
        ids = [substituted(part) for part in courses.split_sis_ids(value)] if isinstance(value, str) else []
        return _by_sis_ids(platform.institution, [i for i in ids if i])
    custom = claims.get(CLAIM + "custom") or {}
    return _by_code(platform.institution, substituted(custom.get("course_code")))


def link_context(actor, platform: Platform, context: dict, course: Course, *, deployment_id: str = "",
                 memberships_url: str = "", known: ContextLink | None = None,
                 copied_from: ContextLink | None = None) -> ContextLink:
    """Remember that this LMS context is this course (and the course its context id); ``known``:
    the context's link as the launch just read it (not read again); ``copied_from``: the earlier
    context the launch's history names (:func:`earlier_context`), kept on the link (ROLL-12)."""
    if course.institution_id != platform.institution_id:
        raise RuleViolation("LMS-1", "a course of another institution cannot be linked")
    if copied_from is not None and copied_from.course_id == course.pk:
        copied_from = None   # the same course twice is no copy
    if known is not None:   # no savepoint for a link that is there
        return _keep_copied_from(actor, _keep_memberships_url(known, memberships_url), copied_from)
    with transaction.atomic():
        link, created = ContextLink.objects.get_or_create(
            platform=platform, context_id=context["id"],
            defaults={"course": course, "label": (context.get("label") or "")[:255], "title": (context.get("title") or "")[:500],
                      "deployment_id": deployment_id[:255], "memberships_url": memberships_url[:1000]})
        if not created:
            _keep_memberships_url(link, memberships_url)
        else:
            if not course.lti_context_id:
                Course.objects.filter(pk=course.pk).update(lti_context_id=context["id"][:255])
            audit.event(actor, course, "LMS context linked", note=f"{platform}: {context.get('label') or context['id']}")
        _keep_copied_from(actor, link, copied_from)
    return link


def _keep_copied_from(actor, link: ContextLink, earlier: ContextLink | None) -> ContextLink:
    """The link with the earlier LMS course it is a copy of, recorded once (audited on the course)."""
    if earlier is None or link.copied_from_id is not None or earlier.pk == link.pk or earlier.course_id == link.course_id:
        return link
    ContextLink.objects.filter(pk=link.pk).update(copied_from=earlier)
    link.copied_from = earlier
    audit.event(actor, link.course, "LMS course copy recognised",
                note=f"the LMS course {link.label or link.context_id} is a copy of {earlier.label or earlier.context_id}, "
                     f"linked to {earlier.course} (ROLL-12)")
    return link


# --- LMS course copies: $Context.id.history (LMS-1, ROLL-12) -----------------------------------

# the custom parameters the tool asks for (dynamic registration, docs/lti.md), and the names
# Brightspace uses in its own claim; LTI Core 1.3 §A.1 / LTI Advantage variable names
HISTORY = {"context": ("context_id_history", "Context.id.history"),
           "resource_link": ("resource_link_id_history", "ResourceLink.id.history")}
CUSTOM_PARAMETERS = {name: "$" + variable for name, variable in HISTORY.values()}
HISTORY_MAX_IDS = 20       # the most recent ids read; older copies are not looked for
HISTORY_ID_MAX = 255       # an LTI context id is at most 255 characters (ContextLink.context_id)
HISTORY_TEXT_MAX = 20_000  # a longer value is not split at all


@dataclass
class History:
    ids: list[str]
    problem: str = ""   # why some or all of it was ignored (audited, never refused)


def id_history(claims: dict, which: str) -> History:
    """The previous ids of the launch's context (``which="context"``) or resource link
    (``"resource_link"``), most recent first, as the platform substituted ``$Context.id.history``
    / ``$ResourceLink.id.history`` in the tool's custom parameters (Canvas, Moodle, Blackboard), or
    sent them in Brightspace's own claim.  Bounded: at most HISTORY_MAX_IDS ids of at most
    HISTORY_ID_MAX characters each; a value that is not a text, too long, or with control
    characters is ignored (the problem is said, never refused); a variable the platform did not
    substitute (sent as written) or an empty one is no history."""
    custom_name, variable = HISTORY[which]
    custom = claims.get(CLAIM + "custom")
    value = custom.get(custom_name) if isinstance(custom, dict) else None
    if value is None:
        vendor = claims.get(BRIGHTSPACE)
        value = vendor.get(variable) if isinstance(vendor, dict) else None
    if value is None:
        return History([])
    if not isinstance(value, str):
        return History([], f"{custom_name} is not a text ({type(value).__name__}): ignored")
    if len(value) > HISTORY_TEXT_MAX:
        return History([], f"{custom_name} is longer than {HISTORY_TEXT_MAX:,} characters: ignored")
    if not substituted(value) or value.strip() == "$" + variable:
        return History([])
    ids: list[str] = []
    problems = []
    for part in value.split(","):
        part = part.strip()
        if not part:
            continue
        if len(part) > HISTORY_ID_MAX or any(ord(ch) < 32 or ord(ch) == 127 for ch in part):
            problems.append(f"an id of {custom_name} is longer than {HISTORY_ID_MAX} characters or has control "
                            "characters: ignored")
            continue
        if part not in ids:
            ids.append(part)
    if len(ids) > HISTORY_MAX_IDS:
        problems.append(f"{custom_name} names {len(ids)} ids: only the {HISTORY_MAX_IDS} most recent are read")
        ids = ids[:HISTORY_MAX_IDS]
    return History(ids, "; ".join(dict.fromkeys(problems)))


def earlier_context(platform: Platform, deployment_id: str, context_id: str, history: list[str]) -> ContextLink | None:
    """The most recent context of ``history`` the tool has linked to a course — of this platform
    and this deployment only: a history id is the platform's word about its own courses, never
    about another platform's or another deployment's (LMS-1, ROLL-12)."""
    ids = [i for i in history if i != context_id]
    if not ids or not deployment_id:
        return None
    found = {link.context_id: link for link in ContextLink.objects.select_related("course", "course__institution")
             .filter(platform=platform, deployment_id=deployment_id, context_id__in=ids,
                     course__institution_id=platform.institution_id)}
    return next((found[i] for i in ids if i in found), None)


HISTORY_IGNORED = "LMS course copy history ignored"


def _note_bad_history(platform: Platform, claims: dict, problems: list[str]) -> None:
    """The platform's audit trail says why a launch's history was ignored — once a (UTC) day per
    platform: a platform that sends a bad history sends it on every launch, and the first note of
    the day tells its administrator what to fix (ROLL-12)."""
    problems = [p for p in problems if p]
    if not problems:
        return
    day = clock.now().replace(hour=0, minute=0, second=0, microsecond=0)
    if audit.trail(platform).filter(action=HISTORY_IGNORED, at__gte=day).exists():
        return
    context = claims.get(CLAIM + "context") or {}
    audit.event(None, platform, HISTORY_IGNORED,
                note=(f"launch in context {str(context.get('id'))[:255]!r}: {'; '.join(problems)}"[:900]
                      + " (noted once a day for this platform: its later launches today with a bad history are not)"))


HISTORY_PROBLEM_SHOWN_DAYS = 7


def recent_history_problem(platform: Platform):
    """The platform's latest *history ignored* note of the last HISTORY_PROBLEM_SHOWN_DAYS days
    (its administration page shows it), or None (ROLL-12)."""
    since = clock.now() - dt.timedelta(days=HISTORY_PROBLEM_SHOWN_DAYS)
    return audit.trail(platform).filter(action=HISTORY_IGNORED, at__gte=since).order_by("-at", "-id").first()


def _keep_memberships_url(link: ContextLink, memberships_url: str) -> ContextLink:
    """The link with the launch's roster address, when it offers another one."""
    if memberships_url and link.memberships_url != memberships_url:
        ContextLink.objects.filter(pk=link.pk).update(memberships_url=memberships_url[:1000])
        link.memberships_url = memberships_url
    return link


def memberships_url_of(claims: dict) -> str:
    """The launch's Names and Role service address (NRPS 2.0 §3.6.1 claim), "" when it offers none
    the tool can use: a string URL, and — when the claim lists ``service_versions`` — version 2.0
    among them (a platform offering only 1.0 answers another container format; LMS-2)."""
    nrps = claims.get(NRPS_CLAIM) or {}
    url = nrps.get("context_memberships_url")
    versions = nrps.get("service_versions")
    if not isinstance(url, str) or (isinstance(versions, list) and "2.0" not in versions):
        return ""
    return url


@dataclass
class Launch:
    user: User
    platform: Platform
    role: str | None
    course: Course | None
    context: dict
    kind: str
    claims: dict
    link: ContextLink | None = None   # the context's link to the course
    earlier: ContextLink | None = None   # the earlier LMS course this context is a copy of (ROLL-12)
    placement_copied: bool = False   # the resource link's $ResourceLink.id.history names an earlier link (ROLL-12)


def accept(login: LoginState, claims: dict) -> Launch:
    """All checks passed: consume the login (once), find or create the person, match the course,
    enrol by role — in one transaction."""
    platform = login.platform
    now = clock.now()
    with transaction.atomic():
        if LoginState.objects.filter(pk=login.pk, used_at__isnull=True).update(used_at=now) != 1:
            raise LaunchRefused("nonce", "replayed launch: its nonce was already used")
        user, _ = person_for(platform, claims)
        Identity.objects.filter(issuer=platform.issuer, sub=claims["sub"]).update(last_launch_at=now)
        try:  # inactive, expired, or a platform superuser: the same checks as an SSO sign-in
            check_may_sign_in(user, rule="LMS-1", through_institution=True)
        except RuleViolation as exc:
            raise LaunchRefused("user", f"{exc.detail}; ask the library", status=403)
        role = role_of(claims)
        context = claims.get(CLAIM + "context") or {}
        course, link = _match(platform, claims)
        earlier, placement_copied = None, False
        if context.get("id"):
            history, links = id_history(claims, "context"), id_history(claims, "resource_link")
            _note_bad_history(platform, claims, [history.problem, links.problem])
            earlier = earlier_context(platform, claims[CLAIM + "deployment_id"], context["id"], history.ids)
            link_id = (claims.get(CLAIM + "resource_link") or {}).get("id")
            placement_copied = any(i != link_id for i in links.ids)
        if course is not None and link is None and earlier is not None and earlier.course_id == course.pk:
            # ROLL-12: the rule found the course the LMS course was copied from (same label, the new
            # term's course not there yet): a copy for a new term is not last term's course
            course = None
        if course is not None:
            link = link_context(user, platform, context, course, deployment_id=claims[CLAIM + "deployment_id"],
                                memberships_url=memberships_url_of(claims), known=link, copied_from=earlier)
            if role:
                courses.apply_roster(None, {course.pk: course}, {(course.pk, user.pk): role}, source=f"LTI launch, {platform}")
        remember_launch_origins(platform, claims)
    return Launch(user=user, platform=platform, role=role, course=course, context=context,
                  kind=claims[CLAIM + "message_type"], claims=claims, link=link, earlier=earlier,
                  placement_copied=placement_copied)


def create_course_for_context(actor: User, platform: Platform, context: dict) -> Course:
    """An instructor's new course for an unmatched LMS context (code from the label, name from the title)."""
    label = (context.get("label") or context.get("id") or "").strip()[:60]
    title = (context.get("title") or label).strip()[:300]
    exists = Course.objects.filter(institution=platform.institution, code=label, section="", term="").exists()
    if exists:
        raise RuleViolation("LMS-1", f"a course {label} already exists: link it instead", status=409)
    with transaction.atomic():
        course = Course.objects.create(institution=platform.institution, code=label, name=title)
        audit.created(actor, course, note=f"from the LMS context {context.get('id')} of {platform}")
        course.instructors.add(actor)
        audit.event(actor, course, "instructor added", note=f"{actor.username} (LTI)")
    return course


def earlier_course(course: Course) -> Course | None:
    """The earlier course whose lists an instructor of ``course`` may take (ROLL-12): the course of
    the LMS course one of ``course``'s LMS courses was copied from — with lists, both courses with a
    term and the terms different, and not every one of its lists copied to ``course``'s term yet."""
    from syllabus.lists.models import ResourceList, RolloverEntry

    link = (ContextLink.objects.select_related("copied_from__course").filter(course=course, copied_from__isnull=False)
            .order_by("-created_at", "-id").first())
    old = link.copied_from.course if link is not None and link.copied_from is not None else None
    if old is None or not old.term or not course.term or old.term == course.term:
        return None
    ids = list(ResourceList.objects.filter(courses=old).values_list("id", flat=True)[:500])
    copied = RolloverEntry.objects.filter(source_id__in=ids, to_term=course.term, outcome=RolloverEntry.COPIED).count()
    return old if ids and copied < len(ids) else None


def copy_waiting(context_link: ContextLink | None) -> bool:
    """Does the earlier course named by an LMS course copy have lists (what its students wait for)?"""
    from syllabus.lists.models import ResourceList

    return context_link is not None and ResourceList.objects.filter(courses=context_link.course_id).exists()


def _copied(report) -> None:
    """A rollover of one course (ROLL-12) that copied nothing because a list failed: its refusal."""
    failed = [r for r in report.lists if r.outcome == "failed"]
    if failed and not any(r.outcome == "copied" for r in report.lists):
        raise RuleViolation(failed[0].rule, failed[0].detail)


def copies_automatically(institution: Institution) -> bool:
    """ROLL-12: does the institution make the rollover copy at the instructor's launch
    (``lms_course_copy_lists`` = ``automatic``) rather than offer it?"""
    from syllabus.org import config

    return config.get("lms_course_copy_lists", institution=institution) == "automatic"


def take_earlier_lists(actor: User, course: Course):
    """ROLL-12: an instructor of ``course`` takes the rollover copy of the lists of the course its LMS
    course was copied from (:func:`earlier_course`) — the term rollover of that one course
    (``lists.rollover.roll_over_course``): drafts being prepared, until they publish them."""
    from syllabus.lists.rollover import roll_over_course

    if not course.instructors.filter(pk=actor.pk).exists():
        raise RuleViolation("ROLL-12", "only an instructor of the course copies the earlier course's lists into it", status=403)
    old = earlier_course(course)
    if old is None:
        raise RuleViolation("ROLL-12", "the LMS names no earlier course with lists to copy into this course "
                                       "(or they were copied already)")
    report = roll_over_course(actor, old, to_term=course.term, target=course)
    _copied(report)
    return report


def pending_earlier(platform: Platform, pending: dict) -> ContextLink | None:
    """The earlier context an unmatched LMS course's launch named (kept in the session), checked
    again against the platform and deployment, when its course has lists (ROLL-12)."""
    pk = pending.get("copied_from")
    if not isinstance(pk, int):
        return None
    earlier = (ContextLink.objects.select_related("course", "course__institution")
               .filter(pk=pk, platform=platform, deployment_id=str(pending.get("deployment") or ""),
                       course__institution_id=platform.institution_id).first())
    return earlier if copy_waiting(earlier) else None


def course_from_copy(actor: User, platform: Platform, pending: dict, term: str, to_term_start=None) -> tuple[Course, ContextLink]:
    """ROLL-12: an instructor's LMS course, copied from an LMS course linked to an earlier course
    and not linked yet: the earlier course's rollover into ``term`` — its course of that term with
    the same code and section, found or created (ROLL-1), with the copies of its lists — then
    linked to the LMS course and the instructor enrolled as its instructor."""
    from syllabus.lists.rollover import roll_over_course

    earlier = pending_earlier(platform, pending)
    if earlier is None:
        raise RuleViolation("ROLL-12", "this LMS course names no earlier course with lists")
    old = earlier.course
    report = roll_over_course(actor, old, to_term=term, to_term_start=to_term_start)
    _copied(report)
    course = Course.objects.filter(institution=platform.institution, code=old.code, section=old.section, term=term.strip()).first()
    if course is None:
        raise RuleViolation("ROLL-12", f"no course {old.label} of {term.strip()} was found or created")
    link = link_context(actor, platform, pending["context"], course, deployment_id=pending.get("deployment", ""),
                        memberships_url=pending.get("memberships_url", ""), copied_from=earlier)
    courses.apply_roster(actor, {course.pk: course}, {(course.pk, actor.pk): courses.INSTRUCTOR}, source=f"LTI launch, {platform}")
    return course, link


def copied_target(course: Course, target: tuple[str, int] | None, *, copied: bool = False) -> tuple[str, int] | None:
    """Where a placement's ``syllabus_target`` leads in ``course`` (ROLL-12).  A placement copied
    with its LMS course names last term's list, section or item: then the same place in the
    rollover copy of that list linked to ``course`` — a section of the same title, an item of the
    same title (the list itself when the instructor has removed it).  Without a copy yet, a copied
    placement (``copied``: the link's ``$ResourceLink.id.history`` names an earlier link, or the
    LMS course is a recognised copy of the target's course) leads to the course, never to last
    term's list: its students are told the list is being prepared, its instructor is offered the
    copy.  Any other target is left as it is (its own checks apply when it is opened)."""
    from syllabus.lists.models import Citation, ResourceList, RolloverEntry, Section

    if target is None:
        return None
    kind, pk = target
    row: Section | Citation | None = None
    if kind == "list":
        source_id: int | None = pk
    else:
        row = (Section if kind == "section" else Citation).objects.filter(pk=pk).first()
        source_id = row.resource_list_id if row is not None else None
    if source_id is None or ResourceList.objects.filter(pk=source_id, courses=course).exists():
        return target
    copy_id = (RolloverEntry.objects.filter(source_id=source_id, outcome=RolloverEntry.COPIED, copy__courses=course)
               .order_by("-id").values_list("copy_id", flat=True).first())
    if copy_id is None:
        copied = copied or ContextLink.objects.filter(course=course, copied_from__course__resource_lists=source_id).exists()
        return None if copied else target
    if isinstance(row, Section):
        sections = Section.objects.filter(resource_list_id=copy_id, title=row.title).order_by("position", "id")
        found = (sections.filter(position=row.position).values_list("pk", flat=True).first()
                 or sections.values_list("pk", flat=True).first())
        return ("section", found) if found else ("list", copy_id)
    if isinstance(row, Citation):
        items = Citation.objects.filter(resource_list_id=copy_id, title=row.title, type=row.type).order_by("position", "id")
        found = (items.filter(section__title=row.section.title, position=row.position).values_list("pk", flat=True).first()
                 or items.values_list("pk", flat=True).first())
        return ("item", found) if found else ("list", copy_id)
    return ("list", copy_id)


def ask_to_collaborate(user: User, course: Course, list_id: int) -> int:
    """An instructor of ``course`` who may only read one of its lists (LST-8: only owners and
    collaborators edit) asks its owners to add them as a collaborator — from the page their LMS
    launch opened (LMS-1).  One letter to each owner through the outbox, once per person and list
    (asking again sends nothing new); audited on the list.  Returns how many owners were asked."""
    from syllabus.lists.models import ResourceList
    from syllabus.notify.services import queue_letter

    if not course.instructors.filter(pk=user.pk).exists():
        raise RuleViolation("LST-8", "only an instructor of the course may ask to edit its lists", status=403)
    lst = ResourceList.objects.filter(pk=list_id, courses=course, institution_id=course.institution_id).first()
    if lst is None:
        raise RuleViolation("LST-8", "this list is not a list of the course", status=404)
    if lst.owners.filter(pk=user.pk).exists() or lst.collaborators.filter(pk=user.pk).exists():
        raise RuleViolation("LST-8", "you already edit this list")
    owners = list(lst.owners.filter(is_active=True).order_by("pk"))
    if not owners:
        raise RuleViolation("LST-8", "the list has no owner: ask the library to add you as a collaborator")
    context = {"requester": user.get_full_name() or user.username, "username": user.username, "list_title": lst.title,
               "courses": ", ".join(c.label for c in lst.courses.order_by("code", "section")), "link": f"/lists/{lst.pk}/edit/"}
    with transaction.atomic():
        for owner in owners:
            queue_letter("collaboration_asked", owner, {**context, "owner": owner.get_full_name() or owner.username},
                         key=f"lti-collab:{lst.pk}:{user.pk}:{owner.pk}", institution=course.institution)
        audit.event(user, lst, "collaboration asked", note=", ".join(o.username for o in owners))
    return len(owners)


# --- Names and Role Provisioning (LMS-2) ------------------------------------------------------

def roster_limits() -> tuple[int, int]:
    """(pages, members) a roster sync reads at most: LTI_ROSTER_MAX_PAGES (200, at most 2,000) and
    LTI_ROSTER_MAX_MEMBERS (50,000, at most 200,000)."""
    return (int(setting_within("LTI_ROSTER_MAX_PAGES", MAX_ROSTER_PAGES, 1, 2_000)),
            int(setting_within("LTI_ROSTER_MAX_MEMBERS", MAX_MEMBERS, 1, 200_000)))


def fetch_members(platform: Platform, url: str | None) -> list[dict]:
    """Every member of the context, following ``Link: <...>; rel="next"`` (NRPS 2.0 §2.4) — all
    pages or nothing: any failure raises before the caller changes anything.  pylti1p3's own pager
    lower-cases the next URL, which breaks case-sensitive URLs: we page here.  The access token is
    the platform's kept one (:func:`platform_http.access_token`); a 401 drops it and asks for a new
    one once.  429/503 raise a :class:`platform_http.ServiceError` with ``retry_at``."""
    session = outbound.session(rule="LMS-2")
    session.headers["User-Agent"] = "Syllabus-LTI"
    max_pages, max_members = roster_limits()
    connect, read = platform_http.timeouts()
    token = platform_http.access_token(platform, [NRPS_SCOPE], session)
    renewed = False
    members: list[dict] = []
    seen = set()
    pages = 0
    url = with_page_limit(url or "")
    first = url
    while url:
        if url in seen:
            raise RuleViolation("LMS-2", f"the platform's roster pages do not end (page {pages + 1} links back to an earlier "
                                         "page); nothing was changed", status=502)
        if pages >= max_pages:
            raise RuleViolation("LMS-2", f"the LMS course's roster has more than {max_pages:,} pages (LTI_ROSTER_MAX_PAGES): "
                                         "refused, nothing was changed", status=502)
        try:
            r = session.get(url, headers={"Authorization": f"Bearer {token}", "Accept": NRPS_MEDIA}, timeout=(connect, read))
        except requests.Timeout:
            raise platform_http.ServiceError("LMS-2", f"the platform did not answer roster page {pages + 1} in time (connect "
                                                      f"{connect:g} s, read {read:g} s); nothing was changed", status=504)
        except requests.RequestException as exc:
            raise RuleViolation("LMS-2", f"the roster could not be read: {str(exc)[:300]}", status=502)
        if r.status_code == 401 and not renewed:   # revoked or expired early: one new token, same page
            platform_http.forget_token(platform, [NRPS_SCOPE])
            token = platform_http.access_token(platform, [NRPS_SCOPE], session)
            renewed = True
            continue
        waiting = platform_http.busy("LMS-2", f"roster page {pages + 1}", r)
        if waiting is not None:
            raise waiting
        seen.add(url)
        pages += 1
        if r.status_code != 200:
            raise RuleViolation("LMS-2", f"the platform answered {r.status_code} to the roster request (page {pages}); "
                                         "nothing was changed", status=502)
        try:
            page = jsondata.loads(r.content)
        except ValueError:
            raise RuleViolation("LMS-2", "the platform's roster is not JSON; nothing was changed", status=502)
        found = page.get("members") if isinstance(page, dict) else None
        if not isinstance(found, list):
            raise RuleViolation("LMS-2", f"roster page {pages} has no list of members (NRPS 2.0 §2.3); nothing was changed",
                                status=502)
        members += [m for m in found if isinstance(m, dict)]
        if len(members) > max_members:
            raise RuleViolation("LMS-2", f"the LMS course has more than {max_members:,} members (LTI_ROSTER_MAX_MEMBERS): "
                                         "refused, nothing was changed", status=502)
        url = next_page(r, url, first)
    return members


ROSTER_PAGE_LIMIT = 1000   # members asked for a page (NRPS 2.0 §2.4.1 ``limit``); platforms answer at most their own maximum


def with_page_limit(url: str) -> str:
    """The memberships URL asking for ROSTER_PAGE_LIMIT members a page (NRPS 2.0 §2.4.1), unless
    the platform's URL sets a ``limit`` itself: without it Canvas answers 10 members a page, and a
    course of 2,001 would pass LTI_ROSTER_MAX_PAGES (200) and never sync.  The next pages' URLs
    are the platform's own (they carry the limit on)."""
    if not url:
        return url
    parts = urlsplit(url)
    if any(k == "limit" for k, _ in parse_qsl(parts.query, keep_blank_values=True)):
        return url
    query = f"{parts.query}&limit={ROSTER_PAGE_LIMIT}" if parts.query else f"limit={ROSTER_PAGE_LIMIT}"
    return urlunsplit(parts._replace(query=query))


def next_page(response, url: str, first: str) -> str | None:
    """The roster's next page (NRPS 2.0 §2.4.2): the ``Link`` header's entry whose relation types
    include ``next`` — among others (Canvas lists current, next, first and last; RFC 8288 §3.3 allows
    several types in one ``rel``) — resolved against the page's URL (a relative reference, RFC 8288
    §3.1).  A next page on another origin than the roster's own is refused (LMS-2): the platform's
    access token is never sent to another host."""
    for link in requests.utils.parse_header_links(response.headers.get("Link") or ""):
        if "next" in str(link.get("rel") or "").lower().split():
            found = urljoin(url, link.get("url") or "")
            if _origin(found) != _origin(first):
                raise RuleViolation("LMS-2", f"the roster's next page is on another host ({_origin(found)[:200]}) than the "
                                             "roster's own: not followed (the access token is not sent there); nothing was "
                                             "changed", status=502)
            return found
    return None


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


def member_claims(member: dict) -> dict:
    """A roster member (NRPS 2.0 §2.3) as the launch claims :func:`person_for` reads: its
    ``user_id`` (the launch's ``sub``), names, e-mail and ``lis_person_sourcedid``, and the claims
    of its ``message`` (§2.4.1: a platform asked for a resource link's messages puts there what a
    launch would carry, Brightspace's ``http://www.brightspace.com`` claim included)."""
    claims: dict = {}
    for message in member.get("message") or []:
        if isinstance(message, dict) and isinstance(message.get(BRIGHTSPACE), dict):
            claims[BRIGHTSPACE] = message[BRIGHTSPACE]
    names = {k: member.get(k) if isinstance(member.get(k), str) else "" for k in ("email", "given_name", "family_name", "name")}
    return {**claims, **names, "sub": str(member["user_id"])[:255],
            CLAIM + "lis": {"person_sourcedid": substituted(member.get("lis_person_sourcedid"))}}


def _sync_failed(link: ContextLink, actor, exc: RuleViolation) -> None:
    """Record why a sync failed on the link (what its administrator sees) and in the course's audit
    trail.  A platform that asked to be asked later (429/503) is asked again at ``retry_at``, at
    most RETRY_ATTEMPTS times in a row; then the sync waits for its usual turn."""
    now = clock.now()
    record: dict = {"error": str(exc)}
    retry_at = getattr(exc, "retry_at", None)
    before = link.last_sync if isinstance(link.last_sync, dict) else {}
    attempts = int(before.get("retries") or 0) + 1 if retry_at is not None else 0
    if retry_at is not None and attempts <= RETRY_ATTEMPTS:
        record.update({"retry_at": retry_at.isoformat(), "retries": attempts})
    for kept in ("created", "updated", "unchanged", "removed", "members", "skipped"):
        if kept in before:   # the last good sync's summary stays readable beside the error
            record.setdefault("last_good", {})[kept] = before[kept]
    if "last_good" in before:
        record.setdefault("last_good", before["last_good"])
    ContextLink.objects.filter(pk=link.pk).update(last_synced_at=now, last_sync=record)
    link.last_sync = record
    audit.event(actor, link.course, "roster sync failed", note=str(exc))


RETRY_ATTEMPTS = 5   # a platform answering 429/503 is asked again at most this many times in a row


def sync_roster(link: ContextLink, actor=None) -> dict:
    """Make the course's roster what the LMS says: active Learners enrolled, active Instructors and
    TeachingAssistants teaching; those no longer active (or gone) removed.  People are found as at
    launch; unknown ones are created.  Audited; the summary is kept on the link.  Nothing changes
    unless every roster page was read (a failure, a busy platform, a roster past the limits)."""
    platform = link.platform
    course = link.course
    try:
        members = fetch_members(platform, link.memberships_url)
    except RuleViolation as exc:
        _sync_failed(link, actor, exc)
        raise
    wanted: dict[tuple[int, int], str] = {}
    skipped = refused = 0
    with transaction.atomic():
        for m in members:
            role = role_of({CLAIM + "roles": m.get("roles") or []})
            if role is None or (m.get("status") or "Active") != "Active" or not m.get("user_id") or is_test_user(m.get("roles")):
                skipped += 1   # (the LMS's own preview person is no student of the course: not counted, LMS-2)
                continue
            claims = member_claims(m)
            try:
                user, _ = person_for(platform, claims)
            except LaunchRefused as exc:  # an e-mail match to a staff account: nobody linked, nobody created
                log.warning("LTI roster sync of %s refused member %s: %s", link, claims["sub"], exc)
                refused += 1
                continue
            pair = (course.pk, user.pk)
            if wanted.get(pair) != courses.INSTRUCTOR:
                wanted[pair] = role
        changes = courses.apply_roster(actor, {course.pk: course}, wanted, replace={course.pk},
                                       source=f"LMS roster sync, {platform}")
        summary = {**changes.as_dict(), "members": len(members), "skipped": skipped,
                   **({"refused": refused} if refused else {})}
        ContextLink.objects.filter(pk=link.pk).update(last_synced_at=clock.now(), last_sync=summary)
        audit.event(actor, course, "roster synced", changes={k: [None, v] for k, v in summary.items()},
                    note=f"{platform}: created {summary['created']}, updated {summary['updated']}, "
                         f"unchanged {summary['unchanged']}, removed {summary['removed']}"
                         + (f", refused {refused} (e-mail of a staff account, LMS-1)" if refused else ""))
    return summary


def retry_due_at(link: ContextLink) -> dt.datetime | None:
    """When a platform that answered 429/503 asked to be asked again (None: no such wait)."""
    value = (link.last_sync or {}).get("retry_at") if isinstance(link.last_sync, dict) else None
    try:
        return dt.datetime.fromisoformat(value) if isinstance(value, str) else None
    except ValueError:
        return None


def links_due(now, hours: int) -> list[ContextLink]:
    """The links to sync now: not synced for ``hours``, or whose platform's Retry-After has passed
    — never one whose platform asked to wait longer (LMS-2)."""
    base = (ContextLink.objects.select_related("platform", "course", "platform__institution")
            .filter(platform__active=True).exclude(memberships_url=""))
    found = {link.pk: link for link in base.filter(Q(last_synced_at__isnull=True)
                                                   | Q(last_synced_at__lte=now - dt.timedelta(hours=hours)))[:500]}
    for link in base.filter(last_sync__has_key="retry_at").order_by("last_synced_at")[:500]:
        found.setdefault(link.pk, link)
    return [link for link in found.values() if (retry_due_at(link) or now) <= now][:500]


def forget_old_logins(now) -> int:
    LaunchTicket.objects.filter(created_at__lte=now - dt.timedelta(days=1)).delete()
    return LoginState.objects.filter(created_at__lte=now - dt.timedelta(days=1)).delete()[0]


# --- "Open in a new window" (a browser that keeps no cookie in the LMS frame) ----------------

def _ticket_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_ticket(user: User, platform: Platform, destination: str, carry: dict | None = None) -> str:
    """A one-time secret that signs ``user`` in at the top level and goes on to ``destination``
    (a path of this tool); only its hash is stored."""
    import secrets

    if not destination.startswith("/") or destination.startswith("//"):
        raise ValueError(f"a ticket's destination is a path of this tool, not {destination!r}")
    token = secrets.token_urlsafe(32)
    LaunchTicket.objects.create(token_hash=_ticket_hash(token), user=user, platform=platform, destination=destination[:1000],
                                carry=carry or {})
    return token


def redeem_ticket(token: str) -> LaunchTicket:
    """The ticket's person and destination, consumed once: unknown, used, or older than
    TICKET_LIFETIME is refused (LMS-1)."""
    if not token or len(token) > 200:
        raise LaunchRefused("ticket", "this link to open Syllabus in a new window is not valid")
    ticket = LaunchTicket.objects.select_related("user", "platform").filter(token_hash=_ticket_hash(token)).first()
    if ticket is None:
        raise LaunchRefused("ticket", "this link to open Syllabus in a new window is not valid")
    if ticket.created_at <= clock.now() - TICKET_LIFETIME:
        raise LaunchRefused("ticket", "this link to open Syllabus in a new window has expired (2 minutes); open it again from the LMS")
    if LaunchTicket.objects.filter(pk=ticket.pk, used_at__isnull=True).update(used_at=clock.now()) != 1:
        raise LaunchRefused("ticket", "this link to open Syllabus in a new window was already used; open it again from the LMS")
    try:
        check_may_sign_in(ticket.user, rule="LMS-1", through_institution=True)
    except RuleViolation as exc:
        raise LaunchRefused("user", f"{exc.detail}; ask the library", status=403)
    return ticket


def frame_origins_of(platform_ids) -> list[str]:
    return sorted({o for p in Platform.objects.filter(pk__in=list(platform_ids), active=True) for o in platform_frame_origins(p)})


# Instructure's hosted Canvas names one issuer for every school, whatever the school's domain
# (doc/api/lti_dev_key_config.md of instructure/canvas-lms: production, beta, test)
CANVAS_CLOUD_ISSUERS = ("https://canvas.instructure.com", "https://canvas.beta.instructure.com",
                        "https://canvas.test.instructure.com")


def platform_frame_origins(platform: Platform) -> list[str]:
    """LMS-1: the origins that may frame a platform's pages before its launch is read (the OIDC
    login, the storage page, a refusal): its login URL's origin; for Instructure's hosted Canvas
    (one shared issuer, sign-in on its own host) also the school Canvases on Instructure's hosts
    (``https://*.instructure.com``..., settings.LTI_CANVAS_CLOUD_HOSTS); the administrator's "LMS
    web addresses" (a Canvas on the school's own domain, canvas.school.edu); and the LMS origins
    the platform's verified launches named (:func:`remember_launch_origins`: Blackboard Learn's
    learn.school.edu behind developer.blackboard.com)."""
    origins = [platform.origin]
    if platform.issuer in CANVAS_CLOUD_ISSUERS:
        origins += [f"https://*.{host}" for host in settings.LTI_CANVAS_CLOUD_HOSTS]
    kept = platform.seen_origins if isinstance(platform.seen_origins, list) else []
    for origin in [*platform.lms_origin_list, *kept[:settings.LTI_FRAME_ORIGINS_KEPT]]:
        if origin not in origins and origin_of(origin, ("https", "http"), wildcard=True) == origin:
            origins.append(origin)
    return origins


def named_origins(platform: Platform, claims: dict) -> list[str]:
    """The LMS origins a launch names as its own pages: ``launch_presentation.return_url`` and
    ``tool_platform.url`` — only over https or the platform's own scheme, with a host and no user
    part."""
    scheme = urlsplit(platform.origin).scheme
    named = []
    for holder, field in ((CLAIM + "launch_presentation", "return_url"), (CLAIM + "tool_platform", "url")):
        value = claims.get(holder)
        origin = origin_of(value.get(field), ("https", scheme)) if isinstance(value, dict) else None
        if origin and origin not in named:
            named.append(origin)
    return named


def launch_frame_origins(platform: Platform, claims: dict) -> list[str]:
    """LMS-1: the origins that may frame a launched session — the platform's (its login URL's) and
    the LMS pages the signed launch names as its own: ``launch_presentation.return_url`` and
    ``tool_platform.url``.  Hosted Canvas and Blackboard Learn sign people in on a shared host
    (``sso.canvaslms.com``, ``developer.blackboard.com``) but show the tool in a page of the school's
    host (``school.instructure.com``, ``learn.school.edu``), which only the launch names."""
    origins = platform_frame_origins(platform)
    return origins + [o for o in named_origins(platform, claims) if o not in origins]


def remember_launch_origins(platform: Platform, claims: dict) -> None:
    """After a verified launch: keep the LMS origins it named on the platform (newest first, at
    most settings.LTI_FRAME_ORIGINS_KEPT), so that the platform's next login-time pages may be
    framed there too (LMS-1).  Writes only when an origin is new; audited."""
    named = [o for o in named_origins(platform, claims) if o != platform.origin]
    if not named or all(o in (platform.seen_origins or []) for o in named):
        return
    with transaction.atomic():
        locked = Platform.objects.select_for_update().get(pk=platform.pk)
        before = locked.seen_origins if isinstance(locked.seen_origins, list) else []
        new = [o for o in named if o not in before]
        if not new:
            return
        kept = (new + before)[:settings.LTI_FRAME_ORIGINS_KEPT]
        Platform.objects.filter(pk=locked.pk).update(seen_origins=kept)
        audit.event(None, locked, "LMS web address named by a launch", note=", ".join(new),
                    changes={"seen_origins": [before, kept]})
    platform.seen_origins = kept


def all_frame_origins() -> list[str]:
    return sorted({o for p in Platform.objects.filter(active=True) for o in platform_frame_origins(p)})


_SAFE_TARGET = re.compile(r"^(list|section|item):(\d{1,18})$")


def parse_target(value: str) -> tuple[str, int] | None:
    m = _SAFE_TARGET.match((value or "").strip())
    return (m.group(1), int(m.group(2))) if m else None

"""LTI pages (LMS-1, LMS-2): OIDC login, launch, JWKS — public, called by the LMS — then, for the
person the launch signed in: link or create a course for an unmatched context, the course's
lists, the "no reading list yet" page, and the deep-linking picker (plain forms, no JavaScript).

Thin: the checks and changes are in :mod:`syllabus.lti.services`."""
from __future__ import annotations

import logging
from urllib.parse import parse_qs, urlsplit

import jwt
from django.conf import settings
from django.contrib.auth import login as sign_in
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

from syllabus.core import outbound
from syllabus.core.errors import RuleViolation
from syllabus.core.tasks import enqueue
from syllabus.courses import services as course_services
from syllabus.courses.models import Course
from syllabus.web import csp
from syllabus.web.errors import query_ceiling, refusal
from syllabus.web.middleware import SESSION_LANGUAGE, set_session_language

from . import forms, keys, platform_http, services
from .config import DbToolConf
from .models import Platform
from .pylti import MessageLaunch, OIDCLogin, StateSession
from .services import CLAIM, DL_CLAIM, LaunchRefused

log = logging.getLogger("syllabus.lti")
SESSION = "lti"


def _base(request) -> str:
    return request.build_absolute_uri("/")


def refused(request, exc: RuleViolation, platform: Platform | None = None):
    """The refusal page: LMS-1 and what was wrong; framable by the platform that sent us here."""
    if platform is not None:
        request.lti_frame_origins = services.platform_frame_origins(platform)
    log.info("LTI refused: %s", exc)
    advice = [_("Nothing was changed. Go back to your course in the LMS and open the link again; if it "
                "keeps failing, tell the library which link and this message.")]
    if getattr(exc, "what", "") == "state" and not request.COOKIES:
        advice.append(_("Your browser sent no cookie with this launch: it blocks cookies of other sites inside the LMS "
                        "page, and your LMS did not offer to keep the launch for Syllabus. Use your LMS's “open in a "
                        "new window” option."))
    return refusal(request, exc, heading=_("Syllabus could not open this from your LMS"), testid="lti-refused",
                   advice=tuple(advice))


def _same_origin(request) -> bool:
    """Did this POST come from a page of this tool?  Fetch Metadata (``Sec-Fetch-Site``), which
    no page of another site can forge; a browser without it: the ``Origin`` header (``null``
    under Referrer-Policy: no-referrer)."""
    site = request.headers.get("Sec-Fetch-Site")
    if site is not None:
        return site == "same-origin"
    origin = request.headers.get("Origin")
    return origin in (None, "null", _base(request).rstrip("/"))


# LTI names no length: an lti_message_hint is often a JWT of a few thousand characters.  Every
# parameter of a login is at most LOGIN_PARAM characters, so that the authentication request the
# tool redirects to stays under Django's 16,384-character redirect ceiling (a bare 400 after the
# login was recorded, before this ceiling)
LOGIN_PARAM = 4_000


@query_ceiling(LOGIN_PARAM)
@csrf_exempt
@never_cache
@require_http_methods(["GET", "POST"])
def login(request):
    """OIDC third-party initiated login (LTI Core 5.1.1): answer with the authentication request."""
    params = request.POST if request.method == "POST" else request.GET
    for name, values in params.lists():
        if len(name) > LOGIN_PARAM or any(len(v) > LOGIN_PARAM for v in values):
            return refused(request, LaunchRefused("login", f"{name[:40]}: at most {LOGIN_PARAM} characters"))
    iss, client_id = params.get("iss", ""), params.get("client_id", "")
    qs = Platform.objects.filter(issuer=iss, active=True)
    if client_id:
        qs = qs.filter(client_id=client_id)
    found = list(qs[:2])
    if len(found) != 1:
        why = "several platforms share this issuer: the login must name its client_id" if found else \
            f"no platform with issuer {iss!r}{' and client id ' + repr(client_id) if client_id else ''} is registered"
        return refused(request, LaunchRefused("platform", why))
    platform = found[0]
    try:
        target = services.check_target_link(params.get("target_link_uri", ""), _base(request))
        if not params.get("login_hint"):
            raise LaunchRefused("login_hint", "the login request has no login_hint")
        storage_target = services.storage_target_of(params.get("lti_storage_target"))
        oidc = OIDCLogin(request, DbToolConf(), session_service=StateSession(request))
        redirect_obj = oidc.get_redirect_object(request.build_absolute_uri(reverse("lti:launch")))
    except LaunchRefused as exc:
        return refused(request, exc, platform)
    except Exception as exc:  # pylti1p3's OIDCException and friends
        return refused(request, LaunchRefused("login", f"the login request is not valid: {exc}"), platform)
    query = parse_qs(urlsplit(redirect_obj.get_redirect_url()).query)
    state, nonce = query["state"][0], query["nonce"][0]
    services.record_login(platform, state, nonce, target, storage_target=storage_target)
    request.lti_frame_origins = services.platform_frame_origins(platform)
    if not storage_target:
        return redirect_obj.do_redirect()
    # LTI Client Side postMessages: keep the state and nonce in the platform's frame too (for a
    # browser that drops the state cookie), then go on to the authorization endpoint
    return redirect_obj.with_cookies(_storage_page(request, platform, storage_target, state, nonce, mode="put",
                                                   next=redirect_obj.get_redirect_url()))


STORAGE_WAIT_MS = 5_000        # an answer of the platform's storage frame
CAPABILITIES_WAIT_MS = 1_500   # lti.capabilities is optional: without an answer, lti_storage_target is the frame


def _storage_page(request, platform: Platform, target: str, state: str, nonce: str, *, mode: str, **extra):
    config = {"mode": mode, "origin": platform.origin, "target": target, "state": state, "nonce": nonce,
              "wait_ms": STORAGE_WAIT_MS, "capabilities_ms": CAPABILITIES_WAIT_MS,
              **{k: v for k, v in extra.items() if k in ("next",)}}
    request.lti_frame_origins = services.platform_frame_origins(platform)
    response = render(request, "lti/storage.html", {"config": config, **{k: v for k, v in extra.items() if k != "next"}})
    response["Referrer-Policy"] = "no-referrer"
    return response


@csrf_exempt
@never_cache
@xframe_options_exempt
@require_http_methods(["POST"])
def launch(request):
    """The redirect URI and target link URI: check everything, then sign in, enrol and land.

    A launch without the state cookie, of a login that kept its state in the platform's frame
    (``lti_storage_target``), first gets a page that reads it back from that frame and posts the
    launch again with ``lti_storage=verified`` — or with why not, which is refused."""
    id_token, state = request.POST.get("id_token", ""), request.POST.get("state", "")
    storage = request.POST.get("lti_storage", "")
    cookie = request.COOKIES.get(f"lti1p3-{state}")
    platform = None
    try:
        if not id_token:
            raise LaunchRefused("id_token", "the launch carries no id_token")
        try:
            header = jwt.get_unverified_header(id_token)
            claims = jwt.decode(id_token, options={"verify_signature": False})
        except jwt.PyJWTError:
            raise LaunchRefused("id_token", "the id_token is not a JWT")
        if cookie != state and not storage:
            pending = services.storage_login(state)
            if pending is not None:
                return _storage_page(request, pending.platform, pending.storage_target, state, pending.nonce, mode="get",
                                     id_token=id_token)
        verified = _storage_verified(request, storage) if storage else False
        login_state = services.login_for(state, cookie, storage_verified=verified)
        platform = login_state.platform
        services.check_header(header)
        services.check_claims(login_state, claims)
        if claims[CLAIM + "message_type"] == services.DEEP_LINKING and services.role_of(claims) != course_services.INSTRUCTOR:
            raise LaunchRefused("role", "only instructors add Syllabus content to the LMS course", status=403)
        # the platform's key set URL is fetched with this session: address vetted where it
        # connects (SSRF, DNS rebinding), a timeout, and the answer refused past KEY_SET_MAX bytes
        session = outbound.session(rule="LMS-1", field="keyset_url", max_bytes=services.KEY_SET_MAX)
        try:
            # the platform's key set, kept and shared by the workers; fetched again for a new kid
            # (a platform's key rotation), at most once a minute (platform_http.key_set)
            key_set = platform_http.key_set(platform, header["kid"], session)
            message = MessageLaunch(request, DbToolConf(key_set=key_set, platform=platform),
                                    session_service=StateSession(request, storage_verified=verified),
                                    requests_session=session)
            message.validate()
        except LaunchRefused:
            raise
        except RuleViolation as exc:  # from syllabus.core.outbound: the key set could not be read
            raise LaunchRefused("keyset", f"the platform's key set ({platform.keyset_url}) could not be read: {exc.detail}",
                                status=502)
        except Exception as exc:  # pylti1p3 raises LtiException (and a few others) with a message
            raise services.explain(exc, header, platform.keyset_url)
        services.adopt_first_deployment(platform, claims[CLAIM + "deployment_id"])
        result = services.accept(login_state, claims)
    except LaunchRefused as exc:
        return refused(request, exc, platform)
    sign_in(request, result.user, backend=settings.AUTHENTICATION_BACKENDS[0])
    # LMS-1: the pages of this launch speak the LMS's language (launch_presentation.locale)
    set_session_language(request, (claims.get(CLAIM + "launch_presentation") or {}).get("locale"))
    origins = services.launch_frame_origins(platform, claims)
    request.session[SESSION] = {"platform": platform.pk, "origins": origins}
    request.lti_frame_origins = origins
    response = _after_launch(request, result, platform, claims)
    if verified and response.status_code == 302:
        # this browser dropped the state cookie: it may drop the session cookie too
        return _landing(request, result.user, platform, response["Location"])
    return response


def _storage_verified(request, storage: str) -> bool:
    """``lti_storage`` as the launch page sent it: ``verified`` from a page of this tool, or the
    reason the platform's frame did not confirm the state (refused, LMS-1)."""
    if storage != "verified":
        why = storage if storage.replace("_", "").isalpha() and len(storage) <= 40 else "error"
        raise LaunchRefused("state", f"state mismatch: the LMS's storage frame did not confirm this launch's state ({why})")
    if not _same_origin(request):
        raise LaunchRefused("state", "state mismatch: the storage confirmation did not come from this tool's launch page")
    return True


LANDING = "lti_landing"


def _landing(request, user, platform: Platform, destination: str):
    """After a launch checked through the platform's frame: go on to ``destination`` if this
    browser kept the session cookie, else offer "Open in a new window" (a one-time, two-minute
    ticket posted to :func:`continue_launch`, never in a URL)."""
    import secrets

    carry = {key: request.session[key] for key in ("lti_context", "lti_deep_link", SESSION_LANGUAGE) if key in request.session}
    ticket = services.issue_ticket(user, platform, destination, carry)
    probe = secrets.token_urlsafe(12)
    request.session[LANDING] = probe
    config = {"mode": "land", "check": reverse("lti:session") + "?probe=" + probe, "next": destination}
    response = render(request, "lti/landing.html", {"config": config, "ticket": ticket})
    response["Referrer-Policy"] = "no-referrer"
    return response


@never_cache
@require_GET
def session_kept(request):
    """Did the browser send back the session cookie of the launch (the landing page asks)?"""
    probe = request.GET.get("probe", "")
    return JsonResponse({"kept": bool(probe) and request.session.get(LANDING) == probe})


@csrf_exempt   # the framed page had no CSRF cookie to give; the one-time ticket and Sec-Fetch-Site stand for it
@never_cache
@require_http_methods(["POST"])
def continue_launch(request):
    """"Open in a new window": the ticket of a launch signs its person in at the top level and
    goes on to the launch's destination (LMS-1)."""
    try:
        if not _same_origin(request):
            raise LaunchRefused("ticket", "this request did not come from Syllabus's page in the LMS")
        ticket = services.redeem_ticket(request.POST.get("ticket", ""))
    except LaunchRefused as exc:
        response = refused(request, exc)
    else:
        sign_in(request, ticket.user, backend=settings.AUTHENTICATION_BACKENDS[0])
        request.session.update(ticket.carry)
        response = redirect(ticket.destination)
    response["Referrer-Policy"] = "no-referrer"
    return response


def _after_launch(request, result, platform: Platform, claims: dict):
    if not result.context.get("id"):
        # a link outside any course (LTI Core 5.4.1; the certification's "no context" launches)
        return render(request, "lti/no_list.html", {"no_context": True, "course": None})
    link = result.link
    if link and link.memberships_url and result.role == course_services.INSTRUCTOR:
        _sync_later(link.pk)
    if result.course is None:
        request.session["lti_context"] = {"platform": platform.pk, "context": result.context,
                                          "deployment": claims[CLAIM + "deployment_id"],
                                          "memberships_url": services.memberships_url_of(claims),
                                          "deep_link": claims.get(DL_CLAIM + "deep_linking_settings")
                                          if result.kind == services.DEEP_LINKING else None,
                                          "copied_from": result.earlier.pk if result.earlier is not None else None}
        if result.role == course_services.INSTRUCTOR:
            return redirect("lti:context")
        # ROLL-12: a copy of a course whose list exists: its instructor is bringing it over
        why = "copy_pending" if services.copy_waiting(result.earlier) else ""
        return render(request, "lti/no_list.html", {"context": result.context, "course": None, "why": why})
    if result.kind == services.DEEP_LINKING:
        request.session["lti_deep_link"] = {"platform": platform.pk, "deployment": claims[CLAIM + "deployment_id"],
                                            "course": result.course.pk,
                                            "settings": claims[DL_CLAIM + "deep_linking_settings"]}
        return redirect("lti:deep-link")
    if result.role == course_services.INSTRUCTOR and result.link is not None and result.link.copied_from_id:
        _copy_automatically(request, result.user, result.course)
    target = services.parse_target(str((claims.get(CLAIM + "custom") or {}).get("syllabus_target", "")))
    return _land(request, result.course, result.role,
                 services.copied_target(result.course, target, copied=result.placement_copied))


def _copy_automatically(request, user, course: Course) -> None:
    """ROLL-12: where the institution says ``automatic``, the instructor's launch of a copied LMS
    course without a list takes the rollover copy of the earlier course's lists; a refusal is shown,
    never the launch's."""
    from django.contrib import messages

    if (not services.copies_automatically(course.institution) or course.resource_lists.exists()
            or services.earlier_course(course) is None):
        return   # offered, not made: a course that has a list already keeps only what its instructor chose
    try:
        report = services.take_earlier_lists(user, course)
    except RuleViolation as exc:
        messages.warning(request, str(exc))
    else:
        _copied_message(request, report)


def _copied_message(request, report) -> None:
    from django.contrib import messages

    n = sum(1 for r in report.lists if r.outcome == "copied")
    messages.success(request, ngettext("Last term's list was copied to this course as a draft: check it and publish it "
                                       "for your students.",
                                       "Last term's %(n)d lists were copied to this course as drafts: check them and "
                                       "publish them for your students.", n) % {"n": n})


def _sync_later(link_id: int) -> None:
    """Roster sync after the launch (LMS-2): a broker runs it in the background; without one it
    runs now, and a failure there is logged (and recorded on the link), never the launch's."""
    from .tasks import sync_context

    try:
        enqueue(sync_context, link_id)
    except Exception:
        log.exception("roster sync of context link %s failed", link_id)


def _land(request, course: Course, role: str | None, target=None):
    from syllabus.lists import selectors as lists

    if target is not None:
        kind, pk = target
        try:
            if kind == "list":
                lst, _ = lists.list_for(request.user, pk)
                return redirect("lists:view", lst.pk)
            if kind == "section":
                section, _ = lists.section_for(request.user, pk)
                return redirect(reverse("lists:view", args=[section.resource_list_id]) + f"#section-{section.pk}")
            citation, _ = lists.citation_for(request.user, pk)
            return redirect(reverse("lists:view", args=[citation.resource_list_id]) + f"#item-{citation.pk}")
        except RuleViolation:
            return render(request, "lti/no_list.html", {"course": course, "unavailable": True,
                                                        "why": lists.why_no_list(course.pk)}, status=404)
    # whether there is one list, and whether this person edits it: two rows at most, no list loaded
    # (the launch of every student at term start, issue 19 / session 21)
    visible = list(lists.lists_for_user(request.user, course_id=course.pk).values_list("id", "viewer_edits")[:2])  # type: ignore[misc]  # an annotation of lists_for_user
    # straight into the one list only when the course has no other list this person should hear
    # of — a co-instructor's draft they cannot open is shown on the course page — and, for an
    # instructor, only into a list they edit: one who may only read it is told so there, with
    # whom to ask and a button that asks (LMS-1, LST-8)
    if len(visible) == 1:
        list_id, edits = visible[0]
        if role != course_services.INSTRUCTOR:
            return redirect("lists:edit" if edits else "lists:view", list_id)
        if edits and not lists.find_lists_to_join(request.user, course_id=course.pk).exists():
            return redirect("lists:edit", list_id)
    return redirect("lti:course", course.pk)


@require_GET
def jwks(request):
    response = JsonResponse(keys.jwks())
    response["Cache-Control"] = "public, max-age=3600"
    return response


# --- after the launch -----------------------------------------------------------------------

@login_required
@never_cache
def course_lists(request, course_id: int):
    """The course's lists (several), or "no reading list yet"; for an instructor of the course
    also its drafts they cannot open, with whom to ask (LST-8), and "create the list" — or
    another one, when the course has some (LMS-1)."""
    from syllabus.courses.selectors import course_for
    from syllabus.lists import selectors as lists

    course = course_for(request.user, course_id)
    if course is None:
        raise Http404
    visible = list(lists.lists_for_user(request.user, course_id=course.pk))
    instructor = any(u.pk == request.user.pk for u in course.instructors.all())
    if not visible and not instructor:
        why = lists.why_no_list(course.pk) or ("copy_pending" if services.earlier_course(course) else "")
        return render(request, "lti/no_list.html", {"course": course, "why": why})
    to_join = list(lists.find_lists_to_join(request.user, course_id=course.pk)) if instructor else []
    # ROLL-12: the LMS course was copied from one linked to an earlier course with lists
    earlier = services.earlier_course(course) if instructor else None
    return render(request, "lti/course_lists.html", {"course": course, "lists": visible, "instructor": instructor,
                                                     "to_join": to_join, "earlier": earlier})


@login_required
@require_http_methods(["POST"])
def copy_earlier(request, course_id: int):
    """"Copy last term's list": an instructor of a course whose LMS course was copied from one
    linked to an earlier course takes the rollover copy of its lists (ROLL-12); back to the course."""
    from django.contrib import messages

    from syllabus.courses.selectors import course_for

    course = course_for(request.user, course_id)
    if course is None:
        raise Http404
    try:
        report = services.take_earlier_lists(request.user, course)
    except RuleViolation as exc:
        messages.error(request, str(exc))
    else:
        _copied_message(request, report)
    return redirect("lti:course", course.pk)


@login_required
@require_http_methods(["POST"])
def ask_to_edit(request, course_id: int, list_id: int):
    """"Ask the owners to add me": an instructor of the course who may only read the list asks its
    owners, by a letter, to add them as a collaborator (LST-8, LMS-1); back to the course page."""
    from django.contrib import messages

    from syllabus.courses.selectors import course_for

    course = course_for(request.user, course_id)
    if course is None:
        raise Http404
    try:
        asked = services.ask_to_collaborate(request.user, course, list_id)
    except RuleViolation as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, ngettext("Your request was sent to the list's owner. Once they add you as a collaborator, "
                                           "the list opens in the editor.",
                                           "Your request was sent to the list's %(n)d owners. Once one of them adds you as a "
                                           "collaborator, the list opens in the editor.", asked) % {"n": asked})
    return redirect("lti:course", course.pk)


def _pending(request):
    pending = request.session.get("lti_context")
    if not pending:
        raise Http404
    platform = Platform.objects.select_related("institution").filter(pk=pending["platform"], active=True).first()
    if platform is None or platform.institution_id != request.user.institution_id:
        raise Http404
    return pending, platform


@login_required
@never_cache
def context(request):
    """An instructor's unmatched LMS course: link it to one of their courses, or create one."""
    pending, platform = _pending(request)
    mine = Course.objects.filter(institution=platform.institution, instructors=request.user).order_by("code", "section")[:200]
    earlier = services.pending_earlier(platform, pending)
    page = {"pending": pending, "courses": mine, "earlier": earlier}
    if request.method == "POST":
        try:
            data = forms.ContextForm.parse(request.POST)
            if data["action"] == "copy":   # ROLL-12
                copy = forms.CourseCopyForm.parse(request.POST)
                course, link = services.course_from_copy(request.user, platform, pending, copy["term"], copy["to_term_start"])
                return _linked(request, pending, platform, course, link)
            if data["action"] == "create":
                course = services.create_course_for_context(request.user, platform, pending["context"])
            else:
                course = Course.objects.filter(pk=data["course"], institution=platform.institution,
                                               instructors=request.user).first()
                if course is None:
                    raise RuleViolation("LMS-1", "choose one of the courses you teach")
            link = services.link_context(request.user, platform, pending["context"], course,
                                         deployment_id=pending.get("deployment", ""), memberships_url=pending.get("memberships_url", ""),
                                         copied_from=earlier)
            course_services.apply_roster(request.user, {course.pk: course}, {(course.pk, request.user.pk): course_services.INSTRUCTOR},
                                         source=f"LTI launch, {platform}")
        except RuleViolation as exc:
            return render(request, "lti/context.html", {**page, "error": exc}, status=exc.status)
        return _linked(request, pending, platform, course, link)
    return render(request, "lti/context.html", page)


def _linked(request, pending: dict, platform: Platform, course: Course, link):
    """After an unmatched LMS course was linked: roster sync, then deep linking or the course."""
    del request.session["lti_context"]
    if link.memberships_url:
        _sync_later(link.pk)
    if pending.get("deep_link"):
        request.session["lti_deep_link"] = {"platform": platform.pk, "deployment": pending["deployment"],
                                            "course": course.pk, "settings": pending["deep_link"]}
        return redirect("lti:deep-link")
    return _land(request, course, course_services.INSTRUCTOR)


def _deep_link_back(request, platform: Platform, state: dict, items: list, title: str | None):
    """The page that form-posts the signed response to the LMS's ``deep_link_return_url`` (once)."""
    settings = state["settings"]
    token = services.deep_link_response(platform, state["deployment"], settings, items)
    del request.session["lti_deep_link"]
    # the page's form posts to the LMS: without its origin in form-action (every page has 'self' only)
    # the browser refuses to send it, and nothing is ever added (the launch checked the URL)
    csp.extend(request, "form-action", services.return_url_origin(settings))
    return render(request, "lti/deep_link_return.html", {"return_url": settings["deep_link_return_url"], "jwt": token,
                                                         "title": title})


@login_required
@never_cache
def deep_link(request):
    """The deep-linking picker: a list, a section or an item of the course, each a plain form; or
    nothing (Deep Linking 2.0 §4.5: a response without items, so that the LMS closes its dialog)."""
    from pylti1p3.deep_link_resource import DeepLinkResource

    from syllabus.lists import selectors as lists

    state = request.session.get("lti_deep_link")
    if not state:
        raise Http404
    platform = Platform.objects.filter(pk=state["platform"], active=True).first()
    course = Course.objects.filter(pk=state["course"], instructors=request.user).first()
    if platform is None or course is None:
        raise Http404
    # the lists they may place: those they edit (a published list they only read is refused below)
    readable = list(lists.lists_for_user(request.user, course_id=course.pk))
    owned = [lst for lst in readable if lst.viewer_edits]  # lists_for_user annotates viewer_edits
    if request.method == "POST" and request.POST.get("nothing"):
        return _deep_link_back(request, platform, state, [], None)
    if request.method == "POST":
        target = services.parse_target(request.POST.get("target", ""))
        title = None
        if target:
            kind, pk = target
            try:
                if kind == "list":
                    lst, acc = lists.list_for(request.user, pk)
                    title = lst.title
                elif kind == "section":
                    section, acc = lists.section_for(request.user, pk)
                    lst, title = section.resource_list, f"{section.resource_list.title}: {section.title}"
                else:
                    citation, acc = lists.citation_for(request.user, pk)
                    lst, title = citation.resource_list, citation.title or citation.resource_list.title
                if not acc.edit or not lst.courses.filter(pk=course.pk).exists():
                    title = None
            except RuleViolation:
                title = None
        if title is None:
            return render(request, "lti/deep_link.html", {"course": course, "lists": owned,
                                                          "error": RuleViolation("LMS-1", "choose a list, section or item of this course")},
                          status=400)
        resource = (DeepLinkResource().set_title(title[:250]).set_url(request.build_absolute_uri(reverse("lti:launch")))
                    .set_custom_params({"syllabus_target": f"{target[0]}:{target[1]}"}))
        return _deep_link_back(request, platform, state, [resource], title)
    for lst in owned:  # a course has a handful of lists
        lst.section_list = lists.list_with_items(request.user, lst.pk)[0].section_list
    # none of theirs, but the course has lists: the course page says whose, and whom to ask (LST-8)
    others = not owned and (bool(readable) or lists.find_lists_to_join(request.user, course_id=course.pk).exists())
    return render(request, "lti/deep_link.html", {"course": course, "lists": owned, "others": others})

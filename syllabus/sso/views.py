"""Pages of single sign-on (LMS-3).  Thin: each parses, calls oidc/saml/services, and either
signs the person in or shows a refusal naming the rule — never a 500, nothing half-written."""
from __future__ import annotations

import logging
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import login as django_login
from django.http import Http404, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import get_object_or_404, render, resolve_url
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.core.errors import RuleViolation
from syllabus.core.redirects import safe_next
from syllabus.web.errors import refusal

from . import oidc, saml, selectors, services
from .models import IdentityProvider, Kind

logger = logging.getLogger(__name__)
SIGNIN_SESSION_KEY = "sso_sign_in"
BACKEND = settings.AUTHENTICATION_BACKENDS[0]  # the throttled, expiry-aware model backend


def refused(request, error: RuleViolation, provider: IdentityProvider | None = None) -> HttpResponse:
    logger.warning("SSO sign-in refused (%s): %s", provider or "-", error)
    status = error.status if error.status in (400, 403, 404, 503) else 400   # 503: SEC-KEY, the server lacks a key
    again = resolve_url("web:login")
    advice: tuple[str, ...] = ()
    if provider is not None:
        again += f"?institution={provider.institution.code}"
        advice = (_("Nobody was signed in through %(name)s.") % {"name": provider.name},)
    return refusal(request, error, status=status, heading=_("Sign-in refused"), advice=advice, testid="sso-refusal",
                   back_url=again, back_label=_("Back to sign-in"))


def _safe_next(request, value: str | None) -> str:
    """Where to go after signing in: a target on this site, else home (issue 18 item 6)."""
    return safe_next(request, value, fallback=resolve_url("web:home"))


def _provider_or_404(institution: str, slug: str) -> IdentityProvider:
    provider = selectors.provider(institution, slug)
    if provider is None or not provider.enabled:
        raise Http404
    return provider


def _guarded(view):
    """Every failure of a sign-in is a refusal page naming LMS-3, never a 500."""

    def wrapper(request, *args, **kwargs):
        try:
            return view(request, *args, **kwargs)
        except (Http404, RuleViolation):
            raise
        except Exception:
            logger.exception("SSO: unexpected failure in %s", view.__name__)
            return refused(request, RuleViolation("LMS-3", "the identity provider's answer could not be processed"))

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return wrapper


def _sign_in(request, provider: IdentityProvider, user, next_url: str, **sign_in) -> HttpResponse:
    django_login(request, user, backend=BACKEND)
    request.session.save()
    record = services.record_sign_in(provider, user, request.session.session_key, **sign_in)
    request.session[SIGNIN_SESSION_KEY] = record.pk
    return HttpResponseRedirect(safe_next(request, next_url, fallback=resolve_url("web:home")))


@require_GET
@never_cache
@_guarded
def start(request, institution: str, slug: str):
    """The provider's button: a plain link that sends the browser to the identity provider."""
    provider = _provider_or_404(institution, slug)
    next_url = _safe_next(request, request.GET.get("next"))
    try:
        if provider.kind == Kind.OIDC:
            authorization_url = oidc.begin(request, provider, next_url)  # the provider's own address
            response = HttpResponseRedirect(authorization_url)
        else:
            response = saml.begin(request, provider, next_url)
    except RuleViolation as error:
        return refused(request, error, provider)
    # the discovery list shows this provider first next time (a choice, not a secret: no session in it)
    response.set_cookie(selectors.LAST_IDP_COOKIE, f"{provider.institution.code}/{provider.slug}",
                        max_age=selectors.LAST_IDP_MAX_AGE, secure=request.is_secure(), httponly=True, samesite="Lax")
    return response


@require_GET
@never_cache
@_guarded
def saml_discovery_start(request, institution: str):
    """Off to the institution's external discovery service (SAML IdP Discovery Protocol §2.4.1):
    ``entityID`` (this SP), ``return`` (our discovery response address, with where to go after
    signing in), ``returnIDParam=entityID``; it answers at :func:`saml_discovery`."""
    inst = get_object_or_404(selectors.Institution, code=institution)
    sp = selectors.ServiceProvider.objects.filter(institution=inst).first()
    if sp is None or not sp.discovery_url:
        raise Http404
    urls = saml.endpoints(request, inst)
    next_url = _safe_next(request, request.GET.get("next"))
    back = urls["discovery"] + "?" + urlencode({"next": next_url})
    glue = "&" if "?" in sp.discovery_url else "?"
    return HttpResponseRedirect(sp.discovery_url + glue + urlencode(
        {"entityID": urls["entity_id"], "return": back, "returnIDParam": "entityID"}))


@require_GET
@never_cache
@_guarded
def saml_discovery(request, institution: str):
    """The discovery service's answer (IdP Discovery Protocol §2.4.2): ``?entityID=IDP`` names the
    IdP chosen — it must be one of this institution's SAML providers — and the sign-in starts
    there; no ``entityID`` means none was chosen (back to the sign-in page)."""
    inst = get_object_or_404(selectors.Institution, code=institution)
    next_url = _safe_next(request, request.GET.get("next"))
    entity_id = request.GET.get("entityID", "").strip()
    if not entity_id:
        return HttpResponseRedirect(resolve_url("web:login") + f"?institution={inst.code}")
    if len(entity_id) > 500:
        return refused(request, RuleViolation("LMS-3", "the discovery service named an identity provider by an entity "
                                                       "ID longer than 500 characters"))
    provider = selectors.provider_by_entity_id(inst, entity_id)
    if provider is None:
        return refused(request, RuleViolation(
            "LMS-3", f"the discovery service chose the identity provider {entity_id[:200]!r}, which is not one of "
                     f"{inst.name}'s: ask the institution's administrator to add it (syllabus sso add-saml)"), None)
    return HttpResponseRedirect(resolve_url("sso:login", institution=inst.code, slug=provider.slug)
                                + "?" + urlencode({"next": next_url}))


@require_GET
@never_cache
@_guarded
def oidc_callback(request, institution: str, slug: str):
    provider = selectors.provider(institution, slug, Kind.OIDC)
    if provider is None:
        raise Http404
    try:
        claims, id_token, next_url = oidc.finish(request, provider)
        user = services.sign_in_person(provider, claims, subject=claims["sub"])
    except RuleViolation as error:
        return refused(request, error, provider)
    return _sign_in(request, provider, user, _safe_next(request, next_url), subject=claims["sub"], id_token=id_token)


@require_GET
@never_cache
def oidc_frontchannel_logout(request, institution: str, slug: str):
    """OpenID Connect Front-Channel Logout 1.0: the provider's logout page loads this in an iframe
    (with ``iss`` and ``sid``); the Syllabus sessions of that sid end — without them, this browser's
    sessions through the provider.  Framed by the provider's own origins only (CSP frame-ancestors,
    no X-Frame-Options), never cached; a request sent from a page of another site (its Referer),
    naming another issuer, that the browser says is no frame (``Sec-Fetch-Dest``), or that would end
    this browser's session without sid and without the provider's Referer is refused (400, LMS-3)
    and ends nothing (session 20: logout CSRF)."""
    from syllabus.web import csp

    from .models import SignIn

    provider = selectors.provider(institution, slug, Kind.OIDC)
    if provider is None:
        raise Http404
    origins = oidc.provider_origins(provider)
    csp.allow_framing(request, *origins, include_self=False)
    referer = request.headers.get("Referer", "")
    from_provider = any(referer == o or referer.startswith(o + "/") for o in origins)
    dest = request.headers.get("Sec-Fetch-Dest", "")
    try:
        if referer and not from_provider:
            raise RuleViolation("LMS-3", "a front-channel logout comes from the identity provider's own page, and this "
                                         "one came from another site")
        if dest and dest not in ("iframe", "frame"):   # session 20: logout CSRF by a link or a script's navigation
            raise RuleViolation("LMS-3", f"a front-channel logout is framed by the identity provider's page, and this one "
                                         f"was opened as a page or fetched ({dest[:20]}): nothing ended")
        pk = request.session.get(SIGNIN_SESSION_KEY)
        signed_in = SignIn.objects.select_related("user").filter(pk=pk).first() if pk else None
        if signed_in is not None and not request.GET.get("sid") and not from_provider:
            # without sid only the cookie names whose sessions end: any site could send the browser here
            raise RuleViolation("LMS-3", "a front-channel logout without a session (sid) ends this browser's session only "
                                         "when the identity provider's page sends it (its Referer), and this one named "
                                         "no page: nothing ended")
        ended = services.front_channel_logout(provider, iss=request.GET.get("iss"), sid=request.GET.get("sid"),
                                              signed_in=signed_in)
    except RuleViolation as error:
        logger.warning("OIDC front-channel logout refused (%s): %s", provider, error)
        response = HttpResponse(str(error), status=400, content_type="text/plain; charset=utf-8")
    else:
        logger.info("OIDC front-channel logout from %s ended %d session(s)", provider, ended)
        response = HttpResponse(_("Signed out of Syllabus."), content_type="text/plain; charset=utf-8")
    response["Cache-Control"] = "no-cache, no-store"   # Front-Channel Logout 1.0 §2
    response["Pragma"] = "no-cache"
    return response


@require_GET
@never_cache
@_guarded
def saml_metadata(request, institution: str):
    """The institution's SP metadata, at a fixed address to give every SAML IdP."""
    inst = get_object_or_404(selectors.Institution, code=institution)
    return HttpResponse(saml.sp_metadata(request, inst), content_type="application/samlmetadata+xml")


@csrf_exempt  # the IdP posts here from its own page; the signed, single-use assertion is the proof
@require_POST
@never_cache
@_guarded
def saml_acs(request, institution: str):
    inst = get_object_or_404(selectors.Institution, code=institution)
    if saml.needs_same_site_repost(request):
        return render(request, "sso/saml_repost.html", {
            "action": request.path, "saml_response": request.POST["SAMLResponse"],
            "relay_state": request.POST.get("RelayState", ""), "marker": saml.REPOSTED})
    provider = None
    try:
        provider, result, next_url = saml.consume(request, inst)
        user = services.sign_in_person(provider, result.attributes, subject=result.name_id,
                                       assertion_id=result.assertion_id, assertion_keep_until=result.keep_until)
    except RuleViolation as error:
        return refused(request, error, provider)
    return _sign_in(request, provider, user, _safe_next(request, next_url), subject=result.name_id,
                    name_id_xml=result.name_id_xml, session_index=result.session_index)


@csrf_exempt  # logout messages come from the IdP (redirect or post binding), checked by signature
@require_http_methods(["GET", "POST"])
@never_cache
@_guarded
def saml_sls(request, institution: str):
    """Single logout: the IdP's answer to our logout request, or its own logout request."""
    inst = get_object_or_404(selectors.Institution, code=institution)
    try:
        return saml.single_logout(request, inst)
    except RuleViolation as error:
        return refused(request, error)


@csrf_exempt  # the OpenID provider posts here server to server; the signed, single-use logout token is the proof
@require_POST
@never_cache
def oidc_backchannel_logout(request, institution: str, slug: str):
    """OpenID Connect Back-Channel Logout 1.0: the provider says a person signed out there; their
    Syllabus sessions through it end.  200 when done; 400 with the reason (naming LMS-3) when the
    logout token does not check out (§2.8)."""
    provider = selectors.provider(institution, slug, Kind.OIDC)
    if provider is None:
        raise Http404
    try:
        claims = oidc.verify_logout_token(provider, request.POST.get("logout_token", ""))
    except RuleViolation as error:
        logger.warning("OIDC back-channel logout refused (%s): %s", provider, error)
        return JsonResponse({"error": "invalid_request", "error_description": str(error)}, status=400,
                            headers={"Cache-Control": "no-store"})
    ended = services.end_oidc_sessions(provider, sub=claims.get("sub"), sid=claims.get("sid"))
    logger.info("OIDC back-channel logout from %s ended %d session(s)", provider, ended)
    return HttpResponse(status=200, headers={"Cache-Control": "no-store"})

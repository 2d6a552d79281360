"""LTI Dynamic Registration pages (LMS-1): the institution administrator's registration links
(create, list, revoke) and the page the LMS opens with a link — no Syllabus session there (an
LMS frame or popup is often cookie-less), the link's one-time secret is what authorises it.

Thin: the checks and changes are in :mod:`syllabus.lti.registration`."""
from __future__ import annotations

import logging

from django import forms
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.web.errors import query_ceiling, refusal

from . import registration
from .models import RegistrationLink

log = logging.getLogger("syllabus.lti")
# a registration_token is a JWT of a few kB (Canvas, Moodle); the configuration URL carries one too
REGISTER_PARAM = 8_000


class LinkForm(forms.Form):
    expires_hours = forms.IntegerField(label=gettext_lazy("Valid for (hours)"), min_value=1, max_value=registration.MAX_HOURS,
                                       initial=registration.DEFAULT_HOURS)


def _administrator(request):
    """The institution whose links this person manages: theirs, if they administer it (LMS-1)."""
    user = request.user
    if not (user.is_active and user.institution_id and user.is_administrator):
        raise PermissionDenied("LMS-1", "registration links are for the institution's administrators")
    return user.institution


def _base(request) -> str:
    return request.build_absolute_uri("/")


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def links(request):
    """The institution's registration links with their status; a new one is shown once."""
    try:
        institution = _administrator(request)
    except PermissionDenied as exc:
        return refusal(request, exc)
    form = LinkForm(request.POST or None)
    created = None
    if request.method == "POST" and form.is_valid():
        link, token = registration.create_link(request.user, institution, form.cleaned_data["expires_hours"])
        created = {"link": link, "url": registration.link_url(_base(request), token)}
        form = LinkForm()
    rows = list(RegistrationLink.objects.filter(institution=institution).select_related("created_by", "platform")[:100])
    return render(request, "lti/registration_links.html", {"form": form, "rows": rows, "created": created,
                                                           "institution": institution},
                  status=400 if request.method == "POST" and form.errors else 200)


@login_required
@require_POST
def revoke(request, registration_link_id: int):
    try:
        institution = _administrator(request)
    except PermissionDenied as exc:
        return refusal(request, exc)
    link = RegistrationLink.objects.filter(pk=registration_link_id, institution=institution).first()
    if link is None:
        raise Http404
    try:
        registration.revoke(request.user, link)
    except RuleViolation as exc:
        return refusal(request, exc, back_url=reverse("lti:registrations"), back_label=_("Back to the registration links"))
    return redirect("lti:registrations")


def _refused(request, exc: RuleViolation):
    log.info("LTI dynamic registration refused: %s", exc)
    return refusal(request, exc, heading=_("Syllabus could not be registered in your LMS"), testid="lti-registration-refused",
                   advice=(_("Nothing was registered in Syllabus. Fix what is named above, then start the registration "
                             "again from the LMS; a link that expired, was revoked or was used needs a new one from the "
                             "Syllabus administration."),))


@query_ceiling(REGISTER_PARAM)
@csrf_exempt   # the LMS's frame has no Syllabus cookies; the link's one-time secret authorises the POST
@never_cache
@require_http_methods(["GET", "POST"])
def register(request, token: str):
    """The page the LMS opens: show what will be registered (GET), register on confirmation (POST)."""
    params = request.POST if request.method == "POST" else request.GET
    config_url = params.get("openid_configuration", "")
    registration_token = params.get("registration_token", "")
    for name in ("openid_configuration", "registration_token"):
        if len(params.get(name, "")) > REGISTER_PARAM:
            return _refused(request, registration.RegistrationRefused(f"{name}: at most {REGISTER_PARAM} characters"))
    origins = registration.frame_origins(config_url, request.headers.get("Referer", ""))
    if origins:  # the LMS shows this page in its own frame
        request.lti_frame_origins = origins
    try:
        link = registration.open_link(token)
        if request.method == "GET":
            config = registration.fetch_configuration(config_url, registration_token)
            existing = registration.existing_platform(config.issuer, link.institution)
            return render(request, "lti/register_confirm.html", {
                "link": link, "config": config, "existing": existing, "token": token,
                "openid_configuration": config_url, "registration_token": registration_token,
                "placements": registration.requested_placements(config),
                "course_placements": registration.resource_link_placements(config), "nrps": registration.NRPS_SCOPE in config.scopes})
        outcome = registration.register(token, config_url, registration_token, _base(request),
                                        logo=request.build_absolute_uri(reverse("web:favicon")))
    except RuleViolation as exc:
        return _refused(request, exc)
    return render(request, "lti/register_done.html", {"outcome": outcome, "institution": outcome.platform.institution})

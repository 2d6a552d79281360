"""What single sign-on adds to the shell's sign-in and sign-out (syllabus.web.signin): one
button per provider of the institution (chosen by ?institution=CODE, the host name, or a
picker), and the identity provider's own sign-out after the local one (LMS-3)."""
from __future__ import annotations

import logging

from django.template.loader import render_to_string

from syllabus.web.signin import register_login_block, register_logout_hook

from . import selectors

logger = logging.getLogger(__name__)


def buttons(request) -> str:
    institution = selectors.institution_for_request(request)
    providers = selectors.providers_for(institution) if institution else []
    choices = [] if providers else selectors.institutions_with_providers()
    if not providers and not choices:
        return ""
    next_url = request.GET.get("next", "")
    context = {"institution": institution, "providers": providers, "choices": choices, "next": next_url,
               "others": len(selectors.institutions_with_providers()) > 1 and "institution" in request.GET}
    if institution is not None and providers:
        sp = selectors.ServiceProvider.objects.filter(institution=institution).first()
        context["discovery_service"] = bool(sp and sp.discovery_url)
        if len(providers) >= selectors.DISCOVERY_FROM:
            context.update(_discovery(request, providers))
    return render_to_string("sso/_buttons.html", context, request=request)


def _discovery(request, providers) -> dict:
    """The searchable list of many providers (LMS-3): filtered here for a page without script,
    as one types with it (sso/discovery.js); the provider chosen last in this browser first."""
    raw = request.GET.get("idp_q", "")
    query = " ".join(raw[:selectors.DISCOVERY_QUERY_MAX].split())
    shown, total, last = selectors.discovery_choices(request, providers, query)
    return {"discovery": True, "idp_q": query, "query_cut": len(raw) > selectors.DISCOVERY_QUERY_MAX,
            "query_max": selectors.DISCOVERY_QUERY_MAX, "shown": shown, "total": total, "last": last,
            "more": total - len(shown)}


def idp_logout(request) -> str | None:
    from .models import IdentityProvider, Kind, SignIn
    from .views import SIGNIN_SESSION_KEY

    pk = request.session.get(SIGNIN_SESSION_KEY)
    if not pk:
        return None
    record = SignIn.objects.select_related("provider", "provider__institution").filter(pk=pk).first()
    if record is None:
        return None
    provider: IdentityProvider = record.provider
    try:
        if provider.kind == Kind.OIDC:
            url = _oidc_logout(request, provider, record)
        else:
            from . import saml

            url = saml.logout_url(request, provider, record)
    except Exception:  # the local sign-out happens whatever the provider's state
        logger.exception("SSO: could not build the IdP sign-out of %s", provider)
        url = None
    record.delete()
    return url


def _oidc_logout(request, provider, record):
    from . import oidc

    return oidc.logout_url(request, provider, record.id_token)


register_login_block(buttons)
register_logout_hook(idp_logout)

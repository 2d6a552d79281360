"""Reads of single sign-on: which institution a sign-in page is for, its providers, and the
absolute addresses that providers are told (redirect URI, SAML entity ID and endpoints)."""
from __future__ import annotations

import re
from dataclasses import dataclass

from django.urls import reverse

from syllabus.org.models import Institution
from syllabus.core.site import site_url

from .models import IdentityProvider, Kind, ServiceProvider

DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def base_url(request=None, institution: Institution | None = None) -> str:
    """Where providers reach this site: the request's own host when it is one of the
    institution's host names, else ``SITE_URL``, else the request's host (or the CLI default)."""
    if request is not None and institution is not None:
        host = request.get_host().split(":")[0].lower()
        sp = ServiceProvider.objects.filter(institution=institution).first()
        if sp is not None and host in sp.hosts:
            return f"{request.scheme}://{request.get_host()}"
    if site_url():
        return site_url()
    if request is not None:
        return f"{request.scheme}://{request.get_host()}"
    if institution is not None:
        sp = ServiceProvider.objects.filter(institution=institution).first()
        if sp is not None and sp.hosts:
            return f"https://{sp.hosts[0]}"
    return DEFAULT_SITE_URL


def absolute_url(request, name: str, *, institution: str | None = None, **kwargs) -> str:
    inst = Institution.objects.filter(code=institution).first() if institution else None
    if institution:
        kwargs["institution"] = institution
    return base_url(request, inst) + reverse(name, kwargs=kwargs or None)


def institution_for_request(request) -> Institution | None:
    """``?institution=CODE``, else the host name, else ``None`` (the page offers a picker)."""
    code = (request.GET.get("institution") or request.POST.get("institution") or "").strip()
    if code:
        return Institution.objects.filter(code=code[:40]).first()
    host = request.get_host().split(":")[0].lower()
    for sp in ServiceProvider.objects.exclude(host_names="").select_related("institution"):
        if host in sp.hosts:
            return sp.institution
    return None


def providers_for(institution: Institution) -> list[IdentityProvider]:
    return list(IdentityProvider.objects.filter(institution=institution, enabled=True)
                .select_related("institution").order_by("order", "name"))


def institutions_with_providers() -> list[Institution]:
    return list(Institution.objects.filter(identity_providers__enabled=True).distinct().order_by("name"))


def provider(institution_code: str, slug: str, kind: str | None = None) -> IdentityProvider | None:
    qs = IdentityProvider.objects.select_related("institution").filter(institution__code=institution_code, slug=slug)
    if kind:
        qs = qs.filter(kind=kind)
    return qs.first()


def saml_providers(institution: Institution) -> list[IdentityProvider]:
    return list(IdentityProvider.objects.filter(institution=institution, kind=Kind.SAML).order_by("order", "name"))


# --- discovery: choosing one of many identity providers (LMS-3) --------------------------------

DISCOVERY_FROM = 6            # an institution with this many providers or more gets a searchable list, not buttons
DISCOVERY_LIST_MAX = 100      # entries of that list shown at once (a search narrows it)
DISCOVERY_QUERY_MAX = 100     # characters of a search read
LAST_IDP_COOKIE = "syllabus_last_idp"   # "CODE/SLUG" of the provider last chosen in this browser
LAST_IDP_MAX_AGE = 180 * 24 * 3600
_COOKIE_VALUE = re.compile(r"[-a-zA-Z0-9_]{1,50}/[-a-zA-Z0-9_]{1,40}")


@dataclass(frozen=True)
class Choice:
    provider: IdentityProvider
    name: str             # mdui:DisplayName in the reader's language, else the provider's name
    logo: str             # an https mdui:Logo, or ""
    search: str           # what a search matches (lower case)


def last_provider_key(request) -> str:
    value = request.COOKIES.get(LAST_IDP_COOKIE, "")
    return value if _COOKIE_VALUE.fullmatch(value) else ""


def discovery_choices(request, providers: list[IdentityProvider], query: str) -> tuple[list[Choice], int, Choice | None]:
    """The providers matching ``query`` (every word, in the display name, name or entity ID), at
    most DISCOVERY_LIST_MAX of them, how many matched, and the one chosen last in this browser."""
    from django.utils.translation import get_language

    from . import saml

    language = get_language() or "en"
    choices = []
    for p in providers:
        ui = saml.metadata_ui(p.metadata_xml) if p.kind == Kind.SAML and p.metadata_xml else saml.UIInfo()
        name = ui.name(language, p.name)
        words = " ".join([name, p.name, *(n for _lang, n in ui.names), p.entity_id or p.issuer])
        choices.append(Choice(p, name, ui.logo, words.casefold()))
    choices.sort(key=lambda c: c.name.casefold())
    terms = query.casefold().split()
    matching = [c for c in choices if all(t in c.search for t in terms)]
    last_key = last_provider_key(request)
    last = next((c for c in choices if f"{c.provider.institution.code}/{c.provider.slug}" == last_key), None)
    return matching[:DISCOVERY_LIST_MAX], len(matching), last


def provider_by_entity_id(institution: Institution, entity_id: str) -> IdentityProvider | None:
    return (IdentityProvider.objects.select_related("institution")
            .filter(institution=institution, kind=Kind.SAML, enabled=True, entity_id=entity_id[:500]).first())

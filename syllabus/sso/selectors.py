"""Reads of single sign-on: which institution a sign-in page is for, its providers, and the
absolute addresses that providers are told (redirect URI, SAML entity ID and endpoints)."""
from __future__ import annotations

import os

from django.conf import settings
from django.urls import reverse

from syllabus.org.models import Institution

from .models import IdentityProvider, Kind, ServiceProvider

DEFAULT_SITE_URL = "http://127.0.0.1:8000"


def site_url() -> str:
    return (getattr(settings, "SITE_URL", "") or os.environ.get("SITE_URL", "")).rstrip("/")


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

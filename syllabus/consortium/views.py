"""Consortium pages (CON-1..4).  Thin: parse, call a service or selector, render."""
from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.core.paginator import Paginator
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST

from syllabus.core.errors import RuleViolation
from syllabus.core.redirects import safe_next
from syllabus.org import config
from syllabus.web.errors import rule_errors

from . import selectors, services


def _parse(key: str, raw: str):
    """A form's text as the parameter's value: empty removes it; a list is comma-separated."""
    raw = (raw or "").strip()
    if raw == "":
        return None
    p = config.param(key)
    if p.type is list:
        try:
            value = json.loads(raw)
            if isinstance(value, list):
                return value
        except ValueError:
            pass
    return raw


@login_required
@rule_errors
def config_page(request):
    consortium = services.ensure_consortium_admin(request.user)
    return render(request, "consortium/config.html", {"consortium": consortium,
                                                      "settings": services.consortium_settings(consortium)})


@login_required
@require_POST
@rule_errors(back_url="/consortium/config/")
def config_set(request, key: str):
    services.ensure_consortium_admin(request.user)
    value = _parse(key, request.POST.get("value", ""))
    services.set_consortium_value(request.user, key, value)
    removed = services.lock_setting(request.user, key, request.POST.get("locked") == "on")
    msg = _("%(key)s saved for the consortium.") % {"key": key}
    if removed:
        msg += " " + _("%(n)s member override(s) removed.") % {"n": removed}
    messages.success(request, msg)
    return redirect(reverse("consortium:config") + f"#set-{key}")


# --- CON-3: the lists gateway -------------------------------------------------------------------


def _search_params(request) -> dict:
    return {"q": request.GET.get("q", "")[:200], "institution": request.GET.get("institution", "")[:40],
            "term": request.GET.get("term", "")[:40]}


def _page_number(raw) -> int:
    try:
        return max(1, min(int(raw), 10_000))
    except (TypeError, ValueError):
        return 1


@login_required
@rule_errors
def gateway(request):
    params = _search_params(request)
    page = Paginator(selectors.gateway_search(request.user, **params), 25).get_page(_page_number(request.GET.get("page")))
    return render(request, "consortium/gateway.html", {**params, "page": page,
                                                       "facets": selectors.gateway_facets(request.user, **params)})


@login_required
@rule_errors
def gateway_list(request, list_id: int):
    lst = selectors.gateway_list(request.user, list_id)
    return render(request, "consortium/gateway_list.html", {"lst": lst, "targets": list(selectors.my_editable_lists(request.user))})


@login_required
@require_POST
@rule_errors
def gateway_copy(request, list_id: int):
    target = selectors.my_editable_lists(request.user).filter(pk=_page_number(request.POST.get("target"))).first()
    if target is None:
        raise RuleViolation("CON-3", "choose one of your own lists to copy into")
    ids = [i for i in request.POST.getlist("citation") if i.isdigit()][:200]
    created = services.copy_items(request.user, list_id, ids, target)
    messages.success(request, ngettext("%(n)s item copied to %(list)s.", "%(n)s items copied to %(list)s.", len(created))
                     % {"n": len(created), "list": target.title})
    return redirect(reverse("lists:edit", args=[target.pk]))


@login_required
@require_POST
@rule_errors
def share(request, list_id: int):
    from syllabus.lists.models import ResourceList

    lst = ResourceList.objects.filter(pk=list_id).first()
    if lst is None:
        raise Http404
    services.share_list(request.user, lst, request.POST.get("shared") == "on")
    return redirect(safe_next(request, request.POST.get("next"), fallback=reverse("lists:edit", args=[lst.pk])))

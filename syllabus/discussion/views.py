"""Pages of the library discussion: the pane of a list's and of an item's thread (htmx; opening
it marks it read, sending posts without a reload), and the inbox — "Library discussion" for
instructors, "Discussion alerts" for librarians."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.web import tabs
from syllabus.web.errors import not_found_is_404
from syllabus.web.htmx import is_htmx
from syllabus.lists.selectors import citation_for, list_for

from . import selectors, services
from .models import Thread
from .permissions import can_see_alerts

NAV_CHANGED = "syllabus:nav-changed"


def _pane(request, lst, citation=None):
    """GET: show the thread and mark it read.  POST: write a message, then show the thread."""
    level = Thread.Level.ITEM if citation is not None else Thread.Level.LIST
    try:
        acc = services.ensure_discuss(request.user, lst)
    except PermissionDenied:
        raise DjangoPermissionDenied
    error = None
    enabled = level in services.enabled_levels(lst.institution)
    if request.method == "POST":
        try:
            services.post_message(request.user, lst, request.POST.get("body", ""), citation=citation)
        except RuleViolation as exc:
            error = exc
        else:
            if not is_htmx(request):
                return redirect(services.link_for(lst, citation, library=services.speaks_for_library(acc)))
    thread = services.thread_of(lst, citation)
    read_before = selectors.last_read_id(request.user, thread)
    if thread is not None and enabled:
        services.mark_read(request.user, thread)
    messages = selectors.messages_of(thread)
    for m in messages:
        m.is_new = m.pk > read_before and m.author_id != request.user.pk
    key = f"item-{citation.pk}" if citation is not None else f"list-{lst.pk}"
    url = reverse("discussion:item-pane", args=[citation.pk]) if citation is not None else reverse("discussion:list-pane", args=[lst.pk])
    context = {"lst": lst, "citation": citation, "thread": thread, "messages": messages, "key": key, "pane_url": url,
               "enabled": enabled, "error": error, "for_library": services.speaks_for_library(acc),
               "draft": request.POST.get("body", "") if error else ""}
    response = render(request, "discussion/_pane.html", context, status=400 if error else 200)
    response["HX-Trigger"] = NAV_CHANGED
    return response


@login_required
@require_http_methods(["GET", "POST"])
@not_found_is_404
def list_pane(request, pk: int):
    lst, _acc = list_for(request.user, pk)
    return _pane(request, lst)


@login_required
@require_http_methods(["GET", "POST"])
@not_found_is_404
def item_pane(request, citation_id: int):
    citation, _acc = citation_for(request.user, citation_id)
    return _pane(request, citation.resource_list, citation)


def _inbox(request, *, library: bool):
    shows = ("awaiting", "unread", "all") if library else ("unread", "all")
    show = tabs.chosen(request.GET.get("show"), shows, "awaiting" if library else "all")
    threads = list(selectors.inbox(request.user, awaiting_only=show == "awaiting", unread_only=show == "unread"))
    groups: dict[int, dict] = {}
    for t in threads:
        t.dsc_key = f"item-{t.citation_id}" if t.citation_id else f"list-{t.resource_list_id}"
        group = groups.setdefault(t.resource_list_id, {"list": t.resource_list, "threads": [], "unread": 0, "awaiting": 0})
        group["threads"].append(t)
        group["unread"] += t.unread
        group["awaiting"] += int(t.awaiting_library)
    context = {"groups": list(groups.values()), "show": show, "library": library,
               "counts": selectors.inbox_counts(request.user),  # DSC-2: every tab's count, one query
               "total_unread": selectors.unread_total(request.user)}
    return render(request, "discussion/inbox.html", context)


@login_required
def index(request):
    """The instructor's library discussions, per list."""
    return _inbox(request, library=False)


@login_required
def alerts(request):
    """The librarians' alert view: threads where an instructor waits for the library."""
    if not can_see_alerts(request.user):
        raise DjangoPermissionDenied
    return _inbox(request, library=True)

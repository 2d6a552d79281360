"""Pages of circulation and reader services.  Thin: parse, call a service or selector, render.

Every action is a plain POST form (works without JavaScript: redirect back with a message);
the done toggle also answers htmx with the re-rendered per-person fragment of the item.
Refusals show their rule and message; a hold or request the person may not see is a 404."""
from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.core.files import serve_upload
from syllabus.core.redirects import safe_next
from syllabus.lists import item_access
from syllabus.lists import selectors as list_selectors
from syllabus.org import config
from syllabus.org.models import Library
from syllabus.org.permissions import is_librarian_for
from syllabus.core import paging
from syllabus.web import tabs
from syllabus.web.errors import flash_refusals, refusal, rule_errors
from syllabus.web.htmx import is_htmx

from . import forms, permissions, selectors, services
from .item_access import accessible_eligible
from .slots import prepare_items
from .workflow import HoldStatus, PersonalCopyStatus


def _back(request, default: str) -> str:
    return safe_next(request, request.POST.get("next"), request.GET.get("next"), fallback=default)


def page(view):
    """GET pages: NotFound is a 404, a refusal the refusal page (web.errors); never cached."""
    return login_required(never_cache(rule_errors(view)))


def _item_url(citation) -> str:
    return f"{reverse('lists:view', args=[citation.resource_list_id])}#item-{citation.pk}"


# --- holds: the patron ---------------------------------------------------------------------------

@page
def place_hold(request, citation_id: int):
    """The hold form of a list item (SRV-5): pickup library, optional 'not needed after'."""
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    libraries = list(Library.objects.filter(institution_id=request.user.institution_id).order_by("name"))
    access = item_access.access_for(request.user, [citation])[citation.pk]
    # LDL-2: every copy withdrawn so that its digital copy is lent — the page leads to the digital loan instead
    lent_only = not access.get("holdable") and any(p["unavailable"].get("digital_loan") or p["unavailable"].get("digital_only")
                                                   for p in access.get("physical", []))
    context = {"citation": citation, "libraries": libraries, "access": access, "back": _item_url(citation),
               "lent_digitally_only": lent_only,
               "values": {"pickup_library": request.POST.get("pickup_library", ""), "not_needed_after": request.POST.get("not_needed_after", "")}}
    if request.method == "POST":
        try:
            data = forms.HoldForm.parse(request.POST)
            hold = services.place_hold(request.user, citation, pickup_library=data["pickup_library"],
                                       not_needed_after=data["not_needed_after"])
        except RuleViolation as exc:
            if isinstance(exc, PermissionDenied):
                raise
            context["error"] = exc
            return render(request, "circulation/hold_form.html", context, status=exc.status)
        hold = selectors.hold_for(request.user, hold.pk)
        messages.success(request, _("Hold placed on %(title)s for pickup at %(library)s. You are number %(place)s in the queue.")
                         % {"title": hold.record.title, "library": hold.pickup_library.name, "place": hold.place})
        return redirect(_item_url(citation))
    return render(request, "circulation/hold_form.html", context)


@page
def card(request):
    """The library card: holds (cancel while open), accessible files, digital loans."""
    context = {"holds": selectors.my_holds(request.user), "accessible": selectors.my_accessible_requests(request.user)}
    try:
        from syllabus.lending import selectors as lending_selectors
    except ImportError:  # pragma: no cover - without digital loans
        lending_selectors = None
    if lending_selectors is not None:
        context |= lending_selectors.library_card(request.user) | {"lending": True}
    return render(request, "circulation/card.html", context)


def _back_to_card(request, *args, **kwargs) -> str:
    return _back(request, reverse("circulation:card"))


#: action in the URL → (service, message); the patron cancels, staff do all four (SRV-5)
HOLD_ACTIONS = {
    "cancel": (lambda request, hold: services.cancel_hold(request.user, hold, reason=request.POST.get("reason", "")),
               gettext_lazy("Hold cancelled.")),
    "fulfil": (lambda request, hold: services.fulfil_hold(request.user, hold),
               gettext_lazy("Copy put on the hold shelf; the patron is told by letter.")),
    "pick-up": (lambda request, hold: services.pick_up_hold(request.user, hold), gettext_lazy("Picked up.")),
    "expire": (lambda request, hold: services.staff_expire_hold(request.user, hold),
               gettext_lazy("Hold expired; the patron is told by letter.")),
}


@login_required
@require_POST
@flash_refusals(_back_to_card)
def hold_action(request, hold_id: int, action: str):
    """Cancel (patron or staff), fulfil, pick up, expire (staff)."""
    if action not in HOLD_ACTIONS:
        raise Http404
    hold = selectors.hold_for(request.user, hold_id)
    act, done = HOLD_ACTIONS[action]
    act(request, hold)
    messages.success(request, done)
    return redirect(_back_to_card(request))


# --- holds: staff --------------------------------------------------------------------------------

@page
def hold_queue(request):
    if not permissions.is_hold_staff(request.user):
        raise PermissionDenied("SRV-5", "only library staff see the hold queue")
    library, status = request.GET.get("library", ""), request.GET.get("status", "")
    try:
        page, rows = paging.read_page(request, 50, functools.partial(selectors.hold_queue, request.user, library=library,
                                                                     status=status))
    except RuleViolation as exc:
        messages.error(request, str(exc))
        page, rows = paging.page_of(request, [], 50), []
    allowed = permissions.hold_library_ids(request.user)
    libraries = Library.objects.filter(institution_id=request.user.institution_id) if allowed is None else Library.objects.filter(pk__in=allowed)
    groups: list[dict] = []
    for h in rows:
        if not groups or (groups[-1]["record"].pk, groups[-1]["library"].pk) != (h.record_id, h.pickup_library_id):
            groups.append({"record": h.record, "library": h.pickup_library, "holds": []})
        groups[-1]["holds"].append(h)
    return render(request, "circulation/hold_queue.html", {
        "groups": groups, "total": page.paginator.count, "libraries": libraries.order_by("name"), "library": library, "status": status,
        "statuses": HoldStatus.choices, "page": page})


# --- reading progress ----------------------------------------------------------------------------

@login_required
@require_POST
def done(request, citation_id: int):
    try:
        citation, _acc = list_selectors.citation_for(request.user, citation_id)
    except NotFound:
        raise Http404
    if request.POST.get("done") == "1":
        services.mark_done(request.user, citation)
    else:
        services.unmark_done(request.user, citation)
    if is_htmx(request):
        prepare_items(request, [citation])
        return render(request, "circulation/_item_mine.html", {"citation": citation, "announce": True})
    return redirect(_back(request, _item_url(citation)))


# --- accessible files (SRV-4) --------------------------------------------------------------------

@page
def accessible_request(request, citation_id: int):
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    lst = citation.resource_list
    context = {"citation": citation, "back": _item_url(citation),
               "formats": config.get("accessible_file_formats", institution=lst.institution) or [],
               "enabled": bool(services.accessible_addresses(lst.institution)),
               "eligible": accessible_eligible(citation),
               "values": {"format": request.POST.get("format", ""), "comment": request.POST.get("comment", "")}}
    if request.method == "POST":
        try:
            services.request_accessible_file(request.user, citation, format=request.POST.get("format", ""),
                                             comment=request.POST.get("comment", ""))
        except RuleViolation as exc:
            if isinstance(exc, PermissionDenied):
                raise
            context["error"] = exc
            return render(request, "circulation/accessible_form.html", context, status=exc.status)
        messages.success(request, _("Your request was sent to the library. The accessible file will be sent to %(email)s.")
                         % {"email": request.user.email})
        return redirect(_item_url(citation))
    return render(request, "circulation/accessible_form.html", context)


@login_required
@never_cache
def accessible_file(request, pk: int):
    """The accessible file, for its requester only: the sniffed (allow-listed) type, inline only
    for PDF and images, ``nosniff`` and a sandbox."""
    try:
        req = services.accessible_file_for(request.user, pk)
    except NotFound:
        raise Http404
    except RuleViolation as exc:
        return refusal(request, exc)
    allowed = config.get("accessible_file_types", institution=req.citation.resource_list.institution) or []
    # the one safe way to stream an upload (sniffed, allow-listed type, nosniff, sandbox); a type
    # the library no longer accepts is never shown inline
    return serve_upload(req.file, filename=req.file_name or "accessible-file", inline=req.file_type in allowed)


ACCESSIBLE_TABS = ("open", "fulfilled", "cancelled")


@page
def accessible_queue(request):
    if not (request.user.institution_id and permissions.is_reserves_staff(request.user, request.user.institution)):
        raise PermissionDenied("SRV-4", "only the library's reserves staff see accessible file requests")
    status = tabs.chosen(request.GET.get("status"), ACCESSIBLE_TABS, "open")
    return render(request, "circulation/accessible_queue.html",
                  {"requests": selectors.accessible_requests(request.user, status=status)[:200], "status": status,
                   "counts": selectors.accessible_counts(request.user)})  # SRV-4: each tab's count, one query


@page
def accessible_detail(request, pk: int):
    req = selectors.accessible_request_for_staff(request.user, pk)
    error = None
    if request.method == "POST":
        try:
            services.attach_accessible_file(request.user, req, request.FILES.get("file"))
        except RuleViolation as exc:
            error = exc
        else:
            messages.success(request, _("File attached; only the requester can open it, and they are told by letter."))
            return redirect("circulation:accessible-detail", pk)
    return render(request, "circulation/accessible_detail.html", {"req": req, "error": error, "item_url": _item_url(req.citation)},
                  status=error.status if error else 200)


# --- personal copies (SRV-1) ---------------------------------------------------------------------

@page
def personal_copies(request):
    if not (request.user.institution_id and permissions.is_reserves_staff(request.user, request.user.institution)):
        raise PermissionDenied("SRV-1", "only the library's reserves staff manage personal copies")
    status = request.GET.get("status", "")
    if status not in PersonalCopyStatus.values:
        status = ""
    return render(request, "circulation/personal_copies.html", {
        "copies": selectors.personal_copies(request.user, status=status)[:200], "status": status,
        "statuses": PersonalCopyStatus.choices,
        # the item's link opens the list's library page, for those who process lists (LST-7); the
        # institution's other reserves staff (a General System Administrator) would meet a 404 there
        "processes_lists": is_librarian_for(request.user, request.user.institution_id),
        "libraries": Library.objects.filter(institution_id=request.user.institution_id).order_by("name")})


def _receive_personal_copy(request, citation_id: int):
    library_id = forms.PersonalCopyForm.parse(request.POST)["library"]
    library = Library.objects.filter(pk=library_id).first() if library_id else None
    services.receive_personal_copy(request.user, citation_id, library=library, barcode=request.POST.get("barcode", ""),
                                   location=request.POST.get("location", ""), call_number=request.POST.get("call_number", ""))


PERSONAL_COPY_ACTIONS = {
    "receive": (_receive_personal_copy, gettext_lazy("Personal copy received: it is on reserve for the course.")),
    "return": (lambda request, citation_id: services.return_personal_copy(request.user, citation_id),
               gettext_lazy("Personal copy returned to its owner.")),
}


@login_required
@require_POST
@flash_refusals(lambda request, *args, **kwargs: reverse("circulation:personal-copies"))
def personal_copy_action(request, citation_id: int, action: str):
    """SRV-1: staff record a personal copy received, or returned to its owner."""
    if action not in PERSONAL_COPY_ACTIONS:
        raise Http404
    act, done = PERSONAL_COPY_ACTIONS[action]
    act(request, citation_id)
    messages.success(request, done)
    return redirect("circulation:personal-copies")
    messages.success(request, done)
    return redirect("circulation:personal-copies")

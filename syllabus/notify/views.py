"""Pages: the bell (in-app notifications), contact details and preferences, the letters
editor with preview, the outbox monitor.  Thin: parse, call a service or selector, render."""
from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from syllabus.core.errors import NotFound, RuleViolation
from syllabus.core.redirects import safe_next
from syllabus.core import paging
from syllabus.web import tabs
from syllabus.web.errors import rule_errors
from syllabus.web.htmx import is_htmx

from . import forms, selectors, services
from .letters import LETTERS

NAV_CHANGED = "syllabus:nav-changed"


def _nav_changed(response: HttpResponse) -> HttpResponse:
    """Tell the page (htmx) that navigation counts changed: ``notify/_nav_refresh.html`` reloads the nav."""
    response["HX-Trigger"] = NAV_CHANGED
    return response


# --- the nav, for htmx refreshes ----------------------------------------------------------------

@login_required
@require_GET
def nav(request):
    """A bare page whose navigation (``.main-nav``) htmx swaps into the current page."""
    path = request.GET.get("path", "")
    if path.startswith("/") and not path.startswith("//"):
        request.path = path  # so that the current page stays marked aria-current
    return render(request, "notify/nav.html")


# --- in-app notifications (the bell) ------------------------------------------------------------

@login_required
def notifications(request):
    unread_only = request.GET.get("unread") == "1"
    items = selectors.notifications_for(request.user, unread_only=unread_only, limit=100)
    return render(request, "notify/notifications.html", {
        "items": items, "unread_only": unread_only, "unread": selectors.unread_notifications(request.user)})


@login_required
@require_POST
def notification_read(request, pk: int):
    try:
        notification = services.mark_notification_read(request.user, pk)
    except NotFound:
        raise Http404
    if is_htmx(request):
        return _nav_changed(render(request, "notify/_notification.html", {"n": notification}))
    return redirect(safe_next(request, notification.link, fallback=reverse("notify:list")))


@login_required
@require_POST
def notifications_read_all(request):
    services.mark_all_notifications_read(request.user)
    if is_htmx(request):
        items = selectors.notifications_for(request.user, limit=100)
        return _nav_changed(render(request, "notify/_notification_list.html", {"items": items, "unread": 0}))
    return redirect("notify:list")


# --- contact details and channel preferences ------------------------------------------------------

@login_required
def preferences(request):
    user = request.user
    error = None
    if request.method == "POST":
        try:
            services.update_contact(
                user, user, email=request.POST.get("email", ""), phone=request.POST.get("phone", ""),
                email_enabled="email_enabled" in request.POST, sms_enabled="sms_enabled" in request.POST,
                inapp_enabled="inapp_enabled" in request.POST)
        except RuleViolation as exc:
            error = exc
        else:
            if not is_htmx(request):
                messages.success(request, _("Your contact details and preferences are saved."))
                return redirect("notify:preferences")
        user.refresh_from_db()
    context = {"pref": services.preferences_of(user), "error": error, "saved": request.method == "POST" and error is None,
               "form": request.POST if error else None}
    template = "notify/_preferences_form.html" if is_htmx(request) else "notify/preferences.html"
    return render(request, template, context, status=400 if error else 200)


# --- letters (Letter Administrator) --------------------------------------------------------------

def _letter_admin(request, *, institution_needed: bool = True):
    institution = request.user.institution
    if not services.can_administer_letters(request.user, institution) or (institution_needed and institution is None):
        raise DjangoPermissionDenied(_("Only the Letter Administrator of your institution edits letters."))
    return institution


def _letter(code: str):
    if code not in LETTERS:
        raise Http404
    return LETTERS[code]


@login_required
def letters(request):
    institution = _letter_admin(request)
    return render(request, "notify/letters.html", {"rows": selectors.letter_rows(institution), "institution": institution})


@login_required
@require_POST
@rule_errors(back_url=reverse_lazy("notify:letters"))
def letter_switch(request, code: str):
    """Switch a letter, or one of its channels, on or off (htmx: returns the row)."""
    institution = _letter_admin(request)
    letter = _letter(code)
    data = forms.LetterSwitchForm.parse(request.POST)
    on = data["enabled"] == "1"
    if data["channel"]:
        services.save_letter(request.user, institution, code, channels={data["channel"]: on})
    else:
        services.save_letter(request.user, institution, code, enabled=on)
    row = selectors.letter_row(institution, letter)
    if is_htmx(request):
        return render(request, "notify/_letter_row.html", {"row": row})
    return redirect("notify:letters")


@login_required
def letter_edit(request, code: str):
    institution = _letter_admin(request)
    letter = _letter(code)
    row = selectors.letter_row(institution, letter)
    sources = services.template_sources(letter, row.config)
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {name: request.POST.get(name, "") for name in services.TEMPLATE_FIELDS}
        channels = {c: f"channel_{c}" in request.POST for c in letter.channels}
        try:
            services.save_letter(request.user, institution, code, enabled="enabled" in request.POST,
                                 channels=channels, **values)
        except RuleViolation:
            errors = services.template_errors(letter, values)
            sources = values
        else:
            messages.success(request, _("The letter “%(name)s” is saved.") % {"name": letter.name})
            return redirect("notify:letter", code=code)
    preview = services.preview_letter(letter, sources if errors else {}, institution=institution)
    return render(request, "notify/letter_edit.html", {
        "letter": letter, "row": row, "sources": sources, "errors": errors, "preview": preview,
        "has_sms": "sms" in letter.channels}, status=400 if errors else 200)


@login_required
@require_POST
def letter_preview(request, code: str):
    institution = _letter_admin(request)
    letter = _letter(code)
    values = {name: request.POST.get(name) for name in services.TEMPLATE_FIELDS}
    preview = services.preview_letter(letter, values, institution=institution)
    return render(request, "notify/_preview.html", {"preview": preview, "letter": letter, "has_sms": "sms" in letter.channels})


@login_required
@require_POST
def letter_reset(request, code: str):
    institution = _letter_admin(request)
    letter = _letter(code)
    services.reset_letter(request.user, institution, code)
    messages.success(request, _("The letter “%(name)s” is back to its default text.") % {"name": letter.name})
    return redirect("notify:letter", code=code)


@login_required
@require_POST
def letter_test(request, code: str):
    """Send the letter, filled with its sample data, to the administrator themselves."""
    institution = _letter_admin(request)
    letter = _letter(code)
    rows = services.send_test_letter(request.user, institution, code)
    if rows:
        messages.success(request, _("A test of “%(name)s” is in the outbox for you (%(channels)s).")
                         % {"name": letter.name, "channels": ", ".join(f"{r.channel}: {r.get_status_display()}" for r in rows)})
    else:
        messages.error(request, _("Nothing to send: you have no address on this letter's channels."))
    return redirect("notify:letter", code=code)


# --- the outbox monitor --------------------------------------------------------------------------

@login_required
def outbox(request):
    _letter_admin(request, institution_needed=False)
    tab = tabs.chosen(request.GET.get("status"), selectors.MONITOR_TABS, "pending")
    q = request.GET.get("q", "").strip()
    letter = request.GET.get("letter", "")
    page = paging.page_of(request, selectors.outbox_messages(request.user, tab, q, letter), 50)
    context = {"tab": tab, "q": q, "letter": letter, "page": page, "counts": selectors.outbox_counts(request.user),
               "tabs": selectors.MONITOR_TABS, "letters": sorted(LETTERS.values(), key=lambda lt: str(lt.name))}
    template = "notify/_outbox_results.html" if is_htmx(request) else "notify/outbox.html"
    return render(request, template, context)


@login_required
@require_POST
@rule_errors(back_url=reverse_lazy("notify:outbox"))
def outbox_retry(request, pk: int):
    _letter_admin(request, institution_needed=False)
    msg = services.retry_message(request.user, pk)
    if is_htmx(request):
        return render(request, "notify/_outbox_row.html", {"m": msg})
    return redirect(reverse("notify:outbox") + "?status=pending")

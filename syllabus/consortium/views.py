"""Consortium pages (CON-1..4).  Thin: parse, call a service or selector, render."""
from __future__ import annotations


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.http import Http404
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext, pgettext_lazy
from django.views.decorators.http import require_POST

from syllabus.core.errors import RuleViolation
from syllabus.core.redirects import safe_next
from syllabus.org import config
from syllabus.core import paging
from syllabus.web import tabs
from syllabus.web.errors import rule_errors
from syllabus.core import jsondata

from . import forms, selectors, services


def _parse(key: str, raw: str):
    """A form's text as the parameter's value: empty removes it; a list is comma-separated."""
    raw = (raw or "").strip()
    if raw == "":
        return None
    p = config.param(key)
    if p.type is list:
        try:
            value = jsondata.loads(raw)
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
    data = forms.ConfigSetForm.parse(request.POST)
    services.set_consortium_value(request.user, key, _parse(key, data["value"]))
    removed = services.lock_setting(request.user, key, data["locked"])
    msg = _("%(key)s saved for the consortium.") % {"key": key}
    if removed:
        msg += " " + _("%(n)s member override(s) removed.") % {"n": removed}
    messages.success(request, msg)
    return redirect(reverse("consortium:config") + f"#set-{key}")


# --- CON-3: the lists gateway -------------------------------------------------------------------


def _search_params(request) -> dict:
    return {"q": request.GET.get("q", "")[:200], "institution": request.GET.get("institution", "")[:40],
            "term": request.GET.get("term", "")[:40]}


@login_required
@rule_errors
def gateway(request):
    params = _search_params(request)
    page = paging.page_of(request, selectors.gateway_search(request.user, **params), 25)
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
    data = forms.GatewayCopyForm.parse(request.POST)
    target = selectors.my_editable_lists(request.user).filter(pk=data["target"]).first() if data["target"] else None
    if target is None:
        raise RuleViolation("CON-3", "choose one of your own lists to copy into")
    created = services.copy_items(request.user, list_id, [str(i) for i in data["citation"]], target)
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
    services.share_list(request.user, lst, forms.ShareForm.parse(request.POST)["shared"])
    return redirect(safe_next(request, request.POST.get("next"), fallback=reverse("lists:edit", args=[lst.pk])))


# --- CON-2: inter-library loan ------------------------------------------------------------------

MOVE_LABELS = {
    "expect_to_supply": gettext_lazy("Expect to supply"), "will_supply": gettext_lazy("Will supply"),
    "unfilled": pgettext_lazy("action", "Unfilled"), "loan": gettext_lazy("Send (loaned)"), "recall": gettext_lazy("Recall"),
    "check_in": gettext_lazy("Returned: complete"), "received": gettext_lazy("Received"),
    "shipped_return": gettext_lazy("Shipped back"), "cancel": gettext_lazy("Cancel"),
    "send": gettext_lazy("Send to a supplier"), "no_supplier": gettext_lazy("No supplier found"),
    "cancel_accepted": gettext_lazy("Cancel accepted"), "copy_completed": gettext_lazy("Copy delivered"),
}


@login_required
@rule_errors
def ill_queue(request):
    services.ensure_ill_staff(request.user, request.user.institution)
    side = tabs.chosen(request.GET.get("side"), ("supplier", "requester"), "supplier")
    show_all = bool(request.GET.get("all"))
    qs = selectors.ill_queue(request.user, side=side, open_only=not show_all)
    page = paging.page_of(request, qs, 25)
    for ill in page:
        ill.move_buttons = [(m, MOVE_LABELS.get(m, m)) for m in selectors.ill_moves(request.user, ill)]
        ill.identifiers = [(c, v) for c, v in (("ISBN", ill.isbn), ("ISSN", ill.issn), ("DOI", ill.doi)) if v]
    deliveries = selectors.last_deliveries([ill.pk for ill in page]) if side == "requester" else {}
    for ill in page:
        ill.delivery = deliveries.get(ill.pk)
    return render(request, "consortium/ill_queue.html", {"page": page, "side": side, "show_all": show_all,
                                                         "counts": selectors.ill_counts(request.user)})  # open ones, one query


@login_required
@rule_errors
def ill_new(request, record_id: int):
    record = selectors.consortium_record(request.user, record_id)
    services.ensure_ill_staff(request.user, request.user.institution)
    if request.method == "POST":
        data = forms.IllNewForm.parse(request.POST)
        services.raise_loan_request(request.user, record, note=data["note"], service_type=data["service_type"] or "Loan")
        messages.success(request, _("The inter-library loan request was sent to %(owner)s.") % {"owner": record.institution.name})
        return redirect(reverse("consortium:ill") + "?side=requester")
    return render(request, "consortium/ill_new.html", {"record": record})


@login_required
@require_POST
@rule_errors(back_url="/consortium/ill/")
def ill_move(request, ill_id: int):
    ill = selectors.ill_for(request.user, ill_id)
    data = forms.IllMoveForm.parse(request.POST)
    services.move_loan_request(request.user, ill, data["action"], note=data["note"], reason=data["reason"],
                               due_days=data["due_days"], agency=data["agency"])
    return redirect(reverse("consortium:ill") + f"?side={data['side'] or 'supplier'}")


# --- CON-2: a purchase from another member's metadata --------------------------------------------


@login_required
@rule_errors
def purchase(request, record_id: int):
    from syllabus.acquisitions.models import Kind
    from syllabus.lists.models import ResourceList
    from syllabus.lists.permissions import ensure_librarian

    record = selectors.consortium_record(request.user, record_id)
    ensure_librarian(request.user, request.user.institution_id)
    lists = ResourceList.objects.filter(institution_id=request.user.institution_id).order_by("title", "pk")
    if request.method == "POST":
        data = forms.PurchaseFromRecordForm.parse(request.POST)
        target = lists.filter(pk=data["list"]).first() if data["list"] else None
        if target is None:
            raise RuleViolation("CON-2", "choose one of your institution's lists")
        task = services.purchase_from_record(request.user, record, target, kind=data["kind"] or "order", notes=data["notes"])
        messages.success(request, _("The acquisition task was started."))
        return redirect(reverse("acquisitions:task", args=[task.pk]))
    return render(request, "consortium/purchase.html", {"record": record, "lists": lists[:500],
                                                        "kinds": [(k.value, k.label) for k in (Kind.ORDER, Kind.LICENSE)]})


# --- CON-4: cross-member fulfillment ------------------------------------------------------------------


@login_required
@rule_errors
def cross_request(request, record_id: int):
    record = selectors.consortium_record(request.user, record_id)
    if request.method == "POST":
        cross = services.request_from_member(request.user, record, *forms.CrossRequestForm.request_data(request.POST))
        messages.success(request, _("Your request was sent to %(owner)s.") % {"owner": record.institution.name})
        return redirect(reverse("fulfillment:mine") if cross.digitization_id else reverse("consortium:cross-mine"))
    return render(request, "consortium/cross_request.html", {"record": record})


@login_required
@rule_errors
def cross_mine(request):
    return render(request, "consortium/cross_mine.html", {"requests": selectors.cross_requests_of(request.user)[:200]})


# --- CON-2: a reader's own inter-library loan requests (Find it's next step) -------------------------


@login_required
@rule_errors
def ill_ask(request):
    """The reader confirms the citation Find it resolved and asks the library for a loan or a copy."""
    import datetime as dt

    from syllabus.catalog import resolver
    from syllabus.citations import openurl
    from syllabus.core import clock
    from syllabus.lists import selectors as list_selectors

    from . import reader_requests

    kev = resolver.read_kev(request.GET)  # DSV-6 names an over-long value
    if not openurl.is_openurl(kev) and request.method != "POST":  # a POST carries the confirmed citation itself
        raise RuleViolation("DSV-6", "this link does not describe a citation: ask for an inter-library loan from Find it")
    from_item = list_selectors.citation_seen_by(request.user, resolver.read_from_item(request.GET))
    values = reader_requests.initial(openurl.to_csl(kev) if openurl.is_openurl(kev) else {})
    error, status = None, 200
    if request.method == "POST":
        values = {k: request.POST.get(k, "")[:2000] for k in values | {"needed_by": "", "note": "", "pickup_library": ""}}
        try:
            data = forms.IllAskForm.parse(request.POST)
            reader_requests.ask_for_ill(request.user, data, needed_by=data["needed_by"], note=data["note"],
                                        pickup_library_id=data["pickup_library"], from_citation=from_item)
        except RuleViolation as exc:  # shown above the form, the reader's input kept
            error, status = exc, exc.status
        else:
            messages.success(request, _("Your request was sent to your library. It tells you by e-mail how it goes."))
            return redirect("consortium:ill-mine")
    today = clock.now().date()
    return render(request, "consortium/ill_ask.html", {
        "values": values, "error": error, "query": request.GET.urlencode(), "from_item": from_item,
        "find_it": reverse("resolver:openurl") + "?" + request.GET.urlencode(),
        "libraries": reader_requests.pickup_libraries(request.user.institution),
        "enabled": reader_requests.enabled_for(request.user), "today": today.isoformat(),
        "last_day": (today + dt.timedelta(days=reader_requests.NEEDED_BY_MAX_DAYS)).isoformat(),
        "max_days": reader_requests.NEEDED_BY_MAX_DAYS, "note_max": reader_requests.NOTE_MAX}, status=status)


@login_required
@rule_errors
def ill_mine(request):
    """The reader's inter-library loan requests, their status in the reader's words; cancel while not sent."""
    from .workflow import READER_CANCELLABLE

    page = paging.page_of(request, selectors.my_ill_requests(request.user), 25)
    for ill in page:
        ill.reader_status = selectors.reader_status(ill)
        ill.cancellable = ill.status in READER_CANCELLABLE
        ill.return_asked = ill.status in ("Overdue", "Recalled") and ill.received and not ill.shipped_return
    return render(request, "consortium/ill_mine.html", {"page": page})


@login_required
@require_POST
@rule_errors(back_url="/consortium/ill/mine/")
def ill_mine_cancel(request, ill_id: int):
    from . import reader_requests

    ill = reader_requests.cancel_my_request(request.user, ill_id)
    if ill.status == "CancelRequested":
        messages.success(request, _("The supplying library was asked to cancel your request for %(title)s; we will tell "
                                    "you its answer.") % {"title": ill.title})
    else:
        messages.success(request, _("Your request for %(title)s was cancelled.") % {"title": ill.title})
    return redirect("consortium:ill-mine")


# --- CON-2: the directory of ILL partners outside the consortium ---------------------------------

def _partner_fields(data: dict) -> dict:
    """The partner's fields of a parsed :class:`~syllabus.consortium.forms.IllPartnerForm`."""
    from .forms import IllPartnerForm

    return {name: data[name] for name in IllPartnerForm.FIELDS}


@login_required
@rule_errors(back_url="/consortium/ill/partners/")
def ill_partners(request):
    from . import partners

    services.ensure_ill_staff(request.user, request.user.institution)
    if request.method == "POST":
        partner = partners.save_partner(request.user, _partner_fields(forms.IllPartnerForm.parse(request.POST)))
        messages.success(request, _("%(agency)s was added to your ILL partners.") % {"agency": partner.agency_id})
        return redirect(reverse("consortium:ill-partners"))
    return render(request, "consortium/ill_partners.html", {"partners": partners.partners_of(request.user.institution),
                                                            "http_allowed": partners.http_allowed()})


@login_required
@rule_errors(back_url="/consortium/ill/partners/")
def ill_partner(request, partner_id: int):
    from . import partners

    partner = partners.partner_of(request.user, partner_id)
    if request.method == "POST":
        data = forms.IllPartnerForm.parse(request.POST)
        if data["delete"]:
            partners.delete_partner(request.user, partner)
            messages.success(request, _("%(agency)s was removed from your ILL partners.") % {"agency": partner.agency_id})
        else:
            partners.save_partner(request.user, _partner_fields(data), partner)
            messages.success(request, _("%(agency)s was saved.") % {"agency": partner.agency_id})
        return redirect(reverse("consortium:ill-partners"))
    return render(request, "consortium/ill_partner.html", {"partner": partner, "http_allowed": partners.http_allowed()})

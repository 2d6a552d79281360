"""Pages of long-term digital loans.  Thin: parse, call a service or selector, render.

Patron side: digital titles on loan, a title's loan panel (borrow / join the waitlist /
view / finish / renew / cancel), the viewer, the library card.  Back office: monitoring
with filters, the queue of a representation, request detail with audit trail, edit,
cancel with a reason, requests on behalf, staff access, representation rights,
access-rights policies and a staff title search with the availability indicator (LDL-14).
"""
from __future__ import annotations

import re
from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from syllabus.catalog import lists_port
from syllabus.catalog.models import Item
from syllabus.core import audit
from syllabus.core.files import serve_upload
from syllabus.core.redirects import safe_next
from syllabus.core.errors import RuleViolation
from syllabus.core import paging
from syllabus.web.errors import flash_refusals, rule_errors
from syllabus.web.htmx import is_htmx

from . import forms, permissions, selectors, services
from .models import AccessRule, CancelReason, LoanRequest, Source, Status, Step, TimeUnit


def _rep_or_404(request, rep_id: int):
    rep = selectors.representation_for(request.user, rep_id)
    if rep is None:
        raise Http404
    return rep


def _own_request_or_404(request, pk: int) -> LoanRequest:
    req = selectors.request_for(request.user, pk)
    if req is None or req.patron_id != request.user.pk:
        raise Http404
    return req


def _staff_request_or_404(request, pk: int) -> LoanRequest:
    req = selectors.request_for(request.user, pk)
    if req is None:
        raise Http404
    if not permissions.can_manage_requests(request.user, req.representation.library):
        raise DjangoPermissionDenied
    return req


def _require_lending_staff(user) -> None:
    if not permissions.is_lending_staff(user):
        raise DjangoPermissionDenied


def _hx_redirect(request, url: str):
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


# --- patron side ----------------------------------------------------------------------------------

@login_required
def browse(request):
    q = request.GET.get("q", "").strip()
    reps = selectors.loan_representations(request.user, long_term_loan=True, q=q)
    page = paging.page_of(request, reps, 25)
    template = "lending/_browse_results.html" if is_htmx(request) else "lending/browse.html"
    return render(request, template, {"q": q, "page": page})


def _title_context(request, rep, error: RuleViolation | None = None) -> dict:
    tv = selectors.title_view(request.user, rep)
    return {"rep": rep, "tv": tv, "error": error, "session_units": TimeUnit, "back": _back_to_list(request)}


def _back_to_list(request) -> tuple[str, str] | None:
    """(list title, the item on its student view) when the title was opened from a list item the
    reader sees (``?from_item=``, as Find it's): the way back to it (LDL-3, DSV-6); anything else —
    no item, not a number, an item of a list the reader cannot open — says nothing."""
    value = request.GET.get("from_item", "")
    if not value.isdigit() or not 0 < int(value) < 2**63:
        return None
    return lists_port.item_context(request.user, int(value))


@login_required
@never_cache
def title(request, rep_id: int):
    rep = _rep_or_404(request, rep_id)
    return render(request, "lending/title.html", _title_context(request, rep))


def _panel(request, rep, error: RuleViolation | None = None, status: int = 200):
    if is_htmx(request):
        return render(request, "lending/_title_panel.html", _title_context(request, rep, error), status=status)
    if error:
        messages.error(request, str(error))
    return redirect("lending:title", rep.pk)


def _refused_on_panel(request, rep, act, *args) -> HttpResponse | None:
    """Do ``act(request.user, *args)``; a refusal answers the title's panel naming the rule,
    success answers None (the caller says what follows)."""
    try:
        act(request.user, *args)
    except RuleViolation as exc:
        return _panel(request, rep, exc)
    return None


@login_required
@require_POST
def place(request, rep_id: int):
    """Borrow now, or join the waitlist (LDL-3)."""
    rep = _rep_or_404(request, rep_id)
    return _refused_on_panel(request, rep, services.request_loan, rep) or _panel(request, rep)


@login_required
@require_POST
def start(request, pk: int):
    """Open the resource: the session starts (workflow step 3), then the viewer."""
    req = _own_request_or_404(request, pk)
    return _refused_on_panel(request, req.representation, services.access, req) or \
        _hx_redirect(request, reverse("lending:viewer", args=[req.pk]))


@login_required
@never_cache
def viewer(request, pk: int):
    """The viewer link: works while the session runs; in the grace period it offers to start
    the session; once the loan has ended it answers 410 Gone."""
    req = _own_request_or_404(request, pk)
    context = {"req": req, "rep": req.representation}
    if req.step == Step.IS_BEING_VIEWED:
        return render(request, "lending/viewer.html", context | {"mode": "viewing"})
    if req.step == Step.IN_GRACE_PERIOD:
        return render(request, "lending/viewer.html", context | {"mode": "start"})
    if req.status == Status.READY:
        return render(request, "lending/viewer.html", context | {"mode": "waiting"}, status=409)
    return render(request, "lending/viewer.html", context | {"mode": "ended"}, status=410)


@login_required
@never_cache
def content(request, pk: int):
    """The digitised file itself, only while the session runs (sandboxed, never cached)."""
    req = _own_request_or_404(request, pk)
    if req.step != Step.IS_BEING_VIEWED:
        return HttpResponse(_("This loan has ended."), status=410, content_type="text/plain; charset=utf-8")
    rep = req.representation
    if not rep.file:
        raise Http404
    return serve_upload(rep.file, filename=rep.label or "", inline=True)


def _after_own_action(request, req, fn, **kw):
    error: RuleViolation | None = None
    try:
        fn(request.user, req, **kw)
    except RuleViolation as exc:
        error = exc
    where = request.POST.get("from", "")
    if where == "viewer":
        if error:
            messages.error(request, str(error))
        return _hx_redirect(request, reverse("lending:viewer", args=[req.pk]) if fn is services.renew
                            else reverse("lending:title", args=[req.representation_id]))
    if where == "card":
        return _card(request, error)
    return _panel(request, req.representation, error)


@login_required
@require_POST
def finish(request, pk: int):
    return _after_own_action(request, _own_request_or_404(request, pk), services.finish)


@login_required
@require_POST
def renew(request, pk: int):
    return _after_own_action(request, _own_request_or_404(request, pk), services.renew)


@login_required
@require_POST
def patron_cancel(request, pk: int):
    return _after_own_action(request, _own_request_or_404(request, pk), services.cancel)


def _card(request, error: RuleViolation | None = None):
    context = selectors.library_card(request.user) | {"error": error}
    if is_htmx(request):
        return render(request, "lending/_card.html", context)
    if error:
        messages.error(request, str(error))
    return render(request, "lending/card.html", context)


@login_required
@never_cache
def card(request):
    """The patron's library card (LDL-13): own requests, session/grace, view link, cancel while waiting."""
    return _card(request)


# --- back office ----------------------------------------------------------------------------------

MONITOR_FILTERS = ("activity", "status", "step", "source", "type", "library", "q")


@login_required
@rule_errors
def monitor(request):
    _require_lending_staff(request.user)
    f = {k: request.GET.get(k, "").strip() for k in MONITOR_FILTERS}
    if "activity" not in request.GET:
        f["activity"] = "active"
    rep_filter = request.GET.get("representation") or None
    qs = selectors.monitor(request.user, activity=f["activity"], status=f["status"], step=f["step"], source=f["source"],
                           request_type=f["type"], library=f["library"], q=f["q"],
                           representation=int(rep_filter) if rep_filter and rep_filter.isdigit() else None)
    page = paging.page_of(request, qs, 50)
    selectors.attach_places(list(page.object_list))
    libs = permissions.managed_library_ids(request.user)
    from syllabus.org.models import Library

    libraries = Library.objects.all() if libs is None else Library.objects.filter(pk__in=libs)
    context = {"page": page, "f": f, "statuses": Status.choices, "steps": Step.choices, "sources": Source.choices,
               "libraries": libraries.order_by("code"), "request_type": selectors.REQUEST_TYPE}
    template = "lending/_monitor_results.html" if is_htmx(request) else "lending/monitor.html"
    return render(request, template, context)


@login_required
def request_detail(request, pk: int):
    """One request with its audit trail (LDL-13)."""
    req = _staff_request_or_404(request, pk)
    return render(request, "lending/request_detail.html", {"req": req, "trail": audit.trail(req)[:200]})


def _form_page(request, template: str, save: Callable[[], HttpResponse], context: Callable[[], dict]) -> HttpResponse:
    """A back-office page that shows its form again with the refusal: on a POST, ``save()`` parses
    the form, calls the service and answers the redirect; a :class:`RuleViolation` it raises is
    the page's ``error`` (its status), shown over ``context()`` (built after the attempt) — with
    ``posted`` ("form:"), for a template that says it beside its field (``{% form_error "form" %}``)."""
    error: RuleViolation | None = None
    if request.method == "POST":
        try:
            return save()
        except RuleViolation as exc:
            error = exc
    return render(request, template, {**context(), "error": error, "posted": "form:" if error else None},
                  status=400 if error else 200)


@login_required
def edit(request, pk: int):
    """LDL-11: staff change the note and the priority — nothing else."""
    req = _staff_request_or_404(request, pk)

    def save() -> HttpResponse:
        data = forms.EditForm.parse(request.POST)
        services.edit_request(request.user, req, note=data["note"], priority=data["priority"])
        messages.success(request, _("Request updated."))
        return redirect("lending:request", req.pk)

    return _form_page(request, "lending/edit.html", save, lambda: {"req": req, "max_priority": services.MAX_PRIORITY})


@login_required
def cancel(request, pk: int):
    """LDL-11: staff cancel a request not yet being viewed, with a reason."""
    req = _staff_request_or_404(request, pk)
    nxt = forms.BackForm.parse(request.POST)["next"] if request.method == "POST" else ""

    def save() -> HttpResponse:
        data = forms.CancelForm.parse(request.POST)
        services.cancel(request.user, req, reason=data["reason"], note=data["note"])
        messages.success(request, _("Request cancelled; the patron is notified."))
        fallback = reverse("lending:queue", args=[req.representation_id])
        return redirect(safe_next(request, nxt, fallback=fallback) if nxt.startswith("/lending/") else fallback)

    return _form_page(request, "lending/cancel.html", save,
                      lambda: {"req": req, "reasons": CancelReason.choices, "next": request.GET.get("next", nxt)})


def _staff_rep(request, rep_id: int):
    rep = _rep_or_404(request, rep_id)
    if not permissions.can_manage_requests(request.user, rep.library):
        raise DjangoPermissionDenied
    return rep


@login_required
def queue(request, rep_id: int):
    """LDL-13: the queue of one representation, with requests on behalf and staff access."""
    rep = _staff_rep(request, rep_id)
    context = {"rep": rep, "q": selectors.queue(rep), "max_priority": services.MAX_PRIORITY,
               "availability": selectors.loan_availability([rep.pk])[rep.pk],
               "can_configure": permissions.can_configure(request.user, library=rep.library)}
    return render(request, "lending/queue.html", context)


def _back_to_queue(request, rep_id: int) -> str:
    return reverse("lending:queue", args=[rep_id])


@login_required
@require_POST
@flash_refusals(_back_to_queue)
def on_behalf(request, rep_id: int):
    """LDL-3: staff place a request for a patron (optionally overriding the priority)."""
    rep = _staff_rep(request, rep_id)
    username = forms.PatronForm.parse(request.POST)["patron"].strip()
    patron = selectors.patron_named(username, rep.library.institution_id)
    if patron is None:
        raise RuleViolation("LDL-3", _("no registered patron %(u)s") % {"u": username or "—"})
    data = forms.OnBehalfForm.parse(request.POST)
    req = services.request_loan(request.user, rep, patron=patron, note=data["note"], priority=data["priority"])
    messages.success(request, _("Request placed for %(u)s: %(state)s.") % {"u": patron.username, "state": req.get_step_display()})
    return redirect("lending:queue", rep.pk)


@login_required
@require_POST
@flash_refusals(_back_to_queue)
def staff_access(request, rep_id: int):
    """LDL-3: a staff member opens the resource from the back office."""
    rep = _staff_rep(request, rep_id)
    req = services.staff_access(request.user, rep)
    if req.step == Step.IS_BEING_VIEWED:
        return redirect("lending:viewer", req.pk)
    messages.info(request, _("No copy is free: you are in the waitlist."))
    return redirect("lending:queue", rep.pk)


@login_required
def rights(request, rep_id: int):
    """LDL-2: the policy, concurrent users and related physical items of a representation."""
    rep = _rep_or_404(request, rep_id)
    if not permissions.can_configure(request.user, library=rep.library):
        raise DjangoPermissionDenied
    policies = list(selectors.policies(request.user))
    items = list(Item.objects.filter(record_id=rep.record_id).select_related("library").order_by("barcode"))

    def save() -> HttpResponse:
        data = forms.RightsForm.parse(request.POST)
        policy = next((p for p in policies if p.pk == data["policy"]), None)
        services.save_representation_rights(request.user, rep, policy=policy, concurrent_users=data["concurrent_users"],
                                             related_item_ids=data["items"])  # all or nothing
        messages.success(request, _("Loan rights saved."))
        return redirect("lending:rights", rep.pk)

    def page() -> dict:
        stored = _rep_or_404(request, rep_id)  # as stored: a refused save changed nothing
        return {"rep": stored, "st": getattr(stored, "loan_settings", None), "policies": policies, "items": items,
                "related": set(stored.related_items.values_list("pk", flat=True))}

    return _form_page(request, "lending/rights.html", save, page)


@login_required
def search(request):
    """Staff title search with the digital loan availability indicator (LDL-14)."""
    _require_lending_staff(request.user)
    q = request.GET.get("q", "").strip()
    records = selectors.staff_title_search(request.user, q)
    template = "lending/_search_results.html" if is_htmx(request) else "lending/search.html"
    return render(request, template, {"q": q, "records": records})


# --- access-rights policies (LDL-1) ------------------------------------------------------------

@login_required
def policies(request):
    if not permissions.can_configure(request.user):
        raise DjangoPermissionDenied
    return render(request, "lending/policies.html", {"policies": selectors.policies(request.user)})


RULE_BOOLS = ("grace_included_in_session", "renewable", "renewable_when_others_wait", "limit_reloan")
RULE_INTS = ("request_priority", "session_period", "grace_period", "max_renewal_days", "open_for_renewal_days", "reloan_limit_days")


def _beside(exc: RuleViolation, field: str) -> RuleViolation:
    """``exc`` naming the page's input ``field`` — said beside it (``{% field_error %}``)."""
    return RuleViolation(exc.rule, exc.detail, status=exc.status, field=field)


def _rules_from_post(post) -> tuple[list[dict], list[int]]:
    """LDL-1: the enabled user-group rows of the access-rights page (``forms.AccessRuleForm``, one
    per row), and the row each rule came from."""
    rules, rows = [], []
    try:
        count = forms.RuleCountForm.parse(post)["rule_count"] or 0
    except RuleViolation as exc:   # no input of the page says it: beside the Save button
        raise _beside(exc, "") from exc
    for i in range(count):
        prefix = f"rule-{i}"
        try:
            data = forms.AccessRuleForm.parse(post, prefix=prefix)
        except RuleViolation as exc:
            raise _beside(exc, _row_input(f"{prefix}-{exc.field}")) from exc
        if data.pop("enabled"):
            rules.append(data)
            rows.append(i)
    return rules, rows


def _row_input(field: str) -> str:
    """The input a row's refusal is said beside: its user group (a hidden input) is the row's
    checkbox, which names the group."""
    return field.removesuffix("-user_group") + "-enabled" if field.endswith("-user_group") else field


def _policy_field(field: str | None, rows: list[int]) -> str | None:
    """The page's input a service's refusal names: ``rules[1].grace_period`` → ``rule-2-grace_period``."""
    found = re.fullmatch(r"rules\[(\d+)\]\.(\w+)", field or "")
    if found is None or int(found[1]) >= len(rows):
        return field
    return _row_input(f"rule-{rows[int(found[1])]}-{found[2]}")


@login_required
def policy_form(request, pk: int | None = None):
    """Create or edit an access-rights policy and its rules, one per user group (LDL-1)."""
    if not permissions.can_configure(request.user):
        raise DjangoPermissionDenied
    policy = None
    if pk is not None:
        policy = selectors.policies(request.user).filter(pk=pk).first()
        if policy is None:
            raise Http404
    from syllabus.org.models import UserGroup

    groups = list(UserGroup.objects.filter(institution_id=request.user.institution_id).order_by("name"))
    existing = {(r.user_group.code if r.user_group_id else ""): r for r in (policy.rules.all() if policy else [])}

    def save() -> HttpResponse:
        rules, rows = _rules_from_post(request.POST)
        fields = dict(name=request.POST.get("name", ""), limit_note=request.POST.get("limit_note", ""),
                      description=request.POST.get("description", ""), long_term_loan=bool(request.POST.get("long_term_loan")))
        try:
            if policy is None:
                services.create_policy(request.user, request.user.institution, rules=rules, **fields)
            else:
                services.update_policy(request.user, policy, rules=rules, **fields)
        except RuleViolation as exc:
            if exc.field and _policy_field(exc.field, rows) != exc.field:
                raise _beside(exc, _policy_field(exc.field, rows) or "") from exc
            raise
        messages.success(request, _("Access rights saved."))
        return redirect("lending:policies")

    def page() -> dict:
        post = request.POST if request.method == "POST" else None
        defaults = {f.name: f.default for f in AccessRule._meta.concrete_fields if f.name in services.RULE_FIELDS}
        rows = []
        for i, (code, label) in enumerate([("", _("Default (every other group)"))] + [(g.code, g.name) for g in groups]):
            rule = existing.get(code)
            if post is not None:
                prefix = f"rule-{i}-"
                values = {n: post.get(prefix + n, "") for n in RULE_INTS + ("session_period_unit", "grace_period_unit")}
                values |= {n: bool(post.get(prefix + n)) for n in RULE_BOOLS}
                enabled = bool(post.get(prefix + "enabled"))
            else:
                values = {n: getattr(rule, n) if rule else defaults[n] for n in services.RULE_FIELDS}
                enabled = rule is not None or (policy is None and code == "")
            rows.append({"i": i, "p": f"rule-{i}-", "code": code, "label": label, "v": values, "enabled": enabled})
        form = {"name": post.get("name", "") if post else (policy.name if policy else ""),
                "limit_note": post.get("limit_note", "") if post else (policy.limit_note if policy else ""),
                "description": post.get("description", "") if post else (policy.description if policy else ""),
                "long_term_loan": bool(post.get("long_term_loan")) if post else (policy.long_term_loan if policy else True)}
        return {"policy": policy, "rows": rows, "units": TimeUnit.choices, "form": form, "rule_count": len(rows)}

    return _form_page(request, "lending/policy_form.html", save, page)

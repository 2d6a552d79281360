"""Pages of digitization and copyright clearance: patrons' and instructors' requests, the
catalog record's services, the back office's work queue and request page, configuration."""
from __future__ import annotations

import re
from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, pgettext_lazy
from django.views.decorators.http import require_POST

from syllabus.catalog.models import Item, Record
from syllabus.core import audit, clock
from syllabus.core.files import serve_upload
from syllabus.core.redirects import safe_next
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.web import tabs
from syllabus.web.templatetags.web_tags import form_key
from syllabus.web.errors import refusal, rule_errors
from syllabus.web.htmx import is_htmx
from syllabus.org.models import Library, User, UserGroup, hash_token, typed_username

from . import forms, permissions, selectors, services, workflow
from .models import (
    FORM_FIELDS, OPTION_STATUSES, ApprovalMode, CirculationDesk, CopyrightOption, DigitizationDepartment,
    DigitizationRequest, DigitizationRule, DisplayCondition, DisplayLogicRule, EddRule, PatronLimit, Service, Target,
)


def file_response(access: services.Access) -> FileResponse:
    """The delivered scan: sniffed, allow-listed, sandboxed (§12 uploads), like every uploaded file."""
    rep = access.request.representation
    return serve_upload(rep.file, filename=rep.file.name.rsplit("/", 1)[-1], inline=True,
                        headers={"X-Access-Warning": access.warning} if access.warning else None)


# --- patrons and instructors ---------------------------------------------------------------

@login_required
def my_requests(request):
    reqs = selectors.my_requests(request.user)[:200]
    return render(request, "fulfillment/my_requests.html", {"reqs": reqs})


@login_required
@rule_errors
def record_services(request, record_id: int):
    record = get_object_or_404(Record.objects.prefetch_related("items__library"), pk=record_id,
                               institution_id=request.user.institution_id)
    offered = services.services_for_record(request.user, record)
    form = services.form_config(record.institution)
    error = None
    on_behalf = permissions.can_request_on_behalf(request.user, record.institution)
    if request.method == "POST":
        try:
            data = forms.RequestForm.values(request.POST)
            chosen = forms.RecordRequestForm.parse(request.POST)
            item = None
            if chosen["item"]:
                item = get_object_or_404(Item, pk=chosen["item"], record=record)
            patron = None
            if chosen["on_behalf_of"]:
                patron = User.objects.filter(username=typed_username(chosen["on_behalf_of"]),
                                             institution_id=request.user.institution_id).first()
                if patron is None:
                    raise RuleViolation("DIG-10", _("no patron with this username"), field="on_behalf_of")
            req = services.request_from_record(request.user, record, data, service=chosen["service"],
                                               item=item, on_behalf_of=patron)
            messages.success(request, _("Your digitization request was sent to the library."))
            return redirect("fulfillment:request", req.pk)
        except RuleViolation as exc:
            if isinstance(exc, NotFound):
                raise Http404
            error = exc
    status = error.status if error else 200
    return render(request, "fulfillment/record_services.html", {
        "record": record, "offered": offered, "form": form, "error": error, "post": request.POST,
        "any_offered": any(s["available"] or s["choose_item"] for s in offered),
        "on_behalf": on_behalf, **_typed_rows(request.POST),
    }, status=status)


@login_required
def request_detail(request, request_id: int):
    req = _visible(request, request_id)
    return render(request, "fulfillment/request_detail.html", _detail_context(request, req))


def _visible(request, request_id: int) -> DigitizationRequest:
    try:
        return selectors.request_for(request.user, request_id)
    except NotFound:
        raise Http404


def _detail_context(request, req: DigitizationRequest, error=None) -> dict:
    user = request.user
    manager, operator = permissions.can_decide(user, req), permissions.can_work_on(user, req)
    acts = workflow.actions(req.status)
    staff = permissions.is_fulfillment_staff(user, req.institution)
    return {
        "req": req, "error": error, "history": list(audit.trail(req)[:30]) if staff else [],
        # staff who see the request but may take no step on it now are told why the page has no buttons
        "watching": staff and bool(acts) and user.pk != req.requester_id,
        "can": {
            "approve": manager and req.approval == "pending" and "approve" in acts,
            "approve_copyright": manager and req.copyright == "pending" and "approve_copyright" in acts,
            "pick": permissions.can_pick(user, req) and "pick" in acts,
            "attach": operator and "attach_file" in acts,
            "deliver": operator and "deliver" in acts,
            "complete": operator and "complete" in acts,
            "cancel": (operator or user.pk == req.requester_id) and "cancel" in acts,
        },
        "file_url": reverse("fulfillment:download", args=[req.pk]) if req.representation_id else None,
    }


@login_required
@require_POST
def request_action(request, request_id: int, action: str):
    req = _visible(request, request_id)
    error = None
    try:
        reason = forms.ReasonForm.parse(request.POST)["reason"]
        if action == "approve":
            services.approve(request.user, req, reason=reason)
        elif action == "reject":
            services.reject(request.user, req, reason=reason)
        elif action == "approve-copyright":
            services.approve(request.user, req, copyright=True, reason=reason)
        elif action == "reject-copyright":
            services.reject(request.user, req, copyright=True, reason=reason)
        elif action == "pick":
            services.pick(request.user, req)
        elif action == "attach-file":
            services.attach_file(request.user, req, request.FILES.get("file"))
        elif action == "deliver":
            services.deliver(request.user, req, base_url=request.build_absolute_uri("/").rstrip("/"))
        elif action == "complete":
            services.complete(request.user, req)
        elif action == "cancel":
            services.cancel(request.user, req, reason=reason)
        else:
            raise Http404
    except RuleViolation as exc:
        if isinstance(exc, NotFound):
            raise Http404
        error = exc
    req = selectors.request_for(request.user, req.pk)
    ctx = _detail_context(request, req, error)
    if is_htmx(request):
        return render(request, "fulfillment/_request_panel.html", ctx, status=200 if error is None else error.status)
    if error is not None:
        return render(request, "fulfillment/request_detail.html", ctx, status=error.status)
    return redirect("fulfillment:request", req.pk)


def _request_or_404(**lookup) -> DigitizationRequest:
    req = DigitizationRequest.objects.select_related(*selectors.BASE).filter(**lookup).first()
    if req is None:
        raise Http404
    return req


@login_required
@rule_errors
def download(request, request_id: int):
    req = _request_or_404(pk=request_id)
    return file_response(services.file_access(request.user, req))


@login_required
@rule_errors
def file_page(request, request_id: int):
    """A student's way to the course file: the warning of the last days comes with it (DIG-4)."""
    req = _request_or_404(pk=request_id)
    if req.representation is None or not req.representation.file:
        raise Http404
    # check without opening (a link delivery would count an access)
    access = services.file_access(request.user, req) if req.target != Target.LINK else services.Access(req)
    # the reader came from the list's item (DIG-4): their way back to it, and the days left said in their language
    back = (reverse("lists:view", args=[req.citation.resource_list_id]) + f"#item-{req.citation_id}"
            if req.citation is not None else "")
    days_left = (access.ends_on - clock.today()).days if access.warning and access.ends_on else None
    return render(request, "fulfillment/file_page.html", {
        "req": req, "access": access, "file_url": reverse("fulfillment:download", args=[req.pk]),
        "file_name": req.representation.file.name.rsplit("/", 1)[-1], "back": back, "days_left": days_left})


@login_required
@rule_errors
def link(request, token: str):
    req = _request_or_404(access_token_hash=hash_token(token))   # SEC-KEY: only the token's hash is stored
    return file_response(services.file_access(request.user, req, via_link=token))


# --- back office ------------------------------------------------------------------------------

# A tab names the requests it holds: "Delivered" here is plural ("Livrées"), not a request's state (DIG-10).
TABS = [("open", gettext_lazy("All open")), ("pick", gettext_lazy("Pick from shelf")), ("approval", gettext_lazy("Approval tasks")),
        ("copyright", gettext_lazy("Copyright tasks")), ("digitization", gettext_lazy("In digitization")),
        ("delivered", pgettext_lazy("requests", "Delivered")), ("closed", pgettext_lazy("requests", "Closed"))]


def _requires(allowed, rule: str, refusal_text: str):
    """Decorate a back-office page: signed in, and ``allowed(user)`` — else the refusal page
    naming ``rule``."""

    def decorate(view):
        @wraps(view)
        @login_required
        def wrapper(request, *args, **kwargs):
            if not allowed(request.user):
                return refusal(request, PermissionDenied(rule, _(refusal_text)))
            return view(request, *args, **kwargs)

        return wrapper

    return decorate


staff_required = _requires(permissions.is_fulfillment_staff_here, "DIG-10",
                           gettext_noop("only fulfillment staff work on digitization requests"))


@staff_required
def work_queue(request):
    tab = tabs.chosen(request.GET.get("tab"), TABS, "open")
    reqs = selectors.work_queue(request.user, tab)[:300]
    counts = selectors.work_queue_counts(request.user)  # DIG-10: every tab's count, one query
    ctx = {"reqs": reqs, "tab": tab, "tabs": [(k, v, counts[k]) for k, v in TABS]}
    if is_htmx(request):
        return render(request, "fulfillment/_queue.html", ctx)
    return render(request, "fulfillment/work_queue.html", ctx)


config_admin_required = _requires(permissions.can_configure_here, "DIG-6",
                                  gettext_noop("only a Fulfillment Administrator configures digitization"))


def _config_context(inst, error=None) -> dict:
    groups = list(UserGroup.objects.filter(institution=inst))
    limits = {pl.user_group_id: pl.max_digitization_requests for pl in PatronLimit.objects.filter(user_group__in=groups)}
    return {
        "error": error,
        "departments": DigitizationDepartment.objects.filter(institution=inst).select_related("library")
        .prefetch_related("served_libraries", "operators"),
        "desks": CirculationDesk.objects.filter(library__institution=inst).select_related("library"),
        "libraries": Library.objects.filter(institution=inst),
        "groups": [(g, limits.get(g.pk)) for g in groups],
        "edd_rules": EddRule.objects.filter(institution=inst),
        "rules": DigitizationRule.objects.filter(institution=inst),
        "form": services.form_config(inst),
        "display_rules": DisplayLogicRule.objects.filter(institution=inst),
        "copyright_options": CopyrightOption.objects.filter(institution=inst),
        "targets": Target.choices, "modes": ApprovalMode.choices, "services_choices": Service.choices,
        "conditions": DisplayCondition.choices, "copyright_statuses": OPTION_STATUSES,
    }


@config_admin_required
def configuration(request):
    inst = request.user.institution
    error = None
    if request.method == "POST":
        try:
            _save_config(request, inst, request.POST.get("section", ""))
            messages.success(request, _("Saved."))
            config_url = reverse("fulfillment:config")
            anchor = re.sub(r"[^A-Za-z0-9_-]", "", request.POST.get("section", ""))[:60]
            return redirect(safe_next(request, f"{config_url}#{anchor}" if anchor else config_url, fallback=config_url))
        except RuleViolation as exc:
            error = exc
    context = _config_context(inst, error)
    if error is not None:   # which of the page's forms was refused: its refusal shows beside its field
        context["posted"] = form_key(request.POST.get("section", "")[:60], re.sub(r"\D", "", request.POST.get("rule", ""))[:20])
    return render(request, "fulfillment/config.html", context, status=error.status if error else 200)


# One function per section of the configuration page (DIG-6..DIG-8, DIG-11, DIG-3), found by
# the form's ``section`` field; each reads the POST through its form (fulfillment/forms.py).
CONFIG_SECTIONS: dict = {}


def _section(name: str, form):
    def register(fn):
        CONFIG_SECTIONS[name] = (fn, form)
        return fn
    return register


def _save_config(request, inst, section: str) -> None:
    found = CONFIG_SECTIONS.get(section)
    if found is None:
        raise RuleViolation("DIG-6", _("unknown configuration section"))
    save, form = found
    more = forms.LimitsForm.more(UserGroup.objects.filter(institution=inst)) if form is forms.LimitsForm else \
        forms.FormFieldsForm.more(FORM_FIELDS) if form is forms.FormFieldsForm else {}
    save(request.user, inst, form.parse(request.POST, more=more))


def _row(model, inst, pk):
    """The row of this institution the form names (404 when it names none or another's)."""
    return get_object_or_404(model, pk=pk, institution=inst)


@_section("departments", forms.DepartmentForm)
def _save_departments(user, inst, d) -> None:
    lib = Library.objects.filter(institution=inst, code=d["library"]).first() if d["library"] else None
    served = list(Library.objects.filter(institution=inst, code__in=d["served_libraries"]))
    existing = DigitizationDepartment.objects.filter(institution=inst, code=d["code"]).first()
    services.save_department(user, inst, code=d["code"], name=d["name"], library=lib, dept=existing,
                             description=d["description"], work_time_days=d["work_time_days"],
                             served_libraries=served if (served or existing) else None, active=d["active"])


@_section("department_active", forms.RowForm)
def _save_department_active(user, inst, d) -> None:
    dept = _row(DigitizationDepartment, inst, d["department"])
    services.save_department(user, inst, code=dept.code, dept=dept, active=d["active"])


@_section("operators", forms.RowForm)
def _add_operator(user, inst, d) -> None:
    dept = _row(DigitizationDepartment, inst, d["department"])
    op = User.objects.filter(username=typed_username(d["username"]), institution=inst).first()
    if op is None:
        raise RuleViolation("DIG-6", _("no user with this username"))
    services.add_operator(user, dept, op)


@_section("operator_remove", forms.RowForm)
def _remove_operator(user, inst, d) -> None:
    dept = _row(DigitizationDepartment, inst, d["department"])
    services.remove_operator(user, dept, get_object_or_404(User, username=typed_username(d["username"]), institution=inst))


@_section("desks", forms.DeskForm)
def _save_desk(user, inst, d) -> None:
    lib = get_object_or_404(Library, institution=inst, code=d["library"])
    services.save_desk(user, lib, code=d["code"], name=d["name"], supports_digitization=d["supports_digitization"],
                       work_time_days=d["work_time_days"])


@_section("limits", forms.LimitsForm)
def _save_limits(user, inst, d) -> None:
    with transaction.atomic():    # every group's limit, or none of them
        for g in UserGroup.objects.filter(institution=inst):
            try:
                services.set_patron_limit(user, g, d[f"limit_{g.code}"])
            except RuleViolation as exc:    # DIG-7, said beside the group's field
                raise RuleViolation(exc.rule, exc.detail, status=exc.status, field=f"limit_{g.code}") from exc


def _named_rule(model, inst, d):
    """The rule the form edits (None: a new one) and the name it keeps when the form sends none."""
    rule = _row(model, inst, d["rule_id"]) if d["rule_id"] else None
    return rule, d["name"] or (rule.name if rule else "")


@_section("edd", forms.RuleRowForm)
def _save_edd_rule(user, inst, d) -> None:
    rule, name = _named_rule(EddRule, inst, d)
    services.save_edd_rule(user, inst, rule=rule, name=name, description=d["description"], position=d["position"] or 0,
                           user_groups=d["user_groups"], allowed=d["allowed"],
                           enabled=d["enabled"] if d["has_enabled"] else True)


def _switch(model, save):
    """The section of a row's on/off switch (its ``enabled`` checkbox)."""

    def save_switch(user, inst, d) -> None:
        save(user, inst, rule=_row(model, inst, d["rule_id"]), enabled=d["enabled"])

    return save_switch


_section("edd_enabled", forms.RowForm)(_switch(EddRule, services.save_edd_rule))


@_section("rules", forms.RuleRowForm)
def _save_digitization_rule(user, inst, d) -> None:
    rule, name = _named_rule(DigitizationRule, inst, d)
    values = {key: d[key] for key in ("target", "max_accesses", "approval_required", "copyright_required",
                                      "approval_mode", "approval_reason")}
    if rule is None or not rule.is_default:  # the default rule matches everything and ends the list
        values.update(name=name, position=d["position"] or 0, sources=d["sources"], user_groups=d["user_groups"],
                      libraries=d["libraries"])
        if d["has_enabled"]:
            values["enabled"] = d["enabled"]
    services.save_digitization_rule(user, inst, rule=rule, **values)


_section("rule_enabled", forms.RowForm)(_switch(DigitizationRule, services.save_digitization_rule))


@_section("form", forms.FormFieldsForm)
def _save_form(user, inst, d) -> None:
    for f in FORM_FIELDS:
        services.save_form_field(user, inst, f, display=d[f"display_{f}"], default=d[f"default_{f}"])


@_section("display", forms.RuleRowForm)
def _save_display_rule(user, inst, d) -> None:
    rule = _row(DisplayLogicRule, inst, d["rule_id"]) if d["rule_id"] else None
    services.save_display_rule(user, inst, rule=rule, service=d["service"], condition=d["condition"],
                               active=d["active"] if d["has_active"] else True)


@_section("copyright", forms.CopyrightOptionForm)
def _save_copyright_option(user, inst, d) -> None:
    services.save_copyright_option(user, inst, code=d["code"], label=d["label"], copyright_status=d["copyright_status"])


# --- the instructor's forms from a citation (DIG-1, DIG-2) ------------------------------------------

@login_required
@rule_errors
def citation_request(request, citation_id: int, kind: str):
    from . import citations

    if kind not in ("digitization", "copyright"):
        raise Http404
    citation = citations.citation_for_instructor(request.user, citation_id)
    error, refused = None, False
    if request.method == "POST":
        try:
            data = forms.RequestForm.values(request.POST)
            make = citations.request_digitization if kind == "digitization" else citations.request_copyright
            make(request.user, citation, data)
            messages.success(request, _("Your request was sent to the library."))
            return redirect(_list_url(citation))
        except RuleViolation as exc:
            if isinstance(exc, NotFound):
                raise Http404
            error = exc
    else:  # what refuses the request whatever is typed (DIG-1, DIG-2) is said before the form is filled
        try:
            (citations.check_digitization if kind == "digitization" else citations.check_copyright)(citation)
        except RuleViolation as exc:
            error, refused = exc, True
    heading = _("Ask the library for a digital copy") if kind == "digitization" else _("Request for copyright clearance")
    return render(request, "fulfillment/citation_request.html", {
        "citation": citation, "heading": heading, "error": error, "refused": refused, "post": request.POST,
        "form": {f: {"display": True, "default": ""} for f in FORM_FIELDS}, "back_url": _list_url(citation),
        **_typed_rows(request.POST),
    }, status=error.status if error else 200)


def _typed_rows(post) -> dict:
    """The request form's page ranges and notes, each row with what was typed in it: a refused
    request comes back with them filled in (session 24: only the dates and chapters came back)."""
    starts, ends, notes = post.getlist("page_from"), post.getlist("page_to"), post.getlist("note")

    def at(values: list, n: int) -> str:
        return values[n] if n < len(values) else ""

    return {"range_rows": [{"n": n, "start": at(starts, n), "end": at(ends, n)} for n in range(services.MAX_PAGE_RANGES)],
            "note_rows": [{"n": n, "text": at(notes, n)} for n in range(services.MAX_NOTES)]}


def _list_url(citation) -> str:
    return reverse("lists:edit", args=[citation.resource_list_id])

"""Pages of acquisitions: the librarian's task list (tasks and purchase requests), a task's page,
and the forms posted from a list item (start a task, request a purchase) — SRV-3."""
from __future__ import annotations


from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from syllabus.core.errors import NotFound, RuleViolation
from syllabus.core.redirects import safe_next
from syllabus.lists import selectors as list_selectors
from syllabus.lists.permissions import ensure_librarian
from syllabus.core import paging
from syllabus.web import tabs
from syllabus.web.errors import rule_errors

from . import forms, selectors, services
from .models import AcquisitionTask, EditionNotice, PurchaseRequest, TaskStatus
from .permissions import ensure_task
from .workflow import TASK_WORKFLOW


def _back(request, fallback: str) -> str:
    return safe_next(request, request.POST.get("next"), request.GET.get("next"), fallback=fallback)


def _library_page(citation) -> str:
    return reverse("lists:library", args=[citation.resource_list_id]) + f"#litem-{citation.pk}"


def _task(request, task_id: int) -> AcquisitionTask:
    task = (AcquisitionTask.objects.select_related("citation__resource_list", "record", "assignee", "library", "institution", "item",
                                                  "eresource")
            .filter(pk=task_id).first())
    try:
        return ensure_task(request.user, task)
    except NotFound:
        raise Http404 from None


@login_required
@rule_errors
def task_list(request):
    ensure_librarian(request.user, request.user.institution_id)
    status = request.GET.get("status", "open")
    status = status if status == "" else tabs.chosen(status, ("open", *TaskStatus.values), "open")
    page = paging.page_of(request, selectors.task_list(request.user.institution, status=status), 50)
    selectors.annotate_warnings(list(page.object_list), institution=request.user.institution)
    purchases = selectors.with_find_it(list(selectors.purchase_list(request.user.institution)[:50]))
    return render(request, "acquisitions/task_list.html", {"page": page, "status": status, "statuses": TaskStatus.choices,
                                                           "purchases": purchases})


@login_required
@rule_errors
def task_detail(request, task_id: int):
    task = _task(request, task_id)
    selectors.annotate_warnings([task])
    return render(request, "acquisitions/task_detail.html", {"task": task, "actions": TASK_WORKFLOW.actions(task.status)})


@login_required
@require_POST
@rule_errors
def create_task(request, citation_id: int):
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    kind, values = forms.NewTaskForm.kind_and_fields(request.POST)
    if values["assignee"] is None:
        values["assignee"] = request.user
    services.create_task(request.user, citation, kind, **values)
    messages.success(request, _("Acquisition task started."))
    return redirect(_back(request, _library_page(citation)))


@login_required
@require_POST
@rule_errors
def task_action(request, task_id: int, action: str):
    task = _task(request, task_id)
    if action == "start":
        services.start_task(request.user, task)
    elif action == "complete":
        services.complete_task(request.user, task)
    elif action == "cancel":
        services.cancel_task(request.user, task)
    elif action == "edit":
        services.update_task(request.user, task, **forms.TaskForm.parse(request.POST))
    else:
        raise Http404
    return redirect(_back(request, reverse("acquisitions:task", args=[task.pk])))


@login_required
@require_POST
@rule_errors
def request_purchase(request, citation_id: int):
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    data = forms.PurchaseForm.parse(request.POST)
    notice = EditionNotice.objects.filter(pk=data["notice"] or 0, citation=citation).first()
    services.request_purchase(request.user, citation, note=data["note"],
                              title=notice.title if notice else "", isbn=notice.isbn if notice else "")
    messages.success(request, _("Purchase requested: the library is processing it."))
    return redirect(_back(request, reverse("lists:edit", args=[citation.resource_list_id])))


@login_required
@require_POST
@rule_errors
def purchase_action(request, request_id: int, action: str):
    req = PurchaseRequest.objects.select_related("citation__resource_list", "requester").filter(pk=request_id).first()
    if req is None:
        raise Http404
    try:
        services.ensure_may_see_purchase(request.user, req)
    except NotFound:
        raise Http404 from None
    reason = forms.ReasonForm.parse(request.POST)["reason"]
    if action == "cancel":
        services.cancel_purchase(request.user, req, reason)
    elif action == "complete":
        services.complete_purchase(request.user, req)
    elif action == "decline":
        services.decline_purchase(request.user, req, reason)
    else:
        raise Http404
    if req.citation is None:  # a Find it suggestion: back to the reader's requests (or the library's page)
        return redirect(_back(request, reverse("acquisitions:mine")))
    return redirect(_back(request, reverse("lists:edit", args=[req.citation.resource_list_id])))


@login_required
@require_POST
@rule_errors
def check_editions(request, citation_id: int):
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    found = services.check_new_editions(request.user, citation)
    messages.info(request, _("New edition found.") if found else _("No new edition found."))
    return redirect(_back(request, reverse("lists:edit", args=[citation.resource_list_id]) + f"#item-{citation.pk}"))


@login_required
@require_POST
@rule_errors
def notice_action(request, notice_id: int, action: str):
    notice = EditionNotice.objects.select_related("citation__resource_list", "record").filter(pk=notice_id).first()
    if notice is None or action not in ("replace", "add", "decline"):
        raise Http404
    services.act_on_notice(request.user, notice, action)
    return redirect(_back(request, reverse("lists:edit", args=[notice.citation.resource_list_id])))


# --- a reader's purchase suggestion from Find it (DSV-6, SRV-3) -----------------------------------

@login_required
@rule_errors
def suggest(request):
    """Suggest that the library buy the title of an OpenURL (the Find it page's next step when no
    library of the consortium holds it); the reader's note goes with it."""
    from syllabus.catalog import resolver
    from syllabus.citations import bibliography, openurl

    data = forms.SuggestionForm.parse(request.POST) if request.method == "POST" else {}
    kev = resolver.read_kev(request.GET)  # DSV-6 names an over-long value
    if not openurl.is_openurl(kev):
        raise RuleViolation("DSV-6", "this link does not describe a citation: open Suggest a purchase from Find it")
    csl = openurl.to_csl(kev)
    from_item = list_selectors.citation_seen_by(request.user, resolver.read_from_item(request.GET))
    if request.method == "POST":
        services.suggest_purchase(request.user, csl, note=data["note"], from_citation=from_item)
        messages.success(request, _("Suggestion sent: the library will tell you by e-mail what it decides."))
        return redirect("acquisitions:mine")
    formatted = bibliography.format_citation(csl, "apa") if csl.get("title") else ""
    return render(request, "acquisitions/suggest.html", {"formatted": formatted, "query": request.GET.urlencode(),
                                                         "find_it": reverse("resolver:openurl") + "?" + request.GET.urlencode()})


@login_required
def my_requests(request):
    """The purchase requests and suggestions a person made, with their status and the library's
    reason; withdraw one while the library is processing it (SRV-3)."""
    reqs = selectors.with_ill(request.user, selectors.with_find_it(list(selectors.my_purchases(request.user)[:200])))
    return render(request, "acquisitions/my_requests.html", {"reqs": reqs})

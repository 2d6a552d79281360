"""Pages of analytics (ANL-1, ANL-2): the reports index, each report (chart, table, filters,
CSV/XLSX), a list's engagement, "What is recorded about me", and the endpoint the list page
reports followed links to. Thin: permissions and reports do the work."""
from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_POST

from syllabus.core import usage
from syllabus.lists import selectors as list_selectors
from syllabus.web.errors import rule_errors

from . import charts, exports, forms, permissions, reports, selectors
from .models import Kind


def _page(request, report: reports.Report, *, back: str = "", definition=None):
    fmt = request.GET.get("format", "")
    if fmt:
        return exports.download(report, fmt)
    query = request.GET.urlencode()
    return render(request, "analytics/report.html", {
        "report": report, "chart": charts.chart(report),
        "tables": [{"title": t.title, "columns": t.columns,
                    "cells": [[(row.get(c.key), c.kind) for c in t.columns] for row in t.rows]} for t in report.tables], "filters": report.filters,
        "choices": selectors.filter_choices(request.user.institution), "back": back, "definition": definition,
        "query": ("&" + query) if query else ""})


@login_required
def index(request):
    user = request.user
    return render(request, "analytics/index.html", {
        "my_lists": selectors.my_lists(user),
        "library_reports": [d for d in reports.REPORTS.values() if d.audience == "library"]
        if permissions.sees_library_reports(user) else [],
        "admin_reports": [d for d in reports.REPORTS.values() if d.audience == "admin"]
        if permissions.sees_admin_reports(user) else [],
    })


@login_required
@rule_errors
def report(request, code: str):
    definition = reports.REPORTS.get(code)
    if definition is None:
        raise Http404
    permissions.ensure_report(request.user, definition.audience)
    result = reports.build(code, request.user.institution, reports.Filters.from_query(request.GET))
    return _page(request, result, definition=definition)


@login_required
@rule_errors
def list_engagement(request, list_id: int):
    lst = permissions.list_for_engagement(request.user, list_id)
    result = reports.finish(reports.list_engagement(lst, reports.Filters.from_query(request.GET)), lst.institution)
    return _page(request, result, back=reverse("lists:edit", args=[lst.pk]))


@login_required
def mine(request):
    from .services import retention_days

    inst = request.user.institution
    return render(request, "analytics/mine.html", {"recorded": selectors.recorded_about(request.user),
                                                   "retention": retention_days(inst) if inst else 180})


@login_required
@require_POST
@rule_errors
def events(request):
    """ANL-1: a reader followed an item's access link or its Find it (sent by ``usage.js``)."""
    data = forms.BeaconForm.parse(request.POST)
    kind, citation_id = data["kind"], data["citation"]
    citation, _acc = list_selectors.citation_for(request.user, citation_id)
    usage.record(Kind(kind), request.user, list_id=citation.resource_list_id, citation_id=citation.pk,
                 institution_id=citation.resource_list.institution_id, link=request.POST.get("link", "")[:40])
    return HttpResponse(status=204)

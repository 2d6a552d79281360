"""Export and import on the list pages (LST-9): the catalog's part of the lists' pages, plugged
into the lists app's ``list_actions`` slot (registered in :mod:`syllabus.lists.slots`).

Both pages call the functions behind the API endpoints (``GET /api/v1/lists/{id}/export``,
``POST /api/v1/lists/{id}/import``), so the formats, the citation styles, the rules and the
per-entry report are the API's.  Anyone who sees the list exports it; only its editors import
(a student gets 403, someone who does not see the list 404)."""
from __future__ import annotations

from types import SimpleNamespace

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from ninja import Status

from syllabus.citations import tables
from syllabus.core.errors import NotFound, RuleViolation
from syllabus.web.errors import refusal
from syllabus.web.htmx import is_htmx

from . import api, forms, lists_port


@login_required
@require_GET
def list_export(request, list_id: int):
    """The list as RIS, BibTeX, CSL-JSON, or a bibliography (HTML, Word) in the chosen style."""
    try:
        return api.export_list(request, list_id, format=request.GET.get("format", "ris"),
                               style=request.GET.get("style") or "apa")
    except NotFound:
        raise Http404
    except RuleViolation as exc:
        return refusal(request, exc)


def _editable_list(request, list_id: int):
    """The list ``request.user`` may import into (404 for one they do not see, 403 for a reader)."""
    lst, _section = lists_port.list_and_section(request.user, list_id, None)
    lists_port.ensure_edit(request.user, lst)
    return lst


def _chosen(request, list_id: int) -> dict:
    """The import form's choices; who may not import hears 404/403 before "choose a file"."""
    if request.FILES.get("file") is None:
        _editable_list(request, list_id)
        raise RuleViolation("LST-9", "choose a file to import: RIS, BibTeX, CSL-JSON, Excel (.xlsx), CSV or Word (.docx)",
                            field="file")
    return forms.ListImportForm.parse(request.POST)


@login_required
@require_POST
def list_import(request, list_id: int):
    """Import a file into the list (RIS, BibTeX, CSL-JSON; a spreadsheet by the mapping posted with
    it; a Word document); htmx gets the per-entry report in place."""
    upload = request.FILES.get("file")
    try:
        chosen = _chosen(request, list_id)
        report = api.import_file(request, list_id, upload, format=chosen["format"], section_id=chosen["section_id"],
                                 mapping=chosen["map"] or None, notes_public=bool(chosen.get("notes_public")),
                                 sheet=chosen.get("sheet") or "", header_row=chosen.get("header_row"))
        if isinstance(report, Status):  # a large file: imported in the background (LST-9)
            return _queued(request, list_id, report.value)
    except RuleViolation as exc:
        return _refused(request, list_id, exc)
    summary = ngettext("%(n)d entry imported", "%(n)d entries imported", report["created"]) % {"n": report["created"]}
    if is_htmx(request):
        # entries added: the list page it was sent from is rendered again around the report (LST-9)
        page = lists_port.page_after_import(request, list_id, report, summary) if report["created"] else None
        return page or render(request, "catalog/_list_import_report.html", {"report": report, "list_id": list_id})
    if report["rejected"]:
        summary += "; " + ngettext("%(n)d refused", "%(n)d refused", report["rejected"]) % {"n": report["rejected"]}
        for entry in report["entries"]:
            if entry["status"] != "created":
                messages.warning(request, _("Entry %(n)s (%(title)s): %(rule)s %(detail)s") % {
                    "n": entry["position"], "title": entry["title"] or "—", "rule": entry["rule"], "detail": entry["detail"]})
    if report["dropped"]:  # never silently (issue 13)
        messages.warning(request, _("Fields not imported (number of entries): %(fields)s") % {"fields": ", ".join(report["dropped"])})
    messages.success(request, summary)
    return redirect(lists_port.list_url(SimpleNamespace(pk=list_id)))


def _refused(request, list_id: int, exc: RuleViolation):
    """An import page's refusal: a list or import the user may not know of is Django's 404; any
    other rule, in place for htmx (the report's error line, with the rule's status) or as a page."""
    if isinstance(exc, NotFound):
        raise Http404
    if is_htmx(request):
        return render(request, "catalog/_list_import_report.html", {"error": exc, "list_id": list_id}, status=exc.status)
    return refusal(request, exc)


def _queued(request, list_id: int, job: dict):
    """A file over the request's size, queued: said at once, and shown on the list page (its
    progress, then its report) until it is done."""
    if is_htmx(request):
        return render(request, "catalog/_list_import_report.html", {"job": job, "list_id": list_id}, status=202)
    messages.info(request, _("The file is large: it is being imported in the background. The list's page shows how far "
                             "it has got, and its report when it is done."))
    return redirect(lists_port.list_url(SimpleNamespace(pk=list_id)))


@login_required
@require_GET
def list_import_status(request, list_id: int, import_id: int):
    """A background import's progress (htmx polls it while it runs), then its per-entry report."""
    try:
        job = lists_port.import_report(lists_port.list_import(request.user, list_id, import_id))
    except NotFound:
        raise Http404
    except RuleViolation as exc:
        return refusal(request, exc)
    if is_htmx(request) and job["status"] == "done" and job["created"]:
        # the poll's last answer: items were added, so the page it polls from (the editor, the
        # library's list page) is rendered again around the report, as after an import within
        # the request (LST-9)
        summary = ngettext("%(n)d entry imported", "%(n)d entries imported", job["created"]) % {"n": job["created"]}
        page = lists_port.page_after_import(request, list_id, job, summary)
        if page is not None:
            return page
    context = {"job": job, "list_id": list_id, "report": job if job["status"] == "done" else None}
    return render(request, "catalog/_list_import_report.html" if is_htmx(request) else "catalog/list_import.html", context)


@login_required
@require_POST
def list_import_cancel(request, list_id: int, import_id: int):
    """Cancel a background import still waiting or running (LST-9): its sender, a list owner or the
    library; htmx gets the import's panel in place, otherwise back to the list with a message."""
    try:
        job = lists_port.import_report(lists_port.cancel_import(request.user, list_id, import_id), entries=False)
    except RuleViolation as exc:
        return _refused(request, list_id, exc)
    if is_htmx(request):
        return render(request, "catalog/_list_import_report.html", {"job": job, "list_id": list_id})
    messages.success(request, _("The import of %(name)s is cancelled; the entries handled before it stay on the list.")
                     % {"name": job["filename"] or "—"})
    return redirect(lists_port.list_url(SimpleNamespace(pk=list_id)))


# --- spreadsheets and Word documents (LST-9, session 20) ---------------------------------------

@login_required
@require_GET
def list_import_office(request, list_id: int):
    """Import a spreadsheet (.xlsx, .csv) or a Word document (.docx): choose the file, check the
    fields its columns are read as and the first rows, then import."""
    try:
        lst = _editable_list(request, list_id)
    except NotFound:
        raise Http404
    except RuleViolation as exc:
        return refusal(request, exc)
    return render(request, "catalog/list_import_office.html", {"lst": lst, "sections": list(lst.sections.order_by("position", "id"))})


@login_required
@require_POST
def list_import_preview(request, list_id: int):
    """The mapping step: the file's columns with their fields, its first rows with their problems
    (nothing is imported); htmx gets it in the page's form, otherwise the whole page."""
    try:
        chosen = _chosen(request, list_id)
        preview = api.preview_file(request, list_id, request.FILES["file"], format=chosen["format"],
                                   mapping=chosen["map"] or None, sheet=chosen.get("sheet") or "",
                                   header_row=chosen.get("header_row"))
    except RuleViolation as exc:
        return _refused(request, list_id, exc)
    context = {"preview": preview, "list_id": list_id}
    if is_htmx(request):
        return render(request, "catalog/_list_import_preview.html", context)
    lst = _editable_list(request, list_id)
    return render(request, "catalog/list_import_office.html",
                  {**context, "lst": lst, "sections": list(lst.sections.order_by("position", "id")), "again": True})


@login_required
@require_GET
def list_import_template(request):
    """The spreadsheet template (.xlsx): the header row the import reads, and an example row."""
    response = HttpResponse(tables.template_xlsx(), content_type=tables.XLSX_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, "reading-list-template.xlsx")
    return response

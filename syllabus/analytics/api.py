"""API v1 of analytics (ANL-2): every report for the institution's own BI tools, with the same
filters as the pages and ``?format=csv|xlsx`` for a file instead of JSON. The small-count rule
applies here as on the pages. A list's engagement is for its owners, collaborators and the
library (403 for students)."""
from __future__ import annotations

from typing import Any, Literal

from ninja import Field, Query, Router, Schema

from syllabus.api.fields import Id
from syllabus.core.errors import RuleViolation

from . import exports, permissions, reports

router = Router(tags=["analytics"])


class ReportQuery(Schema):
    term: str = Field("", max_length=40)
    department: str = Field("", max_length=120)
    course: str = Field("", max_length=60, description="course code")
    library: str = Field("", max_length=40, description="library code")
    format: Literal["json", "csv", "xlsx"] = "json"


class ColumnOut(Schema):
    key: str
    label: str
    kind: str


class TableOut(Schema):
    title: str
    columns: list[ColumnOut]
    rows: list[dict[str, Any]] = Field(..., description='counts below the privacy threshold read "fewer than N"')


class ReportOut(Schema):
    code: str
    title: str
    rolled_up_at: str | None = Field(None, description="every usage event up to this time is counted")
    filters: dict[str, str]
    tables: list[TableOut]


FILES = {200: {"description": "the report (JSON), or a file with ?format=csv|xlsx",
               "content": {"text/csv": {"schema": {"type": "string"}},
                           exports.FORMATS["xlsx"]: {"schema": {"type": "string", "format": "binary"}}}}}


def _answer(report: reports.Report, fmt: str):
    if fmt in exports.FORMATS:
        return exports.download(report, fmt)
    return {"code": report.code, "title": report.title, "filters": report.filters.as_dict(),
            "rolled_up_at": report.rolled_up_at.isoformat() if report.rolled_up_at else None,
            "tables": [{"title": t.title, "columns": [{"key": c.key, "label": c.label, "kind": c.kind} for c in t.columns],
                        "rows": t.rows} for t in report.tables]}


def _filters(q: ReportQuery) -> reports.Filters:
    return reports.Filters(term=q.term, department=q.department, course=q.course, library=q.library)


def _library_report(request, code: str, q: ReportQuery):
    definition = reports.REPORTS[code]
    permissions.ensure_report(request.user, definition.audience)
    if request.user.institution is None:
        raise RuleViolation("ANL-2", "reports belong to an institution")
    return _answer(reports.build(code, request.user.institution, _filters(q)), q.format)


@router.get("/analytics/lists/{list_id}/engagement", response=ReportOut, openapi_extra={"responses": FILES},
            summary="A list's engagement: reader actions per week and per item, most to least used (owners and librarians)")
def list_engagement(request, list_id: Id, q: Query[ReportQuery]):
    lst = permissions.list_for_engagement(request.user, list_id)
    report = reports.finish(reports.list_engagement(lst, _filters(q)), lst.institution)
    return _answer(report, q.format)


def _route(code: str, summary: str):
    def endpoint(request, q: Query[ReportQuery]):
        return _library_report(request, code, q)

    endpoint.__name__ = "report_" + code.replace("-", "_")
    router.get(f"/analytics/{code}", response=ReportOut, openapi_extra={"responses": FILES}, summary=summary)(endpoint)


for _code, _definition in reports.REPORTS.items():
    _route(_code, str(_definition.title))

"""Template tags of the catalog's part of the list pages (export/import, LST-9)."""
from __future__ import annotations

from django import template

from syllabus.citations import bibliography, exports, formats

register = template.Library()


@register.filter
def format_name(code: str) -> str:
    """An import's format as people name it: ``bibtex`` → BibTeX, ``csl-json`` → CSL-JSON."""
    return formats.FORMAT_NAMES.get(code, str(code).upper())


@register.simple_tag
def list_import_accept() -> str:
    """The import form's ``accept``: every suffix the import reads (``.biblatex`` too, LST-9)."""
    return ",".join(formats.IMPORT_SUFFIXES)


@register.simple_tag
def list_export_options(lst, style: str = "") -> dict:
    """The export form's choices: formats, and the styles of the picker (the same source as
    ``GET /api/v1/styles``) with the institution's own style selected (``style`` when the page
    already knows it, else read from the configuration)."""
    styles = [(name, str(label)) for name, label in bibliography.PICKER]
    default = bibliography.DEFAULT_STYLE
    try:
        if not style:
            from syllabus.org import config

            style = config.get("citation_style", institution=lst.institution)
        default = bibliography.style_name(style)
        bibliography.load_style(default)
    except Exception:  # no such setting or style: APA
        default = bibliography.DEFAULT_STYLE
    if default not in dict(styles):
        styles.append((default, bibliography.style_label(default)))
    return {"formats": exports.CHOICES, "styles": styles, "default": default}


#: the export forms rendered, by what they show (see :func:`list_export_form`)
_EXPORT_FORMS: dict[tuple, str] = {}


@register.simple_tag
def list_export_form(lst, style: str = ""):
    """The export form of ``lst`` (catalog/_list_export.html): the same for every reader of the
    list, rendered once per process for what it shows — the list, the styles and the selected
    one (read each request: a change of the institution's style shows at once), the language
    and the site's URL prefix (issue 19: it was a tenth of the student view's CPU)."""
    from django.template.loader import get_template
    from django.urls import get_script_prefix
    from django.utils import translation
    from django.utils.safestring import mark_safe

    ex = list_export_options(lst, style)
    key = (lst.pk, ex["default"], tuple(ex["styles"]), translation.get_language(), get_script_prefix())
    html = _EXPORT_FORMS.get(key)
    if html is None:
        html = get_template("catalog/_list_export.html").render({"lst": lst, "ex": ex})
        if len(_EXPORT_FORMS) > 5_000:
            _EXPORT_FORMS.clear()
        _EXPORT_FORMS[key] = html
    return mark_safe(html)  # noqa: S308  (rendered by the template engine, escaped there)


@register.simple_tag(takes_context=True)
def list_background_imports(context, lst) -> list[dict]:
    """The list's background imports (LST-9) an editor sees in the import panel: those still
    waiting or running, and those finished in the last day (with a link to their report)."""
    from datetime import timedelta

    from syllabus.catalog import lists_port
    from syllabus.core import clock

    request = context.get("request")
    if request is None:
        return []
    from syllabus.core.errors import RuleViolation

    since = clock.now() - timedelta(days=1)
    try:
        jobs = lists_port.list_imports(request.user, lst.pk)
    except RuleViolation:  # shown with the import form, to editors only: anyone else sees none
        return []
    return [lists_port.import_report(j, entries=False) for j in jobs
            if j.status in (j.QUEUED, j.RUNNING) or (j.finished_at and j.finished_at >= since)]

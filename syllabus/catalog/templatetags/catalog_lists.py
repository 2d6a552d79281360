"""Template tags of the catalog's part of the list pages (export/import, LST-9)."""
from __future__ import annotations

from django import template

from syllabus.citations import bibliography, exports

register = template.Library()


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

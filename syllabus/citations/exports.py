"""What a list, a record or a collection downloads as (LST-9): the one table of export formats —
their labels for the export form, their media types and file extensions — and the rendering.

``html`` and ``docx`` are bibliographies in a CSL style; ``ris``, ``bibtex`` and ``csl-json``
are the data formats of reference managers (``formats.FORMATS``)."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from . import bibliography, formats


@dataclass(frozen=True)
class ExportFormat:
    code: str
    label: Any
    content_type: str
    extension: str


_ALL = [ExportFormat(*row) for row in (
    ("html", _("Bibliography (HTML)"), "text/html", "html"),
    ("docx", _("Bibliography (Word)"), "application/vnd.openxmlformats-officedocument.wordprocessingml.document", "docx"),
    ("ris", _("RIS (reference managers)"), "application/x-research-info-systems", "ris"),
    ("bibtex", _("BibTeX"), "application/x-bibtex", "bib"),
    ("csl-json", _("CSL-JSON"), "application/vnd.citationstyles.csl+json", "json"),
)]
# in the order the export form offers them (bibliographies first) ...
CHOICES = [(f.code, f.label) for f in _ALL]
# ... and the order the API names them in a refusal (data formats first)
EXPORTS = {f.code: f for f in sorted(_ALL, key=lambda f: f.code not in formats.FORMATS)}

_DATA = {"ris": formats.to_ris, "bibtex": formats.to_bibtex, "csl-json": formats.to_csl_json}


def export(items: list[dict], fmt: str, *, title: str = "", style: str = bibliography.DEFAULT_STYLE) -> str | bytes:
    """``items`` (CSL-JSON) in format ``fmt`` (a key of ``EXPORTS``); a bibliography is rendered
    in ``style`` under ``title``."""
    if fmt in _DATA:
        return _DATA[fmt](items)
    name = bibliography.style_name(style)
    entries = bibliography.render(items, name)
    if fmt == "html":
        return bibliography.to_html(entries, title=title, style=name)
    return bibliography.to_docx(entries, title=title, style=name)

"""Formatted citations: a list's items in the institution's citation style (LST-9)."""
from __future__ import annotations



from syllabus.citations import bibliography

from syllabus.lists.models import Citation, CitationType
from .common import _stored_style, citation_style_and_language, raise_task, stored_language
from .tasks import resolve_task
from .sections import add_section, delete_section, move_section, update_section
from .lists import assign_list, create_list, publish_list, send_list, set_list_status, set_visibility, unpublish_list, update_list
from .citations import add_citation, delete_citation, move_citation, send_citation, set_item_status, update_citation
from .files import attach_file, remove_file


# --- formatted citations --------------------------------------------------------------------


def refresh_formatted(citations: list[Citation], style: str, language: str = "en") -> int:
    """Re-format items whose stored formatted entry is in another style or language (e.g. after
    the institution changed ``citation_style``); one bulk write.  Returns how many changed."""
    key = _stored_style(style, language)
    stale = [c for c in citations if c.formatted_style != key or not c.formatted]
    for c in stale:
        c.formatted, c.formatted_style = bibliography.format_citation(c.metadata, style, locale=language), key
    if stale:
        Citation.objects.bulk_update(stale, ["formatted", "formatted_style"])
    return len(stale)


def localize_formatted(citations: list[Citation], style: str, language: str) -> None:
    """LST-9: a reader whose language is not the stored one sees the entries with her
    language's terms ("éd.", "p.", "s. d."), rendered (memoised) without being stored."""
    for c in citations:
        c.formatted = bibliography.format_citation(c.metadata, style, locale=language)


__all__ = [
    "add_citation", "add_section", "assign_list", "attach_file", "create_list", "delete_citation", "delete_section",
    "move_citation", "move_section", "publish_list", "raise_task", "remove_file", "resolve_task", "send_citation",
    "send_list", "set_item_status", "citation_style_and_language", "localize_formatted", "refresh_formatted", "stored_language", "set_list_status",
    "set_visibility", "unpublish_list", "update_citation", "update_list", "update_section", "CitationType",
]

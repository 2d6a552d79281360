"""What a librarian task says (LST-6, LST-7): a code and its parameters, said in the reader's language.

A task is stored as ``kind`` (what it is: "Changed since sent") and its detail as
``detail_code`` + ``detail_params`` (what happened: ``item_changed`` with ``{"fields":
["public_note"], "title": "Middlemarch"}``) — never as an English sentence.  The sentence is
made when the task is shown, through gettext (French: « Référence modifiée (Note pour les
étudiants) : Middlemarch »), with the fields' labels and the plural forms of the reader's
language.  A task written before session 21 whose text could not be read back keeps it in
``detail`` (legacy text, shown as it is).

Another app declares its own kind and its details (from its ``ready``)::

    from syllabus.lists.task_details import declare_kind, declare_detail
    declare_kind("discussion", _("Message from an instructor"))
    declare_detail("message", lambda p: p.get("text", ""))

and raises a task with ``raise_task(lst, "discussion", detail=Said("message", text=body))``.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from syllabus.core.labels import declare_fields, field_label


@dataclass(frozen=True)
class Said:
    """A task detail before it is said: its code and its parameters (JSON values)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def __init__(self, code: str, params: dict[str, Any] | None = None, **kw: Any) -> None:
        object.__setattr__(self, "code", code)
        object.__setattr__(self, "params", {**(params or {}), **kw})

    def as_json(self) -> dict:
        return {"code": self.code, "params": self.params}

    @classmethod
    def from_json(cls, value) -> Said | str:
        """A stored name of a batch (:class:`~syllabus.lists.services.ChangeBatch`): a Said, or an
        older plain text kept as it is."""
        if isinstance(value, dict) and "code" in value:
            return cls(str(value["code"]), dict(value.get("params") or {}))
        return str(value)


# --- the kinds of task (what the task list's bold label says) -------------------------------------

KIND_LABELS: dict[str, Any] = {}


def declare_kind(kind: str, label) -> None:
    """``label``: a lazy translation ("Message from an instructor")."""
    KIND_LABELS[kind] = label


def kind_label(kind: str) -> str:
    label = KIND_LABELS.get(kind)
    return str(label) if label is not None else kind.replace("_", " ").capitalize()


# --- the fields a detail names, as the editor's labels say them -----------------------------------

FIELD_LABELS: dict[str, Any] = {
    # an item (update_citation)
    "type": gettext_lazy("Type"),
    "metadata": gettext_lazy("Bibliographic details"),
    "tags": gettext_lazy("Tags"),
    "public_note": gettext_lazy("Note for students"),
    "library_note": gettext_lazy("Note for the library"),
    "copyright_status": gettext_lazy("Copyright status"),
    "personal_copy": gettext_lazy("Personal copy"),
    "personal_copy_owner": gettext_lazy("Personal copy belongs to"),
    "open_access": gettext_lazy("Open access"),
    "record": gettext_lazy("Catalogue record"),
    # a list (update_list)
    "title": gettext_lazy("Title"),
    "description": gettext_lazy("Description"),
    "courses": gettext_lazy("Courses"),
    "owners": gettext_lazy("Owners"),
    "collaborators": gettext_lazy("Collaborators"),
    # a section
    "start_date": gettext_lazy("Start date"),
    "end_date": gettext_lazy("End date"),
}
declare_fields(FIELD_LABELS)  # the audit trail's pages say them the same way (core.labels)


def fields_text(names) -> str:
    """The fields' labels ("public_note" → "Note for students"), as the editor says them."""
    return ", ".join(field_label(n) for n in names or ())


# --- the details ----------------------------------------------------------------------------------

DETAILS: dict[str, Callable[[dict], str]] = {}


def declare_detail(code: str, render: Callable[[dict], str]) -> None:
    """``render(params) -> str`` says the detail in the active language (gettext, ngettext)."""
    DETAILS[code] = render


def say(code: str, params: dict | None) -> str:
    """The detail ``code`` with ``params`` in the active language ("" for an unknown code)."""
    render = DETAILS.get(code)
    if render is None:
        return ""
    try:
        return render(dict(params or {}))
    except (KeyError, TypeError, ValueError):  # parameters of another version: say what can be said
        return ""


def _title(p: dict) -> str:
    return str(p.get("title") or "")


def _with_title(text: str, p: dict) -> str:
    title = _title(p)
    return _("%(what)s: %(title)s") % {"what": text, "title": title} if title else text


def _n(p: dict, key: str = "n") -> int:
    return int(p.get(key) or 0)


def _action(value) -> str:
    """What one action on many items was ("imported from RIS (refs.ris)"), said now."""
    said = Said.from_json(value) if value else ""
    if isinstance(said, Said):
        return say(said.code, said.params)
    return said


def _name(value) -> str:
    said = Said.from_json(value)
    return say(said.code, said.params) if isinstance(said, Said) else said


def _batch(p: dict) -> str:
    """One action's task: its head, the items it names, and how many more there are."""
    n_added, n_other = _n(p, "n_added"), _n(p, "n_other")
    action = _action(p.get("action"))
    if n_added:
        head = ngettext("%(n)s item added since the list was sent (%(action)s)",
                        "%(n)s items added since the list was sent (%(action)s)", n_added) % {"n": n_added, "action": action}
    else:
        head = _("Changed (%(action)s)") % {"action": action}
    names = [str(t) for t in p.get("added") or []] + [_name(o) for o in p.get("other") or []]
    # "more": how many a task read back from an older text counted (its names are one text)
    more = _n(p, "more") if "more" in p else max(0, n_added + n_other - len(names))
    text = _("%(what)s: %(title)s") % {"what": head, "title": "; ".join(names)} if names else head
    if more:
        text += "; " + ngettext("… and %(n)s more", "… and %(n)s more", more) % {"n": more}
    return text


declare_detail("list_sent", lambda p: ngettext("%(n)s item ready for processing", "%(n)s items ready for processing",
                                               _n(p)) % {"n": _n(p)})
declare_detail("item_sent", _title)
declare_detail("list_details_changed", lambda p: _("List details changed: %(fields)s") % {"fields": fields_text(p.get("fields"))})
declare_detail("list_published", lambda p: _("List published"))
declare_detail("list_unpublished", lambda p: _("List unpublished"))
declare_detail("section_added", lambda p: _with_title(_("Section added"), p))
declare_detail("section_changed", lambda p: _with_title(_("Section changed"), p))
declare_detail("section_moved", lambda p: _with_title(_("Section moved"), p))
declare_detail("section_deleted", lambda p: _with_title(_("Section deleted"), p))
declare_detail("item_added", lambda p: _with_title(_("Item added"), p))
declare_detail("item_changed", lambda p: _with_title(_("Item changed (%(fields)s)") % {"fields": fields_text(p.get("fields"))}
                                                     if p.get("fields") else _("Item changed"), p))
declare_detail("item_moved", lambda p: _with_title(_("Item moved"), p))
declare_detail("item_deleted", lambda p: _with_title(_("Item deleted"), p))
declare_detail("file_attached", lambda p: _with_title(_("File attached"), p))
declare_detail("file_removed", lambda p: _with_title(_("File removed"), p))
declare_detail("batch", _batch)
# the actions of a batch
declare_detail("imported", lambda p: (_("imported from %(format)s (%(file)s)") % {"format": p.get("format", ""), "file": p["filename"]}
                                      if p.get("filename") else _("imported from %(format)s") % {"format": p.get("format", "")}))
declare_detail("copied", lambda p: _("copied from %(institution)s list %(list)s") % {"institution": p.get("institution", ""),
                                                                                   "list": p.get("list_id", "")})

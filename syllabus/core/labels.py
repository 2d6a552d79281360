"""What stored codes say to people (ORG-6, LST-7): an audit entry's action and a changed field's name.

The audit trail (``core.audit``) and the librarians' tasks store codes — ``approve``,
``grace_expire``, ``public_note`` — and the pages say them in the reader's language at display
time: ``action_label("approve")`` → « Approuvée », ``field_label("public_note")`` → « Note pour
les étudiants ».  Each app declares the labels of its own codes (lazy translations), from its
``ready`` or its workflow module::

    from syllabus.core.labels import declare_actions, declare_fields
    declare_actions({"approve": pgettext_lazy("audit", "Approved")})
    declare_fields({"public_note": _("Note for students")})

A code nobody declared is said with spaces and a capital ("grace_expire" → "Grace expire"),
never as an error; a field falls back on its model field's ``verbose_name``.
"""
from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

ACTIONS: dict[str, Any] = {}
FIELDS: dict[str, Any] = {}


def declare_actions(labels: dict[str, Any]) -> None:
    ACTIONS.update(labels)


def declare_fields(labels: dict[str, Any]) -> None:
    FIELDS.update(labels)


def _plain(code: str) -> str:
    text = str(code or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def action_label(action: str) -> str:
    label = ACTIONS.get(action)
    return str(label) if label is not None else _plain(action)


def field_label(name: str, model=None) -> str:
    """``name``'s label: declared, else the model field's ``verbose_name``, else the name spaced."""
    label = FIELDS.get(name)
    if label is not None:
        return str(label)
    if model is not None:
        try:
            return _plain(str(model._meta.get_field(name).verbose_name))
        except Exception:  # noqa: BLE001 — not a field of that model (a relation's name, a removed field)
            pass
    return _plain(name)


# the verbs every app's trail uses (core.audit's own, and the common steps)
declare_actions({
    "created": pgettext_lazy("audit", "Created"), "updated": pgettext_lazy("audit", "Changed"),
    "deleted": pgettext_lazy("audit", "Deleted"), "sent": pgettext_lazy("audit", "Sent"),
    "moved": pgettext_lazy("audit", "Moved"), "published": pgettext_lazy("audit", "Published"),
    "assigned": pgettext_lazy("audit", "Assigned"), "requested": pgettext_lazy("audit", "Requested"),
    "cancel": pgettext_lazy("audit", "Cancelled"), "cancelled": pgettext_lazy("audit", "Cancelled"),
    "task done": pgettext_lazy("audit", "Task done"), "discussion message": pgettext_lazy("audit", "Discussion message"),
    "enrolled": pgettext_lazy("audit", "Enrolled"), "unenrolled": pgettext_lazy("audit", "Unenrolled"),
    "linked": pgettext_lazy("audit", "Linked"), "rolled over": pgettext_lazy("audit", "Rolled over"),
    "roster synced": pgettext_lazy("audit", "Roster synced"), "roster sync failed": pgettext_lazy("audit", "Roster sync failed"),
})
declare_fields({
    "status": _("Status"), "note": _("Note"), "title": _("Title"), "name": _("Name"), "description": _("Description"),
    "priority": _("Priority"),
})

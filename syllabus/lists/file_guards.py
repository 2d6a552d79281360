"""Checks that other apps add to the download of a citation's file, without this app knowing
them (e.g. digitization's copyright clearance windows, DIG-3/DIG-4)::

    from syllabus.lists.file_guards import register_file_guard
    register_file_guard(lambda user, citation: None)   # raise PermissionDenied to refuse;
                                                        # return a text to warn the reader
"""
from __future__ import annotations

from collections.abc import Callable

from django.core.files.storage import default_storage

from syllabus.core.errors import NotFound
from syllabus.core.files import serve_upload
from syllabus.core.registry import Hooks

GUARDS: Hooks[Callable] = Hooks()
register_file_guard = GUARDS.register

#: ``fn(citations) -> {citation_id}``: the items whose file another app's part of their access
#: already offers, with what the reader needs to know of it (digitization: a delivered scan, named,
#: with its copyright window, DIG-4) — the student view leaves out its own "Download" link of
#: those, so that the file is offered once.  One query for the page.
SHOWN_ELSEWHERE: Hooks[Callable] = Hooks()
register_file_shown_elsewhere = SHOWN_ELSEWHERE.register


def mark_shown_elsewhere(citations) -> None:
    """Set ``file_shown_elsewhere`` on each citation (the student view's shared rendering reads it)."""
    citations = list(citations)
    with_file = [c for c in citations if c.file]
    elsewhere: set[int] = set()
    if with_file:
        for fn in SHOWN_ELSEWHERE:
            elsewhere |= set(fn(with_file))
    for c in citations:
        c.file_shown_elsewhere = c.pk in elsewhere


def check(user, citation) -> str:
    """Run every guard (each may refuse by raising); the warnings they return, joined."""
    warnings = [w for w in (guard(user, citation) for guard in GUARDS) if w]
    return " ".join(warnings)


def file_response(user, citation):
    """The download of a citation's file for ``user`` (the caller checked that the user may see
    the list): every guard runs first; their warnings (DIG-4) go in ``X-Access-Warning``."""
    warning = check(user, citation)
    if not citation.file or not default_storage.exists(citation.file.name):
        raise NotFound("LST-3", "this item has no file")
    response = serve_upload(default_storage.open(citation.file.name, "rb"), filename=citation.file_name or "file", inline=True)
    if warning:
        response["X-Access-Warning"] = warning
    return response

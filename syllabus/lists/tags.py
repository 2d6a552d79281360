"""Citation tags (LST-3): the instructor's tags (Essential / Recommended / Optional) and system
tags that only the library or the system sets (e.g. "New Edition – Purchase requested").

Who sees a tag: the instructor's tags are public — the students' reading guidance.  A system tag
is for the list's editors and the library only (the seeds show the purchase tags "in the brief
view" of the instructor's list, the library's workflow): the student view and a reader's API
never show it (:func:`public_tags`); ``declare_tag(..., public=True)`` makes one public.

The vocabulary is declared in code; another app adds its own system tags with :func:`declare_tag`::

    from syllabus.lists.tags import declare_tag
    declare_tag("digitized", _("Digitized"), system=True)
"""
from __future__ import annotations

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from syllabus.core.errors import RuleViolation


@dataclass(frozen=True)
class Tag:
    code: str
    label: str
    system: bool = False  # set by the library or the system, never by an instructor
    public: bool = True   # shown to readers (students); else to the list's editors and the library only


TAGS: dict[str, Tag] = {}


def declare_tag(code: str, label, *, system: bool = False, public: bool | None = None) -> Tag:
    """``public`` defaults to ``not system``: the library's and the system's tags are staff-facing."""
    tag = Tag(code, label, system, (not system) if public is None else public)
    TAGS[code] = tag
    return tag


declare_tag("essential", _("Essential"))
declare_tag("recommended", _("Recommended"))
declare_tag("optional", _("Optional"))
declare_tag("new_edition_purchase_requested", _("New Edition – Purchase requested"), system=True)
declare_tag("new_edition_available", _("New Edition Available"), system=True)
declare_tag("purchase_request_declined", _("Purchase Request Declined"), system=True)
# LST-9 (session 20): an item imported from a Word paragraph kept as its text (no identifier found, or
# nobody knew it) — the whole reference is its title until someone checks it; the list's editors and
# the library see the tag and remove it when the item is right; readers never see it
declare_tag("needs_review", _("Needs review"), public=False)


def instructor_tags() -> list[Tag]:
    return [t for t in TAGS.values() if not t.system]


def public_tags(codes) -> list[str]:
    """The tags of ``codes`` a reader sees (LST-3): the public ones (an unknown code is nobody's)."""
    return [c for c in codes or () if c in TAGS and TAGS[c].public]


def label(code: str) -> str:
    tag = TAGS.get(code)
    return str(tag.label) if tag else code


def names() -> dict[str, str]:
    """Every way a tag may be written → its code (LST-3): its code, and its name in each language of
    the site ("Essential", "essentiel", "ESSENTIAL"), compared folded — lower case, no accents,
    punctuation and blanks as one space ("New Edition – Purchase requested" = "new edition purchase
    requested").  The vocabulary is one for every institution (declared in code), so a list's
    institution knows exactly these names."""
    from django.conf import settings
    from django.utils import translation

    from syllabus.citations.tables import fold

    out: dict[str, str] = {}
    for code in TAGS:
        out[fold(code)] = code
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            for code, tag in TAGS.items():
                out.setdefault(fold(str(tag.label)), code)
    return out


def tag_code(value, known: dict[str, str] | None = None) -> str | None:
    """The code of the tag ``value`` names — its code or its name, any case (see :func:`names`); ``None``
    for no tag of the vocabulary."""
    from syllabus.citations.tables import fold

    value = str(value).strip()
    if value in TAGS:
        return value
    return (known if known is not None else names()).get(fold(value))


def clean_tags(codes, *, previous=(), may_set_system: bool = False) -> list[str]:
    """Validate tags, given by code ("essential") or by name in any language of the site, any case
    ("Essential", "ESSENTIEL") → codes; keep order, drop duplicates.  Only the library sets system
    tags: an instructor's change keeps the system tags that were there and may not add or remove any."""
    out: list[str] = []
    known: dict[str, str] | None = None
    for value in codes or []:
        value = str(value).strip()
        if not value:
            continue
        code = value if value in TAGS else tag_code(value, known := known if known is not None else names())
        if code is None:
            raise RuleViolation("LST-3", f"unknown tag {value[:80]!r}: give a tag's code or its name; known tags: "
                                         + ", ".join(f"{c} ({label(c)})" for c in TAGS), field="tags")
        if code not in out:
            out.append(code)
    if not may_set_system:
        before = [c for c in previous if c in TAGS and TAGS[c].system]
        added = [c for c in out if TAGS[c].system and c not in before]
        if added:
            raise RuleViolation("LST-3", f"only the library sets the system tag {label(added[0])!r}", field="tags", status=403)
        out = [c for c in out if not TAGS[c].system] + before
    return out

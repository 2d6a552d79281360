"""Citation metadata of a list item (LST-2): its CSL-JSON checked by the citation core
(:func:`syllabus.citations.validate.check_metadata`) and tied to the item's citation type.

A list item has one of seven citation types (what the editor offers and the workflow rules
look at); its metadata keeps the precise CSL type (a conference paper stays
``paper-conference``, a thesis ``thesis``), so that exports and bibliographies say what the
imported file said (issue 13: the full CSL type set end to end).
"""
from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from syllabus.citations.validate import check_metadata
from syllabus.core.errors import RuleViolation

from .models import CSL_TYPE, CitationType

# CSL type → our citation type; every CSL 1.0.2 type has one.
TYPE_FROM_CSL = {
    "book": CitationType.BOOK, "classic": CitationType.BOOK, "collection": CitationType.BOOK,
    "chapter": CitationType.BOOK_CHAPTER, "entry-encyclopedia": CitationType.BOOK_CHAPTER,
    "entry-dictionary": CitationType.BOOK_CHAPTER, "entry": CitationType.BOOK_CHAPTER,
    "paper-conference": CitationType.ARTICLE, "article-journal": CitationType.ARTICLE,
    "article-magazine": CitationType.ARTICLE, "article-newspaper": CitationType.ARTICLE, "article": CitationType.ARTICLE,
    "review": CitationType.ARTICLE, "review-book": CitationType.ARTICLE,
    "webpage": CitationType.WEBSITE, "post": CitationType.WEBSITE, "post-weblog": CitationType.WEBSITE,
    "motion_picture": CitationType.VIDEO_AUDIO, "broadcast": CitationType.VIDEO_AUDIO, "song": CitationType.VIDEO_AUDIO,
    "interview": CitationType.VIDEO_AUDIO, "speech": CitationType.VIDEO_AUDIO, "performance": CitationType.VIDEO_AUDIO,
    "event": CitationType.VIDEO_AUDIO,
    "document": CitationType.DOCUMENT, "report": CitationType.DOCUMENT, "thesis": CitationType.DOCUMENT,
    "manuscript": CitationType.DOCUMENT, "pamphlet": CitationType.DOCUMENT, "standard": CitationType.DOCUMENT,
    # other CSL types a catalog record or an import may carry (journals, scores, maps, data, law...)
    "periodical": CitationType.OTHER, "dataset": CitationType.OTHER, "software": CitationType.OTHER,
    "map": CitationType.OTHER, "graphic": CitationType.OTHER, "figure": CitationType.OTHER,
    "musical_score": CitationType.OTHER, "patent": CitationType.OTHER, "legal_case": CitationType.OTHER,
    "legislation": CitationType.OTHER, "regulation": CitationType.OTHER, "bill": CitationType.OTHER,
    "hearing": CitationType.OTHER, "treaty": CitationType.OTHER, "personal_communication": CitationType.OTHER,
}


# LST-2: what the item form's Type offers for video and audio — the CSL 1.0.2 types, so that a
# radio adaptation is a broadcast and an album an audio recording, not a film ("[Video
# recording]"). ``video_audio`` stays the film or video (its default CSL type, motion_picture).
MEDIA_KINDS = (
    (CitationType.VIDEO_AUDIO.value, _("Video / audio: film or video")),
    ("broadcast", _("Video / audio: radio, TV or podcast programme")),
    ("song", _("Video / audio: audio or music recording")),
    ("interview", _("Video / audio: interview")),
    ("speech", _("Video / audio: talk or lecture")),
    ("performance", _("Video / audio: live performance")),
)


def form_types() -> list[tuple[str, str]]:
    """The item form's Type choices: our types, video and audio by their CSL type."""
    out: list[tuple[str, str]] = []
    for value, label in CitationType.choices:
        out.extend([(v, str(lab)) for v, lab in MEDIA_KINDS] if value == CitationType.VIDEO_AUDIO else [(value, str(label))])
    return out


def form_type(ctype: str, metadata: dict | None) -> str:
    """The form's Type of an item: a video or audio item's CSL type when the form offers it."""
    csl = (metadata or {}).get("type")
    if ctype == CitationType.VIDEO_AUDIO and csl in dict(MEDIA_KINDS) and csl != "motion_picture":
        return str(csl)
    return ctype


def set_form_csl_type(value: str, metadata: dict) -> dict:
    """``metadata`` with the CSL type the form's Type ``value`` names: ``broadcast`` sets it; a
    film or video (``video_audio``) turns another kind the form offers back into motion_picture
    (a type the form does not offer, such as ``event``, is kept)."""
    kinds = dict(MEDIA_KINDS)
    if value in kinds and value not in CitationType.values:
        metadata["type"] = value
    elif value == CitationType.VIDEO_AUDIO and metadata.get("type") in kinds:
        metadata["type"] = CSL_TYPE[CitationType.VIDEO_AUDIO]
    return metadata


def with_csl_type(value: str | None, metadata: dict | None) -> dict | None:
    """``metadata`` with the CSL type ``value`` when a caller gives the item's type as a CSL type
    (``broadcast``, ``paper-conference``): the type says what the item is, the metadata's own
    ``type`` is replaced (a type of ours, ``video_audio``, leaves it as it is)."""
    value = (value or "").strip()
    if value in TYPE_FROM_CSL and value not in CitationType.values:
        return {**(metadata or {}), "type": value}
    return metadata


def citation_type(value: str | None) -> str:
    """Our citation type from one of ours (``book_chapter``) or a CSL type (``chapter``)."""
    value = (value or "").strip()
    if value in CitationType.values:
        return value
    if value in TYPE_FROM_CSL:
        return TYPE_FROM_CSL[value].value
    raise RuleViolation("LST-2", f"unknown citation type {value!r}; use one of {', '.join(CitationType.values)}", field="type")


def clean_metadata(ctype: str, metadata: dict | None) -> dict:
    """Check and normalise CSL-JSON metadata of a citation of type ``ctype`` (ours).  The
    metadata's own CSL type is kept when it is one of ``ctype``'s (``paper-conference`` for an
    article); otherwise the type's default CSL type is set."""
    out = check_metadata(metadata)
    if not out.get("title"):
        raise RuleViolation("LST-2", "a citation needs a title", field="metadata.title")
    if ctype == CitationType.WEBSITE and not out.get("URL"):
        raise RuleViolation("LST-2", "a website citation needs a URL", field="metadata.URL")
    given = (metadata or {}).get("type") if isinstance(metadata, dict) else None
    if isinstance(given, str) and given in TYPE_FROM_CSL and TYPE_FROM_CSL[given] == CitationType(ctype):
        out["type"] = given
    else:
        out["type"] = CSL_TYPE[CitationType(ctype)]
    return out

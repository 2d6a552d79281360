"""Serving a user-uploaded file — the ONE way every route does it (§12 uploads; issue 18 item 2).

A file that a person uploaded is never trusted to be what its name or its uploader said: the
content type is sniffed again from the bytes being served (libmagic), and only types on an
allow-list are served as themselves; anything else (HTML, SVG, XML, scripts...) goes out as
``application/octet-stream``.  Only PDF, raster images and plain text may be shown inline; everything else
is an attachment.  Every response carries ``X-Content-Type-Options: nosniff``, a sandboxing
Content-Security-Policy (no script, no same-origin access, even if a browser renders it) and
``Cache-Control: private, no-store``::

    from syllabus.core.files import serve_upload
    return serve_upload(rep.file, filename=rep.label, inline=True)
"""
from __future__ import annotations

import mimetypes
import os
import re
import unicodedata

from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404

# types served as themselves (as attachments unless also in INLINE_TYPES)
ALLOWED_TYPES = frozenset({
    "application/pdf", "application/msword",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "application/vnd.oasis.opendocument.text", "application/vnd.oasis.opendocument.spreadsheet",
    "application/vnd.oasis.opendocument.presentation", "application/epub+zip", "application/zip",
    "text/plain", "text/csv", "image/png", "image/jpeg", "image/gif", "image/webp", "image/tiff",
    "audio/mpeg", "audio/ogg", "audio/wav", "audio/x-wav", "video/mp4", "video/webm", "video/ogg",
})
# types a browser may show in the page: with nosniff none can run script (SVG can, so it is not here)
INLINE_TYPES = frozenset({"application/pdf", "image/png", "image/jpeg", "image/gif", "image/webp", "text/plain"})
FALLBACK_TYPE = "application/octet-stream"
# no script, no forms, no plugins, an opaque origin: a planted page can reach nothing of ours
SANDBOX_CSP = "sandbox; default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; object-src 'self'"
SNIFF_BYTES = 8192


def sniff_bytes(head: bytes) -> str:
    """The content type that libmagic reads from the first bytes of a file."""
    import magic

    return (magic.from_buffer(head, mime=True) or FALLBACK_TYPE) if head else FALLBACK_TYPE


def sniff(handle) -> str:
    """Sniff an open binary file (or an upload) and put it back at the start."""
    start = handle.tell() if hasattr(handle, "tell") else 0
    head = handle.read(SNIFF_BYTES)
    handle.seek(start)
    return sniff_bytes(head)


def served_type(sniffed: str) -> str:
    """The type a file goes out with: itself when allow-listed, else opaque bytes."""
    sniffed = (sniffed or "").split(";")[0].strip().lower()
    return sniffed if sniffed in ALLOWED_TYPES else FALLBACK_TYPE


# bidirectional controls (marks, embeddings, overrides, isolates), the zero-width space and the BOM:
# they would let a name show another extension than its own ("Week 1<U+202E>fdp.zip" reads
# "Week 1piz.pdf"). The joiners (U+200C/D), which Persian, Indic scripts and emoji need, stay.
DIRECTION_MARKS = frozenset("\u061c\u200b\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff")


def without_direction_marks(name: str) -> str:
    return "".join(ch for ch in name if ch not in DIRECTION_MARKS)


def safe_filename(name: str, content_type: str) -> str:
    """A harmless download name (no path, no control or quoting characters) whose extension
    agrees with the type it is served as, so that the desktop does not reinterpret it."""
    name = unicodedata.normalize("NFKC", os.path.basename((name or "").replace("\\", "/")))
    name = without_direction_marks(name)
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?/\\;]", "", name).strip(" .")[:150] or "file"
    stem, ext = os.path.splitext(name)
    wanted = mimetypes.guess_extension(content_type) if content_type != FALLBACK_TYPE else None
    if content_type == "image/jpeg":
        wanted = ".jpg" if ext.lower() not in (".jpg", ".jpeg") else ext
    if wanted is None:
        # opaque bytes keep no extension a desktop would open as a page or a script
        return (stem if ext.lower() in (".html", ".htm", ".svg", ".xhtml", ".xml", ".js", ".mjs", ".shtml") else name) or "file"
    known = mimetypes.guess_type(name)[0]
    return name if known == content_type else f"{stem or 'file'}{wanted}"


def serve_upload(field_file, *, filename: str = "", inline: bool = True, headers: dict | None = None) -> FileResponse:
    """Stream a stored upload (a ``FieldFile`` or an open binary file) safely.

    ``inline=True`` lets a PDF or a raster image show in the browser; every other type, and
    every file when ``inline=False``, is an attachment.  Raises ``Http404`` when the file is gone."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb") if isinstance(field_file, FieldFile) else field_file
    except (FileNotFoundError, OSError):
        raise Http404
    content_type = served_type(sniff(handle))
    show_inline = inline and content_type in INLINE_TYPES
    default_name = getattr(field_file, "name", "") or "file"
    name = safe_filename(filename or default_name.rsplit("/", 1)[-1], content_type)
    response = FileResponse(handle, content_type=content_type, as_attachment=not show_inline, filename=name)
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = SANDBOX_CSP
    response["Cache-Control"] = "private, no-store"
    response["Cross-Origin-Resource-Policy"] = "same-origin"
    for key, value in (headers or {}).items():
        response[key] = value
    return response

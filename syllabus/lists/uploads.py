"""Files on citations (LST-3, §12 uploads): size limit per role from the configuration, content
type sniffed from the bytes (libmagic), stored under a generated name; served only through a
view that checks access."""
from __future__ import annotations

import mimetypes
import os
import re
import unicodedata
import uuid

import magic

from syllabus.core.errors import RuleViolation
from syllabus.core.files import without_direction_marks
from syllabus.org import config

EXTENSIONS = {
    "application/pdf": ".pdf", "application/msword": ".doc",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": ".docx",
    "application/vnd.ms-powerpoint": ".ppt",
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": ".pptx",
    "application/vnd.ms-excel": ".xls", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": ".xlsx",
    "application/vnd.oasis.opendocument.text": ".odt", "application/epub+zip": ".epub", "text/plain": ".txt",
    "text/csv": ".csv", "image/png": ".png", "image/jpeg": ".jpg", "image/gif": ".gif", "audio/mpeg": ".mp3",
    "video/mp4": ".mp4",
}


def limit_mb(user, institution, *, as_instructor: bool) -> int:
    """The largest upload for this user in MB: the instructor limit for instructors and library
    staff, the student limit for everyone else (ORG-4 ``max_upload_mb_instructor`` / ``_student``)."""
    key = "max_upload_mb_instructor" if as_instructor else "max_upload_mb_student"
    return int(config.get(key, institution=institution))


def sniff(upload) -> str:
    """The content type read from the file's first bytes, whatever its name claims."""
    upload.seek(0)
    head = upload.read(8192)
    upload.seek(0)
    return magic.from_buffer(head, mime=True) or "application/octet-stream"


def safe_display_name(name: str) -> str:
    """The uploader's file name reduced to a harmless display form (no path, no control characters)."""
    name = unicodedata.normalize("NFKC", os.path.basename((name or "").replace("\\", "/")))
    name = without_direction_marks(name)   # no bidirectional override hiding the extension
    name = re.sub(r"[\x00-\x1f\x7f\"<>|:*?]", "", name).strip(" .")
    return name[:200] or "file"


def check(upload, *, institution, max_mb: int) -> str:
    """Refuse a file over the limit or of a type not accepted; return its sniffed type."""
    size = upload.size or 0
    if size <= 0:
        raise RuleViolation("LST-3", "the file is empty", field="file")
    if size > max_mb * 1024 * 1024:
        raise RuleViolation("LST-3", f"the file is {size / 1048576:.1f} MB; the limit for you is {max_mb} MB",
                            field="file", status=413)
    content_type = sniff(upload)
    accepted = config.get("list_upload_types", institution=institution)
    if content_type not in accepted:
        raise RuleViolation("LST-3", f"files of type {content_type} are not accepted here", field="file", status=415)
    return content_type


def storage_name(content_type: str) -> str:
    """A generated name that says nothing of the original: ``lists/ab/<uuid>.pdf``."""
    ext = EXTENSIONS.get(content_type) or mimetypes.guess_extension(content_type) or ".bin"
    token = uuid.uuid4().hex
    return f"lists/{token[:2]}/{token}{ext}"

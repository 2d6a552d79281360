"""An item's uploaded file (LST-3, DIG-3): attach, remove."""
from __future__ import annotations


from django.core.files.storage import default_storage
from django.db import transaction

from syllabus.core import audit
from syllabus.org.models import User

from syllabus.lists import uploads
from syllabus.lists.models import Citation, CopyrightStatus
from syllabus.lists.permissions import Access, ensure_edit
from syllabus.lists.task_details import Said
from .common import _in_locked_list, _instructor_changed, _touch


# --- files --------------------------------------------------------------------------------


def _uploads_as_instructor(actor: User, acc: Access) -> bool:
    return acc.process or actor.courses_taught.exists() or (
        actor.user_group_id is not None and actor.user_group.code in ("faculty", "staff"))


def _set_file(actor, citation: Citation, name: str, display: str, content_type: str, size: int) -> None:
    changes = {"file": [citation.file.name or "", name], "file_name": [citation.file_name, display],
               "file_type": [citation.file_type, content_type], "file_size": [citation.file_size, size]}
    citation.file.name, citation.file_name, citation.file_type, citation.file_size = name, display, content_type, size
    citation.save(update_fields=["file", "file_name", "file_type", "file_size", "updated_at"])
    audit.changed(actor, citation, {k: v for k, v in changes.items() if v[0] != v[1]})


def attach_file(actor: User, citation: Citation, upload) -> Citation:
    """Store a file on an item (LST-3): size limit per role from the configuration, content type
    sniffed from its bytes, kept under a generated name; replaces an earlier file."""
    lst = citation.resource_list
    acc = ensure_edit(actor, lst)
    max_mb = uploads.limit_mb(actor, lst.institution, as_instructor=_uploads_as_instructor(actor, acc))
    content_type = uploads.check(upload, institution=lst.institution, max_mb=max_mb)
    name = default_storage.save(uploads.storage_name(content_type), upload)
    try:
        with _in_locked_list(citation) as lst:
            old = citation.file.name
            _set_file(actor, citation, name, uploads.safe_display_name(upload.name), content_type, upload.size)
            # DIG-3: a clearance (or a declared status) was for the previous file: a new file starts
            # over.  After the library's clearance the new file waits for it again; otherwise the
            # instructor chooses a copyright option anew (the auto-triggered clearance form).
            cleared_by_library = citation.copyright_status in (CopyrightStatus.WAITING, CopyrightStatus.APPROVED,
                                                               CopyrightStatus.DECLINED)
            reset = CopyrightStatus.WAITING if cleared_by_library else CopyrightStatus.NOT_DETERMINED
            if citation.copyright_status != reset:
                audit.update(actor, citation, copyright_status=reset, note="new file: copyright clearance starts again (DIG-3)")
            _touch(lst)
            _instructor_changed(actor, lst, Said("file_attached", title=citation.title[:200]), citation)
    except Exception:
        default_storage.delete(name)
        raise
    if old and old != name:
        default_storage.delete(old)
    return citation


def remove_file(actor: User, citation: Citation) -> Citation:
    lst = citation.resource_list
    ensure_edit(actor, lst)
    with _in_locked_list(citation) as lst:
        old = citation.file.name
        if not old:
            return citation
        _set_file(actor, citation, "", "", "", 0)
        _touch(lst)
        _instructor_changed(actor, lst, Said("file_removed", title=citation.title[:200]), citation)
        transaction.on_commit(lambda: default_storage.delete(old))
    return citation

"""Every change of state of resource lists (LST-1..8), as verbs.

Each verb runs in one transaction, checks who may do it (:mod:`.permissions`) and the rules,
moves statuses only along the tables of :mod:`.workflow`, writes the audit trail (ORG-6) and
raises librarian tasks (LST-6).  Other apps build on these verbs, e.g. the catalog's import and
"add from search" call :func:`add_citation` with a ``record`` or with imported CSL-JSON.

A package by topic (issue 17): ``common``, ``tasks``, ``sections``, ``lists``, ``citations``, ``files``,
``formatted`` — each module imports only those before it; every name of the former single module
(its imports included) stays importable as ``services.<name>``.
"""
# ruff: noqa: F401  (re-exports: the names of the former single module)
from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager

from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F

from syllabus.citations import bibliography
from syllabus.citations.validate import merge_patch
from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.core.workflow import StateMachine
from syllabus.courses.models import Course
from syllabus.notify.services import queue_letter
from syllabus.org import config
from syllabus.org.models import User

from syllabus.lists import copyright_policy
from syllabus.lists import metadata as md
from syllabus.lists import tags as tag_vocabulary
from syllabus.lists import uploads
from syllabus.lists.models import Citation, CitationType, CopyrightStatus, LibrarianTask, ResourceList, Section
from syllabus.lists.permissions import Access, ensure_edit, ensure_process, ensure_view, is_librarian_for
from syllabus.lists.selectors import ensure_section_of, section_of_list
from syllabus.lists.workflow import (
    INSTRUCTOR, ITEM_WORKFLOW, LIBRARIAN, LIST_WORKFLOW, OPEN_ITEM_STATUSES, ItemStatus, ListStatus, Visibility,
)

from .common import (
    _check_move, _format, _has_no_action_default, _in_locked_list, _initial_status, _instructor_changed,
    _is_library_change, _locked, _no_action_default, _renumber, _sides, _stored_style, _style_name, _touch, _users,
    _valid_status, ChangeBatch, citation_style, citation_style_and_language, library_has, one_task, raise_task,
    stored_language, view_settings,
)
from .tasks import (
    _resolve, resolve_task,
)
from .sections import (
    _check_dates, _default_section, _section_values, last_section, add_section, delete_section, move_section, update_section,
)
from .lists import (
    _check_courses, _letter_complete, assign_list, can_create_list, change_list, create_list, publish_list,
    send_list, set_list_status, set_visibility, unpublish_list, update_list,
)
from .citations import (
    CITATION_FIELDS, _clean_citation_values, _ensure_may_set_copyright, _personal_copy_set, _record_open_access,
    add_citation, change_citation, copyright_choices, delete_citation, editor_copyright_statuses, move_citation,
    personal_copy_owner_of, send_citation, set_item_status, set_status_note, update_citation,
)
from .files import (
    _set_file, _uploads_as_instructor, attach_file, remove_file,
)
from .formatted import (
    __all__, localize_formatted, refresh_formatted,
)

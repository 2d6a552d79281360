"""Roster pages (CRS-2): a course's instructors and students — seen by its instructors and the
library, changed by the library (add, change role, remove, replace from a CSV file)."""
from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from syllabus.core import audit
from syllabus.core.errors import RuleViolation
from syllabus.core import paging

from . import forms, selectors, services

PAGE = 50


def _course(request, course_id: int, *, manage: bool = False):
    course = selectors.course_for(request.user, course_id)
    if course is None:
        raise Http404
    allowed = services.can_manage_courses(request.user, course.institution) if manage else services.can_see_roster(request.user, course)
    if not allowed:
        raise Http404
    return course


@login_required
def roster(request, course_id: int):
    course = _course(request, course_id)
    q = request.GET.get("q", "").strip()[:200]
    role = request.GET.get("role", "")
    role = role if role in services.ROSTER_ROLES else ""
    page, rows = paging.read_page(request, PAGE, functools.partial(selectors.roster, course, role=role, q=q))
    count = page.paginator.count
    manage = services.can_manage_courses(request.user, course.institution)
    changes = [e for e in audit.trail(course)[:200]
               if e.action in ("enrolled", "unenrolled", "instructor added", "instructor removed", "role changed", "roster synced",
                                 "roster sync failed")][:20] \
        if manage else []
    return render(request, "courses/roster.html", {"course": course, "rows": rows, "count": count, "page": page, "q": q,
                                                   "role": role, "manage": manage, "changes": changes,
                                                   "roles": services.ROSTER_ROLES})


def _done(request, course_id: int, action):
    try:
        message = action()
    except RuleViolation as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, message)
    return redirect("courses:roster", course_id)


@login_required
@require_POST
def add_member(request, course_id: int):
    course = _course(request, course_id, manage=True)

    def act():
        username, role = forms.MemberForm.values(request.POST)  # a refusal (CRS-2) is the roster's message
        changes = services.add_member(request.user, course, username, role)
        if changes.created:
            return _("%(user)s added as %(role)s.") % {"user": username, "role": role}
        if changes.updated:
            return _("%(user)s is now %(role)s.") % {"user": username, "role": role}
        return _("%(user)s was already %(role)s.") % {"user": username, "role": role}
    return _done(request, course.pk, act)


@login_required
@require_POST
def remove_member(request, course_id: int, username: str):
    course = _course(request, course_id, manage=True)

    def act():
        services.remove_member(request.user, course, username)
        return _("%(user)s removed from the course.") % {"user": username}
    return _done(request, course.pk, act)


@login_required
@require_POST
def upload_roster(request, course_id: int):
    """Replace the roster from a CSV of ``username,role`` (all or nothing)."""
    course = _course(request, course_id, manage=True)
    upload = request.FILES.get("file")

    def act():
        if upload is None:
            raise RuleViolation("CRS-2", _("choose a CSV file with the columns username and role"))
        if upload.size > 5 * 1024 * 1024:
            raise RuleViolation("CRS-2", _("the file is larger than 5 MB"))
        from syllabus.core.loading import RowError, cell, csv_rows

        members = []
        try:
            for line, row in csv_rows(upload.read(), rule="CRS-2", required=("username",), columns=("username", "role")):
                if not cell(row, "username"):
                    raise RowError(f"line {line}: no username")
                members.append((cell(row, "username"), cell(row, "role").lower() or services.STUDENT))
        except (RowError, UnicodeDecodeError) as exc:
            raise RuleViolation("CRS-2", str(exc))
        changes = services.set_roster(request.user, course, members)
        return _("Roster replaced: created %(created)d, updated %(updated)d, unchanged %(unchanged)d, removed %(removed)d.") % changes.as_dict()
    return _done(request, course.pk, act)

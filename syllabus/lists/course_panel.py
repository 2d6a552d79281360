"""The course page's panel of resource lists (CRS-3, LST-8): a reader of the course finds its
published lists there, an instructor also their drafts and a form to create the course's list —
the course page no longer ends without a way to the readings (session 14).  Registered in the
shell's ``web.panels.COURSE_PANELS`` by ``ListsConfig.ready``."""
from __future__ import annotations

from django.template.loader import render_to_string

from . import selectors
from .services.lists import can_create_list


def course_lists_panel(request, course) -> str:
    user = request.user
    # titles, counts and visibility only; whether the reader teaches from the course's own
    # instructors (the course page read them): the panel's queries are one (session 22)
    lists = list(selectors.lists_for_user(user, course_id=course.pk, related=False))
    teaches = any(i.pk == user.pk for i in course.instructors.all())
    to_join = list(selectors.find_lists_to_join(user, course_id=course.pk)) if teaches else []
    return render_to_string("lists/_course_lists.html", {
        "course": course, "lists": lists, "to_join": to_join, "show_courses": False, "teaches": teaches,
        "can_create": teaches and can_create_list(user),
        "new_title": f"{course.code} {course.name}"[:300],
    }, request=request)

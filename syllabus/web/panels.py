"""Panels on the shell's course page (seam): a higher app shows what it has for a course without
the shell importing it — the lists app shows the course's resource lists, or what to do when
there is none yet (LST-8, CRS-3)::

    from syllabus.web.panels import COURSE_PANELS

    @COURSE_PANELS.register
    def lists_panel(request, course) -> str: ...   # HTML, rendered by the app's own template

A panel answers an empty string when it has nothing to show.
"""
from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import SafeString, mark_safe

from syllabus.core.registry import Hooks

COURSE_PANELS: Hooks[Callable[..., str]] = Hooks()


def course_panels(request, course) -> list[SafeString]:
    return [mark_safe(html) for html in (panel(request, course) for panel in COURSE_PANELS) if html]  # noqa: S308 - apps' templates

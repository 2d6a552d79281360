"""Demo data of analytics at Riverside University: eight weeks of reading of the published
lists by their courses' students (list views, item opens, downloads, Find it, done marks),
recorded through the recorder's own write path and rolled up, so that every report and the
list editor's "Often used with" have something to show."""
from __future__ import annotations

import datetime as dt
import random

from syllabus.core import clock
from syllabus.courses.models import Enrollment
from syllabus.lists.models import Citation, ResourceList
from syllabus.lists.workflow import Visibility
from syllabus.org.models import Institution

from .models import DailyUsage
from .services import record_events, roll_up_usage

WEEKS = 8


def load(stdout) -> None:
    inst = Institution.objects.filter(code="riverside").first()
    if inst is None or DailyUsage.objects.filter(institution=inst).exists():
        return
    rng = random.Random(16)
    now = clock.now()
    pending = []
    for lst in ResourceList.objects.filter(institution=inst, visibility=Visibility.PUBLISHED).prefetch_related("courses"):
        items = list(Citation.objects.filter(resource_list=lst).order_by("section__position", "position"))
        course_ids = [c.pk for c in lst.courses.all()]
        readers = [e.user for e in Enrollment.objects.filter(course_id__in=course_ids).select_related("user")]
        for week in range(WEEKS):
            for reader in readers:
                if rng.random() < 0.35 + 0.05 * week % 3:
                    continue
                at = now - dt.timedelta(days=7 * (WEEKS - week) - rng.randrange(7), hours=rng.randrange(10))
                pending.append({"kind": "list_view", "user": reader, "list_id": lst.pk, "institution_id": inst.pk, "at": at})
                for n, item in enumerate(items):
                    weight = 0.6 / (1 + n)       # the first items are read most, the last least
                    if rng.random() < weight:
                        pending.append({"kind": rng.choice(["item_open", "item_open", "findit_click", "file_download"]),
                                        "user": reader, "list_id": lst.pk, "citation_id": item.pk,
                                        "institution_id": inst.pk, "at": at, "link": "online:0"})
                    if rng.random() < weight / 3:
                        pending.append({"kind": "marked_done", "user": reader, "list_id": lst.pk, "citation_id": item.pk,
                                        "institution_id": inst.pk, "at": at})
    for start in range(0, len(pending), 500):
        record_events(pending[start:start + 500])
    roll_up_usage(now)
    stdout.write(f"  analytics: {len(pending)} usage events over {WEEKS} weeks, rolled up")

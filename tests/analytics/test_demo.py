"""Demo data of analytics: weeks of reading by the courses' students, rolled up, loaded once."""
import io

from syllabus.analytics import reports
from syllabus.analytics.demo import load
from syllabus.analytics.models import DailyUsage, UsageEvent
from syllabus.courses.models import Enrollment


def test_the_demo_reads_the_published_lists_and_rolls_up_once(reading, inst_a, course, make_user):
    inst_a.code = "riverside"
    inst_a.save()
    for n in range(6):
        Enrollment.objects.create(course=course, user=make_user(f"demo-s{n}"))
    out = io.StringIO()
    load(out)
    assert "usage events over 8 weeks, rolled up" in out.getvalue()
    events = UsageEvent.objects.count()
    assert events > 50 and DailyUsage.objects.exists()
    engagement = reports.finish(reports.list_engagement(reading[0]), inst_a)
    assert len(engagement.tables[0].rows) >= 6 and engagement.tables[1].rows[0]["total"] != 0
    load(io.StringIO())
    assert UsageEvent.objects.count() == events

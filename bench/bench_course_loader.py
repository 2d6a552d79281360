"""Course loader throughput (CRS-2): rows/s for a 10,000-row CSV — a first load (all created)
and a second load of the same file (all unchanged), and the ratio between them."""
from __future__ import annotations

import io
import random

from bench.common import line, setup_django, stopwatch

HEADER = "code,name,section,department,term,start_date,end_date,number_of_students,instructors\n"


def make_csv(rows: int, instructors: list[str], seed: int = 1) -> str:
    rnd = random.Random(seed)
    out = io.StringIO()
    out.write(HEADER)
    for n in range(rows):
        teachers = ";".join(rnd.sample(instructors, rnd.randint(1, 2)))
        out.write(f"BEN{n:05d},Benchmark course {n},{n % 3 + 1:02d},Dept {n % 40},2027S,2027-01-11,2027-05-07,{rnd.randint(5, 300)},{teachers}\n")
    return out.getvalue()


def run(args) -> None:
    setup_django("course_loader")
    from django.db import transaction

    from syllabus.courses.models import Course
    from syllabus.courses.services import import_courses
    from syllabus.org.models import Consortium, Institution, User

    rows = 1000 if args.quick else 10_000
    cons, _ = Consortium.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    inst, _ = Institution.objects.get_or_create(code="bench-u", defaults={"name": "Bench University", "consortium": cons})
    Course.objects.filter(institution=inst).delete()
    names = []
    for i in range(200):
        u, _ = User.objects.get_or_create(username=f"bench-teacher-{i}", defaults={"institution": inst, "email": f"t{i}@bench.edu"})
        names.append(u.username)
    text = make_csv(rows, names)
    with stopwatch() as first:
        report = import_courses(text, inst)
    assert report.created == rows, report.summary()
    with stopwatch() as second:
        again = import_courses(text, inst)
    assert again.unchanged == rows, again.summary()
    line("course loader, first load", rows=rows, seconds=first["seconds"], rows_per_s=rows / first["seconds"])
    line("course loader, unchanged reload", rows=rows, seconds=second["seconds"], rows_per_s=rows / second["seconds"],
         reload_vs_first=first["seconds"] / second["seconds"])
    with transaction.atomic():
        Course.objects.filter(institution=inst).delete()

"""People and enrolment loaders (CRS-2, issue 10 acceptance 7): rows/s for 100,000 enrolments —
the people file first (30,000 students + 600 instructors), then the enrolments file, each as a
first load (all created, audited) and as a reload of the same file (all unchanged), and a
``--replace`` reload that drops 1 % of the enrolments."""
from __future__ import annotations

import io
import random

from bench.common import line, setup_django, stopwatch

USERS = "username,first_name,last_name,email,user_group,external_id,status,expiry_date\n"
ENROL = "course_code,section,term,username,role\n"


def run(args) -> None:
    setup_django("enrolment_loader")
    from django.db import transaction

    from syllabus.core.models import AuditEntry
    from syllabus.courses.models import Course, Enrollment
    from syllabus.courses.services import import_enrolments
    from syllabus.org.models import Consortium, Institution, User, UserGroup
    from syllabus.org.services import import_users

    scale = 10 if args.quick else 1
    n_students, n_teachers, n_courses, n_enrol = 30_000 // scale, 600 // scale, 2_000 // scale, 100_000 // scale
    cons, _ = Consortium.objects.get_or_create(code="bench", defaults={"name": "Bench"})
    inst, _ = Institution.objects.get_or_create(code="bench-enrol", defaults={"name": "Bench Enrolment University", "consortium": cons})
    with transaction.atomic():
        AuditEntry.objects.all().delete()
        Course.objects.filter(institution=inst).delete()
        User.objects.filter(institution=inst).delete()
    for code in ("undergraduate", "faculty"):
        UserGroup.objects.get_or_create(institution=inst, code=code, defaults={"name": code.title()})
    Course.objects.bulk_create([Course(institution=inst, code=f"EN{i:05d}", name=f"Enrolment course {i}", section="01", term="2027S")
                                for i in range(n_courses)])

    rnd = random.Random(7)
    people = io.StringIO()
    people.write(USERS)
    for i in range(n_students):
        people.write(f"st{i:06d},Student,N{i},st{i:06d}@bench.edu,undergraduate,S{i},active,2028-06-30\n")
    for i in range(n_teachers):
        people.write(f"te{i:05d},Teacher,N{i},te{i:05d}@bench.edu,faculty,T{i},active,\n")
    people_text = people.getvalue()
    n_people = n_students + n_teachers

    rows = []
    per_course = n_enrol // n_courses
    for c in range(n_courses):
        teachers = rnd.sample(range(n_teachers), 2)
        rows += [f"EN{c:05d},01,2027S,te{t:05d},instructor" for t in teachers]
        rows += [f"EN{c:05d},01,2027S,st{s:06d},student" for s in rnd.sample(range(n_students), per_course - 2)]
    enrol_text = ENROL + "\n".join(rows) + "\n"
    kept = [r for i, r in enumerate(rows) if i % 100 != 50]

    with stopwatch() as t1:
        r1 = import_users(people_text, inst)
    assert r1.created == n_people, r1.summary()
    with stopwatch() as t2:
        r2 = import_users(people_text, inst)
    assert r2.unchanged == n_people, r2.summary()
    with stopwatch() as t3:
        r3 = import_enrolments(enrol_text, inst)
    assert r3.created == len(rows), r3.summary()
    with stopwatch() as t4:
        r4 = import_enrolments(enrol_text, inst)
    assert r4.unchanged == len(rows), r4.summary()
    with stopwatch() as t5:
        r5 = import_enrolments(ENROL + "\n".join(kept) + "\n", inst, replace=True)
    assert r5.removed == len(rows) - len(kept), r5.summary()
    assert Enrollment.objects.filter(course__institution=inst).count() + Course.instructors.through.objects.filter(
        course__institution=inst).count() == len(kept)

    line("people loader, first load", rows=n_people, seconds=t1["seconds"], rows_per_s=n_people / t1["seconds"])
    line("people loader, unchanged reload", rows=n_people, seconds=t2["seconds"], rows_per_s=n_people / t2["seconds"],
         reload_vs_first=t1["seconds"] / t2["seconds"])
    line("enrolment loader, first load", rows=len(rows), seconds=t3["seconds"], rows_per_s=len(rows) / t3["seconds"])
    line("enrolment loader, unchanged reload", rows=len(rows), seconds=t4["seconds"], rows_per_s=len(rows) / t4["seconds"],
         reload_vs_first=t3["seconds"] / t4["seconds"])
    line("enrolment loader, --replace dropping 1 %", rows=len(kept), removed=r5.removed, seconds=t5["seconds"],
         rows_per_s=len(kept) / t5["seconds"])
    with transaction.atomic():
        Course.objects.filter(institution=inst).delete()
        User.objects.filter(institution=inst).delete()

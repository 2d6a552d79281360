"""Demo data of the foundation: a consortium of two institutions, three libraries with
calendars, user groups, people with roles, and courses with instructors and students."""
from __future__ import annotations

import datetime as dt
import random

from django.contrib.auth.hashers import make_password

from syllabus.core import clock
from syllabus.courses.models import Course, Enrollment

from .models import ClosedDate, Consortium, Institution, Library, RoleAssignment, User, UserGroup
from .roles import Role, Scope
from .services import email_values

DEMO_PASSWORD = "demo"

STAFF_ROLES = [
    Role.COURSE_RESERVES_OPERATOR, Role.FULFILLMENT_SERVICES_OPERATOR, Role.FULFILLMENT_SERVICES_MANAGER,
    Role.DIGITAL_INVENTORY_OPERATOR, Role.REQUESTS_OPERATOR, Role.LETTER_ADMINISTRATOR, Role.FULFILLMENT_ADMINISTRATOR,
]

COURSES_A = [
    ("HIST101", "Introduction to Modern History", "History"), ("HIST230", "The Industrial Revolution", "History"),
    ("ENGL110", "Reading Literature", "English"), ("ENGL245", "The Victorian Novel", "English"),
    ("BIOL101", "Cell Biology", "Biology"), ("BIOL210", "Genetics", "Biology"), ("CHEM120", "General Chemistry", "Chemistry"),
    ("PHYS101", "Mechanics", "Physics"), ("MATH140", "Calculus I", "Mathematics"), ("MATH250", "Linear Algebra", "Mathematics"),
    ("CS101", "Introduction to Programming", "Computer Science"), ("CS220", "Data Structures", "Computer Science"),
    ("ECON101", "Principles of Economics", "Economics"), ("ECON310", "Econometrics", "Economics"),
    ("PSYC100", "Introduction to Psychology", "Psychology"), ("SOCI200", "Social Theory", "Sociology"),
    ("PHIL150", "Ethics", "Philosophy"), ("LAW201", "Contract Law", "Law"), ("MUSC110", "Music Theory", "Music"),
    ("ARTH120", "Renaissance Art", "Art History"), ("EDUC300", "Curriculum Design", "Education"),
    ("NURS210", "Clinical Practice", "Nursing"),
]
COURSES_B = [
    ("GEOG101", "Physical Geography", "Geography"), ("POLI210", "Comparative Politics", "Politics"),
    ("LING100", "Language and Mind", "Linguistics"), ("MGMT200", "Organisational Behaviour", "Management"),
    ("STAT150", "Statistics for Social Science", "Statistics"), ("ANTH101", "Cultural Anthropology", "Anthropology"),
]


def _user(password_hash: str, institution, username, first, last, group, **extra) -> User:
    user, created = User.objects.get_or_create(
        username=username,
        defaults=dict(first_name=first, last_name=last,
                      **email_values(None, f"{username}@{institution.code}.example.edu", verified=True),  # the people file's
                      institution=institution, user_group=group, password=password_hash, **extra),
    )
    return user


def _roles(user, roles, department: str = ""):
    for role in roles:
        RoleAssignment.objects.get_or_create(user=user, role=role, scope=Scope.INSTITUTION, institution=user.institution)


def load(stdout) -> None:
    if Consortium.objects.filter(code="northern").exists():
        return
    rnd = random.Random(42)
    pw = make_password(DEMO_PASSWORD)
    consortium = Consortium.objects.create(code="northern", name="Northern Universities Consortium")
    a = Institution.objects.create(consortium=consortium, code="riverside", name="Riverside University", short_name="Riverside",
                                   primary_color="#1f4e79", accent_color="#f2a900")
    b = Institution.objects.create(consortium=consortium, code="hillcrest", name="Hillcrest College", short_name="Hillcrest",
                                   primary_color="#5b2a86", accent_color="#8fd14f")
    main = Library.objects.create(institution=a, code="riverside-main", name="Riverside Main Library",
                                  open_weekdays="mon,tue,wed,thu,fri", opening_hours="Mon–Fri 08:00–20:00",
                                  timezone="Europe/London")
    sci = Library.objects.create(institution=a, code="riverside-science", name="Riverside Science Library",
                                 open_weekdays="mon,tue,wed,thu,fri,sat", opening_hours="Mon–Sat 09:00–18:00",
                                 timezone="Europe/London")
    hill = Library.objects.create(institution=b, code="hillcrest-main", name="Hillcrest Library",
                                  open_weekdays="mon,tue,wed,thu,fri", opening_hours="Mon–Fri 08:30–17:30",
                                  timezone="Europe/Dublin")
    year = clock.today().year
    for lib in (main, sci, hill):
        ClosedDate.objects.create(library=lib, start=dt.date(year, 12, 24), end=dt.date(year + 1, 1, 2), description="Winter closure")
        ClosedDate.objects.create(library=lib, start=dt.date(year + 1, 4, 18), end=dt.date(year + 1, 4, 21), description="Spring holiday")
    ClosedDate.objects.create(library=sci, start=dt.date(year + 1, 2, 14), end=dt.date(year + 1, 2, 14), description="Stocktaking")

    groups = {}
    for inst in (a, b):
        for code, name in (("undergraduate", "Undergraduate"), ("postgraduate", "Postgraduate"), ("faculty", "Faculty"), ("staff", "Staff")):
            groups[inst.code, code] = UserGroup.objects.create(institution=inst, code=code, name=name)

    people = {}
    for inst, suffix in ((a, ""), (b, "2")):
        g = lambda code: groups[inst.code, code]  # noqa: E731, B023 — used inside this iteration only
        admin = _user(pw, inst, f"admin{suffix}", "Alex", "Admin", g("staff"), is_staff=True)
        _roles(admin, [Role.GENERAL_SYSTEM_ADMINISTRATOR])
        librarian = _user(pw, inst, f"librarian{suffix}", "Lee", "Librarian", g("staff"))
        _roles(librarian, STAFF_ROLES)
        instructor = _user(pw, inst, f"instructor{suffix}", "Irene", "Instructor", g("faculty"), phone="+15550100" + (suffix or "1"))
        student = _user(pw, inst, f"student{suffix}", "Sam", "Student", g("undergraduate"), phone="+15550200" + (suffix or "1"))
        people[inst.code] = (admin, librarian, instructor, student)
    colleague = _user(pw, a, "prof.moreau", "Claire", "Moreau", groups["riverside", "faculty"])
    students = [_user(pw, a, f"s{n:03d}", f"Student{n:03d}", rnd.choice(["Smith", "Jones", "Brown", "Taylor", "Wilson", "Evans"]),
                      groups["riverside", "undergraduate" if n <= 40 else "postgraduate"]) for n in range(1, 51)]

    term = f"{year}F"
    start, end = dt.date(year, 9, 1), dt.date(year, 12, 18)
    for inst, rows in ((a, COURSES_A), (b, COURSES_B)):
        _admin, _lib, instructor, student = people[inst.code]
        for i, (code, name, dept) in enumerate(rows):
            course = Course.objects.create(institution=inst, code=code, name=name, section="01", department=dept, term=term,
                                           start_date=start, end_date=end, number_of_students=rnd.randint(20, 240))
            if i % 3 == 0 or i < 4:
                course.instructors.add(instructor)
            elif inst == a:
                course.instructors.add(colleague)
            if i % 2 == 0 or i < 3:
                Enrollment.objects.create(course=course, user=student)
            if inst == a:
                for s in rnd.sample(students, 12):
                    Enrollment.objects.get_or_create(course=course, user=s)
    stdout.write("  organisation and courses: 2 institutions, 3 libraries, "
                 f"{Course.objects.count()} courses, {User.objects.count()} users")


LOGINS = [
    ("admin", "General System Administrator, Riverside University (also /admin/)"),
    ("librarian", "Librarian (Course Reserves, Fulfillment, Letters...), Riverside University"),
    ("instructor", "Instructor, Riverside University"),
    ("student", "Student, Riverside University"),
    ("admin2", "General System Administrator, Hillcrest College"),
    ("librarian2", "Librarian, Hillcrest College"),
    ("instructor2", "Instructor, Hillcrest College"),
    ("student2", "Student, Hillcrest College"),
    ("s001 … s050", "more students, Riverside University"),
]

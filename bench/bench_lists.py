"""Resource lists at the size of a large university (LST acceptance 5, issue 3 bench).

Generates (bulk_create, once per database) ≥ 5,000 lists, ≥ 200,000 citations and ≥ 30,000
students — ``--quick``: 250 lists, 10,000 citations, 1,500 students — then measures, through
Django's test client on the same process (server time: middleware + view + template + database):

- the student list view of a 200-item list and of a 20-item list: p50/p95 and queries per request;
- the librarian task list (page of 50 lists; default tab, and with filters and a sort);
- the API ``GET /api/v1/lists/{id}`` of the 200-item list;
- the trivial endpoint ``/healthz`` on the same server, and each page's p50 ratio to it.

    python -m bench lists            # full size (SQLite file var/bench/lists.sqlite3, or DATABASE_URL)
    python -m bench lists --quick
"""
from __future__ import annotations

import random
import time

from bench.common import bulk_insert, line, setup_django, stopwatch, summary

FULL = {"lists": 5_000, "citations": 200_000, "students": 30_000, "courses": 2_600, "instructors": 1_200, "runs": 200}
QUICK = {"lists": 250, "citations": 10_000, "students": 1_500, "courses": 130, "instructors": 60, "runs": 40}
INST = "bench-lists-u"
DEPARTMENTS = ["History", "English", "Biology", "Chemistry", "Physics", "Mathematics", "Computer Science", "Economics",
               "Psychology", "Sociology", "Philosophy", "Law", "Music", "Art History", "Education", "Nursing", "Geography",
               "Politics", "Linguistics", "Management", "Statistics", "Anthropology", "Medicine", "Engineering"]
TERMS = ["2026S", "2026F", "2027S"]
WORDS = ["History", "Theory", "Practice", "Society", "Culture", "Economy", "Nature", "Power", "Science", "Language", "Mind",
         "Revolution", "Empire", "Markets", "Cities", "Evolution", "Energy", "Justice", "Memory", "Design", "Networks"]
SURNAMES = ["Smith", "Jones", "Brown", "Taylor", "Wilson", "Evans", "Martin", "Dubois", "Garcia", "Nguyen", "Kowalski",
            "Okafor", "Tanaka", "Rossi", "Novak", "Haddad", "Silva", "Larsen", "Murphy", "Schmidt"]
GIVEN = ["Ada", "Ben", "Chloé", "David", "Eve", "Farid", "Grace", "Hiro", "Ines", "Jonas", "Kemi", "Lena", "Marco", "Nadia"]


def _templates(n: int, rnd: random.Random) -> list[tuple[str, dict, str]]:
    """``n`` distinct works (type, CSL-JSON, formatted HTML), formatted once each."""
    from syllabus.citations.bibliography import format_citation

    out = []
    for i in range(n):
        kind = ("book", "article", "book_chapter", "website", "video_audio")[i % 5]
        title = f"{rnd.choice(WORDS)} and {rnd.choice(WORDS)}: {rnd.choice(WORDS).lower()} in question {i}"
        author = [{"family": rnd.choice(SURNAMES), "given": rnd.choice(GIVEN)}]
        year = {"date-parts": [[rnd.randint(1950, 2025)]]}
        if kind == "book":
            meta = {"type": "book", "title": title, "author": author, "issued": year, "publisher": "University Press"}
        elif kind == "article":
            meta = {"type": "article-journal", "title": title, "author": author, "issued": year,
                    "container-title": f"Journal of {rnd.choice(WORDS)}", "volume": str(rnd.randint(1, 80)),
                    "page": f"{(p := rnd.randint(1, 400))}–{p + rnd.randint(5, 30)}"}
        elif kind == "book_chapter":
            meta = {"type": "chapter", "title": title, "author": author, "issued": year,
                    "container-title": f"Handbook of {rnd.choice(WORDS)}", "publisher": "Routledge"}
        elif kind == "website":
            meta = {"type": "webpage", "title": title, "URL": f"https://example.org/{i}", "issued": year}
        else:
            meta = {"type": "motion_picture", "title": title, "issued": year, "publisher": "BBC"}
        our = {"article-journal": "article", "chapter": "book_chapter", "webpage": "website", "motion_picture": "video_audio"}
        out.append((our.get(meta["type"], meta["type"]), meta, format_citation(meta)))
    return out


def generate(size: dict, stdout=print) -> dict:
    """Build the university in bulk; returns the ids the measurements need."""
    from django.contrib.auth.hashers import make_password
    from django.db import transaction

    from syllabus.core import clock
    from syllabus.courses.models import Course, Enrollment
    from syllabus.lists.models import Citation, LibrarianTask, ResourceList, Section
    from syllabus.lists.workflow import ItemStatus, ListStatus, Visibility
    from syllabus.org.models import Consortium, Institution, RoleAssignment, User, UserGroup
    from syllabus.org.roles import Role, Scope

    rnd = random.Random(2026)
    now = clock.now()
    pw = make_password("bench")
    with transaction.atomic():
        cons, _ = Consortium.objects.get_or_create(code="bench-lists", defaults={"name": "Bench consortium"})
        inst = Institution.objects.create(consortium=cons, code=INST, name="Large Bench University")
        groups = {c: UserGroup.objects.create(institution=inst, code=c, name=c.title()) for c in ("undergraduate", "faculty", "staff")}

        def users(prefix, n, group):
            User.objects.bulk_create([User(username=f"{prefix}{i:05d}", institution=inst, user_group=groups[group], password=pw,
                                           first_name=rnd.choice(GIVEN), last_name=rnd.choice(SURNAMES))
                                      for i in range(n)], batch_size=2000)
            return list(User.objects.filter(institution=inst, username__startswith=prefix).order_by("id").values_list("id", flat=True))

        students = users("bs", size["students"], "undergraduate")
        instructors = users("bi", size["instructors"], "faculty")
        librarians = users("bl", 5, "staff")
        RoleAssignment.objects.bulk_create([RoleAssignment(user_id=u, role=Role.COURSE_RESERVES_OPERATOR, scope=Scope.INSTITUTION,
                                                           institution=inst) for u in librarians])
        Course.objects.bulk_create([
            Course(institution=inst, code=f"{DEPARTMENTS[i % len(DEPARTMENTS)][:4].upper()}{100 + i:04d}", section="01",
                   name=f"{rnd.choice(WORDS)} of {rnd.choice(WORDS)}", department=DEPARTMENTS[i % len(DEPARTMENTS)],
                   term=TERMS[i % len(TERMS)], number_of_students=rnd.randint(10, 300))
            for i in range(size["courses"])], batch_size=2000)
        courses = list(Course.objects.filter(institution=inst).order_by("id").values_list("id", flat=True))
        Course.instructors.through.objects.bulk_create([Course.instructors.through(course_id=c, user_id=instructors[i % len(instructors)])
                                                        for i, c in enumerate(courses)], batch_size=5000)
        enrolments = set()
        for s in students:
            for c in rnd.sample(courses, 5):
                enrolments.add((c, s))
        bench_student = students[0]
        for c in courses[:2]:
            enrolments.add((c, bench_student))
        Enrollment.objects.bulk_create([Enrollment(course_id=c, user_id=u, created_at=now) for c, u in enrolments], batch_size=5000)
    stdout(f"  people and courses: {len(students)} students, {len(instructors)} instructors, {len(courses)} courses, "
           f"{len(enrolments)} enrolments")

    templates = _templates(500 if size["citations"] >= 100_000 else 100, rnd)
    statuses = [ListStatus.BEING_PREPARED] * 3 + [ListStatus.SENT_TO_LIBRARY] * 3 + [ListStatus.IN_PROCESS] * 2 + [ListStatus.COMPLETE] * 2
    n_lists = size["lists"]
    # item counts: the first list has 200 items, the second 20, the rest share the remainder
    rest = size["citations"] - 220
    counts = [200, 20] + [max(1, int(rnd.triangular(5, rest * 2 / (n_lists - 2) - 5))) for _ in range(n_lists - 2)]
    scale = rest / sum(counts[2:])
    counts[2:] = [max(1, round(c * scale)) for c in counts[2:]]
    counts[-1] += size["citations"] - sum(counts)
    with transaction.atomic():
        lists = []
        for i in range(n_lists):
            status = statuses[i % len(statuses)] if i >= 2 else ListStatus.COMPLETE
            assignee = None if status == ListStatus.BEING_PREPARED or rnd.random() < 0.3 else librarians[rnd.randrange(5)]
            lists.append(ResourceList(institution=inst, title=f"{rnd.choice(WORDS)} {rnd.choice(WORDS)} readings {i}",
                                      status=status, visibility=Visibility.PUBLISHED if i < 2 or rnd.random() < 0.8 else Visibility.DRAFT,
                                      assignee_id=assignee, created_at=now, updated_at=now,
                                      sent_at=None if status == ListStatus.BEING_PREPARED else now))
        ResourceList.objects.bulk_create(lists, batch_size=2000)
        list_ids = list(ResourceList.objects.filter(institution=inst).order_by("id").values_list("id", flat=True))
        through = ResourceList.courses.through
        through.objects.bulk_create([through(resourcelist_id=lid, course_id=courses[0] if n == 0 else courses[1] if n == 1 else courses[n % len(courses)])
                                     for n, lid in enumerate(list_ids)], batch_size=5000)
        owners = ResourceList.owners.through
        owners.objects.bulk_create([owners(resourcelist_id=lid, user_id=instructors[n % len(instructors)]) for n, lid in enumerate(list_ids)],
                                   batch_size=5000)
        sections = []
        n_sections = {}
        for n, lid in enumerate(list_ids):
            k = 10 if n == 0 else max(1, min(12, counts[n] // 6))
            n_sections[lid] = k
            sections.extend(Section(resource_list_id=lid, title=f"Week {w + 1}", position=w) for w in range(k))
        Section.objects.bulk_create(sections, batch_size=5000)
        section_ids: dict[int, list[int]] = {}
        for sid, lid in Section.objects.filter(resource_list_id__in=list_ids).order_by("resource_list_id", "position").values_list("id", "resource_list_id"):
            section_ids.setdefault(lid, []).append(sid)
        item_status = {ListStatus.BEING_PREPARED: [ItemStatus.BEING_PREPARED],
                       ListStatus.SENT_TO_LIBRARY: [ItemStatus.READY_FOR_PROCESSING],
                       ListStatus.IN_PROCESS: [ItemStatus.READY_FOR_PROCESSING, ItemStatus.IN_PROCESS, ItemStatus.COMPLETE],
                       ListStatus.COMPLETE: [ItemStatus.COMPLETE, ItemStatus.COMPLETE, ItemStatus.DECLINED]}
        def citations():
            for n, lid in enumerate(list_ids):
                secs = section_ids[lid]
                for j in range(counts[n]):
                    ctype, meta, formatted = templates[rnd.randrange(len(templates))]
                    yield Citation(
                        resource_list_id=lid, section_id=secs[j * len(secs) // counts[n]], position=j, type=ctype, metadata=meta,
                        title=meta["title"], status=rnd.choice(item_status[lists[n].status]), tags=[rnd.choice(["essential", "recommended", "optional"])],
                        public_note="Read before class." if j % 7 == 0 else "", formatted=formatted, formatted_style="apa",
                        created_at=now, updated_at=now)

        total = bulk_insert(Citation, citations())
        LibrarianTask.objects.bulk_create([
            LibrarianTask(resource_list_id=lid, kind=rnd.choice(["list_sent", "changed"]), detail="bench", created_at=now, updated_at=now)
            for n, lid in enumerate(list_ids) if lists[n].status != ListStatus.BEING_PREPARED and rnd.random() < 0.25], batch_size=5000)
    stdout(f"  lists: {len(list_ids)} lists, {len(sections)} sections, {total} citations")
    return ids()


def ids() -> dict:
    from syllabus.lists.models import ResourceList
    from syllabus.org.models import User

    first = list(ResourceList.objects.filter(institution__code=INST).order_by("id").values_list("id", flat=True)[:2])
    return {"list200": first[0], "list20": first[1],
            "student": User.objects.get(username="bs00000").pk, "librarian": User.objects.get(username="bl00000").pk}


def _time(client, url: str, runs: int) -> tuple[list[float], int]:
    from django.db import connection

    r = client.get(url)  # warm-up
    assert r.status_code == 200, (url, r.status_code)
    count = {"n": 0}

    def counter(execute, sql, params, many, context):  # survives request_started's reset_queries
        count["n"] += 1
        return execute(sql, params, many, context)

    with connection.execute_wrapper(counter):
        client.get(url)
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(url)
        if hasattr(response, "streaming_content"):
            b"".join(response.streaming_content)
        samples.append(time.perf_counter() - start)
        assert response.status_code == 200
    return samples, count["n"]


def run(args) -> None:
    size = QUICK if args.quick else FULL
    setup_django("lists_quick" if args.quick else "lists")
    from django.db import connection
    from django.test import Client

    from syllabus.courses.models import Enrollment
    from syllabus.lists.models import Citation, ResourceList
    from syllabus.org.models import Institution, User

    if not Institution.objects.filter(code=INST).exists():
        with stopwatch() as gen:
            ref = generate(size)
        line("lists: generated university", seconds=gen["seconds"])
    else:
        ref = ids()
    n_lists = ResourceList.objects.filter(institution__code=INST).count()
    n_cit = Citation.objects.filter(resource_list__institution__code=INST).count()
    n_students = User.objects.filter(institution__code=INST, username__startswith="bs").count()
    line("lists: data set", db=connection.vendor, lists=n_lists, citations=n_cit, students=n_students,
         enrolments=Enrollment.objects.filter(course__institution__code=INST).count())
    assert Citation.objects.filter(resource_list_id=ref["list200"]).count() == 200
    assert Citation.objects.filter(resource_list_id=ref["list20"]).count() == 20

    runs = size["runs"]
    student, librarian = Client(), Client()
    student.force_login(User.objects.get(pk=ref["student"]))
    librarian.force_login(User.objects.get(pk=ref["librarian"]))
    health, _ = _time(Client(), "/healthz", runs)
    base = summary(health)
    line("healthz (trivial endpoint)", p50_ms=base["p50_ms"], p95_ms=base["p95_ms"])
    cases = [
        ("student list view, 200 items", student, f"/lists/{ref['list200']}/"),
        ("student list view, 20 items", student, f"/lists/{ref['list20']}/"),
        ("API GET list, 200 items", student, f"/api/v1/lists/{ref['list200']}"),
        ("librarian task list (unassigned)", librarian, "/lists/tasks/?tab=unassigned"),
        ("librarian task list (mine)", librarian, "/lists/tasks/?tab=mine"),
        ("task list: sent + sort code", librarian, "/lists/tasks/?tab=others&status=sent_to_library&sort=code"),
        ("task list: items ready, dept", librarian, "/lists/tasks/?tab=unassigned&item_status=ready_for_processing&department=History"),
        ("librarian list detail, 200 items", librarian, f"/lists/{ref['list200']}/library/"),
    ]
    for name, client, url in cases:
        samples, queries = _time(client, url, runs)
        s = summary(samples)
        line(name, p50_ms=s["p50_ms"], p95_ms=s["p95_ms"], queries=queries, x_healthz_p50=s["p50_ms"] / base["p50_ms"])

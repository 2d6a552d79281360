"""Changes of state for courses (CRS-1..3): create, update, enrol, and the CSV course loader."""
from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Iterable

from django.db import DatabaseError, IntegrityError, transaction
from django.db.models.functions import Coalesce, Lower

from syllabus.core import audit, clock
from syllabus.core.dates import typed_date
from syllabus.core.errors import RuleViolation, refuse_too_long
from syllabus.core.loading import ImportReport, csv_rows
from syllabus.org.models import Institution, User, typed_username

from .models import Course, CourseSisId, Enrollment
from .permissions import can_manage_courses, can_see_roster, ensure_can_manage_courses  # noqa: F401  (re-exported)

EDITABLE_FIELDS = ("code", "name", "section", "department", "term", "start_date", "end_date", "number_of_students")
MAX_STUDENTS = 2_147_483_647  # the largest value every database stores in the column
CSV_COLUMNS = ("code", "name", "section", "department", "term", "start_date", "end_date", "number_of_students", "instructors",
               "sis_ids")
MAX_SIS_IDS = 50   # SIS ids of one course: a course cross-listed in a few sections, never a whole catalogue


def _clean(values: dict) -> dict:
    out = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    for key in ("code", "name", "section", "department", "term"):
        if key in out:
            out[key] = (out[key] or "").strip()
    if "code" in out and not out["code"]:
        raise RuleViolation("CRS-1", "a course needs a code", field="code")
    if "name" in out and not out["name"]:
        raise RuleViolation("CRS-1", "a course needs a name", field="name")
    refuse_too_long("CRS-1", Course, **{k: out[k] for k in ("code", "name", "section", "department", "term") if k in out})
    if "number_of_students" in out:
        n = out["number_of_students"]
        if n in (None, ""):
            out["number_of_students"] = 0
        elif int(n) < 0:
            raise RuleViolation("CRS-1", "number of students cannot be negative", field="number_of_students")
        elif int(n) > MAX_STUDENTS:
            raise RuleViolation("CRS-1", f"number of students cannot exceed {MAX_STUDENTS:,}", field="number_of_students")
    return out


def _check_dates(start: dt.date | None, end: dt.date | None) -> None:
    if start and end and end < start:
        raise RuleViolation("CRS-1", "the end date is before the start date", field="end_date")


def create_course(actor: User | None, institution: Institution, *, instructors: Iterable[User] = (), **values) -> Course:
    values = _clean(values)
    _check_dates(values.get("start_date"), values.get("end_date"))
    try:
        with transaction.atomic():
            course = Course.objects.create(institution=institution, **values)
            if instructors:
                course.instructors.set(instructors)
            audit.created(actor, course)
            return course
    except IntegrityError:
        raise RuleViolation("CRS-1", "a course with this code, section and term already exists", status=409)


def update_course(actor: User | None, course: Course, *, instructors: Iterable[User] | None = None, **values) -> dict:
    """Apply changes; returns ``{field: [old, new]}`` of what changed (recorded in the audit trail)."""
    values = _clean(values)
    _check_dates(values.get("start_date", course.start_date), values.get("end_date", course.end_date))
    try:
        with transaction.atomic():
            changes = audit.update(actor, course, **values)
            if instructors is not None:
                before = sorted(course.instructors.values_list("username", flat=True))
                course.instructors.set(list(instructors))
                after = sorted(course.instructors.values_list("username", flat=True))
                if before != after:
                    audit.changed(actor, course, {"instructors": [before, after]})
                    changes["instructors"] = [before, after]
            return changes
    except IntegrityError:
        raise RuleViolation("CRS-1", "a course with this code, section and term already exists", status=409)


def enroll(actor: User | None, course: Course, user: User) -> Enrollment:
    with transaction.atomic():
        enrollment, created = Enrollment.objects.get_or_create(course=course, user=user)
        if created:
            audit.event(actor, course, "enrolled", note=user.username)
        return enrollment


def unenroll(actor: User | None, course: Course, user: User) -> None:
    with transaction.atomic():
        if Enrollment.objects.filter(course=course, user=user).delete()[0]:
            audit.event(actor, course, "unenrolled", note=user.username)


# --- SIS ids (LMS-1: an LMS launch finds the course by its LIS sourcedId) -----------------------

def split_sis_ids(value) -> list[str]:
    """SIS ids written one after the other, separated by commas (as an LMS sends a cross-listed
    course's sections, and as the course file's ``sis_ids`` column takes them): stripped, in
    order, each once."""
    found: list[str] = []
    for part in str(value or "").split(","):
        part = part.strip()
        if part and part not in found:
            found.append(part)
    return found


def set_sis_ids(actor: User | None, course: Course, sis_ids: Iterable[str]) -> dict:
    """Make the course's SIS ids exactly ``sis_ids`` (its LIS course offering and/or section
    sourcedIds; several for a course cross-listed in the SIS), audited.  An id that already names
    another course of the institution is refused (CRS-2), as are more than MAX_SIS_IDS ids or one
    longer than its column.  Returns ``{"sis_ids": [before, after]}`` when they changed."""
    wanted = split_sis_ids(",".join(sis_ids))
    if len(wanted) > MAX_SIS_IDS:
        raise RuleViolation("CRS-2", f"a course has at most {MAX_SIS_IDS} SIS ids, not {len(wanted)}", field="sis_ids")
    for sis_id in wanted:
        refuse_too_long("CRS-2", CourseSisId, sis_id=sis_id)
    with transaction.atomic():
        taken = (CourseSisId.objects.filter(institution_id=course.institution_id, sis_id__in=wanted)
                 .exclude(course=course).select_related("course").first())
        if taken is not None:
            raise RuleViolation("CRS-2", f"the SIS id {taken.sis_id} already names the course {taken.course}", field="sis_ids")
        before = sorted(CourseSisId.objects.filter(course=course).values_list("sis_id", flat=True))
        if before == sorted(wanted):
            return {}
        CourseSisId.objects.filter(course=course).exclude(sis_id__in=wanted).delete()
        CourseSisId.objects.bulk_create([CourseSisId(institution_id=course.institution_id, course=course, sis_id=s)
                                         for s in wanted if s not in before])
        audit.changed(actor, course, {"sis_ids": [before, sorted(wanted)]})
    return {"sis_ids": [before, sorted(wanted)]}


# --- the course loader (CRS-2) --------------------------------------------------------

class _RowError(Exception):
    pass


def _parse_date(raw: str, column: str) -> dt.date | None:
    try:
        return typed_date(raw)
    except ValueError:
        raise _RowError(f"bad {column} {raw.strip()!r} (expected YYYY-MM-DD)") from None


class _People:
    """Instructors of one institution by lower-cased username and e-mail, loaded once — by a verified
    e-mail only: an address a person typed in their contact details, or an identity provider that
    does not verify addresses sent, never makes them the instructor of a course (User.email_verified)."""

    def __init__(self, institution: Institution):
        self.by_key: dict[str, User] = {}
        for u in User.objects.filter(institution=institution).only("id", "username", "email", "email_verified"):
            self.by_key[u.username.lower()] = u
            if u.email and u.email_verified:
                self.by_key.setdefault(u.email.lower(), u)

    def resolve(self, raw: str) -> list[User]:
        people, unknown = [], []
        for token in (t.strip() for t in (raw or "").split(";")):
            if not token:
                continue
            user = self.by_key.get(token.lower())
            (people if user else unknown).append(user or token)
        if unknown:
            raise _RowError(f"unknown instructor {', '.join(unknown)}")
        return people


def import_courses(source: str | bytes | io.IOBase, institution: Institution, actor: User | None = None) -> ImportReport:
    """Load courses from CSV (see ``CSV_COLUMNS``), idempotent on (institution, code, section, term).

    Every row stands alone: a bad row is reported with its line number and reason and
    never stops or half-loads the others; a file that is not CSV (a NUL byte, an unclosed quote
    swallowing the rest, more rows than a loader takes) is refused as a whole, naming CRS-2."""
    report = ImportReport()
    # read whole before any row is written: a file refused at its line 500 leaves no course of lines 2-499
    rows = list(csv_rows(source, rule="CRS-2", required=("code", "name"), columns=CSV_COLUMNS))
    people = _People(institution)
    existing = {(c.code, c.section, c.term): c for c in Course.objects.filter(institution=institution).prefetch_related("instructors")}
    seen_in_file: dict[tuple, int] = {}

    for line, row in rows:
        present = row.keys() - {None}   # the header's columns: a DictReader row has every one
        try:
            if row.get(None):
                raise _RowError(f"{len(row[None])} more field(s) than the header has")
            values = {
                "code": (row.get("code") or "").strip(),
                "name": (row.get("name") or "").strip(),
                "section": (row.get("section") or "").strip(),
                "term": (row.get("term") or "").strip(),
            }
            # a column the file does not have is left as it is (a partial file never wipes data)
            if "department" in present:
                values["department"] = (row.get("department") or "").strip()
            for column in ("start_date", "end_date"):
                if column in present:
                    values[column] = _parse_date(row.get(column), column)
            if not values["code"]:
                raise _RowError("no code")
            if not values["name"]:
                raise _RowError("no name")
            if "number_of_students" in present:
                raw_n = (row.get("number_of_students") or "").strip()
                try:
                    values["number_of_students"] = int(raw_n) if raw_n else 0
                    if values["number_of_students"] < 0:
                        raise ValueError
                except ValueError:
                    raise _RowError(f"bad number_of_students {raw_n!r} (expected a whole number ≥ 0)")
            if values.get("start_date") and values.get("end_date") and values["end_date"] < values["start_date"]:
                raise _RowError("end_date is before start_date")
            instructors = people.resolve(row.get("instructors") or "") if "instructors" in present else None
            sis_ids = split_sis_ids(row.get("sis_ids")) if "sis_ids" in present else None
            key = (values["code"], values["section"], values["term"])
            if key in seen_in_file:
                raise _RowError(f"duplicate of line {seen_in_file[key]} (same code, section and term)")
            seen_in_file[key] = line
            label = values["code"] + (f"-{values['section']}" if values["section"] else "") + (f" ({values['term']})" if values["term"] else "")

            with transaction.atomic():
                course = existing.get(key)
                if course is None:
                    course = create_course(actor, institution, instructors=instructors or (), **values)
                    if sis_ids:
                        set_sis_ids(actor, course, sis_ids)
                    existing[key] = course
                    report.created += 1
                    report.lines.append(f"line {line}: created {label}")
                else:
                    current = sorted(u.pk for u in course.instructors.all())
                    wanted = current if instructors is None else sorted(u.pk for u in instructors)
                    changes = update_course(actor, course, instructors=instructors if current != wanted else None, **values)
                    if sis_ids is not None:
                        changes.update(set_sis_ids(actor, course, sis_ids))
                    if changes:
                        report.updated += 1
                        report.lines.append(f"line {line}: updated {label} ({', '.join(sorted(changes))})")
                    else:
                        report.unchanged += 1
        except (_RowError, RuleViolation) as exc:
            report.reject(line, exc.detail if isinstance(exc, RuleViolation) else str(exc))
        except DatabaseError as exc:  # the row's savepoint is rolled back; the database refused a value
            report.reject(line, f"the database refused the row ({str(exc).splitlines()[0][:200]})")
            existing.pop(key, None)  # its in-memory copy may hold the refused values: read it again
            reloaded = Course.objects.filter(institution=institution, code=key[0], section=key[1], term=key[2]).first()
            if reloaded is not None:
                existing[key] = reloaded
    return report


# --- rosters: who is enrolled, from loaders, the API, pages and the LMS (CRS-2, LMS-2) ---------

STUDENT, INSTRUCTOR = "student", "instructor"
ROSTER_ROLES = (STUDENT, INSTRUCTOR)
ENROLMENT_COLUMNS = ("course_code", "section", "term", "username", "role")
MAX_ROSTER = 50_000  # people in one roster sent through the API


@dataclass
class RosterChanges:
    created: list[tuple[int, int, str]] = field(default_factory=list)   # (course id, user id, role)
    updated: list[tuple[int, int, str]] = field(default_factory=list)   # role changed to this one
    unchanged: int = 0
    removed: list[tuple[int, int, str]] = field(default_factory=list)
    usernames: dict[int, str] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {"created": len(self.created), "updated": len(self.updated), "unchanged": self.unchanged,
                "removed": len(self.removed)}


# at most this many people named without a course to replace: their own memberships are read, not
# their courses' whole rosters (an LTI launch names one person of a course of hundreds)
FEW_PEOPLE = 500


def _memberships(course_ids, user_ids=None) -> dict[tuple[int, int], str]:
    """Current ``{(course id, user id): role}`` of the courses (instructor wins over student); of
    ``user_ids`` only, when given."""
    from syllabus.core.loading import chunks

    Teaching = Course.instructors.through
    current: dict[tuple[int, int], str] = {}
    for part in chunks(course_ids, 1000):
        enrolled, teaching = Enrollment.objects.filter(course_id__in=part), Teaching.objects.filter(course_id__in=part)
        if user_ids is not None:
            enrolled, teaching = enrolled.filter(user_id__in=user_ids), teaching.filter(user_id__in=user_ids)
        current.update({pair: STUDENT for pair in enrolled.values_list("course_id", "user_id")})
        current.update({pair: INSTRUCTOR for pair in teaching.values_list("course_id", "user_id")})
    return current


def apply_roster(actor: User | None, courses: dict[int, Course], wanted: dict[tuple[int, int], str], *,
                 replace: Iterable[int] = (), keep: Iterable[tuple[int, int]] = (), source: str = "") -> RosterChanges:
    """Make the memberships ``wanted`` (``{(course id, user id): "student" | "instructor"}``) true,
    in bulk and in one transaction; a person whose role differs has it changed.  For the courses
    in ``replace``, everyone else is removed except the pairs in ``keep``.  Each change is one
    audit entry on the course (``enrolled``/``unenrolled``, ``instructor added``/``instructor removed``)."""
    from syllabus.core.loading import chunks

    Teaching = Course.instructors.through
    replace = set(replace)
    keep = set(keep)
    people = {u for _, u in wanted}
    # without a course to replace only the wanted pairs are compared: their people's rows suffice
    # (a launch at term start reads one row, not the roster of a course of 1,000 students)
    current = _memberships({c for c, _ in wanted} | replace,
                           user_ids=people if not replace and len(people) <= FEW_PEOPLE else None)
    out = RosterChanges()
    for pair, role in wanted.items():
        have = current.get(pair)
        if have == role:
            out.unchanged += 1
        elif have is None:
            out.created.append((*pair, role))
        else:
            out.updated.append((*pair, role))
    for pair, role in current.items():
        if pair[0] in replace and pair not in wanted and pair not in keep:
            out.removed.append((*pair, role))
    user_ids = {u for _, u, _ in out.created + out.updated + out.removed}
    if not user_ids:
        return out   # nothing to write (a returning student's launch): no transaction
    for part in chunks(user_ids):
        out.usernames.update(User.objects.filter(id__in=part).values_list("id", "username"))

    def drop(pairs, model):
        by_course: dict[int, list[int]] = {}
        for c, u in pairs:
            by_course.setdefault(c, []).append(u)
        for c, users in by_course.items():
            for part in chunks(users):
                model.objects.filter(course_id=c, user_id__in=part).delete()

    now = clock.now()
    with transaction.atomic():
        new = out.created + out.updated
        Enrollment.objects.bulk_create([Enrollment(course_id=c, user_id=u, created_at=now) for c, u, r in new if r == STUDENT],
                                       batch_size=2000)
        Teaching.objects.bulk_create([Teaching(course_id=c, user_id=u) for c, u, r in new if r == INSTRUCTOR], batch_size=2000)
        # a changed role leaves the other one; a removal leaves the one held
        drop([(c, u) for c, u, r in out.updated if r == INSTRUCTOR] + [(c, u) for c, u, r in out.removed if r == STUDENT], Enrollment)
        drop([(c, u) for c, u, r in out.updated if r == STUDENT] + [(c, u) for c, u, r in out.removed if r == INSTRUCTOR], Teaching)
        note = f" ({source})" if source else ""

        def entry(c, u, action):
            return Course, c, str(courses[c]), action, {}, out.usernames.get(u, str(u)) + note

        audit.many(actor, [
            *(entry(c, u, "enrolled" if r == STUDENT else "instructor added") for c, u, r in out.created),
            *(entry(c, u, "role changed") for c, u, r in out.updated),
            *(entry(c, u, "unenrolled" if r == STUDENT else "instructor removed") for c, u, r in out.removed),
        ])
        Course.objects.filter(pk__in={c for c, _, _ in out.created + out.updated + out.removed}).update(updated_at=now)
    return out


def _course_label(c: Course) -> str:
    return c.code + (f"-{c.section}" if c.section else "") + (f" ({c.term})" if c.term else "")


def import_enrolments(source, institution: Institution, actor: User | None = None, *, replace: bool = False) -> ImportReport:
    """Load enrolments from CSV (``ENROLMENT_COLUMNS``; role ``student`` or ``instructor``), idempotent.

    With ``replace``, the people of the courses named in the file who are not in it are removed
    (a person on a rejected row is kept: a typo never unenrols anyone).  Bulk: courses, people
    and memberships are read once and written in batches in one transaction."""
    from syllabus.core.loading import RowError, cell, csv_rows

    report = ImportReport(removed=0 if replace else None)
    rows = csv_rows(source, rule="CRS-2", required=("course_code", "username", "role"), columns=ENROLMENT_COLUMNS)
    courses = {(c.code, c.section, c.term): c for c in Course.objects.filter(institution=institution).only("id", "code", "section", "term", "name")}
    by_id = {c.pk: c for c in courses.values()}
    # a username of an account merged into another (ORG-MERGE) enrols the account it became
    people = {name.lower(): pk for name, pk in User.objects.filter(institution=institution)
              .values_list("username", Coalesce("merged_into_id", "id"))}
    wanted: dict[tuple[int, int], str] = {}
    lines: dict[tuple[int, int], int] = {}
    keep: set[tuple[int, int]] = set()
    for line, row in rows:
        course = user_id = None
        try:
            if row.get(None):
                raise RowError(f"{len(row[None])} more field(s) than the header has")
            code, section, term = cell(row, "course_code"), cell(row, "section"), cell(row, "term")
            username, role = cell(row, "username"), cell(row, "role").lower()
            if not code:
                raise RowError("no course_code")
            if not username:
                raise RowError("no username")
            course = courses.get((code, section, term))
            user_id = people.get(username.lower())
            if course is None:
                raise RowError(f"unknown course {code}{'-' + section if section else ''}{f' ({term})' if term else ''}")
            if user_id is None:
                raise RowError(f"unknown user {username}")
            if role not in ROSTER_ROLES:
                raise RowError(f"bad role {role!r} (expected student or instructor)")
            pair = (course.pk, user_id)
            if pair in lines:
                raise RowError(f"duplicate of line {lines[pair]} (same course and person)")
            lines[pair] = line
            wanted[pair] = role
        except RowError as exc:
            report.reject(line, str(exc))
            if course is not None and user_id is not None:
                keep.add((course.pk, user_id))
    changes = apply_roster(actor, by_id, wanted, replace={c for c, _ in wanted} if replace else (), keep=keep,
                           source="enrolment loader")
    report.created, report.updated, report.unchanged = len(changes.created), len(changes.updated), changes.unchanged
    for verb, items in (("created", changes.created), ("updated", changes.updated)):
        for c, u, r in items:
            report.lines.append(f"line {lines[(c, u)]}: {verb} {changes.usernames[u]} in {_course_label(by_id[c])} as {r}")
    report.lines.sort(key=lambda text: int(text.split(":", 1)[0].split()[1]))
    if replace:
        report.removed = len(changes.removed)
        for c, u, r in sorted(changes.removed):
            report.lines.append(f"removed {changes.usernames[u]} ({r}) from {_course_label(by_id[c])}")
    return report


def set_roster(actor: User, course: Course, members: list[tuple[str, str]]) -> RosterChanges:
    """Replace a course's whole roster with ``members`` (``[(username, role)]``), all or nothing."""
    ensure_can_manage_courses(actor, course.institution)
    if len(members) > MAX_ROSTER:
        raise RuleViolation("CRS-2", f"a roster has at most {MAX_ROSTER:,} people")
    wanted_names: dict[str, str] = {}
    for username, role in members:
        if role not in ROSTER_ROLES:
            raise RuleViolation("CRS-2", f"bad role {role!r} for {username} (expected student or instructor)", field="role")
        if username.lower() in wanted_names:
            raise RuleViolation("CRS-2", f"{username} is listed twice", field="username")
        wanted_names[username.lower()] = role
    from syllabus.core.loading import chunks

    found: dict[str, int] = {}
    for part in chunks(list(wanted_names)):
        found.update((n.lower(), pk) for n, pk in User.objects.filter(institution_id=course.institution_id)
                     .annotate(lower=Lower("username")).filter(lower__in=part)
                     .values_list("username", Coalesce("merged_into_id", "id")))   # ORG-MERGE: the account it became
    missing = [n for n in wanted_names if n not in found]
    if missing:
        shown = ", ".join(missing[:10]) + (f" and {len(missing) - 10} more" if len(missing) > 10 else "")
        raise RuleViolation("CRS-2", f"unknown user(s) of {course.institution.code}: {shown}", field="username")
    wanted = {(course.pk, found[n]): role for n, role in wanted_names.items()}
    return apply_roster(actor, {course.pk: course}, wanted, replace={course.pk}, source="roster replaced")


def add_member(actor: User, course: Course, username: str, role: str = STUDENT) -> RosterChanges:
    ensure_can_manage_courses(actor, course.institution)
    if role not in ROSTER_ROLES:
        raise RuleViolation("CRS-2", f"bad role {role!r} (expected student or instructor)", field="role")
    user = User.objects.filter(institution_id=course.institution_id, username__iexact=typed_username(username)).first()
    if user is None:
        raise RuleViolation("CRS-2", f"no person {username!r} in {course.institution.code}", field="username", status=404)
    if user.merged_into_id is not None:   # ORG-MERGE: the account it was merged into
        user = User.objects.get(pk=user.merged_into_id)
    return apply_roster(actor, {course.pk: course}, {(course.pk, user.pk): role})


def remove_member(actor: User, course: Course, username: str) -> RosterChanges:
    ensure_can_manage_courses(actor, course.institution)
    user = User.objects.filter(institution_id=course.institution_id, username__iexact=typed_username(username)).first()
    current = _memberships([course.pk]) if user else {}
    if user is None or (course.pk, user.pk) not in current:
        raise RuleViolation("CRS-2", f"{username} is not in {_course_label(course)}", status=404)
    keep = {pair for pair in current if pair != (course.pk, user.pk)}
    return apply_roster(actor, {course.pk: course}, {}, replace={course.pk}, keep=keep)

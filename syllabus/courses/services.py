"""Changes of state for courses (CRS-1..3): create, update, enrol, and the CSV course loader."""
from __future__ import annotations

import csv
import datetime as dt
import io
from dataclasses import dataclass, field
from typing import Iterable

from django.db import DatabaseError, IntegrityError, transaction

from syllabus.core import audit
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.org.models import Institution, User
from syllabus.org.roles import Role

from .models import Course, Enrollment

EDITABLE_FIELDS = ("code", "name", "section", "department", "term", "start_date", "end_date", "number_of_students")
MAX_STUDENTS = 2_147_483_647  # the largest value every database stores in the column
CSV_COLUMNS = ("code", "name", "section", "department", "term", "start_date", "end_date", "number_of_students", "instructors")


def can_manage_courses(user: User, institution: Institution) -> bool:
    return user.is_superuser or user.has_any_role(
        Role.COURSE_RESERVES_OPERATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR, institution=institution
    )


def ensure_can_manage_courses(user: User, institution: Institution) -> None:
    if not can_manage_courses(user, institution):
        raise PermissionDenied("CRS-1", "only course reserves operators and administrators manage courses")


def _clean(values: dict) -> dict:
    out = {k: v for k, v in values.items() if k in EDITABLE_FIELDS}
    for key in ("code", "name", "section", "department", "term"):
        if key in out:
            out[key] = (out[key] or "").strip()
    if "code" in out and not out["code"]:
        raise RuleViolation("CRS-1", "a course needs a code", field="code")
    if "name" in out and not out["name"]:
        raise RuleViolation("CRS-1", "a course needs a name", field="name")
    for key in ("code", "name", "section", "department", "term"):
        limit = Course._meta.get_field(key).max_length
        if key in out and len(out[key]) > limit:
            raise RuleViolation("CRS-1", f"{key} is longer than {limit} characters", field=key)
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


# --- the course loader (CRS-2) --------------------------------------------------------

@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        return f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, rejected {self.rejected}"


class _RowError(Exception):
    pass


def _parse_date(raw: str, column: str) -> dt.date | None:
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return dt.date.fromisoformat(raw)
    except ValueError:
        raise _RowError(f"bad {column} {raw!r} (expected YYYY-MM-DD)")


class _People:
    """Instructors of one institution by lower-cased username and e-mail, loaded once."""

    def __init__(self, institution: Institution):
        self.by_key: dict[str, User] = {}
        for u in User.objects.filter(institution=institution).only("id", "username", "email"):
            self.by_key[u.username.lower()] = u
            if u.email:
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
    never stops or half-loads the others."""
    if isinstance(source, bytes):
        text = source.decode("utf-8-sig")
    elif isinstance(source, str):
        text = source.removeprefix("\ufeff")
    else:
        raw = source.read()
        text = raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.removeprefix("\ufeff")
    report = ImportReport()
    reader = csv.DictReader(io.StringIO(text, newline=""), skipinitialspace=False)
    header = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in ("code", "name") if c not in header]
    if missing:
        raise RuleViolation("CRS-2", f"the CSV header lacks the column(s) {', '.join(missing)}; expected {', '.join(CSV_COLUMNS)}")
    reader.fieldnames = header
    present = set(header)
    people = _People(institution)
    existing = {(c.code, c.section, c.term): c for c in Course.objects.filter(institution=institution).prefetch_related("instructors")}
    seen_in_file: dict[tuple, int] = {}

    for row in reader:
        line = reader.line_num
        if not any((v or "").strip() for k, v in row.items() if k is not None):
            continue
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
            key = (values["code"], values["section"], values["term"])
            if key in seen_in_file:
                raise _RowError(f"duplicate of line {seen_in_file[key]} (same code, section and term)")
            seen_in_file[key] = line
            label = values["code"] + (f"-{values['section']}" if values["section"] else "") + (f" ({values['term']})" if values["term"] else "")

            with transaction.atomic():
                course = existing.get(key)
                if course is None:
                    course = create_course(actor, institution, instructors=instructors or (), **values)
                    existing[key] = course
                    report.created += 1
                    report.lines.append(f"line {line}: created {label}")
                else:
                    current = sorted(u.pk for u in course.instructors.all())
                    wanted = current if instructors is None else sorted(u.pk for u in instructors)
                    changes = update_course(actor, course, instructors=instructors if current != wanted else None, **values)
                    if changes:
                        report.updated += 1
                        report.lines.append(f"line {line}: updated {label} ({', '.join(sorted(changes))})")
                    else:
                        report.unchanged += 1
        except (_RowError, RuleViolation) as exc:
            report.rejected += 1
            reason = exc.detail if isinstance(exc, RuleViolation) else str(exc)
            report.lines.append(f"line {line}: rejected: {reason}")
        except DatabaseError as exc:  # the row's savepoint is rolled back; the database refused a value
            report.rejected += 1
            report.lines.append(f"line {line}: rejected: the database refused the row ({str(exc).splitlines()[0][:200]})")
            existing.pop(key, None)  # its in-memory copy may hold the refused values: read it again
            reloaded = Course.objects.filter(institution=institution, code=key[0], section=key[1], term=key[2]).first()
            if reloaded is not None:
                existing[key] = reloaded
    return report

"""What every CSV loader shares (CRS-2): reading the file, and the report with its summary line

    created N, updated N, unchanged N, rejected N

preceded by one line per created, updated or rejected row (``line 7: rejected: no code``)."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import ClassVar

from .errors import RuleViolation

# A loader refuses files larger than this many data rows (a bound on every numeric input).
MAX_ROWS = 1_000_000


@dataclass
class Rejected:
    """A row or record a loader refused: where it stands (``unit`` ``position``: ``line 7``,
    ``record 3``), its own id where it has one (a MARC record's 001), and why."""

    position: int
    record_id: str
    reason: str
    unit: str = "line"

    def __str__(self) -> str:
        who = f" ({self.record_id})" if self.record_id else ""
        return f"{self.unit} {self.position}{who}: {self.reason}"


@dataclass
class ImportReport:
    """What a loader did: the one report of every loader (the CSV loaders here, MARC in
    ``catalog.marc``, which adds its own counts).  ``rejected`` holds the refused rows."""

    unit: ClassVar[str] = "line"  # what a position counts: CSV lines, MARC records

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: list[Rejected] = field(default_factory=list)
    removed: int | None = None  # only loaders that replace (``--replace``) report it
    lines: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = f"created {self.created}, updated {self.updated}, unchanged {self.unchanged}, rejected {len(self.rejected)}"
        if self.removed is not None:
            text += f", removed {self.removed}"
        return text

    def reject(self, position: int, reason: str, record_id: str = "") -> None:
        self.rejected.append(Rejected(position, record_id, reason, self.unit))
        self.lines.append(f"{self.unit} {position}: rejected: {reason}")


def end_with_status(*, refused: int, loaded: int, noun: str, stopped: str = "") -> None:
    """A loader command's exit status (CRS-2, DSV-1): 0 everything loaded, 2 some refused (the
    others are loaded), 1 nothing loaded — raised as the ``CommandError`` that ends the command."""
    from django.core.management.base import CommandError

    if not (refused or stopped):
        return
    text = f"{refused} {noun}{'s' if refused != 1 else ''} refused" + (f"; reading stopped: {stopped}" if stopped else "")
    raise CommandError(text + (" (the others are loaded)" if loaded else ", none loaded"), returncode=2 if loaded else 1)


class RowError(Exception):
    """One row of a file is wrong; the loader reports it with its line number and goes on."""


def read_text(source) -> str:
    """The text of ``source`` (str, bytes or a file object), without a UTF-8 byte-order mark."""
    if isinstance(source, bytes):
        return source.decode("utf-8-sig")
    if isinstance(source, str):
        return source.removeprefix("\ufeff")
    raw = source.read()
    return raw.decode("utf-8-sig") if isinstance(raw, bytes) else raw.removeprefix("\ufeff")


def csv_rows(source, *, rule: str, required: tuple[str, ...], columns: tuple[str, ...]):
    """Yield ``(line_number, row)`` of a CSV with a header row; header names are lower-cased
    and stripped.  A header without a required column is refused as a whole (``rule``)."""
    text = read_text(source)
    if "\x00" in text:   # no text file holds one, and PostgreSQL refuses it in every text column
        from django.utils.translation import gettext as _

        raise RuleViolation(rule, _("line %(line)d holds a NUL character: this is not a text CSV file; the file is not "
                                    "read") % {"line": text.count("\n", 0, text.index("\x00")) + 1})
    reader = csv.DictReader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in (reader.fieldnames or [])]
        missing = [c for c in required if c not in header]
        if missing:
            raise RuleViolation(rule, f"the CSV header lacks the column(s) {', '.join(missing)}; expected {', '.join(columns)}")
        reader.fieldnames = header
        yield from _rows(reader, rule)
    except csv.Error as exc:
        # a field past the reader's ceiling (an unclosed quote swallows the rest of the file) is
        # the file's fault: refused naming the rule and the line, never a server error
        raise RuleViolation(rule, unreadable_csv(reader.line_num + 1, exc)) from None


def unreadable_csv(line: int, exc: csv.Error) -> str:
    """Why a CSV reader stopped at ``line``, in the reader's words made plain."""
    from django.utils.translation import gettext as _

    if "field limit" in str(exc):
        return _("line %(line)d: a field is longer than %(limit)s characters (a quote left open?); "
                 "the file is not read") % {"line": line, "limit": f"{csv.field_size_limit():,}"}
    return _("line %(line)d is not readable as CSV (%(error)s); the file is not read") % {"line": line, "error": exc}


def _rows(reader: csv.DictReader, rule: str):
    count = 0
    for row in reader:
        if not any((v or "").strip() for k, v in row.items() if k is not None and isinstance(v, str)):
            continue
        count += 1
        if count > MAX_ROWS:
            raise RuleViolation(rule, f"the file has more than {MAX_ROWS:,} rows; split it")
        yield reader.line_num, row


def cell(row: dict, name: str) -> str:
    value = row.get(name)
    return value.strip() if isinstance(value, str) else ""


def chunks(seq, size: int = 2000):
    """``seq`` in slices of ``size`` (keeps ``IN (...)`` lists under SQLite's variable limit)."""
    seq = list(seq)
    for i in range(0, len(seq), size):
        yield seq[i:i + size]

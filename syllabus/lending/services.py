"""Changes of state for long-term digital loans (SPEC §8, LDL-1..15).

Every verb on a title applies the timers that are due (so no verb acts on a state whose time
has passed), changes the request through :data:`.workflow.LOAN_WORKFLOW`, hands free copies to
the head of the waitlist (:meth:`_Title.allocate`, from the active requests counted in the
state it read), and queues the audit trail and the letters; the decision is written only if
no other verb changed the title since its state was read — locked (SQLite's writer lock,
PostgreSQL's row lock on the representation's ``LoanSettings``) or, on PostgreSQL,
optimistically in one round trip behind a gate (see the comment above :data:`LOCK_TIMEOUT_MS`).
"""
from __future__ import annotations

import contextvars
import copy
import datetime as dt
import functools
import logging
import os
import random
import time
from collections.abc import Iterable
from contextlib import nullcontext
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db import DataError, IntegrityError, OperationalError, connection, connections, models, transaction
from django.db.models import Field, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.catalog.models import Item, Record, Representation
from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation, refuse_too_long
from syllabus.core.forms import MAX_ID
from syllabus.core.limits import ITEMS
from syllabus.core.models import AuditEntry
from syllabus.notify.delivery import announcement_sql, kick
from syllabus.notify.models import ContactPreference, LetterConfig, OutboxMessage
from syllabus.notify.services import LetterBatch
from syllabus.org import calendar, config
from syllabus.org.models import ClosedDate, ConfigValue, Consortium, Institution, Library, User, UserGroup
from syllabus.org.roles import Role
from syllabus.core.site import site_url

from . import rows
from .permissions import can_configure, can_manage_requests, check_registered
from .workflow import transition
from .models import (
    AccessRightsPolicy, AccessRule, CancelReason, LoanRequest, LoanSettings, LoanSlot, Outcome, Source, Status, Step,
    TimeUnit, describe_period, period,
)

UNSET = object()
MAX_PRIORITY = 99
GRACE_SETTING = "include_library_closing_days_in_digital_lending_grace_period"

# --- formatting for letters and pages -----------------------------------------------------

def local_time(when: dt.datetime | None, library: Library) -> str:
    if when is None:
        return ""
    try:
        tz = ZoneInfo(library.timezone or "UTC")
    except Exception:  # an unknown zone name in the data: show UTC rather than fail
        tz = ZoneInfo("UTC")
    return when.astimezone(tz).strftime("%Y-%m-%d %H:%M %Z")


def title_link(representation_id: int) -> str:
    return site_url() + reverse("lending:title", args=[representation_id])


# --- policies and rules (LDL-1) ------------------------------------------------------------

RULE_FIELDS = ("request_priority", "session_period", "session_period_unit", "grace_period", "grace_period_unit",
               "grace_included_in_session", "renewable", "max_renewal_days", "open_for_renewal_days",
               "renewable_when_others_wait", "limit_reloan", "reloan_limit_days")


def validate_rule(values: dict, *, where: str = "rule") -> dict:
    """Check one rule's parameters (LDL-1); returns the cleaned values."""
    out = {k: values[k] for k in RULE_FIELDS if k in values and values[k] is not None}
    for unit_field in ("session_period_unit", "grace_period_unit"):
        if unit_field in out and out[unit_field] not in TimeUnit.values:
            raise RuleViolation("LDL-1", _("%(f)s must be hours or days") % {"f": unit_field}, field=f"{where}.{unit_field}")
    for number in ("session_period", "grace_period"):
        if number in out and int(out[number]) < 1:
            raise RuleViolation("LDL-1", _("%(f)s must be at least 1") % {"f": number}, field=f"{where}.{number}")
    for number in ("max_renewal_days", "open_for_renewal_days", "reloan_limit_days"):
        if number in out and int(out[number]) < 0:
            raise RuleViolation("LDL-1", _("%(f)s cannot be negative") % {"f": number}, field=f"{where}.{number}")
    if "request_priority" in out and not 0 <= int(out["request_priority"]) <= MAX_PRIORITY:
        raise RuleViolation("LDL-1", _("the request priority is a number from 0 to %(max)d") % {"max": MAX_PRIORITY},
                            field=f"{where}.request_priority")
    merged = {f.name: f.default for f in AccessRule._meta.concrete_fields if f.name in RULE_FIELDS} | out
    if merged["grace_included_in_session"]:
        grace = period(int(merged["grace_period"]), merged["grace_period_unit"])
        session = period(int(merged["session_period"]), merged["session_period_unit"])
        if grace > session:
            raise RuleViolation("LDL-1", _("the grace period cannot be longer than the session period when it is included in it"),
                                field=f"{where}.grace_period")
    if merged["renewable"] and int(merged["max_renewal_days"]) < 1:
        raise RuleViolation("LDL-1", _("a renewable rule needs a maximum renewal period of at least 1 day"),
                            field=f"{where}.max_renewal_days")
    if merged["renewable"] and int(merged["open_for_renewal_days"]) < 1:
        # renewal opens open_for_renewal_days before the due time; with 0 it would open when the session ends
        raise RuleViolation("LDL-1", _("a renewable rule needs an open-for-renewal period of at least 1 day"),
                            field=f"{where}.open_for_renewal_days")
    if merged["limit_reloan"] and int(merged["reloan_limit_days"]) < 1:
        raise RuleViolation("LDL-1", _("a reloan limit needs a period of at least 1 day"), field=f"{where}.reloan_limit_days")
    return out


def _resolve_rules(institution: Institution, rules: list[dict]) -> list[tuple[UserGroup | None, dict]]:
    groups = {g.code: g for g in UserGroup.objects.filter(institution=institution)}
    seen: set = set()
    resolved = []
    for i, raw in enumerate(rules):
        code = (raw.get("user_group") or "").strip() or None
        group = None
        if code is not None:
            group = groups.get(code)
            if group is None:
                raise RuleViolation("LDL-1", _("unknown user group %(code)s") % {"code": code}, field=f"rules[{i}].user_group")
        if code in seen:
            raise RuleViolation("LDL-1", _("two rules for the same user group (%(code)s)") % {"code": code or _("default")},
                                field=f"rules[{i}].user_group")
        seen.add(code)
        resolved.append((group, validate_rule(raw, where=f"rules[{i}]")))
    return resolved


def create_policy(actor: User, institution: Institution, *, name: str, long_term_loan: bool = True, limit_note: str = "",
                  description: str = "", rules: list[dict] = ()) -> AccessRightsPolicy:
    if not can_configure(actor, institution=institution):
        raise PermissionDenied("LDL-1", _("only a Digital Inventory Operator or a General System Administrator configures access rights"))
    name = (name or "").strip()
    if not name:
        raise RuleViolation("LDL-1", _("an access rights policy needs a name"), field="name")
    refuse_too_long("LDL-1", AccessRightsPolicy, name=name, limit_note=limit_note or "", description=description or "")
    resolved = _resolve_rules(institution, list(rules))
    try:
        with transaction.atomic():
            policy = AccessRightsPolicy.objects.create(institution=institution, name=name, long_term_loan=long_term_loan,
                                                       limit_note=limit_note or "", description=description or "")
            audit.created(actor, policy)
            for group, values in resolved:
                rule = AccessRule.objects.create(policy=policy, user_group=group, **values)
                audit.created(actor, rule)
            return policy
    except IntegrityError:
        raise RuleViolation("LDL-1", _("an access rights policy with this name already exists"), status=409, field="name")


def update_policy(actor: User, policy: AccessRightsPolicy, *, rules: list[dict] | None = None, **values) -> dict:
    """Change a policy's fields and (when given) replace its rules.  Running requests keep the
    parameters they were placed with (their ``terms``)."""
    if not can_configure(actor, institution=policy.institution):
        raise PermissionDenied("LDL-1", _("only a Digital Inventory Operator or a General System Administrator configures access rights"))
    values = {k: v for k, v in values.items() if k in ("name", "long_term_loan", "limit_note", "description") and v is not None}
    if "name" in values:
        values["name"] = values["name"].strip()
        if not values["name"]:
            raise RuleViolation("LDL-1", _("an access rights policy needs a name"), field="name")
    refuse_too_long("LDL-1", AccessRightsPolicy, **{k: v for k, v in values.items() if isinstance(v, str)})
    resolved = _resolve_rules(policy.institution, rules) if rules is not None else None
    try:
        with transaction.atomic():
            if values.get("long_term_loan") is False and LoanRequest.objects.filter(
                    representation__loan_settings__policy=policy, status__in=[Status.READY, Status.ACTIVE]).exists():
                raise RuleViolation("LDL-2", _("representations with this policy have open loan requests"), status=409)
            policy.updated_at = clock.now()
            changes = audit.update(actor, policy, **values) if values else {}
            if resolved is not None:
                before = [str(r) for r in policy.rules.all()]
                policy.rules.all().delete()
                for group, rule_values in resolved:
                    AccessRule.objects.create(policy=policy, user_group=group, **rule_values)
                audit.changed(actor, policy, {"rules": [before, [str(r) for r in policy.rules.all()]]})
                changes["rules"] = True
            return changes
    except IntegrityError:
        raise RuleViolation("LDL-1", _("an access rights policy with this name already exists"), status=409, field="name")


def rule_for(policy: AccessRightsPolicy, patron: User) -> AccessRule:
    """The rule of ``policy`` for the patron's user group, else its default rule (LDL-1)."""
    rules = list(policy.rules.all())
    for rule in rules:
        if rule.user_group_id is not None and rule.user_group_id == patron.user_group_id:
            return rule
    for rule in rules:
        if rule.user_group_id is None:
            return rule
    raise RuleViolation("LDL-1", _("the access rights policy %(p)s has no rule for your user group") % {"p": policy.name})


# --- representation rights (LDL-2) ---------------------------------------------------------

# --- the title's lock (LDL-15) ----------------------------------------------------------------
#
# A verb on a title reads what it needs *before* the lock (the settings with their policy and
# rules, the library calendar and the LDL-7 setting, the letter configurations, the patron's
# contact preference), then reads the title's state, decides, and writes every change of that
# decision in ONE round trip to the database:
#
#   1. the title row (:data:`_TITLE_SQL`): number of copies, policy, the copies' ids and, on
#      PostgreSQL, the row's version stamp (its ``xmin``: every writer of the title's state
#      updates the row, so the stamp changes whenever the state may have changed; no code can
#      set it back) — all but a patron opening their copy, which changes its own row alone,
#      under that row's lock (:func:`_access_at_once`; the other verbs write such a row only
#      if it is the version they read, see :meth:`_Title.move`);
#   2. one statement for the rest of the state: the active requests with the copy each holds
#      (their count, what is overdue, which copies are free), the verb's own request, the head
#      of the waitlist (as many as there are copies) and, for a new request, how many wait
#      ahead of it;
#   3. the changes (one ``UPDATE`` per request moved, the ``INSERT`` of a new request, of the
#      audit entries and of the letters with ``ON CONFLICT DO NOTHING``) are queued, and sent
#      together by :meth:`_Title.flush`.
#
# On PostgreSQL a verb that is not inside a caller's transaction runs *optimistically*: steps
# 1–2 take no lock (and are one round trip with the configuration's fingerprint), and step 3
# is one multi-statement query (one implicit transaction, one round trip) that starts with
# the *gate* — the stamp gate locks the title row only if its stamp is still the one read in
# step 1, else divides by zero, which aborts the whole query before anything is written; the
# facts gate of request, access and finish (:meth:`_Title.facts_gate`) locks the row and then
# checks only the facts the decision used.  The row lock is therefore held only while the database itself runs the writes
# and commits: the client cannot be descheduled while holding it.  A verb whose gate fails
# (another verb on the title committed since step 1) runs again from step 1 (after a short
# random pause, ``CONFLICT_PAUSE_S``); after
# ``OPTIMISTIC_ATTEMPTS`` such failures it runs *locked*, as every verb does inside a
# caller's transaction and on SQLite: step 1 then locks the row first (PostgreSQL: an
# ``UPDATE`` of the row with ``lock_timeout``, which also changes its stamp; SQLite: the
# writer lock taken at ``BEGIN IMMEDIATE``) and step 3 runs in that transaction (PostgreSQL:
# its writes in one round trip, then the commit).  Either way every decision is made from a state no other verb
# changed before the decision was written — the serial order LDL-15 needs.
#
# A lock that is not granted within ``LENDING_LOCK_TIMEOUT_MS`` is a clear "busy" (503,
# ``TitleBusy``) after a few retries, never a hang.

log = logging.getLogger(__name__)
LOCK_TIMEOUT_MS = max(100, min(int(os.environ.get("LENDING_LOCK_TIMEOUT_MS", "30000")), 120_000))
LOCK_ATTEMPTS = 3
OPTIMISTIC_ATTEMPTS = 6  # a failed gate is cheap (nothing held); the locked fallback holds the lock across client time
PLACE_REWRITES = 3  # a new request whose place alone changed: its letter written again, at most this often
# a new request's waitlist letter (optimistic, PostgreSQL) is rendered for these changes of the
# number waiting ahead of it between its read and its write, and the database writes the one
# that is true then (see _Title.waitlist_letter); a change outside them rewrites the letter
PLACE_CHANGES = (-2, -1, 0, 1, 2)
LATE_CANDIDATES = 4  # a finish's hand-over decided as it is written: among this many first waiting (see _Title._hand_over_late)
CONFLICT_PAUSE_S = 0.005  # after a failed gate: a random pause up to this × tries (at most 4), to spread a burst
LETTERS = ("ldl_waitlist", "ldl_available", "ldl_grace_expired", "ldl_cancelled")

def _qn(name: str) -> str:  # both backends quote identifiers with ""
    return f'"{name}"'

_REQ = _qn(LoanRequest._meta.db_table)
_SLOT = _qn(LoanSlot._meta.db_table)
_SETTINGS = _qn(LoanSettings._meta.db_table)
_REQ_COLUMNS = ", ".join(f"q.{_qn(f.column)}" for f in LoanRequest._meta.concrete_fields)


def _title_sql(vendor: str, new_request: bool) -> str:
    pg = vendor == "postgresql"
    stamp = "s.xmin::text" if pg else "NULL"
    copies = "string_agg(sl.number || ':' || sl.id, ',')" if pg else "group_concat(sl.number || ':' || sl.id, ',')"
    next_id = f", nextval(pg_get_serial_sequence('{_REQ}', 'id'))" if pg and new_request else ""
    return (f"SELECT s.concurrent_users, s.policy_id, p.long_term_loan, r.active, {stamp}, "
            f"(SELECT {copies} FROM {_SLOT} sl WHERE sl.representation_id = s.representation_id){next_id} "
            f"FROM {_SETTINGS} s "
            f"JOIN {_qn(Representation._meta.db_table)} r ON r.id = s.representation_id "
            f"LEFT JOIN {_qn(AccessRightsPolicy._meta.db_table)} p ON p.id = s.policy_id "
            f"WHERE s.representation_id = %s")


_TITLE_SQL = {(v, n): _title_sql(v, n) for v in ("postgresql", "sqlite") for n in (False, True)}
# (and, for the rest of the transaction, the plans of the prepared statements are planned once:
# with a few rows per title a generic plan is as good, and planning was most of the cost)
_SET_LOCK_TIMEOUT = "SELECT set_config('lock_timeout', %s, true), set_config('plan_cache_mode', 'force_generic_plan', true)"
# the facts gate (:meth:`_Title.facts_gate`): lock the row, then check in a new snapshot
_FACTS_FAILED = "ldl-facts-changed: "
_FACTS_LOCK = f"UPDATE {_SETTINGS} SET concurrent_users = concurrent_users WHERE representation_id = %s"
# a locked verb (PostgreSQL) also locks the rows of the title's copies handed over and not yet
# opened: the one change a verb may make without the title's lock — a patron opening their
# copy (:func:`_access_at_once`) — waits for it (issue 19, session 14)
_GRACE_LOCK = (f"SELECT 1 FROM {_REQ} WHERE representation_id = %s AND status = 'active' "
               f"AND step = 'in_grace_period' FOR UPDATE")


def _versioned(sql: str) -> str:
    """An ``UPDATE … WHERE id = %s`` of one request written only if the row is still the version
    read (its ``xmin``, one more parameter), else the query aborts naming the fact ``request``
    (a conflict; nothing is written): an optimistic write of a request handed over and not yet
    opened, which the patron may open meanwhile without the title's lock (issue 19, session 14).
    Under a concurrent writer of the row, PostgreSQL waits for it and checks the condition on
    the row it wrote."""
    return (f"WITH u AS ({sql} AND xmin::text = %s RETURNING 1) "
            f"SELECT CASE WHEN count(*) = 1 THEN 1 ELSE ('{_FACTS_FAILED}request' || left(count(*)::text, 0))::int END FROM u")


# optimistic: lock the row only if nobody changed it since it was read, else abort the query
_GATE = (f"WITH g AS (UPDATE {_SETTINGS} SET concurrent_users = concurrent_users "
         f"WHERE representation_id = %s AND xmin::text = %s RETURNING 1) SELECT 1 / COUNT(*) FROM g")
#: how often, in this process, an optimistic write found its title changed (and the verb ran
#: again), and how often a verb then ran locked — bench/bench_lending.py reports them
RETRIES: dict[str, int] = {"conflicts": 0, "locked": 0}
_optimistic: contextvars.ContextVar[bool] = contextvars.ContextVar("lending_optimistic", default=False)
_PATRON_COLUMNS = ("username", "email", "phone", "first_name", "last_name")
_STATE_COLUMNS = (f"{_REQ_COLUMNS}, sl.number AS slot_number, "
                  + ", ".join(f"u.{c} AS patron_{c}" for c in _PATRON_COLUMNS)
                  + ", cp.id AS pref_id, cp.email_enabled AS pref_email, cp.sms_enabled AS pref_sms, "
                    "cp.inapp_enabled AS pref_inapp")
_STATE_FROM = (f"FROM {_REQ} q LEFT JOIN {_SLOT} sl ON sl.id = q.slot_id "
               f"JOIN {_qn(User._meta.db_table)} u ON u.id = q.patron_id "
               f"LEFT JOIN {_qn(ContactPreference._meta.db_table)} cp ON cp.user_id = q.patron_id")
_AHEAD = (f"(SELECT COUNT(*) FROM {_REQ} a WHERE a.representation_id = %s AND a.status = 'ready' "
          f"AND (a.priority > %s OR (a.priority = %s AND a.requested_at <= %s)))")


def _state_sql(vendor: str, ahead: bool) -> str:
    extra = _AHEAD if ahead else "0"
    stamp = "q.xmin::text" if vendor == "postgresql" else "NULL"  # each row's version (the facts gate, below)
    columns = f"{_STATE_COLUMNS}, {stamp} AS row_stamp"
    return (f"SELECT {columns}, 'own' AS kind, {extra} AS ahead {_STATE_FROM} "
            f"WHERE q.representation_id = %s AND (q.status = 'active' OR q.id = %s) "
            f"UNION ALL SELECT * FROM (SELECT {columns}, 'head' AS kind, {extra} AS ahead {_STATE_FROM} "
            f"WHERE q.representation_id = %s AND q.status = 'ready' "
            f"ORDER BY q.priority DESC, q.requested_at, q.id LIMIT %s) AS h")


_STATE_SQL = {(v, a): _state_sql(v, a) for v in ("postgresql", "sqlite") for a in (False, True)}
# the same, sent with the configuration's fingerprint (one round trip): the number of heads
# read is the title's copies, from its row
_PREFETCH_SQL = {a: _STATE_SQL[("postgresql", a)].replace(
    "LIMIT %s) AS h", f"LIMIT (SELECT greatest(ls.concurrent_users, 1) FROM {_SETTINGS} ls "
                      f"WHERE ls.representation_id = %s)) AS h") for a in (False, True)}
assert all("ls.concurrent_users" in sql for sql in _PREFETCH_SQL.values())


def _fingerprint_sql(with_patron: bool) -> str:
    """A title's configuration — what :class:`_Title` reads before the lock — changes only when
    one of these rows changes, and every change of a row writes a new version of it with a new
    (``xmin``, ``cmin``): the transaction and, inside it, the command that wrote it.  So the
    fingerprint is that pair for each single row, and the number of rows and the sum of their
    pairs for each set of rows.  The ``LoanSettings`` row itself is left out (every verb
    rewrites it; its values are read again with the title row)."""
    def one(alias: str) -> str:
        return f"{alias}.xmin::text || ':' || {alias}.cmin::text"

    def rows(model, where: str) -> str:
        return (f"(SELECT count(*) || ':' || coalesce(sum(x.xmin::text::numeric * 4294967296 + x.cmin::text::numeric), 0) "
                f"FROM {_qn(model._meta.db_table)} x WHERE {where})")
    pref = ", cp.id, cp.email_enabled, cp.sms_enabled, cp.inapp_enabled" if with_patron else ""
    # and the title row (what :meth:`_Title.lock` reads), for an optimistic verb: one round trip less
    title = _title_sql("postgresql", with_patron)
    pref += ", " + title[len("SELECT "):title.index(f" FROM {_SETTINGS} s ")]
    pref_join = (f" LEFT JOIN {_qn(ContactPreference._meta.db_table)} cp ON cp.user_id = %s" if with_patron else "")
    groups = f"x.id IN (SELECT ar.user_group_id FROM {_qn(AccessRule._meta.db_table)} ar WHERE ar.policy_id = s.policy_id)"
    return (f"SELECT s.policy_id, {', '.join(one(a) for a in ('p', 'r', 'rec', 'lib', 'inst', 'cons'))}, "
            f"{rows(AccessRule, 'x.policy_id = s.policy_id')}, {rows(UserGroup, groups)}, {rows(ClosedDate, 'x.library_id = lib.id')}, "
            f"{rows(ConfigValue, 'x.key = %s')}, {rows(LetterConfig, 'x.institution_id = lib.institution_id')}{pref} "
            f"FROM {_SETTINGS} s JOIN {_qn(Representation._meta.db_table)} r ON r.id = s.representation_id "
            f"JOIN {_qn(Record._meta.db_table)} rec ON rec.id = r.record_id "
            f"JOIN {_qn(Library._meta.db_table)} lib ON lib.id = r.library_id "
            f"JOIN {_qn(Institution._meta.db_table)} inst ON inst.id = lib.institution_id "
            f"LEFT JOIN {_qn(Consortium._meta.db_table)} cons ON cons.id = inst.consortium_id "
            f"LEFT JOIN {_qn(AccessRightsPolicy._meta.db_table)} p ON p.id = s.policy_id{pref_join} "
            f"WHERE s.representation_id = %s")


_FINGERPRINT_SQL = {False: _fingerprint_sql(False), True: _fingerprint_sql(True)}
_FINGERPRINT_COLUMNS = 12
_PREFETCH_NAMES: dict[bool, tuple[str, ...]] = {}  # the columns of _PREFETCH_SQL (fixed: read once)
_CONFIG: dict[int, tuple] = {}  # representation id -> (fingerprint, settings, grace context, letter batch)
_CONFIG_LIMIT = 512


class TitleBusy(RuleViolation):
    """The title's lock was not granted in time (LDL-15 keeps every verb on a title in turn)."""

    status = 503

    def __init__(self):
        super().__init__("LDL-15", _("this title is very busy right now: nothing was changed, please try again in a moment"))


class _Conflict(Exception):
    """The optimistic gate failed: another verb on the title committed since its state was read
    (nothing was written; the verb runs again on the new state)."""


def _is_busy(exc: BaseException) -> bool:
    cause = exc.__cause__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code == "55P03" or "database is locked" in str(exc)


def _retrying(fn):
    """Run a verb again when its optimistic write found the title changed (at once, locked
    after ``OPTIMISTIC_ATTEMPTS`` tries), or, after a short random pause, when the title's lock
    was not granted in time; after ``LOCK_ATTEMPTS`` such tries the caller gets
    :class:`TitleBusy` (a 503).  Inside a caller's transaction the verb runs locked and there
    is no retry: the caller's transaction is lost with the wait."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        nested = connection.in_atomic_block
        conflicts = busy = 0
        while True:
            token = _optimistic.set(not nested and conflicts < OPTIMISTIC_ATTEMPTS)
            try:
                return fn(*args, **kwargs)
            except _Conflict as exc:
                conflicts += 1
                RETRIES["conflicts"] += 1
                RETRIES["locked"] += conflicts == OPTIMISTIC_ATTEMPTS
                # after a failed stamp gate, let the verb that won run on (and spread a burst of
                # retries); a failed facts gate names a real change: read it at once
                if CONFLICT_PAUSE_S and not exc.args:
                    time.sleep(random.uniform(0, CONFLICT_PAUSE_S) * min(conflicts, 4))
                continue
            except OperationalError as exc:
                if not _is_busy(exc):
                    raise
                busy += 1
                if nested or busy == LOCK_ATTEMPTS:
                    raise TitleBusy() from exc
            except TitleBusy:
                busy += 1
                if nested or busy == LOCK_ATTEMPTS:
                    raise
            finally:
                _optimistic.reset(token)
            time.sleep(random.uniform(0.02, 0.1) * busy)
    return wrapper


_ROW_PLANS: dict[tuple, tuple] = {}  # (vendor, column names) -> how rows of them become requests


def _requests_of(description, rows: list, names: tuple[str, ...] | None = None) -> list[LoanRequest]:
    """The state statement's rows as ``LoanRequest`` objects, as ``LoanRequest.objects.raw``
    makes them (its extra columns as attributes); ``names``: the columns, when known (else
    read from ``description``)."""
    db = connections[connection.alias]  # (not the proxy: the converters ask it for every value)
    if names is None:
        names = tuple(d.name for d in description)
    key = (db.vendor, names)
    plan = _ROW_PLANS.get(key)
    if plan is None:
        fields = {f.column: f for f in LoanRequest._meta.concrete_fields}
        columns = [(i, fields[n]) for i, n in enumerate(names) if n in fields]
        plan = _ROW_PLANS[key] = (
            [(i, f.get_db_converters(db)) for i, f in columns], [f.attname for _, f in columns],
            [(i, n) for i, n in enumerate(names) if n not in fields])
    converters, attnames, extra = plan
    alias = db.alias
    out = []
    for values in rows:
        converted = []
        for i, convert in converters:
            value = values[i]
            for fn in convert:
                value = fn(value, None, db)
            converted.append(value)
        req = LoanRequest.from_db(alias, attnames, converted)
        for i, n in extra:
            setattr(req, n, values[i])
        out.append(req)
    return out


def _patron_of(row) -> User:
    """The patron of a request read by the state statement: the columns letters need; any
    other field loads when touched (deferred), never silently empty."""
    values = {"id": row.patron_id, **{c: getattr(row, f"patron_{c}") for c in _PATRON_COLUMNS}}
    names = [f.attname for f in User._meta.concrete_fields if f.attname in values]  # from_db wants the model's order
    return User.from_db(connection.alias, names, [values[n] for n in names])


def _preference_of(row) -> ContactPreference | None:
    if row.pref_id is None:
        return None
    return ContactPreference(id=row.pref_id, user_id=row.patron_id, email_enabled=bool(row.pref_email),
                             sms_enabled=bool(row.pref_sms), inapp_enabled=bool(row.pref_inapp))


_WRITES: dict[tuple[str, ...], tuple[list[Field], str]] = {}  # field names -> (fields, UPDATE)

# the value types each of Django's own field classes writes as they are (``get_db_prep_save`` is
# then the identity: text for text, an int for an integer or a key to one, a bool for a boolean)
_AS_IS: dict[type, tuple[type, ...]] = {
    **{cls: (str, type(None)) for cls in (models.CharField, models.TextField)},
    **{cls: (int, type(None)) for cls in (models.IntegerField, models.BigIntegerField, models.SmallIntegerField,
                                          models.PositiveIntegerField, models.PositiveSmallIntegerField,
                                          models.PositiveBigIntegerField, models.AutoField, models.BigAutoField)},
    models.BooleanField: (bool, type(None)),
}
_PREP: dict[Field, tuple[type, ...]] = {}


def _as_is(field: Field) -> tuple[type, ...]:
    found = _PREP.get(field)
    if found is None:
        target = field.target_field if type(field) in (models.ForeignKey, models.OneToOneField) else field
        found = _PREP[field] = _AS_IS.get(type(target), ())
    return found


def _prepared(objs: list, fields: list[Field], db, *, adding: bool) -> list:
    """``[f.get_db_prep_save(<value>, db) for obj in objs for f in fields]``, the value being
    ``f.pre_save(obj, True)`` when ``adding`` (an INSERT, as the ORM's), else the attribute —
    but the value as it is where Django's own field would write it as it is (:data:`_AS_IS`,
    whose fields' ``pre_save`` is the attribute; issue 19, session 15: ≈ 290 values per hot
    hand-over)."""
    kinds = [_as_is(f) for f in fields]
    out = []
    for obj in objs:
        for f, kinds_of in zip(fields, kinds):
            if kinds_of:
                value = getattr(obj, f.attname)
                out.append(value if type(value) in kinds_of else f.get_db_prep_save(value, db))
            else:
                out.append(f.get_db_prep_save(f.pre_save(obj, True) if adding else getattr(obj, f.attname), db))
    return out


def _write_sql(req: LoanRequest, names: Iterable[str]) -> tuple[str, list]:
    """The ``UPDATE`` of the named fields of one request — no ORM query to compile."""
    key = tuple(dict.fromkeys(names))
    plan = _WRITES.get(key)
    if plan is None:
        fields: list[Field] = [LoanRequest._meta.get_field(n) for n in key]  # type: ignore[misc]
        plan = _WRITES[key] = (fields, f"UPDATE {_REQ} SET {', '.join(f'{_qn(f.column)} = %s' for f in fields)} WHERE id = %s")
    return plan[1], [*_prepared([req], plan[0], connections[connection.alias], adding=False), req.pk]


_FOLDED: dict[tuple[tuple[str, ...], int], str] = {}  # (field names, rows) -> the UPDATE of _first_of


def _first_of(writes: list[tuple[LoanRequest, tuple[str, ...]]]) -> tuple[str, list]:
    """ONE ``UPDATE`` that writes, of the requests ``writes`` (each with the same field names,
    its own values), only the one that is first in its title's waitlist when the statement
    runs, and only if the copy it is given is free then (two more parameters: the title's id
    and the copy's): the hand-over the database decides (:meth:`_Title._hand_over_late`).  It
    was one conditional ``UPDATE`` per candidate, run in turn — each after the others, so at
    most one applied (the first candidate still waiting, the copy free); here the first request
    waiting and the copy's holder are read once as the statement starts, inside the title's
    lock, and at most one row matches: the same outcome in one statement (issue 19, session 15)."""
    names = writes[0][1]
    assert all(n == names for _, n in writes)
    key = (names, len(writes))
    fields: list[Field] = [LoanRequest._meta.get_field(n) for n in names]  # type: ignore[misc]
    db = connections[connection.alias]
    sql = _FOLDED.get(key)
    if sql is None:
        row = "(" + ", ".join(f"%s::{f.db_type(db)}" for f in fields) + ", %s::bigint)"
        cols = ", ".join(f"c{i}" for i in range(len(fields)))
        sql = _FOLDED[key] = (
            f"UPDATE {_REQ} SET {', '.join(f'{_qn(f.column)} = v.c{i}' for i, f in enumerate(fields))} "
            f"FROM (VALUES {', '.join([row] * len(writes))}) AS v({cols}, id) WHERE {_REQ}.id = v.id "
            f"AND {_REQ}.id = (SELECT h.id FROM {_REQ} h WHERE h.representation_id = %s AND h.status = 'ready' "
            f"ORDER BY h.priority DESC, h.requested_at, h.id LIMIT 1) "
            f"AND NOT EXISTS (SELECT 1 FROM {_REQ} x WHERE x.slot_id = %s)")
    params = [p for req, _ in writes for p in (*_prepared([req], fields, db, adding=False), req.pk)]
    return sql, params


def _write(req: LoanRequest, names: Iterable[str]) -> None:
    """``UPDATE`` the named fields of one request now (one statement)."""
    with connection.cursor() as cur:
        cur.execute(*_write_sql(req, names))


_INSERTS: dict[tuple, tuple[list[Field], str]] = {}  # (model, with its key) -> (fields, INSERT … VALUES)


def _insert_sql(objs: list, *, ignore_conflicts: bool = False,
                when_held: list[tuple[int, int] | None] | None = None,
                at_place: tuple[list[int | None], tuple[int, int, int, dt.datetime]] | None = None) -> tuple[str, list]:
    """One ``INSERT`` of unsaved model instances of one model (their primary key included when
    set), as the ORM's ``bulk_create`` would write them.

    ``when_held`` (PostgreSQL; one entry per object): an object with ``(request id, copy id)``
    is written only if, when the statement runs, that request holds that copy — the audit entry
    and the letters of a hand-over decided by the database (:meth:`_Title.allocate`, ``late``);
    an object with ``None`` is written in any case.

    ``at_place`` (PostgreSQL): ``(places, (representation id, request id, priority, time))``,
    one place per object — an object with a place is written only if, when the statement
    runs, that is the request's place in the waitlist (1 + the requests waiting ahead of it,
    LDL-5): the waitlist letter of a new request, rendered for each place it can have
    (:meth:`_Title.waitlist_letter`); ``None``: written in any case."""
    model = type(objs[0])
    key = (model, getattr(objs[0], model._meta.pk.attname) is not None)
    plan = _INSERTS.get(key)
    if plan is None:
        fields = [f for f in model._meta.concrete_fields if key[1] or not f.primary_key]
        plan = _INSERTS[key] = (fields, f"INSERT INTO {_qn(model._meta.db_table)} ({', '.join(_qn(f.column) for f in fields)}) VALUES ")
    fields, head = plan
    db = connections[connection.alias]
    params = _prepared(objs, fields, db, adding=True)
    held = when_held is not None and any(when_held)
    placed = at_place is not None and any(p is not None for p in at_place[0])
    if held or placed:
        # INSERT … SELECT from a VALUES list (whose columns take no type from the table: each
        # value is cast), keeping the rows whose conditions hold
        row = "(" + ", ".join(f"%s::{f.db_type(db)}" for f in fields) + ", %s::bigint, %s::bigint, %s::bigint)"
        names = ", ".join(f"c{i}" for i in range(len(fields)))
        sql = (head[:-len("VALUES ")] + f"SELECT {names} FROM (VALUES " + ", ".join([row] * len(objs))
               + f") AS v({names}, held_by, held, place) WHERE (v.held_by IS NULL OR EXISTS "
               f"(SELECT 1 FROM {_REQ} x WHERE x.id = v.held_by AND x.slot_id = v.held))")
        width = len(fields)
        holds: list[tuple[int, int] | None] = when_held if when_held is not None and held else [None] * len(objs)
        places: list[int | None] = at_place[0] if at_place is not None and placed else [None] * len(objs)
        params = [p for i in range(len(objs))
                  for p in (*params[i * width:(i + 1) * width], *(holds[i] or (None, None)), places[i])]
        if at_place is not None and placed:  # the place as the request stands when written: counted once (an InitPlan)
            rep_id, req_id, priority, when = at_place[1]
            sql += (f" AND (v.place IS NULL OR v.place = (SELECT 1 + count(*) FROM {_REQ} a WHERE a.representation_id = %s "
                    f"AND a.status = 'ready' AND a.id <> %s AND (a.priority > %s OR (a.priority = %s AND a.requested_at <= %s))))")
            params += [rep_id, req_id, priority, priority, when]
    else:
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        sql = head + ", ".join([row] * len(objs))
    return sql + (" ON CONFLICT DO NOTHING" if ignore_conflicts else ""), params


# the end of a one-query write that announces its letters (see _run): the implicit transaction
# committed by an explicit COMMIT — without the warning PostgreSQL gives for a COMMIT with no
# BEGIN (the setting is the transaction's own) —, then the announcement in a transaction of its own
_QUIET_COMMIT: list[tuple] = [("SELECT set_config('client_min_messages', 'error', true)", []), ("COMMIT", [], None)]


def _run(statements: list[tuple[str, list]], gate: tuple[int, str] | list[tuple[str, list]] | None = None,
         *, last: bool = False, announce: tuple[str, list] | None = None) -> list | None:
    """Send queued statements: on PostgreSQL as one query (one round trip; outside a
    transaction, one implicit transaction), after the optimistic ``gate`` when given — the
    stamp gate (representation id, stamp) or the facts gate (its statements, see
    :meth:`_Title.facts_gate`); on SQLite one by one (inside the writer lock).  ``last``: the
    rows the last statement returned (else ``None``).

    ``announce`` (PostgreSQL, outside a transaction; issue 19): the statement announcing the
    letters written (``notify.delivery.announcement_sql``), sent in the same round trip after
    an explicit ``COMMIT`` — so it runs only if the writes committed (a failed statement
    abandons the rest of the query) and, as the announcement after the commit always was
    (``notify.delivery.announce``), in a transaction of its own, never holding PostgreSQL's
    notify lock across the writes' commit.  It used to be a round trip of its own after the
    commit: on a hot title, one more hop in the chain from a finish to the next patron."""
    with connection.cursor() as cur:
        if connection.vendor != "postgresql":
            for sql, params in statements:
                cur.execute(sql, params)
            return cur.fetchall() if last else None
        if isinstance(gate, list):  # the facts gate: its statements
            statements = [*gate, *statements]
        elif gate is not None:
            statements = [(_SET_LOCK_TIMEOUT, [f"{LOCK_TIMEOUT_MS}ms"]), (_GATE, list(gate)), *statements]
        returning = len(statements) - 1  # (the last of the writes)
        sent: list[tuple] = list(statements)
        if announce is not None:
            assert not connection.in_atomic_block
            sent += [*_QUIET_COMMIT, announce]
        try:
            rows.execute(cur, sent)
            if last:
                for _ in range(returning):
                    cur.nextset()
                return cur.fetchall()
            return None
        except OperationalError as exc:
            # the announcement alone failed (PostgreSQL's notify queue full): the writes are
            # committed, and the letters found by the next poll (an announcement is a wake-up call)
            if (announce is None or getattr(exc.__cause__, "sqlstate", None) != "54000"
                    or "NOTIFY" not in str(exc) or connection.connection.info.transaction_status != 0):
                raise
            log.warning("outbox: could not announce the letters just queued", exc_info=True)
            return None
        except DataError as exc:
            state = getattr(exc.__cause__, "sqlstate", None)
            if gate is not None and state == "22012":  # the stamp gate: 1 / 0
                raise _Conflict() from exc
            if gate is not None and state == "22P02" and _FACTS_FAILED in str(exc):  # the facts gate: which facts
                facts = str(exc).split(_FACTS_FAILED, 1)[1].split('"', 1)[0].split()
                for fact in facts:
                    name = "changed:" + fact.split("=", 1)[0]
                    RETRIES[name] = RETRIES.get(name, 0) + 1
                raise _Conflict(*facts) from exc
            raise


class _Title:
    """One title's loan state during one verb: read before the lock (``__init__``), locked
    (:meth:`lock`), the rows read in one statement (:meth:`read`), moved (:meth:`move`,
    :meth:`allocate`, :meth:`apply_timers`), then audit entries and letters written in one
    statement each (:meth:`flush`)."""

    def __init__(self, representation_id: int, *, grace: bool = False, letters: bool = True, rules: bool = False,
                 patron: User | None = None, facts: bool = False, own: int | None = None,
                 priority: int | None | object = UNSET, unread: Representation | None = None):
        """``unread``: nothing is read — a verb that decides from its own request's row alone
        (:func:`_access_at_once`); the settings are then an unsaved stand-in that lends nothing."""
        self.rep_id = representation_id
        # optimistic, gated on the facts the decision used rather than on the title's stamp
        # (see :meth:`facts_gate`); what was read, and what the decision looked at:
        self.facts = facts
        self.stamps: dict[int, str] = {}  # request id -> its row's version, as read
        self.read_active: dict[int, int | None] = {}  # active request id -> the copy (slot id) it held
        self.read_heads: list[int] = []  # the head of the waitlist, in order, as read
        self.written: set[int] = set()  # requests read and then moved by the decision
        self.used_active = False  # the decision counted the copies held (allocate)
        self.copies_limited = False  # ... and served fewer heads than were waiting (no copy was left)
        self.taken: list[int] = []  # the copies (slot ids) it hands out
        self.released: set[int] = set()  # ... and those it takes back (completing their holder)
        self.place_letter: tuple[LoanRequest, int] | None = None  # the waitlist letter: (request, handed ahead of it)
        self.heads_prefix = 0  # how many of the waitlist's first requests the decision depended on
        self.ahead_gate: tuple[int, dt.datetime, int] | None = None  # a new request's place: (priority, time, ahead)
        self.now: dt.datetime | None = None
        self.preference: ContactPreference | None = None  # of ``patron``, when given
        self._title_row: tuple | None = None  # the title row, read with the configuration's fingerprint
        # an optimistic verb's state, read with the configuration (see :meth:`_configured`)
        self._prefetched: tuple[tuple, list[LoanRequest], int] | None = None
        if unread is not None:
            st, self.grace_ctx, self._letters = LoanSettings(representation=unread), None, None
        elif connection.vendor == "postgresql":
            st, self.grace_ctx, self._letters = self._configured(patron, own, priority)
        else:
            qs = LoanSettings.objects.select_related("policy", "representation__library__institution", "representation__record")
            if rules:
                qs = qs.prefetch_related("policy__rules")
            found = qs.filter(representation_id=representation_id).first()
            if found is None:
                raise RuleViolation("LDL-2", _("this representation is not configured for long-term digital loans"))
            st = found
            st.representation.loan_link = title_link(representation_id)  # the letters' link, resolved before the lock
            self.grace_ctx = grace_context(st.representation.library) if grace else None
            self._letters = LetterBatch(st.representation.library.institution, LETTERS) if letters else None
            if patron is not None:
                self.preference = ContactPreference.objects.filter(user=patron).first()
        self.settings = st
        self.rep = st.representation
        self.audit: list = []
        self.requests: dict[int, LoanRequest] = {}
        self.heads: list[LoanRequest] = []
        self.handed: list[LoanRequest] = []
        self.ahead = 0
        # optimistic (see the comment above LOCK_TIMEOUT_MS): only a verb run by _retrying, on
        # PostgreSQL, outside a caller's transaction
        self.optimistic = _optimistic.get() and connection.vendor == "postgresql" and not connection.in_atomic_block
        self.pending: list[tuple[str, list]] = []
        self.stamp: str | None = None
        self.copies: dict[int, int] = {}
        self.next_id: int | None = None
        # a new request whose INSERT is queued (at ``pending[index]``): written as it stands at
        # the flush, so a hand-over of it needs no UPDATE of its own
        self._new: tuple[LoanRequest, int] | None = None
        # a hand-over the database decides as it writes (:meth:`_hand_over_late`): the candidates'
        # ids, and the conditions of the audit entries and letters queued for them (by ``id()``)
        self.late: list[int] | None = None
        self.when_held: dict[int, tuple[int, int]] = {}
        # a new request's waitlist letter rendered for several places, the database writing the
        # one true when it runs (:meth:`waitlist_letter`): each row's place (by ``id()``), the
        # request's (id, priority, time), and the range of the number ahead the variants cover
        self.when_place: dict[int, int] = {}
        self.place_of: tuple[int, int, dt.datetime] | None = None
        self.place_range: tuple[int, int] | None = None
        self.returning = False  # the letters' INSERT returns the rows it wrote (see _letters_insert)
        self.announcing = False  # the letters announced in the writes' round trip (see _announcement)
        self.returned: list | None = None
        self.last_write: tuple[str, ...] = ()  # the fields of the last request :meth:`move` wrote

    def _configured(self, patron: User | None, own: int | None = None,
                    priority: int | None | object = UNSET) -> tuple[LoanSettings, dict, LetterBatch]:
        """The title's configuration (PostgreSQL): one statement reads its fingerprint (and the
        patron's contact preference); the objects are built again only when it changed (see
        :data:`_FINGERPRINT_SQL`), else copied from this process's cache.

        An optimistic verb (not in a caller's transaction) also reads its state in the same
        round trip, in a snapshot taken after the fingerprint's: the rows of :meth:`read` with
        ``own`` — or, for a new request of ``priority`` (``None``: its rule's, known from the
        cached configuration), the number waiting ahead of it."""
        params: list = [GRACE_SETTING, *([patron.pk] if patron is not None else []), self.rep_id]
        sql = _FINGERPRINT_SQL[patron is not None]
        key: tuple | None = None
        if _optimistic.get() and not connection.in_atomic_block:
            cached = _CONFIG.get(self.rep_id)
            if priority is UNSET:
                key = (own, None) if own is not None else None
            elif priority is not None:
                key = (own, int(priority))  # type: ignore[call-overload]
            elif cached is not None and cached[1].policy is not None and patron is not None:
                try:
                    key = (own, rule_for(cached[1].policy, patron).request_priority)
                except RuleViolation:
                    key = None
        when = clock.now()
        statements = [(sql, params)]
        if key is not None:
            ahead = [self.rep_id, key[1], key[1], when] if key[1] is not None else []
            statements.append((_PREFETCH_SQL[key[1] is not None],
                               [*ahead, self.rep_id, own or 0, *ahead, self.rep_id, self.rep_id]))
        with connection.cursor() as cur:
            rows.execute(cur, statements)
            row = cur.fetchone()
            if key is not None and cur.nextset():
                names = _PREFETCH_NAMES.get(key[1] is not None)
                found = _requests_of(cur.description if names is None else None, cur.fetchall(), names)
                if names is None:
                    _PREFETCH_NAMES[key[1] is not None] = tuple(d.name for d in cur.description)
                self._prefetched = (key, found, 0)
        if row is None:
            raise RuleViolation("LDL-2", _("this representation is not configured for long-term digital loans"))
        fingerprint, pref = tuple(row[:_FINGERPRINT_COLUMNS]), row[_FINGERPRINT_COLUMNS:]
        if patron is not None:
            pref, self._title_row = pref[:4], pref[4:]
        else:
            self._title_row = pref
        if patron is not None and pref[0] is not None:
            self.preference = ContactPreference(id=pref[0], user_id=patron.pk, email_enabled=bool(pref[1]),
                                                sms_enabled=bool(pref[2]), inapp_enabled=bool(pref[3]))
        cached = _CONFIG.get(self.rep_id)
        if cached is None or cached[0] != fingerprint:
            st = (LoanSettings.objects.select_related("policy", "representation__library__institution", "representation__record")
                  .prefetch_related("policy__rules").filter(representation_id=self.rep_id).first())
            if st is None:
                raise RuleViolation("LDL-2", _("this representation is not configured for long-term digital loans"))
            st.representation.loan_link = title_link(self.rep_id)  # the letters' link
            cached = (fingerprint, st, grace_context(st.representation.library),
                      LetterBatch(st.representation.library.institution, LETTERS))
            if len(_CONFIG) >= _CONFIG_LIMIT:
                _CONFIG.clear()
            _CONFIG[self.rep_id] = cached
        # what a verb changes is its own copy (the settings, policy and representation); the
        # rest — rules, library, calendar, letter configurations — is only read
        shared, grace_ctx, batch = cached[1:]
        st = copy.copy(shared)
        if shared.policy is not None:
            st.policy = copy.copy(shared.policy)
        st.representation = copy.copy(shared.representation)
        letters = copy.copy(batch)
        letters.rows = []
        return st, dict(grace_ctx), letters

    def transaction(self):
        """The verb's transaction: none when optimistic (the writes go in one implicit one)."""
        return nullcontext() if self.optimistic else transaction.atomic()

    # --- reading ------------------------------------------------------------------------
    def lock(self, *, new_request: bool = False) -> _Title:
        """Read the title row — the number of copies, the policy, the copies' ids, the stamp
        and (``new_request``, PostgreSQL) an id for the request to insert — taking the title's
        lock first unless optimistic."""
        vendor = connection.vendor
        pg = vendor == "postgresql"
        sql = _TITLE_SQL[(vendor, new_request and pg)]
        row, self._title_row = self._title_row, None
        if self.optimistic and row is not None:  # read with the fingerprint (the stamp before the state)
            return self._took(row)
        with connection.cursor() as cur:
            try:
                if pg and not self.optimistic:
                    rows.execute(cur, [(_SET_LOCK_TIMEOUT, [f"{LOCK_TIMEOUT_MS}ms"]), (_FACTS_LOCK, [self.rep_id]),
                                       (_GRACE_LOCK, [self.rep_id]), (sql, [self.rep_id])])
                    for _ in range(3):
                        cur.nextset()
                else:
                    rows.execute(cur, [(sql, [self.rep_id])])
            except OperationalError as exc:
                if _is_busy(exc):
                    raise TitleBusy() from exc
                raise
            row = cur.fetchone()
        return self._took(row)

    def _took(self, row) -> _Title:
        st = self.settings
        if row is None:
            raise RuleViolation("LDL-2", _("this representation is not configured for long-term digital loans"))
        concurrent_users, policy_id, long_term_loan, active, self.stamp, copies, *next_id = row
        self.copies = {int(n): int(i) for n, i in (c.split(":") for c in copies.split(","))} if copies else {}
        self.next_id = next_id[0] if next_id else None
        st.concurrent_users = concurrent_users
        if policy_id != st.policy_id:  # changed since it was read: read it again (rare)
            st.policy = AccessRightsPolicy.objects.filter(pk=policy_id).first() if policy_id else None
        elif st.policy is not None:
            st.policy.long_term_loan = bool(long_term_loan)
        self.rep.active = bool(active)
        return self

    def read(self, *, own: int | None = None, ahead_of: tuple[int, dt.datetime] | None = None) -> _Title:
        """The state statement (see the comment above :data:`LOCK_TIMEOUT_MS`) — already read
        with the configuration when optimistic (:meth:`_configured`)."""
        prefetched, self._prefetched = self._prefetched, None
        rows: Iterable[LoanRequest]
        if (prefetched is not None and self.optimistic
                and prefetched[0] == (own, ahead_of[0] if ahead_of is not None else None)):
            rows = prefetched[1]
        else:
            ahead: list = []
            if ahead_of is not None:
                priority, when = ahead_of
                ahead = [self.rep_id, priority, priority, connection.ops.adapt_datetimefield_value(when)]
            params = [*ahead, self.rep_id, own or 0, *ahead, self.rep_id, max(self.settings.concurrent_users, 1)]
            rows = LoanRequest.objects.raw(_STATE_SQL[(connection.vendor, ahead_of is not None)], params)
        self.requests, self.heads = {}, []
        self.stamps, self.read_active, self.read_heads = {}, {}, []
        for row in rows:
            req = self.requests.get(row.pk)
            if req is None:
                req = self.requests[row.pk] = row
                row.representation = self.rep
                row.patron = _patron_of(row)
                row.preference = _preference_of(row)
                self.stamps[row.pk] = row.row_stamp
                if row.status == Status.ACTIVE:
                    self.read_active[row.pk] = row.slot_id
            self.ahead = row.ahead
            if row.kind == "head":
                self.heads.append(req)
                self.read_heads.append(row.pk)
        return self

    def own(self, req: LoanRequest) -> LoanRequest:
        """The verb's own request as it is now (read by :meth:`read` with ``own=req.pk``)."""
        fresh = self.requests.get(req.pk)
        if fresh is None:  # deleted meanwhile
            raise NotFound("LDL-13", _("no such loan request"))
        return fresh

    def settle_for(self, req: LoanRequest, patron: User | None = None,
                   refusal: tuple[str, str] = ("", "")) -> tuple[LoanRequest, dt.datetime]:
        """Lock the title, read its state with ``req``, apply the due timers: ``req`` as it stands
        now — refused with ``refusal`` (rule, message) unless it is ``patron``'s, when given."""
        self.lock()
        self.read(own=req.pk)
        now = clock.now()  # after the read: later than every change it saw (their loans' times stay ordered)
        self.apply_timers(now)
        req = self.own(req)
        if patron is not None and req.patron_id != patron.pk:
            raise PermissionDenied(*refusal)
        return req, now

    def active(self) -> list[LoanRequest]:
        return [r for r in self.requests.values() if r.status == Status.ACTIVE]

    # --- writing ------------------------------------------------------------------------
    def move(self, req: LoanRequest, action: str, actor, now: dt.datetime, note: str = "", *, slot_number: int | None = None,
             **fields) -> LoanRequest:
        """Apply one transition of :data:`.workflow.LOAN_WORKFLOW` (one UPDATE) and queue its audit entry."""
        status, step = transition(req, action)
        was_grace = req.step == Step.IN_GRACE_PERIOD
        changes = {}
        if (status, step) != (req.status, req.step):
            changes = {"status": [req.status, status], "step": [req.step, step]}
        if "slot" in fields and fields["slot"] is None and req.slot_id is not None:
            self.released.add(req.slot_id)
        for name, value in fields.items():
            old = getattr(req, name + "_id" if name == "slot" else name)
            new = value.pk if name == "slot" and value is not None else value
            if old != new:
                changes[name] = [str(old) if isinstance(old, dt.timedelta) else old,
                                 str(new) if isinstance(new, dt.timedelta) else new]
            setattr(req, name, value)
        req.status, req.step, req.updated_at = status, step, now
        names = ["status", "step", "updated_at", *fields]
        if slot_number is not None:  # copy ``slot_number`` of the title (its id read with the title row)
            if slot_number not in self.copies:
                raise RuleViolation("LDL-15", _("every copy was taken at the same moment; please try again"), status=409)
            changes["slot"] = [req.slot_id, self.copies[slot_number]]  # type: ignore[list-item]
            self.taken.append(self.copies[slot_number])
            req.slot_id, req.slot_number = self.copies[slot_number], slot_number
            names.append("slot")
        elif "slot" in fields and fields["slot"] is None:
            req.slot_number = None
        self.last_write = tuple(dict.fromkeys(names))
        if self._new is None or self._new[0] is not req:
            sql, params = _write_sql(req, names)
            if self.optimistic and was_grace and req.pk in self.stamps and req.pk not in self.written:
                # the patron may open it meanwhile without the title's lock: written only if unchanged
                sql, params = _versioned(sql), [*params, self.stamps[req.pk]]
            self.pending.append((sql, params))
        if req.pk in self.stamps:
            self.written.add(req.pk)
        self.audit.append(audit.entry(actor, req, action, note=note, changes=changes))
        return req

    def complete(self, req: LoanRequest, action: str, outcome: str, actor, now: dt.datetime, when: dt.datetime,
                 note: str = "", **fields) -> None:
        self.move(req, action, actor, now, note=note, slot=None, completed_at=when, outcome=outcome, **fields)

    def letter(self, code: str, req: LoanRequest, key: str, **extra) -> None:
        if self._letters is None:
            self._letters = LetterBatch(self.rep.library.institution, LETTERS)
        self._letters.add(code, req.patron, _letter_context(req, **extra), key=f"ldl:{req.pk}:{key}",
                          **({"preference": req.preference} if hasattr(req, "preference") else {}))

    def waitlist_letter(self, req: LoanRequest, before: int, *, rising: int = 0) -> None:
        """LDL-5 / workflow step 1: the new request ``req`` waits — its waitlist letter tells its
        place: 1 + the number waiting ahead of it counted inside the lock (``ahead_gate``), less
        the ``before`` of them that this verb hands a copy.

        Optimistic on PostgreSQL (behind the facts gate) that number may change between the
        read and the write — a finish meanwhile served a head (it falls), a request made a moment
        earlier was written (it rises) — and a change of it used to fail the gate on the place
        alone, one more round trip to write the letter again (issue 19: about one per hot loan).
        Here the letter is rendered for each place the request can have (the number read
        changed by each of ``PLACE_CHANGES``), each row written only if its place is the
        request's place when the letters are written (:func:`_insert_sql`, ``at_place``) —
        inside the title's lock, after this verb's own moves, so the place the gate would have
        found: the letter that a rewrite would have sent, chosen by the database.  The gate
        checks that the number ahead is one of those covered (fact ``place``), so exactly one
        is written; outside them the letter is written again (:meth:`_behind_facts`), rendered for
        ``rising`` places more above: a place that rose by that much since the read (requests made
        at the same moment written ahead of it — a burst) may rise as much again."""
        priority, when, ahead = self.ahead_gate  # type: ignore[misc]
        self.place_letter = (req, before)
        if not (self.optimistic and self.facts):  # locked: the number read is the number at the write
            self.letter("ldl_waitlist", req, "waitlist", place=ahead - before + 1)
            return
        # the requests this verb hands a copy ahead of it were waiting when the gate counted
        lo, hi = max(before, ahead + min(PLACE_CHANGES)), ahead + max(PLACE_CHANGES) + max(rising, 0)
        self.place_of, self.place_range = (req.pk, priority, when), (lo, hi)
        for counted in range(lo, hi + 1):
            place = counted - before + 1
            start = len(self._letters.rows) if self._letters is not None else 0
            self.letter("ldl_waitlist", req, "waitlist", place=place)
            for row in self._letters.rows[start:]:  # type: ignore[union-attr]
                self.when_place[id(row)] = place

    def hand_over(self, req: LoanRequest, number: int, now: dt.datetime, actor) -> None:
        """LDL-6 / workflow step 2: the head of the waitlist gets copy ``number`` and a grace period."""
        t = req.terms
        if self.grace_ctx is None:
            self.grace_ctx = grace_context(self.rep.library)
        library = self.grace_ctx["library"]
        grace_end = grace_due(library, now, t["grace_period"], t["grace_unit"], include_closed=self.grace_ctx["include_closed"])
        session_end = None
        if t.get("grace_included"):  # LDL-8: the session starts with the grace period
            session_end = now + period(t["session_period"], t["session_unit"])
            grace_end = min(grace_end, session_end)
        self.move(req, "hand_over", actor, now, slot_number=number, handed_over_at=now, grace_due_at=grace_end,
                  session_due_at=session_end)
        self.handed.append(req)
        self.letter("ldl_available", req, "available", grace_until=local_time(grace_end, library))

    def allocate(self, now: dt.datetime, actor=None, *, late: bool = False) -> list[LoanRequest]:
        """Hand every free copy to the head of the waitlist.  The active requests were counted
        inside the lock (:meth:`read`) and every move since is applied to them: never trusted
        from before the lock (LDL-15).

        ``late`` (the last move of an optimistic verb behind the facts gate): when one copy is
        free, the database picks its holder as it writes — see :meth:`_hand_over_late`."""
        st = self.settings
        if not st.is_long_term_loan or st.concurrent_users <= 0:
            return []
        self.used_active = True
        active = self.active()
        free = st.concurrent_users - len(active)
        ready = [r for r in self.heads if r.status == Status.READY]
        if free <= 0 or len(ready) > free:
            self.copies_limited = True
        if free <= 0:
            return []
        if late and free == 1 and self.optimistic and self.facts and self.late is None and not self.handed:
            held = {r.slot_number for r in active}
            number = next(n for n in range(1, st.concurrent_users + 1) if n not in held)
            self._hand_over_late(ready[:LATE_CANDIDATES], number, now, actor)
            return []
        heads = ready[:free]
        # the decision depends on the waitlist up to the last head it serves — or on all of it
        # (nobody else waiting) when there are fewer heads than free copies
        position = {pk: i for i, pk in enumerate(self.read_heads)}
        looked = (len(self.read_heads) + 1 if len(heads) < free
                  else max((position[r.pk] + 1 for r in heads if r.pk in position), default=0))
        self.heads_prefix = max(self.heads_prefix, looked)
        held = {r.slot_number for r in active}
        numbers = [n for n in range(1, st.concurrent_users + 1) if n not in held]
        if self.optimistic and len(numbers) > 1 and heads:
            # several copies free, decided before the lock (issue 19, session 13): verbs that read
            # the same free copies at the same moment — a burst of requests for a title with
            # copies free — each taking the lowest all chose copy 1, and all but one failed the
            # gate (fact ``held``), read again, chose copy 2 …: one winner per round.  So the free
            # copies are taken in turn from the one the first head's id points to: requests made
            # together have consecutive ids and point to different copies, and as many win the
            # first round as there are copies free.  (Which copy a loan holds is nobody's concern —
            # LDL-15 counts them; locked and on SQLite, the lowest, as read in the lock.)
            turn = heads[0].pk % len(numbers)
            numbers = numbers[turn:] + numbers[:turn]
        handed = []
        for req, number in zip(heads, numbers):
            self.hand_over(req, number, now, None if actor is None else actor)
            handed.append(req)
        return handed

    def _hand_over_late(self, candidates: list[LoanRequest], number: int, now: dt.datetime, actor) -> None:
        """Hand copy ``number`` to whoever is first in the waitlist when the writes run, among
        ``candidates`` (the first requests of the waitlist as read, in order) — issue 19.

        Two finishes that read the same head used to fail each other's gate (one head, two
        copies: the second read again and decided again).  Here each candidate's hand-over
        (its ``UPDATE``, audit entry and letters, made as :meth:`hand_over` makes them) is
        queued with a condition the database checks as it writes, inside the title's lock: the
        ``UPDATE`` applies only if the request is then first in the waitlist and the copy is
        still free, so exactly one candidate — the first still waiting — gets it, and its audit
        entry and letters are written only if it then holds the copy.  The facts gate checks
        that the first request waiting is one of the candidates (or that nobody waits), that
        the copy is free and that no other was freed meanwhile (``late``, ``held``, ``freed``):
        the decision is then the one the verb would make on the state as it is when written
        (LDL-5, LDL-6, LDL-15).  The objects of ``candidates`` are left as if each had been
        handed the copy: the verb's last move, nothing reads them after it."""
        copy_id = self.copies.get(number)
        if copy_id is None:
            raise RuleViolation("LDL-15", _("every copy was taken at the same moment; please try again"), status=409)
        written, taken = set(self.written), list(self.taken)
        writes: list[tuple[LoanRequest, tuple[str, ...]]] = []
        for req in candidates:
            pending, audits = len(self.pending), len(self.audit)
            letters = len(self._letters.rows) if self._letters is not None else 0
            self.hand_over(req, number, now, actor)
            assert len(self.pending) == pending + 1
            del self.pending[pending:]  # its UPDATE: folded with the others' below
            writes.append((req, self.last_write))
            for entry in self.audit[audits:]:
                self.when_held[id(entry)] = (req.pk, copy_id)
            if self._letters is not None:
                for row in self._letters.rows[letters:]:
                    self.when_held[id(row)] = (req.pk, copy_id)
        if writes:  # one UPDATE: only the first still waiting, only if the copy is free (_first_of)
            sql, params = _first_of(writes)
            self.pending.append((sql, [*params, self.rep_id, copy_id]))
        self.written, self.taken = written, [*taken, copy_id]
        self.late = [r.pk for r in candidates]

    def apply_timers(self, now: dt.datetime) -> int:
        """Move every request of the title whose due time has passed (inside the lock)."""
        self.now = now
        overdue = sorted((r for r in self.active() if _overdue(r, now)), key=lambda r: r.pk)
        for req in overdue:
            if req.step == Step.IN_GRACE_PERIOD:  # workflow step 5
                self.complete(req, "grace_expire", Outcome.GRACE_EXPIRED, None, now, req.grace_due_at)
                self.letter("ldl_grace_expired", req, "grace_expired")
            else:  # workflow step 4: the session period ended
                self.complete(req, "session_end", Outcome.SESSION_ENDED, None, now, req.session_due_at)
        if overdue:
            self.allocate(now)
        return len(overdue)

    def insert(self, req: LoanRequest) -> LoanRequest:
        """A new request: queued with the id read with the title row, else (SQLite, in the
        writer lock) saved now, after the moves queued before it (a timer may just have ended
        the patron's previous request)."""
        if self.next_id is None:
            statements, self.pending = self.pending, []
            if statements:
                _run(statements)
            req.save(force_insert=True)
            return req
        req.pk, self.next_id = self.next_id, None
        req._state.adding, req._state.db = False, connection.alias
        self._new = (req, len(self.pending))
        self.pending.append(("", []))  # its INSERT, made at the flush
        return req

    def facts_gate(self) -> list[tuple[str, list]]:
        """The gate of an optimistic verb that names what its decision depends on (issue 19):
        the statements that take the title's lock and then, in a snapshot taken after it,
        divide by zero unless every fact the decision used is still true —

        - the title's configuration (copies, their ids, policy, long-term loan, active);
        - each request it moves is the very row version it read (``xmin``);
        - no other active request is overdue at the decision's time (the timers were applied);
        - when it counted the copies held (:meth:`allocate`): the copies it hands out are free,
          none came back when it found none free, and — for a copy that was free when read —
          no loan of the title ended after the decision's time (lent and returned meanwhile:
          the recorded loans would overlap);
        - the first requests of the waitlist it served (all of it, when it found fewer than
          free copies) are those it read, in that order;
        - a new request: the number waiting ahead of it (its place, told in its letter; when
          only that changed, :meth:`_behind_facts` writes the letter again with the new place).

        Then the decision is the one the verb would make on the state as it is when written,
        so writing it keeps LDL-15's serial order; and a verb no longer fails because another
        changed something its decision did not use (an access, a request joining behind the
        head).  Everything else runs behind the stamp gate."""
        st = self.settings
        written = sorted(self.written)
        now = self.now or clock.now()
        checks = [  # (name, condition), in the order of their parameters
            ("configuration", f"EXISTS (SELECT 1 FROM {_SETTINGS} s JOIN {_qn(Representation._meta.db_table)} r ON r.id = s.representation_id "
            f"LEFT JOIN {_qn(AccessRightsPolicy._meta.db_table)} p ON p.id = s.policy_id WHERE s.representation_id = %s "
            f"AND s.concurrent_users = %s AND s.policy_id IS NOT DISTINCT FROM %s AND r.active = %s "
            f"AND coalesce(p.long_term_loan, false) = %s)"),
            ("copies", f"array(SELECT sl.id::bigint FROM {_SLOT} sl WHERE sl.representation_id = %s ORDER BY sl.id) = %s::bigint[]"),
            ("moved", f"array(SELECT q.id::text || ':' || q.xmin::text FROM {_REQ} q WHERE q.id = ANY(%s::bigint[]) "
                      f"ORDER BY q.id) = %s::text[]"),
            ("overdue", f"NOT EXISTS (SELECT 1 FROM {_REQ} q WHERE q.representation_id = %s AND q.status = 'active' "
                        f"AND q.id <> ALL(%s::bigint[]) AND ((q.step = 'in_grace_period' AND q.grace_due_at <= %s) "
                        f"OR (q.step = 'is_being_viewed' AND q.session_due_at <= %s)))"),
        ]
        params: list = [self.rep_id, st.concurrent_users, st.policy_id, bool(self.rep.active), bool(st.is_long_term_loan),
                        self.rep_id, sorted(self.copies.values()),
                        written, [f"{pk}:{self.stamps[pk]}" for pk in written],
                        self.rep_id, written, now, now]
        if self.used_active:  # the copies it hands out are free; none was freed if it found none left
            others = f"FROM {_REQ} q WHERE q.representation_id = %s AND q.status = 'active' AND q.id <> ALL(%s::bigint[])"
            checks.append(("held", f"NOT EXISTS (SELECT 1 {others} AND q.slot_id = ANY(%s::bigint[]))"))
            params += [self.rep_id, written, self.taken]
            if any(s not in self.released for s in self.taken):
                # a copy that was free when read may have been lent and returned since: its loan's
                # end must not come after this decision's time (the loans' times stay ordered)
                checks.append(("returned", f"NOT EXISTS (SELECT 1 FROM {_REQ} q WHERE q.representation_id = %s "
                                           f"AND q.status IN ('completed', 'rejected') AND q.completed_at > %s "
                                           f"AND q.id <> ALL(%s::bigint[]))"))
                params += [self.rep_id, now, written]
            if self.copies_limited or self.late is not None:
                checks.append(("freed", f"(SELECT count(*) {others}) >= %s"))
                params += [self.rep_id, written, sum(1 for pk in self.read_active if pk not in self.written)]
        if self.heads_prefix:
            checks.append(("heads", f"array(SELECT q.id FROM {_REQ} q WHERE q.representation_id = %s AND q.status = 'ready' "
                                    f"ORDER BY q.priority DESC, q.requested_at, q.id LIMIT %s) = %s::bigint[]"))
            params += [self.rep_id, self.heads_prefix, self.read_heads[:self.heads_prefix]]
        if self.late is not None:  # the first waiting is one of the candidates of the late hand-over, or nobody waits
            checks.append(("late", f"NOT EXISTS (SELECT 1 FROM (SELECT q.id FROM {_REQ} q WHERE q.representation_id = %s "
                                   f"AND q.status = 'ready' ORDER BY q.priority DESC, q.requested_at, q.id LIMIT 1) AS f "
                                   f"WHERE f.id <> ALL(%s::bigint[]))"))
            params += [self.rep_id, self.late]
        counted: list = []  # the parameters of the number waiting ahead of a new request
        if self.ahead_gate is not None:
            priority, when, ahead = self.ahead_gate
            counted = [self.rep_id, priority, priority, when]
            if self.place_range is not None:  # its letter is rendered for these (waitlist_letter)
                checks.append(("place", f"{_AHEAD} BETWEEN %s AND %s"))
                params += [*counted, *self.place_range]
            else:
                checks.append(("place", f"{_AHEAD} = %s"))
                params += [*counted, ahead]
        # a fact no longer true aborts the query with the names of those that failed (a failed
        # cast); for the place, with the number now waiting ahead
        failed = ", ".join(f"CASE WHEN coalesce({condition}, false) THEN NULL ELSE "
                           + (f"'place=' || {_AHEAD}::text" if name == "place" else f"'{name}'") + " END"
                           for name, condition in checks)
        params += counted  # the place's count again, for the number ahead (the last check)
        return [(_SET_LOCK_TIMEOUT, [f"{LOCK_TIMEOUT_MS}ms"]), (_FACTS_LOCK, [self.rep_id]),
                (f"SELECT CASE WHEN f = '' THEN 1 ELSE ('{_FACTS_FAILED}' || f)::int END "
                 f"FROM (SELECT concat_ws(' ', {failed}) AS f) AS facts", params)]

    def _behind_facts(self, statements: list[tuple[str, list]], letters: list[OutboxMessage]) -> list[OutboxMessage]:
        """Send the writes behind the facts gate.  When the only fact that changed is the new
        request's place (a head was served, or a request made earlier was written, meanwhile),
        the decision still holds: its waitlist letter is written again with the place the gate
        found, and the writes sent again — no new read, no new decision; the letters written."""
        for rewrites in range(PLACE_REWRITES + 1):
            try:
                self.returned = _run(statements, gate=self.facts_gate(), last=self.returning,
                                     announce=self._announcement(letters))
                return letters
            except _Conflict as exc:
                place = [f for f in exc.args if f.startswith("place=")]
                if (rewrites == PLACE_REWRITES or self.place_letter is None or self.ahead_gate is None
                        or len(exc.args) != 1 or not place or not letters):
                    raise
                ahead = int(place[0].split("=", 1)[1])
                req, before = self.place_letter
                key = f"ldl:{req.pk}:waitlist:"
                letters = [r for r in letters if not r.idempotency_key.startswith(key)]
                priority, when, was = self.ahead_gate
                self.ahead_gate = (priority, when, ahead)
                self.when_place = {}  # (only the waitlist letter's rows have a place)
                self.waitlist_letter(req, before, rising=ahead - was)  # again, around the number the gate found
                if self._letters is not None:
                    letters, self._letters.rows = letters + self._letters.rows, []
                statements[-1] = self._letters_insert(letters)  # the letters are the last statement
                RETRIES["place_rewritten"] = RETRIES.get("place_rewritten", 0) + 1
        return letters

    def _insert(self, objs: list, *, ignore_conflicts: bool = False) -> tuple[str, list]:
        when_held = [self.when_held.get(id(o)) for o in objs] if self.when_held else None
        at_place = None
        if self.when_place and self.place_of is not None:
            at_place = ([self.when_place.get(id(o)) for o in objs], (self.rep_id, *self.place_of))
        return _insert_sql(objs, ignore_conflicts=ignore_conflicts, when_held=when_held, at_place=at_place)

    def _letters_insert(self, letters: list[OutboxMessage]) -> tuple[str, list]:
        """The letters' ``INSERT … ON CONFLICT DO NOTHING`` — returning the letters it wrote when
        some are written only if their request then holds a copy (:meth:`_hand_over_late`), so
        that the announcement names those (PostgreSQL)."""
        sql, params = self._insert(letters, ignore_conflicts=True)
        self.returning = connection.vendor == "postgresql" and any(id(r) in self.when_held for r in letters)
        return (sql + f" RETURNING {_qn('letter')}, {_qn('recipient_id')}" if self.returning else sql), params

    def _announcement(self, letters: list[OutboxMessage]) -> tuple[str, list] | None:
        """An optimistic verb's announcement of its letters, sent after its writes' ``COMMIT`` in
        their round trip (:func:`_run`, ``announce``): the letters written in any case by name,
        and those of a hand-over the database decided (:meth:`_hand_over_late`) if written."""
        if not (self.optimistic and letters):
            self.announcing = False
            return None
        held = [r.idempotency_key for r in letters if id(r) in self.when_held and r.status == OutboxMessage.Status.PENDING]
        found = announcement_sql([r for r in letters if id(r) not in self.when_held], held)
        self.announcing = found is not None
        return found

    def _announced(self, letters: list[OutboxMessage]) -> list[OutboxMessage]:
        """The letters to announce after the commit (see ``notify.delivery.announce``): those
        written — of the conditional ones, those the database wrote (the last statement's rows);
        of a waitlist letter rendered for several places, one (the same recipient and letter)."""
        if self.when_place:
            seen: set[str] = set()
            kept = []
            for r in letters:
                if id(r) in self.when_place:
                    if r.idempotency_key in seen:
                        continue
                    seen.add(r.idempotency_key)
                kept.append(r)
            letters = kept
        if not self.returning:
            return letters
        written = {(letter, recipient) for letter, recipient in self.returned or ()}
        return [r for r in letters if id(r) not in self.when_held or (r.letter, r.recipient_id) in written]

    def flush(self) -> None:
        """Write what was queued — the moves, the audit entries (one ``INSERT``), the letters
        (one ``INSERT … ON CONFLICT DO NOTHING``, idempotent on their keys) — in one round trip
        (optimistic: behind the gate, committed with it)."""
        statements, self.pending = self.pending, []
        if self._new is not None:
            statements[self._new[1]] = _insert_sql([self._new[0]])
            self._new = None
        if self.audit:
            statements.append(self._insert(self.audit))
            self.audit = []
        letters: list[OutboxMessage] = []
        if self._letters is not None:
            letters, self._letters.rows = self._letters.rows, []
        if letters:
            statements.append(self._letters_insert(letters))
        if statements and self.optimistic and self.facts:
            letters = self._behind_facts(statements, letters)
        elif statements:
            self.returned = _run(statements, gate=(self.rep_id, self.stamp) if self.optimistic else None,
                                 last=bool(letters) and self.returning, announce=self._announcement(letters))
        letters = self._announced(letters)
        if any(r.status == OutboxMessage.Status.PENDING for r in letters):
            # after the commit: the letters announced to listeners (notify.delivery.announce) —
            # unless already announced in the writes' round trip (optimistic: _run, announce)
            transaction.on_commit(_kick_with(letters, announced=self.announcing), robust=True)


def _kick_with(letters: list[OutboxMessage], *, announced: bool = False):
    """The on-commit call announcing ``letters`` (``notify.delivery.kick``), named (Django logs
    a failing on-commit call by its ``__qualname__``)."""
    def kick_letters() -> None:
        kick(letters, announced=announced)
    return kick_letters


def _overdue(req: LoanRequest, now: dt.datetime) -> bool:
    if req.status != Status.ACTIVE:
        return False
    if req.step == Step.IN_GRACE_PERIOD:
        return req.grace_due_at is not None and req.grace_due_at <= now
    return req.step == Step.IS_BEING_VIEWED and req.session_due_at is not None and req.session_due_at <= now


def _ensure_settings(representation: Representation) -> None:
    if LoanSettings.objects.filter(representation_id=representation.pk).exists():
        return
    try:
        with transaction.atomic():
            LoanSettings.objects.create(representation=representation)
    except IntegrityError:  # created by a concurrent transaction meanwhile
        pass


def _resize(actor, st: LoanSettings, values: dict) -> dict:
    """Save the new settings and make the representation's copies exactly 1..concurrent_users
    (inside the lock).  The database holds every slot number ≤ concurrent_users (LDL-15:
    ``LoanSlot.capacity`` follows ``concurrent_users`` by ON UPDATE CASCADE, and
    ``number <= capacity``), so copies above a lower limit go before the limit is lowered,
    and new copies come after it is raised."""
    rep_id = st.representation_id
    n = values.get("concurrent_users", st.concurrent_users)
    high = list(LoanSlot.objects.filter(representation_id=rep_id, number__gt=n, request__isnull=False).select_related("request"))
    if high:  # keep the copies compact: a loan on copy 3 moves to a free copy 1 or 2
        free = list(LoanSlot.objects.filter(representation_id=rep_id, number__lte=n, request__isnull=True).order_by("number"))
        for slot, target in zip(high, free):
            req = slot.request
            req.slot = target
            req.save(update_fields=["slot"])
    LoanSlot.objects.filter(representation_id=rep_id, number__gt=n).delete()
    changes = audit.update(actor, st, **values) if values else {}
    have = set(LoanSlot.objects.filter(representation_id=rep_id).values_list("number", flat=True))
    LoanSlot.objects.bulk_create([LoanSlot(representation_id=rep_id, number=k, capacity=n)
                                  for k in range(1, n + 1) if k not in have])
    return changes


CONCURRENT_USERS_MAX = 10_000   # the page's and the API's ceiling (api.fields.ConcurrentUsers)


def configure_representation(actor: User, representation: Representation, *, policy=UNSET, concurrent_users=UNSET) -> LoanSettings:
    """Assign an access-rights policy and a number of concurrent users (0 = no access) — LDL-2."""
    if not can_configure(actor, library=representation.library):
        raise PermissionDenied("LDL-2", _("only a Digital Inventory Operator or a General System Administrator assigns access rights"))
    if policy is not UNSET and policy is not None and policy.institution_id != representation.library.institution_id:
        raise RuleViolation("LDL-2", _("the policy belongs to another institution"), field="policy_id")
    if concurrent_users is not UNSET and (concurrent_users is None or int(concurrent_users) < 0):
        raise RuleViolation("LDL-2", _("the number of concurrent users cannot be negative"), field="concurrent_users")
    if concurrent_users is not UNSET and int(concurrent_users) > CONCURRENT_USERS_MAX:
        raise RuleViolation("LDL-2", _("at most %(max)s concurrent users") % {"max": f"{CONCURRENT_USERS_MAX:,}"},
                            field="concurrent_users")
    _ensure_settings(representation)
    with transaction.atomic():
        title = _Title(representation.pk, grace=True).lock()
        st = title.settings
        now = clock.now()
        title.read()
        title.apply_timers(now)
        values: dict = {}
        if policy is not UNSET:
            values["policy"] = policy
        if concurrent_users is not UNSET:
            values["concurrent_users"] = int(concurrent_users)
        open_requests = LoanRequest.objects.filter(representation_id=representation.pk, status__in=[Status.READY, Status.ACTIVE])
        if "policy" in values and (policy is None or not policy.long_term_loan) and open_requests.exists():
            raise RuleViolation("LDL-2", _("the representation has open loan requests: cancel them or let them finish first"),
                                status=409, field="policy_id")
        withdrawn: list[LoanRequest] = []
        if values.get("concurrent_users") == 0:
            # LDL-2 "entering 0 prevents any access": the title is withdrawn from lending.  Nobody
            # can be served any more, so the waitlist and the grace periods end now, each patron
            # told why (LDL-11/12); a copy that is being read cannot be taken back (LDL-15).
            viewing = open_requests.filter(step=Step.IS_BEING_VIEWED).count()
            if viewing:
                raise RuleViolation("LDL-15", ngettext(
                    "%(n)d copy is being read: the number of concurrent users cannot be 0 until it is returned",
                    "%(n)d copies are being read: the number of concurrent users cannot be 0 until they are returned",
                    viewing) % {"n": viewing}, status=409, field="concurrent_users")
            withdrawn = list(open_requests.select_related("patron").order_by("id"))
        elif "concurrent_users" in values:
            active = open_requests.filter(status=Status.ACTIVE).count()
            if values["concurrent_users"] < active:
                raise RuleViolation("LDL-15", ngettext(
                    "%(n)d copy is on loan: the number of concurrent users cannot go below it until it is returned",
                    "%(n)d copies are on loan: the number of concurrent users cannot go below that until they are returned",
                    active) % {"n": active}, status=409, field="concurrent_users")
        for req in withdrawn:  # before the copies go: a request in its grace period holds one
            req.representation = st.representation
            title.complete(req, "cancel", Outcome.CANCELLED, actor, now, now, cancel_reason=CancelReason.RESOURCE_WITHDRAWN)
            title.letter("ldl_cancelled", req, "cancelled", reason=req.get_cancel_reason_display(), note="")
        if values:
            st.updated_at = now
        title.flush()  # the copies held by the withdrawn requests are free before _resize moves any
        _resize(actor, st, values)
        title.lock().read()  # the copies as _resize left them
        title.allocate(now, actor=actor)
        title.flush()
        return st


def save_representation_rights(actor: User, representation: Representation, *, policy=UNSET, concurrent_users=UNSET,
                               related_item_ids: Iterable[int] | None = None) -> LoanSettings | None:
    """LDL-2 as one change: the policy, the number of concurrent users and (when given) the
    whole set of related physical items — all saved or, on any refusal, none."""
    if not can_configure(actor, library=representation.library):
        raise PermissionDenied("LDL-2", _("only a Digital Inventory Operator or a General System Administrator assigns access rights"))
    with transaction.atomic():
        wanted: dict[int, Item] | None = None
        if related_item_ids is not None:  # check the items before anything is written
            ids = {int(i) for i in related_item_ids}
            if len(ids) > ITEMS:
                raise RuleViolation("LDL-2", _("at most %(max)s copies at once") % {"max": ITEMS},
                                    field="related_item_ids")
            if any(not 1 <= i <= MAX_ID for i in ids):
                raise RuleViolation("LDL-2", _("unknown item id"), field="related_item_ids")
            wanted = {i.pk: i for i in Item.objects.filter(pk__in=ids)}
            if len(wanted) != len(ids):
                raise RuleViolation("LDL-2", _("unknown item id"), field="related_item_ids")
            for item in wanted.values():
                if item.record_id != representation.record_id:
                    raise RuleViolation("LDL-2", _("item %(b)s belongs to another title") % {"b": item.barcode},
                                        field="related_item_ids")
        st = None
        if policy is not UNSET or concurrent_users is not UNSET or related_item_ids is None:
            st = configure_representation(actor, representation, policy=policy, concurrent_users=concurrent_users)
        if wanted is not None:
            current = set(representation.related_items.values_list("pk", flat=True))
            add = [item for pk, item in wanted.items() if pk not in current]
            if add:
                add_related_items(actor, representation, add)
            for item in representation.related_items.exclude(pk__in=list(wanted)):
                remove_related_item(actor, representation, item)
        return st


def add_related_items(actor: User, representation: Representation, items: Iterable[Item]) -> None:
    """LDL-2: associate physical items of the same record with the representation."""
    if not can_configure(actor, library=representation.library):
        raise PermissionDenied("LDL-2", _("only a Digital Inventory Operator or a General System Administrator edits related items"))
    items = list(items)
    for item in items:
        if item.record_id != representation.record_id:
            raise RuleViolation("LDL-2", _("item %(b)s belongs to another title") % {"b": item.barcode}, field="item_ids")
    with transaction.atomic():
        representation.related_items.add(*items)
        audit.event(actor, representation, "related_items_added", note=", ".join(i.barcode for i in items))


def remove_related_item(actor: User, representation: Representation, item: Item) -> None:
    if not can_configure(actor, library=representation.library):
        raise PermissionDenied("LDL-2", _("only a Digital Inventory Operator or a General System Administrator edits related items"))
    with transaction.atomic():
        representation.related_items.remove(item)
        audit.event(actor, representation, "related_item_removed", note=item.barcode)


# --- the moves ----------------------------------------------------------------------------

def _letter_context(req: LoanRequest, **extra) -> dict:
    rep = req.representation
    t = req.terms
    return {
        "patron": req.patron.get_full_name() or req.patron.username,
        "title": rep.record.title,
        "representation": rep.label or rep.record.title,
        "library": rep.library.name,
        "link": getattr(rep, "loan_link", None) or title_link(rep.pk),
        "grace_period": describe_period(t.get("grace_period", 0), t.get("grace_unit", "days")),
        "session_period": describe_period(t.get("session_period", 0), t.get("session_unit", "days")),
        **extra,
    }


def grace_context(library: Library) -> dict:
    """What a grace computation needs (the library's calendar and the LDL-7 setting), read
    before taking the lock so that the locked section runs fewer statements."""
    lib = Library.objects.select_related("institution__consortium").prefetch_related("closed_dates").get(pk=library.pk)
    return {"library": lib, "include_closed": bool(config.get(GRACE_SETTING, library=lib))}


def _library_tz(library: Library) -> ZoneInfo:
    try:
        return ZoneInfo(library.timezone or "UTC")
    except Exception:  # an unknown zone name in the data: UTC rather than fail
        return ZoneInfo("UTC")


def add_library_hours(library: Library, start: dt.datetime, hours: int) -> dt.datetime:
    """``start`` moved forward by ``hours`` of time on library open days (LDL-7): the hours of a
    closed day (closed weekday or closed date, in the library's time zone) do not count.  A
    grace handed over on a closed day starts counting at the beginning of the next open day.
    From an open day this agrees with the days unit: 48 hours from Friday 10:00 is Tuesday
    10:00, like 2 days, when the weekend is closed."""
    tz = _library_tz(library)
    cal = calendar.library_calendar(library)  # once: the loop runs inside the loan lock
    remaining = dt.timedelta(hours=hours)
    local = start.astimezone(tz)
    day = local.date()
    if not cal.is_open(day):
        day = cal.next_open_day(day)
        local = dt.datetime.combine(day, dt.time(0), tzinfo=tz)
    cursor = local.astimezone(dt.timezone.utc)  # real (UTC) time: days are 23 or 25 hours at a DST change
    while True:
        end_of_day = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)
        if remaining <= end_of_day - cursor:
            return cursor + remaining
        remaining -= end_of_day - cursor
        day = cal.next_open_day(day)
        cursor = dt.datetime.combine(day, dt.time(0), tzinfo=tz).astimezone(dt.timezone.utc)


def grace_due(library: Library, start: dt.datetime, amount: int, unit: str, *, include_closed: bool | None = None) -> dt.datetime:
    """End of a grace period starting at ``start`` (LDL-7): only library open days count — in
    days, open days; in hours, the hours of open days — unless
    ``include_library_closing_days_in_digital_lending_grace_period`` is true (then calendar time)."""
    if include_closed is None:
        include_closed = bool(config.get(GRACE_SETTING, library=library))
    if include_closed:
        return start + period(amount, unit)
    if unit == TimeUnit.HOURS:
        return add_library_hours(library, start, amount)
    tz = _library_tz(library)
    return calendar.add_library_days_to_datetime(library, start.astimezone(tz), amount).astimezone(dt.timezone.utc)


def advance_timers(representation_id: int, now: dt.datetime | None = None) -> int:
    """Apply the due timers of one representation (idempotent)."""
    now = now or clock.now()
    try:
        title = _Title(representation_id, grace=True)
    except RuleViolation:
        return 0
    with transaction.atomic():
        title.lock()
        title.read()
        moved = title.apply_timers(now)
        title.flush()
        return moved


_OVERDUE_SQL = (f"SELECT DISTINCT representation_id FROM {_REQ} WHERE status = 'active' AND "
                f"((step = 'in_grace_period' AND grace_due_at <= %s) OR (step = 'is_being_viewed' AND session_due_at <= %s))")


def settle(representation_ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> int:
    """Apply the timers that are due — for the given representations, or all (the sweep).

    Cheap when nothing is due: one indexed query, no write.  Reads call it first so that
    they never show a state whose time has passed."""
    now = now or clock.now()
    at = connection.ops.adapt_datetimefield_value(now)
    sql, params = _OVERDUE_SQL, [at, at]  # (no ORM compilation: every read runs it)
    if representation_ids is not None:
        ids = [int(i) for i in representation_ids]
        if not ids:
            return 0
        sql += f" AND representation_id IN ({', '.join(['%s'] * len(ids))})"
        params += ids
    with connection.cursor() as cur:
        cur.execute(sql, params)
        due = sorted({row[0] for row in cur.fetchall()})
    moved = 0
    for rep_id in due:
        moved += advance_timers(rep_id, now)
    return moved


def place_in_queue(req: LoanRequest) -> int:
    """LDL-5: 1-based place among the Ready requests (priority desc, request time asc); 0 when not waiting."""
    if req.status != Status.READY:
        return 0
    ahead = LoanRequest.objects.filter(representation_id=req.representation_id, status=Status.READY).filter(
        Q(priority__gt=req.priority) | Q(priority=req.priority, requested_at__lt=req.requested_at)
        | Q(priority=req.priority, requested_at=req.requested_at, id__lt=req.pk)).count()
    return ahead + 1


# --- requests (LDL-3) ------------------------------------------------------------------------

def _check_reloan(rule: AccessRule, title: _Title, patron: User, now: dt.datetime) -> None:
    """LDL-10: after finishing a loan, no new request for the same representation within the
    period — counting the loans written, and those the title's timers have just ended (queued)."""
    if not rule.limit_reloan or rule.reloan_limit_days <= 0:
        return
    since = now - dt.timedelta(days=rule.reloan_limit_days)
    ended = [r for r in title.requests.values() if r.patron_id == patron.pk and r.status == Status.COMPLETED
             and r.session_started_at is not None and r.completed_at is not None and r.completed_at > since]
    written = (LoanRequest.objects.filter(representation_id=title.rep_id, patron=patron, status=Status.COMPLETED,
                                          session_started_at__isnull=False, completed_at__gt=since)
               .order_by("-completed_at").first())
    last = max([*ended, *([written] if written is not None else [])], key=lambda r: r.completed_at or now, default=None)
    if last is not None:
        until = last.completed_at + dt.timedelta(days=rule.reloan_limit_days)
        raise RuleViolation("LDL-10", _("you finished a loan of this title on %(when)s; you can request it again after %(until)s")
                            % {"when": local_time(last.completed_at, last.representation.library),
                               "until": local_time(until, last.representation.library)}, status=409)


@_retrying
def request_loan(actor: User, representation: Representation, *, patron: User | None = None, note: str = "",
                 priority: int | None = None, source: str | None = None) -> LoanRequest:
    """Place a request (LDL-3): by the patron, or by staff on a patron's behalf (staff may set
    the priority).  The request joins the waitlist (step 1) and is handed over at once when a
    copy is free (step 2)."""
    patron = patron or actor
    on_behalf = patron.pk != actor.pk
    library = representation.library
    if (on_behalf or priority is not None or source == Source.STAFF_ACCESS) and not can_manage_requests(actor, library):
        raise PermissionDenied("LDL-3", _("only library staff place requests on behalf of a patron or set their priority"))
    check_registered(patron, representation)
    refuse_too_long("LDL-3", LoanRequest, note=note or "")
    if priority is not None and not 0 <= int(priority) <= MAX_PRIORITY:
        raise RuleViolation("LDL-5", _("the priority is a number from 0 to %(max)d") % {"max": MAX_PRIORITY}, field="priority")
    source = source or (Source.STAFF_ON_BEHALF if on_behalf else Source.PATRON)
    title = _Title(representation.pk, grace=True, rules=True, patron=patron, facts=True,  # before the lock: configuration,
                   priority=priority)  # preference and (optimistic) the state
    preference = title.preference
    note = (note or "").strip()
    try:
        with title.transaction():
            title.lock(new_request=True)
            st = title.settings
            if not st.is_long_term_loan or not title.rep.active:
                raise RuleViolation("LDL-2", _("this representation is not configured for long-term digital loans"))
            if st.concurrent_users <= 0:
                raise RuleViolation("LDL-2", _("this representation cannot be accessed (no concurrent users)"))
            rule = rule_for(st.policy, patron)
            prio = int(priority) if priority is not None else rule.request_priority
            title.read(ahead_of=(prio, clock.now()))
            # the request's time is taken after the read: later than every change it saw, so
            # that the loans' times keep the order of the writes; the gate counts the place with it
            now = clock.now()
            title.ahead_gate = (prio, now, title.ahead)
            title.apply_timers(now)
            # one open request per patron: the partial unique index refuses the INSERT (see below)
            _check_reloan(rule, title, patron, now)
            req = title.insert(LoanRequest(
                representation_id=representation.pk, patron=patron, creator=actor, source=source, note=note,
                priority=prio, user_group_id=patron.user_group_id, terms=rule.terms(), requested_at=now, updated_at=now,
            ))
            req.representation, req.preference, req.slot_number = title.rep, preference, None
            title.audit.append(audit.entry(actor, req, "created", note=req.note, changes={
                "patron": [None, patron.username], "source": [None, source], "priority": [None, req.priority],
                "status": [None, req.status], "step": [None, req.step]}))
            title.requests[req.pk] = req
            title.heads = sorted([*title.heads, req], key=lambda r: (-r.priority, r.requested_at, r.pk))
            title.allocate(now, actor=actor)
            if req.status == Status.READY:  # LDL-5: the place, from the count read inside the lock
                before = sum(1 for r in title.handed if r.priority > prio or (r.priority == prio and r.requested_at <= now))
                title.waitlist_letter(req, before)  # workflow step 1
            title.flush()
            return req
    except IntegrityError as exc:  # a database guard caught a race the lock should have prevented
        if "ldl_one_open_request_per_patron" in str(exc) or "patron_id" in str(exc):
            raise RuleViolation("LDL-3", _("%(who)s already has a waiting or active request for this title")
                                % {"who": patron.username}, status=409)
        raise RuleViolation("LDL-15", _("every copy was taken at the same moment; please try again"), status=409)


def _start_session(title: _Title, req: LoanRequest, actor, now: dt.datetime) -> LoanRequest:
    """Workflow step 3 / LDL-8: the session clock starts at first access (or already started
    with the grace period when the grace is included in the session)."""
    due = req.session_due_at if req.terms.get("grace_included") and req.session_due_at else now + req.session_length
    return title.move(req, "access", actor, now, session_started_at=now, session_due_at=due)


def staff_access(actor: User, representation: Representation) -> LoanRequest:
    """LDL-3: a staff member opens the resource from the back office.  It is a loan like any
    other (it takes a copy, or joins the waitlist when none is free)."""
    if not can_manage_requests(actor, representation.library):
        raise PermissionDenied("LDL-3", _("only library staff access loans from the back office"))
    existing = LoanRequest.objects.filter(representation_id=representation.pk, patron=actor,
                                          status__in=[Status.READY, Status.ACTIVE]).first()
    req = existing or request_loan(actor, representation, source=Source.STAFF_ACCESS)
    if req.step == Step.IN_GRACE_PERIOD:
        req = access(actor, req)
    return req


def _own_patron(req: LoanRequest, actor: User) -> LoanRequest:
    if req.patron_id == actor.pk:
        req.patron = actor
    return req


_OVERDUE_GATE = (f"SELECT CASE WHEN f = '' THEN 1 ELSE ('{_FACTS_FAILED}' || f)::int END FROM (SELECT CASE WHEN NOT EXISTS "
                 f"(SELECT 1 FROM {_REQ} q WHERE q.representation_id = %s AND q.status = 'active' "
                 f"AND ((q.step = 'in_grace_period' AND q.grace_due_at <= %s) OR (q.step = 'is_being_viewed' "
                 f"AND q.session_due_at <= %s))) THEN '' ELSE 'overdue' END AS f) AS facts")


def _access_at_once(actor: User, req: LoanRequest) -> LoanRequest | None:
    """The patron opens a copy handed over to them, in ONE round trip (issue 19), when ``req``
    was just read with its row's version (``row_stamp``: ``selectors.request_for``, which the
    pages and the API call before every verb, and a waiting patron after the letter).

    Opening decides from the request's own row alone when nothing of the title is overdue: no
    other request is moved, no copy changes hands, the number of loans does not change, the
    configuration is not used.  So it is written without the title's lock (issue 19, session
    14: on a hot title the lock is then taken twice per hand-over — request and finish — not
    three times), under its own row's lock: the ``UPDATE`` applies only to the row version read
    (``_versioned``: PostgreSQL waits for a writer of the row and checks the row it wrote),
    then no active request of the title may be overdue at the decision's time
    (``_OVERDUE_GATE``).  Every other writer of a request handed over and not yet opened either
    holds its row's lock from before its read (a locked verb: ``_GRACE_LOCK``) or writes it
    versioned too (an optimistic one: :meth:`_Title.move`), so neither can overwrite the other.
    Otherwise nothing is written: ``None``, and :func:`access` reads the title and decides as
    usual.  Same writes, same LDL-15 serial order (the access is ordered at its commit)."""
    stamp = getattr(req, "row_stamp", None)
    if (stamp is None or connection.vendor != "postgresql" or not _optimistic.get() or connection.in_atomic_block
            or req.patron_id != actor.pk or req.status != Status.ACTIVE or req.step != Step.IN_GRACE_PERIOD):
        return None
    now = clock.now()
    if _overdue(req, now):
        return None
    mine = copy.copy(req)
    mine.row_stamp = None  # (used once: the write makes a new version)
    title = _Title(req.representation_id, unread=req.representation, facts=True)
    title.now = now
    _start_session(title, mine, actor, now)
    (write, params), = title.pending
    gate = [(_SET_LOCK_TIMEOUT, [f"{LOCK_TIMEOUT_MS}ms"]), (_versioned(write), [*params, stamp]),
            (_OVERDUE_GATE, [req.representation_id, now, now])]
    title.pending = []
    statements = [_insert_sql(title.audit)]
    try:
        _run(statements, gate=gate)
    except _Conflict:
        RETRIES["read_again"] = RETRIES.get("read_again", 0) + 1
        return None
    req.row_stamp = None
    return _own_patron(mine, actor)


@_retrying
def access(actor: User, req: LoanRequest) -> LoanRequest:
    """The patron opens the viewer (workflow step 3).  Opening it again while viewing is a no-op."""
    done = _access_at_once(actor, req)
    if done is not None:
        return done
    title = _Title(req.representation_id, letters=False, facts=True, own=req.pk)
    with title.transaction():
        req, now = title.settle_for(req, actor, ("LDL-8", _("only the patron who borrowed the title can view it")))
        if req.step == Step.IS_BEING_VIEWED:
            title.flush()
            return _own_patron(req, actor)
        if req.status == Status.READY:
            raise RuleViolation("LDL-5", _("your request is still in the waitlist (place %(n)d)") % {"n": place_in_queue(req)},
                                status=409)
        if req.status != Status.ACTIVE:
            raise RuleViolation("LDL-8", _("this loan has ended"), status=409)
        _start_session(title, req, actor, now)
        title.flush()
        return _own_patron(req, actor)


@_retrying
def finish(actor: User, req: LoanRequest) -> LoanRequest:
    """The patron finished viewing (workflow step 4): the copy goes to the next in line."""
    title = _Title(req.representation_id, grace=True, facts=True, own=req.pk)
    with title.transaction():
        req, now = title.settle_for(req, actor, ("LDL-4", _("only the patron who borrowed the title can finish the loan")))
        title.complete(req, "finish", Outcome.FINISHED, actor, now, now)
        title.allocate(now, actor=None, late=True)
        title.flush()
        return _own_patron(req, actor)


@_retrying
def renew(actor: User, req: LoanRequest) -> LoanRequest:
    """LDL-9: extend the session by one session period, within the open-for-renewal window and
    up to the maximum renewal period in total (3 days, max 10 → 3+3+3+1)."""
    title = _Title(req.representation_id, own=req.pk)
    with title.transaction():
        req, now = title.settle_for(req, actor, ("LDL-9", _("only the patron who borrowed the title can renew the loan")))
        transition(req, "renew")
        t = req.terms
        library = title.rep.library
        if not t.get("renewable"):
            raise RuleViolation("LDL-9", _("this loan cannot be renewed"), status=409)
        opens = req.session_due_at - dt.timedelta(days=t.get("open_for_renewal_days", 0))
        if now < opens:
            raise RuleViolation("LDL-9", _("renewal opens on %(when)s (%(n)s before the due time)")
                                % {"when": local_time(opens, library), "n": describe_period(t.get("open_for_renewal_days", 0), "days")},
                                status=409)
        remaining = dt.timedelta(days=t.get("max_renewal_days", 0)) - req.renewed_total
        if remaining <= dt.timedelta(0):
            raise RuleViolation("LDL-9", _("the maximum renewal period (%(n)s) is used up")
                                % {"n": describe_period(t.get("max_renewal_days", 0), "days")}, status=409)
        if not t.get("renewable_when_others_wait") and any(r.status == Status.READY for r in title.heads):
            raise RuleViolation("LDL-9", _("others are waiting for this title: it cannot be renewed"), status=409)
        extension = min(req.session_length, remaining)
        title.move(req, "renew", actor, now, note=f"+{extension}", session_due_at=req.session_due_at + extension,
                   renewals=req.renewals + 1, renewed_total=req.renewed_total + extension)
        title.flush()
        return _own_patron(req, actor)


@_retrying
def cancel(actor: User, req: LoanRequest, *, reason: str = "", note: str = "") -> LoanRequest:
    """Workflow step 6 / LDL-11: staff cancel a request not yet being viewed (with a reason);
    a patron cancels their own request while it waits.  Cancelling an active request frees
    the copy for the next in line; cancelling a waiting one moves later ones up."""
    note = (note or "").strip()
    refuse_too_long("LDL-11", LoanRequest, cancel_note=note)  # before any work: a 100,000-character note was kept whole
    title = _Title(req.representation_id, grace=True, own=req.pk)
    staff = can_manage_requests(actor, title.rep.library)
    with title.transaction():
        req, now = title.settle_for(req)
        if not staff:
            if req.patron_id != actor.pk:
                raise PermissionDenied("LDL-11", _("only library staff cancel another patron's request"))
            if req.status != Status.READY:
                raise RuleViolation("LDL-11", _("you can cancel your request only while it is in the waitlist"), status=409)
            reason = reason or CancelReason.PATRON_REQUEST
        if req.step == Step.IS_BEING_VIEWED:
            raise RuleViolation("LDL-11", _("a request that is being viewed cannot be cancelled"), status=409)
        if reason not in CancelReason.values:
            raise RuleViolation("LDL-11", _("choose a cancellation reason"), field="reason")
        was_active = req.status == Status.ACTIVE
        title.complete(req, "cancel", Outcome.CANCELLED, actor, now, now, note=note, cancel_reason=reason, cancel_note=note)
        title.letter("ldl_cancelled", req, "cancelled", reason=req.get_cancel_reason_display(), note=req.cancel_note)
        if was_active:
            title.allocate(now, actor=None)
        title.flush()
        return _own_patron(req, actor)


@_retrying
def edit_request(actor: User, req: LoanRequest, *, note=UNSET, priority=UNSET) -> dict:
    """LDL-11: staff change the note and the priority of a request — nothing else."""
    if not can_manage_requests(actor, req.representation.library):
        raise PermissionDenied("LDL-11", _("only library staff edit requests"))
    values = {}
    if note is not UNSET and note is not None:
        values["note"] = note.strip()
        refuse_too_long("LDL-11", LoanRequest, note=values["note"])
    if priority is not UNSET and priority is not None:
        if not 0 <= int(priority) <= MAX_PRIORITY:
            raise RuleViolation("LDL-5", _("the priority is a number from 0 to %(max)d") % {"max": MAX_PRIORITY}, field="priority")
        values["priority"] = int(priority)
    title = _Title(req.representation_id)
    with transaction.atomic():
        title.lock()
        now = clock.now()
        title.read(own=req.pk)
        title.apply_timers(now)
        title.flush()  # the timers applied above; the edit itself is audited below
        req = title.own(req)
        if not req.is_open:
            raise RuleViolation("LDL-11", _("a completed or cancelled request cannot be edited"), status=409)
        if not values:
            return {}
        # (not audit.update: its ``note`` argument is the audit note, and ours is a field)
        changes = {k: [getattr(req, k), v] for k, v in values.items() if getattr(req, k) != v}
        if changes:
            for k, v in values.items():
                setattr(req, k, v)
            req.updated_at = now
            _write(req, [*changes, "updated_at"])
            audit.changed(actor, req, changes)
        return changes


# --- merging two accounts of one person (ORG-MERGE) -------------------------------------------------

def _keeps_better_place(req: LoanRequest) -> tuple:
    """The better of two open requests of one person for one title (LDL-3 allows one): being viewed,
    then in its grace period, then waiting; among active ones the later due time, among waiting
    ones the earlier place in the queue (LDL-5: higher priority, then earlier request)."""
    rank = {Step.IS_BEING_VIEWED.value: 2, Step.IN_GRACE_PERIOD.value: 1}.get(str(req.step), 0)
    due = req.session_due_at or req.grace_due_at
    return (rank, due.timestamp() if due and rank else 0.0, req.priority, -req.requested_at.timestamp(), -req.pk)


def merge_patron(actor, source: User, target: User, note: str) -> tuple[int, int]:
    """Move ``source``'s loan requests to ``target`` (ORG-MERGE), inside the caller's transaction.

    LDL-3 allows one Ready or Active request per patron and representation: where both accounts
    have one open for the same title, the one with the better place stays (:func:`_keeps_better_place`)
    and the other is closed through the workflow — cancelled as a duplicate (a copy it held goes to
    the next in line, LDL-6), or, being viewed, finished — with no letter (the person keeps the
    other one).  Returns (requests moved, duplicates closed)."""
    from collections import Counter

    both = Counter(LoanRequest.objects.filter(patron__in=[source, target], status__in=[Status.READY, Status.ACTIVE])
                   .values_list("representation_id", flat=True))
    shared = sorted(rep for rep, n in both.items() if n > 1)
    closed = 0
    for rep_id in shared:
        settle([rep_id])
        title = _Title(rep_id, grace=True)
        title.lock()
        now = clock.now()
        pair = list(LoanRequest.objects.filter(representation_id=rep_id, patron__in=[source, target],
                                               status__in=[Status.READY, Status.ACTIVE]))
        if len(pair) < 2:
            continue
        loser = min(pair, key=_keeps_better_place)
        title.read(own=loser.pk)
        loser = title.own(loser)
        was_active = loser.status == Status.ACTIVE
        why = f"{note}: a duplicate of the person's other request (LDL-3)"
        if loser.step == Step.IS_BEING_VIEWED:
            title.complete(loser, "finish", Outcome.FINISHED, actor, now, now, note=why)
        else:
            title.complete(loser, "cancel", Outcome.CANCELLED, actor, now, now, note=why,
                           cancel_reason=CancelReason.DUPLICATE, cancel_note=why)
        if was_active:
            title.allocate(now, actor=None)
        title.flush()
        closed += 1
    moved = LoanRequest.objects.filter(patron=source).update(patron=target, updated_at=clock.now())
    LoanRequest.objects.filter(creator=source).update(creator=target)
    return moved, closed

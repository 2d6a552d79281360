"""Changes of state for long-term digital loans (SPEC §8, LDL-1..15).

Every verb runs in one transaction that first locks the representation's ``LoanSettings``
row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the writer lock taken at
``BEGIN IMMEDIATE``), applies the timers that are due (so no verb acts on a state whose
time has passed), changes the request through :data:`.workflow.LOAN_WORKFLOW`, hands free copies to
the head of the waitlist (:func:`_allocate`, re-counting the active requests inside the
lock), writes the audit trail and queues the letters in the outbox.
"""
from __future__ import annotations

import datetime as dt
import functools
import os
import random
import time
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db import IntegrityError, OperationalError, connection, transaction
from django.db.models import Field, Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.catalog.models import Item, Representation
from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.notify.models import ContactPreference
from syllabus.notify.services import LetterBatch
from syllabus.org import calendar, config
from syllabus.org.models import Institution, Library, User, UserGroup
from syllabus.org.roles import Role

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


def site_url() -> str:
    return (getattr(django_settings, "SITE_URL", "") or os.environ.get("SITE_URL", "")).rstrip("/")


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
# contact preference), then inside the lock runs only what must be there:
#
#   1. the lock itself, reading the number of copies (PostgreSQL: ``SELECT … FOR UPDATE`` of
#      the ``LoanSettings`` row with ``lock_timeout`` set in the same statement; SQLite: the
#      writer lock taken at ``BEGIN IMMEDIATE``);
#   2. one statement for the rest of the state: the active requests with the copy each holds
#      (their count, what is overdue, which copies are free), the verb's own request, the head
#      of the waitlist (as many as there are copies) and, for a new request, how many wait
#      ahead of it;
#   3. the changes of state, one ``UPDATE`` per request moved (no reload, no full-row save);
#   4. the audit entries, one ``INSERT``; the letters, one ``INSERT … ON CONFLICT DO NOTHING``.
#
# A lock that is not granted within ``LENDING_LOCK_TIMEOUT_MS`` is a clear "busy" (503,
# ``TitleBusy``) after a few retries, never a hang.

LOCK_TIMEOUT_MS = max(100, min(int(os.environ.get("LENDING_LOCK_TIMEOUT_MS", "30000")), 120_000))
LOCK_ATTEMPTS = 3
LETTERS = ("ldl_waitlist", "ldl_available", "ldl_grace_expired", "ldl_cancelled")

def _qn(name: str) -> str:  # both backends quote identifiers with ""
    return f'"{name}"'

_REQ = _qn(LoanRequest._meta.db_table)
_SLOT = _qn(LoanSlot._meta.db_table)
_REQ_COLUMNS = ", ".join(f"q.{_qn(f.column)}" for f in LoanRequest._meta.concrete_fields)
_LOCK_SQL = {
    "postgresql": (
        f"SELECT s.concurrent_users, s.policy_id, p.long_term_loan, r.active "
        f"FROM {_qn(LoanSettings._meta.db_table)} s "
        f"JOIN {_qn(Representation._meta.db_table)} r ON r.id = s.representation_id "
        f"LEFT JOIN {_qn(AccessRightsPolicy._meta.db_table)} p ON p.id = s.policy_id "
        f"CROSS JOIN (SELECT set_config('lock_timeout', %s, true)) AS t "
        f"WHERE s.representation_id = %s FOR UPDATE OF s"),
    "sqlite": (
        f"SELECT s.concurrent_users, s.policy_id, p.long_term_loan, r.active "
        f"FROM {_qn(LoanSettings._meta.db_table)} s "
        f"JOIN {_qn(Representation._meta.db_table)} r ON r.id = s.representation_id "
        f"LEFT JOIN {_qn(AccessRightsPolicy._meta.db_table)} p ON p.id = s.policy_id "
        f"WHERE s.representation_id = %s"),
}
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


def _state_sql(ahead: bool) -> str:
    extra = _AHEAD if ahead else "0"
    return (f"SELECT {_STATE_COLUMNS}, 'own' AS kind, {extra} AS ahead {_STATE_FROM} "
            f"WHERE q.representation_id = %s AND (q.status = 'active' OR q.id = %s) "
            f"UNION ALL SELECT * FROM (SELECT {_STATE_COLUMNS}, 'head' AS kind, {extra} AS ahead {_STATE_FROM} "
            f"WHERE q.representation_id = %s AND q.status = 'ready' "
            f"ORDER BY q.priority DESC, q.requested_at, q.id LIMIT %s) AS h")


_STATE_SQL = {False: _state_sql(False), True: _state_sql(True)}


class TitleBusy(RuleViolation):
    """The title's lock was not granted in time (LDL-15 keeps every verb on a title in turn)."""

    status = 503

    def __init__(self):
        super().__init__("LDL-15", _("this title is very busy right now: nothing was changed, please try again in a moment"))


def _is_busy(exc: BaseException) -> bool:
    cause = exc.__cause__
    code = getattr(cause, "sqlstate", None) or getattr(cause, "pgcode", None)
    return code == "55P03" or "database is locked" in str(exc)


def _retrying(fn):
    """Run a verb again (after a short random pause) when the title's lock was not granted in
    time; after ``LOCK_ATTEMPTS`` tries the caller gets :class:`TitleBusy` (a 503).  Inside a
    caller's transaction there is no retry: the caller's transaction is lost with the wait."""
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        for attempt in range(1, LOCK_ATTEMPTS + 1):
            nested = connection.in_atomic_block
            try:
                return fn(*args, **kwargs)
            except OperationalError as exc:
                if not _is_busy(exc):
                    raise
                if nested or attempt == LOCK_ATTEMPTS:
                    raise TitleBusy() from exc
            except TitleBusy:
                if nested or attempt == LOCK_ATTEMPTS:
                    raise
            time.sleep(random.uniform(0.02, 0.1) * attempt)
    return wrapper


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


def _write(req: LoanRequest, names: Iterable[str], *, slot_number: int | None = None) -> None:
    """``UPDATE`` the named fields of one request (and, with ``slot_number``, give it that copy
    of its representation) — one statement, no ORM query to compile."""
    fields: list[Field] = [LoanRequest._meta.get_field(n) for n in dict.fromkeys(names)]  # type: ignore[misc]
    sets = [f"{_qn(f.column)} = %s" for f in fields]
    params: list = [f.get_db_prep_save(getattr(req, f.attname), connection) for f in fields]
    if slot_number is not None:
        sets.append(f"slot_id = (SELECT id FROM {_SLOT} WHERE representation_id = %s AND number = %s)")
        params += [req.representation_id, slot_number]
    sql = f"UPDATE {_REQ} SET {', '.join(sets)} WHERE id = %s"
    params.append(req.pk)
    with connection.cursor() as cur:
        if slot_number is None:
            cur.execute(sql, params)
        else:
            cur.execute(sql + " RETURNING slot_id", params)
            req.slot_id = cur.fetchone()[0]


class _Title:
    """One title's loan state during one verb: read before the lock (``__init__``), locked
    (:meth:`lock`), the rows read in one statement (:meth:`read`), moved (:meth:`move`,
    :meth:`allocate`, :meth:`apply_timers`), then audit entries and letters written in one
    statement each (:meth:`flush`)."""

    def __init__(self, representation_id: int, *, grace: bool = False, letters: bool = True, rules: bool = False):
        qs = LoanSettings.objects.select_related("policy", "representation__library__institution", "representation__record")
        if rules:
            qs = qs.prefetch_related("policy__rules")
        st = qs.filter(representation_id=representation_id).first()
        if st is None:
            raise RuleViolation("LDL-2", _("this representation is not configured for long-term digital loans"))
        self.settings = st
        self.rep = st.representation
        self.rep_id = representation_id
        self.rep.loan_link = title_link(representation_id)  # the letters' link, resolved before the lock
        self.grace_ctx = grace_context(self.rep.library) if grace else None
        self._letters = LetterBatch(self.rep.library.institution, LETTERS) if letters else None
        self.audit: list = []
        self.requests: dict[int, LoanRequest] = {}
        self.heads: list[LoanRequest] = []
        self.handed: list[LoanRequest] = []
        self.ahead = 0

    # --- reading ------------------------------------------------------------------------
    def lock(self) -> _Title:
        """Take the title's lock and read the number of copies and the policy as they are now."""
        st = self.settings
        vendor = connection.vendor
        with connection.cursor() as cur:
            try:
                if vendor == "postgresql":
                    cur.execute(_LOCK_SQL[vendor], [f"{LOCK_TIMEOUT_MS}ms", self.rep_id])
                else:
                    cur.execute(_LOCK_SQL["sqlite"], [self.rep_id])
            except OperationalError as exc:
                if _is_busy(exc):
                    raise TitleBusy() from exc
                raise
            row = cur.fetchone()
        if row is None:
            raise RuleViolation("LDL-2", _("this representation is not configured for long-term digital loans"))
        concurrent_users, policy_id, long_term_loan, active = row
        st.concurrent_users = concurrent_users
        if policy_id != st.policy_id:  # changed since it was read: read it again (rare)
            st.policy = AccessRightsPolicy.objects.filter(pk=policy_id).first() if policy_id else None
        elif st.policy is not None:
            st.policy.long_term_loan = bool(long_term_loan)
        self.rep.active = bool(active)
        return self

    def read(self, *, own: int | None = None, ahead_of: tuple[int, dt.datetime] | None = None) -> _Title:
        """The state statement (see the comment above :data:`LOCK_TIMEOUT_MS`)."""
        ahead: list = []
        if ahead_of is not None:
            priority, when = ahead_of
            ahead = [self.rep_id, priority, priority, connection.ops.adapt_datetimefield_value(when)]
        params = [*ahead, self.rep_id, own or 0, *ahead, self.rep_id, max(self.settings.concurrent_users, 1)]
        self.requests, self.heads = {}, []
        for row in LoanRequest.objects.raw(_STATE_SQL[ahead_of is not None], params):
            req = self.requests.get(row.pk)
            if req is None:
                req = self.requests[row.pk] = row
                row.representation = self.rep
                row.patron = _patron_of(row)
                row.preference = _preference_of(row)
            self.ahead = row.ahead
            if row.kind == "head":
                self.heads.append(req)
        return self

    def own(self, req: LoanRequest) -> LoanRequest:
        """The verb's own request as it is now (read by :meth:`read` with ``own=req.pk``)."""
        fresh = self.requests.get(req.pk)
        if fresh is None:  # deleted meanwhile
            raise NotFound("LDL-13", _("no such loan request"))
        return fresh

    def settle_for(self, req: LoanRequest) -> tuple[LoanRequest, dt.datetime]:
        """Lock the title, read its state with ``req``, apply the due timers: ``req`` as it stands now."""
        self.lock()
        now = clock.now()
        self.read(own=req.pk)
        self.apply_timers(now)
        return self.own(req), now

    def active(self) -> list[LoanRequest]:
        return [r for r in self.requests.values() if r.status == Status.ACTIVE]

    # --- writing ------------------------------------------------------------------------
    def move(self, req: LoanRequest, action: str, actor, now: dt.datetime, note: str = "", *, slot_number: int | None = None,
             **fields) -> LoanRequest:
        """Apply one transition of :data:`.workflow.LOAN_WORKFLOW` (one UPDATE) and queue its audit entry."""
        status, step = transition(req, action)
        changes = {}
        if (status, step) != (req.status, req.step):
            changes = {"status": [req.status, status], "step": [req.step, step]}
        for name, value in fields.items():
            old = getattr(req, name + "_id" if name == "slot" else name)
            new = value.pk if name == "slot" and value is not None else value
            if old != new:
                changes[name] = [str(old) if isinstance(old, dt.timedelta) else old,
                                 str(new) if isinstance(new, dt.timedelta) else new]
            setattr(req, name, value)
        req.status, req.step, req.updated_at = status, step, now
        old_slot = req.slot_id
        _write(req, ["status", "step", "updated_at", *fields], slot_number=slot_number)
        if slot_number is not None:
            req.slot_number = slot_number
            changes["slot"] = [old_slot, req.slot_id]  # type: ignore[list-item]
        elif "slot" in fields and fields["slot"] is None:
            req.slot_number = None
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

    def allocate(self, now: dt.datetime, actor=None) -> list[LoanRequest]:
        """Hand every free copy to the head of the waitlist.  The active requests were counted
        inside the lock (:meth:`read`) and every move since is applied to them: never trusted
        from before the lock (LDL-15)."""
        st = self.settings
        if not st.is_long_term_loan or st.concurrent_users <= 0:
            return []
        active = self.active()
        free = st.concurrent_users - len(active)
        if free <= 0:
            return []
        heads = [r for r in self.heads if r.status == Status.READY][:free]
        held = {r.slot_number for r in active}
        numbers = [n for n in range(1, st.concurrent_users + 1) if n not in held]
        handed = []
        for req, number in zip(heads, numbers):
            self.hand_over(req, number, now, None if actor is None else actor)
            handed.append(req)
        return handed

    def apply_timers(self, now: dt.datetime) -> int:
        """Move every request of the title whose due time has passed (inside the lock)."""
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

    def flush(self) -> None:
        audit.save_all(self.audit)
        self.audit = []
        if self._letters is not None:
            self._letters.flush()


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


def configure_representation(actor: User, representation: Representation, *, policy=UNSET, concurrent_users=UNSET) -> LoanSettings:
    """Assign an access-rights policy and a number of concurrent users (0 = no access) — LDL-2."""
    if not can_configure(actor, library=representation.library):
        raise PermissionDenied("LDL-2", _("only a Digital Inventory Operator or a General System Administrator assigns access rights"))
    if policy is not UNSET and policy is not None and policy.institution_id != representation.library.institution_id:
        raise RuleViolation("LDL-2", _("the policy belongs to another institution"), field="policy_id")
    if concurrent_users is not UNSET and (concurrent_users is None or int(concurrent_users) < 0):
        raise RuleViolation("LDL-2", _("the number of concurrent users cannot be negative"), field="concurrent_users")
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
        _resize(actor, st, values)
        title.read()  # the copies as _resize left them
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


def overdue_q(now: dt.datetime) -> Q:
    return Q(status=Status.ACTIVE) & (Q(step=Step.IN_GRACE_PERIOD, grace_due_at__lte=now)
                                      | Q(step=Step.IS_BEING_VIEWED, session_due_at__lte=now))


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


def settle(representation_ids: Iterable[int] | None = None, now: dt.datetime | None = None) -> int:
    """Apply the timers that are due — for the given representations, or all (the sweep).

    Cheap when nothing is due: one indexed query, no write.  Reads call it first so that
    they never show a state whose time has passed."""
    now = now or clock.now()
    qs = LoanRequest.objects.filter(overdue_q(now))
    if representation_ids is not None:
        ids = list(representation_ids)
        if not ids:
            return 0
        qs = qs.filter(representation_id__in=ids)
    moved = 0
    for rep_id in sorted(set(qs.values_list("representation_id", flat=True))):
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

def _check_reloan(rule: AccessRule, representation_id: int, patron: User, now: dt.datetime) -> None:
    """LDL-10: after finishing a loan, no new request for the same representation within the period."""
    if not rule.limit_reloan or rule.reloan_limit_days <= 0:
        return
    since = now - dt.timedelta(days=rule.reloan_limit_days)
    last = (LoanRequest.objects.filter(representation_id=representation_id, patron=patron, status=Status.COMPLETED,
                                       session_started_at__isnull=False, completed_at__gt=since)
            .order_by("-completed_at").first())
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
    if priority is not None and not 0 <= int(priority) <= MAX_PRIORITY:
        raise RuleViolation("LDL-5", _("the priority is a number from 0 to %(max)d") % {"max": MAX_PRIORITY}, field="priority")
    source = source or (Source.STAFF_ON_BEHALF if on_behalf else Source.PATRON)
    title = _Title(representation.pk, grace=True, rules=True)  # before the lock: configuration and preferences
    preference = ContactPreference.objects.filter(user=patron).first()
    note = (note or "").strip()
    try:
        with transaction.atomic():
            title.lock()
            st = title.settings
            if not st.is_long_term_loan or not title.rep.active:
                raise RuleViolation("LDL-2", _("this representation is not configured for long-term digital loans"))
            if st.concurrent_users <= 0:
                raise RuleViolation("LDL-2", _("this representation cannot be accessed (no concurrent users)"))
            now = clock.now()
            rule = rule_for(st.policy, patron)
            prio = int(priority) if priority is not None else rule.request_priority
            title.read(ahead_of=(prio, now))
            title.apply_timers(now)
            # one open request per patron: the partial unique index refuses the INSERT (see below)
            _check_reloan(rule, representation.pk, patron, now)
            req = LoanRequest.objects.create(
                representation_id=representation.pk, patron=patron, creator=actor, source=source, note=note,
                priority=prio, user_group_id=patron.user_group_id, terms=rule.terms(), requested_at=now, updated_at=now,
            )
            req.representation, req.preference, req.slot_number = title.rep, preference, None
            title.audit.append(audit.entry(actor, req, "created", note=req.note, changes={
                "patron": [None, patron.username], "source": [None, source], "priority": [None, req.priority],
                "status": [None, req.status], "step": [None, req.step]}))
            title.requests[req.pk] = req
            title.heads = sorted([*title.heads, req], key=lambda r: (-r.priority, r.requested_at, r.pk))
            title.allocate(now, actor=actor)
            if req.status == Status.READY:  # LDL-5: the place, from the count read inside the lock
                before = sum(1 for r in title.handed if r.priority > prio or (r.priority == prio and r.requested_at <= now))
                _title_letter(title, "ldl_waitlist", req, "waitlist", place=title.ahead - before + 1)  # workflow step 1
            title.flush()
            return req
    except IntegrityError as exc:  # a database guard caught a race the lock should have prevented
        if "ldl_one_open_request_per_patron" in str(exc) or "patron_id" in str(exc):
            raise RuleViolation("LDL-3", _("%(who)s already has a waiting or active request for this title")
                                % {"who": patron.username}, status=409)
        raise RuleViolation("LDL-15", _("every copy was taken at the same moment; please try again"), status=409)


def _title_letter(title: _Title, code: str, req: LoanRequest, key: str, **extra) -> None:
    title.letter(code, req, key, **extra)


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


@_retrying
def access(actor: User, req: LoanRequest) -> LoanRequest:
    """The patron opens the viewer (workflow step 3).  Opening it again while viewing is a no-op."""
    title = _Title(req.representation_id, letters=False)
    with transaction.atomic():
        req, now = title.settle_for(req)
        if req.patron_id != actor.pk:
            raise PermissionDenied("LDL-8", _("only the patron who borrowed the title can view it"))
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
    title = _Title(req.representation_id, grace=True)
    with transaction.atomic():
        req, now = title.settle_for(req)
        if req.patron_id != actor.pk:
            raise PermissionDenied("LDL-4", _("only the patron who borrowed the title can finish the loan"))
        title.complete(req, "finish", Outcome.FINISHED, actor, now, now)
        title.allocate(now, actor=None)
        title.flush()
        return _own_patron(req, actor)


@_retrying
def renew(actor: User, req: LoanRequest) -> LoanRequest:
    """LDL-9: extend the session by one session period, within the open-for-renewal window and
    up to the maximum renewal period in total (3 days, max 10 → 3+3+3+1)."""
    title = _Title(req.representation_id)
    with transaction.atomic():
        req, now = title.settle_for(req)
        if req.patron_id != actor.pk:
            raise PermissionDenied("LDL-9", _("only the patron who borrowed the title can renew the loan"))
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
    title = _Title(req.representation_id, grace=True)
    staff = can_manage_requests(actor, title.rep.library)
    with transaction.atomic():
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
        note = (note or "").strip()
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

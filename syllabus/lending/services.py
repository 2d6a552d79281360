"""Changes of state for long-term digital loans (SPEC §8, LDL-1..15).

Every verb runs in one transaction that first locks the representation's ``LoanSettings``
row (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite the writer lock taken at
``BEGIN IMMEDIATE``), applies the timers that are due (so no verb acts on a state whose
time has passed), changes the request through :data:`TRANSITIONS`, hands free copies to
the head of the waitlist (:func:`_allocate`, re-counting the active requests inside the
lock), writes the audit trail and queues the letters in the outbox.
"""
from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterable
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from syllabus.catalog.models import Item, Representation
from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.notify.services import queue_letter
from syllabus.org import calendar, config
from syllabus.org.models import Institution, Library, User, UserGroup
from syllabus.org.roles import Role

from .models import (
    AccessRightsPolicy, AccessRule, CancelReason, LoanRequest, LoanSettings, LoanSlot, Outcome, Source, Status, Step,
    TimeUnit, describe_period, period,
)

UNSET = object()
MAX_PRIORITY = 99
GRACE_SETTING = "include_library_closing_days_in_digital_lending_grace_period"

# --- the state machine (LDL-4): one table, quoted by docs/lending.md and the tests -------------

WAITING = (Status.READY, Step.IN_WAITLIST)
GRACE = (Status.ACTIVE, Step.IN_GRACE_PERIOD)
VIEWING = (Status.ACTIVE, Step.IS_BEING_VIEWED)
DONE = (Status.COMPLETED, Step.COMPLETED)
CANCELLED = (Status.REJECTED, Step.COMPLETED)

#: (action, (status, step) before) → (status, step) after.  A new request starts WAITING
#: (workflow step 1) and is handed over at once when a copy is free.
TRANSITIONS: dict[tuple[str, tuple[str, str]], tuple[str, str]] = {
    ("hand_over", WAITING): GRACE,       # step 2: a copy is free; place in queue 0; "available" letter
    ("access", GRACE): VIEWING,          # step 3: the patron opens the viewer; the session clock runs
    ("renew", VIEWING): VIEWING,         # LDL-9: the session due time moves
    ("finish", VIEWING): DONE,           # step 4: the patron finished viewing
    ("session_end", VIEWING): DONE,      # step 4: the session period ended
    ("grace_expire", GRACE): DONE,       # step 5: not accessed within the grace period
    ("cancel", WAITING): CANCELLED,      # step 6: cancelled while waiting; later ones move up
    ("cancel", GRACE): CANCELLED,        # step 6: cancelled before viewing; the copy goes to the next
}

STEP_RULE = {"hand_over": "LDL-6", "access": "LDL-8", "renew": "LDL-9", "finish": "LDL-4", "session_end": "LDL-8",
             "grace_expire": "LDL-7", "cancel": "LDL-11"}


def transition(req: LoanRequest, action: str) -> tuple[str, str]:
    """The state ``req`` moves to by ``action``, or ``RuleViolation`` naming the rule."""
    before = (req.status, req.step)
    after = TRANSITIONS.get((action, before))
    if after is None:
        raise RuleViolation(STEP_RULE.get(action, "LDL-4"), _("a request that is %(state)s cannot be %(action)s") % {
            "state": f"{req.get_status_display()} / {req.get_step_display()}".lower(), "action": ACTION_WORDS.get(action, action)},
            status=409)
    return after


ACTION_WORDS = {"hand_over": "handed over", "access": "viewed", "renew": "renewed", "finish": "finished",
                "session_end": "ended", "grace_expire": "expired", "cancel": "cancelled"}


# --- who may do what -------------------------------------------------------------------------

CONFIG_ROLES = (Role.DIGITAL_INVENTORY_OPERATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)
REQUEST_ROLES = (Role.REQUESTS_OPERATOR, Role.FULFILLMENT_SERVICES_OPERATOR, Role.FULFILLMENT_SERVICES_MANAGER,
                 Role.DIGITAL_INVENTORY_OPERATOR, Role.GENERAL_SYSTEM_ADMINISTRATOR)


def can_configure(user, *, library: Library | None = None, institution: Institution | None = None) -> bool:
    """Access-rights policies and representation rights: Digital Inventory Operator or GSA (per the reference)."""
    if not getattr(user, "is_authenticated", False):
        return False
    if user.is_superuser:
        return True
    if library is not None:
        return user.has_any_role(*CONFIG_ROLES, library=library)
    return user.has_any_role(*CONFIG_ROLES, institution=institution or user.institution)


def can_manage_requests(user, library: Library) -> bool:
    """Monitoring, requests on behalf, cancel and edit (LDL-3, LDL-11, LDL-13)."""
    if not getattr(user, "is_authenticated", False):
        return False
    return user.is_superuser or user.has_any_role(*REQUEST_ROLES, library=library)


def is_lending_staff(user) -> bool:
    return getattr(user, "is_authenticated", False) and (user.is_superuser or user.has_any_role(*REQUEST_ROLES))


def managed_library_ids(user, roles: Iterable[str] = REQUEST_ROLES) -> set[int] | None:
    """Libraries where ``user`` holds one of ``roles`` (``None``: every library, for superusers)."""
    if user.is_superuser:
        return None
    roles = set(roles)
    ids: set[int] = set()
    for ra in user.role_assignments_cached():
        if ra.role not in roles:
            continue
        if ra.scope == "library" and ra.library_id:
            ids.add(ra.library_id)
        elif ra.scope == "institution":
            ids.update(Library.objects.filter(institution_id=ra.institution_id).values_list("pk", flat=True))
    return ids


def check_registered(patron: User, representation: Representation) -> None:
    """LDL-3: long-term digital loans are for registered (active) users of the owning institution."""
    if patron is None or not patron.is_active or patron.institution_id != representation.library.institution_id:
        raise RuleViolation("LDL-3", _("long-term digital loans are only for registered users of %(inst)s")
                            % {"inst": representation.library.institution.name}, status=403)


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

def _lock(representation_id: int, library: Library | None = None) -> LoanSettings:
    """Lock the row that owns the copy limit of a representation (LDL-15).

    With ``library``, the grace context is read first, outside the lock."""
    ctx = grace_context(library) if library is not None else None
    st = (LoanSettings.objects.select_for_update(of=("self",))
          .select_related("policy", "representation__library__institution", "representation__record")
          .filter(representation_id=representation_id).first())
    if st is None:
        raise RuleViolation("LDL-2", _("this representation is not configured for long-term digital loans"))
    st.grace_ctx = ctx
    return st


def _lock_or_create(representation: Representation) -> LoanSettings:
    try:
        return _lock(representation.pk)
    except RuleViolation:
        pass
    try:
        with transaction.atomic():
            LoanSettings.objects.create(representation=representation)
    except IntegrityError:  # created by a concurrent transaction meanwhile
        pass
    return _lock(representation.pk)


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
    with transaction.atomic():
        st = _lock_or_create(representation)
        now = clock.now()
        _apply_timers(st, now)
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
            _complete(st, req, "cancel", Outcome.CANCELLED, actor, now, now, cancel_reason=CancelReason.RESOURCE_WITHDRAWN)
            _letter("ldl_cancelled", req, "cancelled", reason=req.get_cancel_reason_display(), note="")
        if values:
            st.updated_at = now
        _resize(actor, st, values)
        _allocate(st, now, actor=actor)
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

def _move(req: LoanRequest, action: str, actor, now: dt.datetime, note: str = "", **fields) -> LoanRequest:
    """Apply one transition of :data:`TRANSITIONS` and record it in the audit trail."""
    status, step = transition(req, action)
    changes = {}
    if (status, step) != (req.status, req.step):
        changes = {"status": [req.status, status], "step": [req.step, step]}
    for name, value in fields.items():
        old = getattr(req, name + "_id" if name == "slot" else name)
        new = value.pk if name == "slot" and value is not None else value
        if old != new:
            changes[name] = [str(old) if isinstance(old, dt.timedelta) else old, str(new) if isinstance(new, dt.timedelta) else new]
        setattr(req, name, value)
    req.status, req.step, req.updated_at = status, step, now
    req.save()
    audit.event(actor, req, action, note=note, changes=changes)
    return req


def _letter_context(req: LoanRequest, **extra) -> dict:
    rep = req.representation
    t = req.terms
    return {
        "patron": req.patron.get_full_name() or req.patron.username,
        "title": rep.record.title,
        "representation": rep.label or rep.record.title,
        "library": rep.library.name,
        "link": title_link(rep.pk),
        "grace_period": describe_period(t.get("grace_period", 0), t.get("grace_unit", "days")),
        "session_period": describe_period(t.get("session_period", 0), t.get("session_unit", "days")),
        **extra,
    }


def _letter(code: str, req: LoanRequest, key: str, **extra) -> None:
    queue_letter(code, req.patron, _letter_context(req, **extra), key=f"ldl:{req.pk}:{key}",
                 institution=req.representation.library.institution)


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


def _hand_over(st: LoanSettings, req: LoanRequest, slot: LoanSlot, now: dt.datetime, actor) -> None:
    """LDL-6 / workflow step 2: the head of the waitlist gets a copy and a grace period."""
    t = req.terms
    ctx = getattr(st, "grace_ctx", None)
    if ctx is None:
        ctx = st.grace_ctx = grace_context(st.representation.library)
    library = ctx["library"]
    grace_end = grace_due(library, now, t["grace_period"], t["grace_unit"], include_closed=ctx["include_closed"])
    session_end = None
    if t.get("grace_included"):  # LDL-8: the session starts with the grace period
        session_end = now + period(t["session_period"], t["session_unit"])
        grace_end = min(grace_end, session_end)
    _move(req, "hand_over", actor, now, slot=slot, handed_over_at=now, grace_due_at=grace_end, session_due_at=session_end)
    _letter("ldl_available", req, "available", grace_until=local_time(grace_end, library))


def _allocate(st: LoanSettings, now: dt.datetime, actor=None) -> list[LoanRequest]:
    """Hand every free copy to the head of the waitlist.  Runs inside the lock: the active
    requests are re-counted here, never trusted from before the lock (LDL-15)."""
    if not st.is_long_term_loan or st.concurrent_users <= 0:
        return []
    rep_id = st.representation_id
    free = st.concurrent_users - LoanRequest.objects.filter(representation_id=rep_id, status=Status.ACTIVE).count()
    if free <= 0:
        return []
    heads = list(LoanRequest.objects.filter(representation_id=rep_id, status=Status.READY).select_related("patron")
                 .order_by("-priority", "requested_at", "id")[:free])
    if not heads:
        return []
    slots = list(LoanSlot.objects.filter(representation_id=rep_id, number__lte=st.concurrent_users, request__isnull=True)
                 .order_by("number")[:len(heads)])
    handed = []
    for req, slot in zip(heads, slots):
        req.representation = st.representation  # already loaded with its record and library by _lock
        _hand_over(st, req, slot, now, actor)
        handed.append(req)
    return handed


def _complete(st: LoanSettings, req: LoanRequest, action: str, outcome: str, actor, now: dt.datetime, when: dt.datetime,
              note: str = "", **fields) -> None:
    _move(req, action, actor, now, note=note, slot=None, completed_at=when, outcome=outcome, **fields)


def _apply_timers(st: LoanSettings, now: dt.datetime) -> int:
    """Move every request of the representation whose due time has passed (inside the lock)."""
    rep_id = st.representation_id
    overdue = list(LoanRequest.objects.filter(representation_id=rep_id).filter(overdue_q(now)).select_related("patron").order_by("id"))
    for req in overdue:
        req.representation = st.representation
        if req.step == Step.IN_GRACE_PERIOD:  # workflow step 5
            _complete(st, req, "grace_expire", Outcome.GRACE_EXPIRED, None, now, req.grace_due_at)
            _letter("ldl_grace_expired", req, "grace_expired")
        else:  # workflow step 4: the session period ended
            _complete(st, req, "session_end", Outcome.SESSION_ENDED, None, now, req.session_due_at)
    if overdue:
        _allocate(st, now)
    return len(overdue)


def overdue_q(now: dt.datetime) -> Q:
    return Q(status=Status.ACTIVE) & (Q(step=Step.IN_GRACE_PERIOD, grace_due_at__lte=now)
                                      | Q(step=Step.IS_BEING_VIEWED, session_due_at__lte=now))


def advance_timers(representation_id: int, now: dt.datetime | None = None) -> int:
    """Apply the due timers of one representation (idempotent)."""
    now = now or clock.now()
    with transaction.atomic():
        try:
            st = _lock(representation_id)
        except RuleViolation:
            return 0
        return _apply_timers(st, now)


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

def _reload(req_or_id, st: LoanSettings) -> LoanRequest:
    """The request as it is now, inside the lock (its representation is the locked one's)."""
    req = LoanRequest.objects.get(pk=getattr(req_or_id, "pk", req_or_id))
    if req.representation_id != st.representation_id:  # pragma: no cover - callers lock the request's own representation
        raise RuleViolation("LDL-15", "locked the wrong representation")
    req.representation = st.representation
    return req


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
    try:
        with transaction.atomic():
            st = _lock(representation.pk, library)
            if not st.is_long_term_loan or not st.representation.active:
                raise RuleViolation("LDL-2", _("this representation is not configured for long-term digital loans"))
            if st.concurrent_users <= 0:
                raise RuleViolation("LDL-2", _("this representation cannot be accessed (no concurrent users)"))
            now = clock.now()
            _apply_timers(st, now)
            # one open request per patron: the partial unique index refuses the INSERT (see below)
            rule = rule_for(st.policy, patron)
            _check_reloan(rule, representation.pk, patron, now)
            req = LoanRequest.objects.create(
                representation=representation, patron=patron, creator=actor, source=source, note=(note or "").strip(),
                priority=int(priority) if priority is not None else rule.request_priority, user_group_id=patron.user_group_id,
                terms=rule.terms(), requested_at=now, updated_at=now,
            )
            audit.event(actor, req, "created", note=req.note, changes={
                "patron": [None, patron.username], "source": [None, source], "priority": [None, req.priority],
                "status": [None, req.status], "step": [None, req.step]})
            handed = {r.pk: r for r in _allocate(st, now, actor=actor)}
            if req.pk in handed:
                return handed[req.pk]
            req.patron, req.representation = patron, st.representation
            _letter("ldl_waitlist", req, "waitlist", place=place_in_queue(req))  # workflow step 1, with the place
            return req
    except IntegrityError as exc:  # a database guard caught a race the lock should have prevented
        if "ldl_one_open_request_per_patron" in str(exc) or "patron_id" in str(exc):
            raise RuleViolation("LDL-3", _("%(who)s already has a waiting or active request for this title")
                                % {"who": patron.username}, status=409)
        raise RuleViolation("LDL-15", _("every copy was taken at the same moment; please try again"), status=409)


def _start_session(req: LoanRequest, actor, now: dt.datetime) -> LoanRequest:
    """Workflow step 3 / LDL-8: the session clock starts at first access (or already started
    with the grace period when the grace is included in the session)."""
    due = req.session_due_at if req.terms.get("grace_included") and req.session_due_at else now + req.session_length
    return _move(req, "access", actor, now, session_started_at=now, session_due_at=due)


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


def access(actor: User, req: LoanRequest) -> LoanRequest:
    """The patron opens the viewer (workflow step 3).  Opening it again while viewing is a no-op."""
    with transaction.atomic():
        st = _lock(req.representation_id)
        now = clock.now()
        _apply_timers(st, now)
        req = _reload(req, st)
        if req.patron_id != actor.pk:
            raise PermissionDenied("LDL-8", _("only the patron who borrowed the title can view it"))
        if req.step == Step.IS_BEING_VIEWED:
            return req
        if req.status == Status.READY:
            raise RuleViolation("LDL-5", _("your request is still in the waitlist (place %(n)d)") % {"n": place_in_queue(req)},
                                status=409)
        if req.status != Status.ACTIVE:
            raise RuleViolation("LDL-8", _("this loan has ended"), status=409)
        return _start_session(req, actor, now)


def finish(actor: User, req: LoanRequest) -> LoanRequest:
    """The patron finished viewing (workflow step 4): the copy goes to the next in line."""
    with transaction.atomic():
        st = _lock(req.representation_id, req.representation.library)
        now = clock.now()
        _apply_timers(st, now)
        req = _reload(req, st)
        if req.patron_id != actor.pk:
            raise PermissionDenied("LDL-4", _("only the patron who borrowed the title can finish the loan"))
        _complete(st, req, "finish", Outcome.FINISHED, actor, now, now)
        _allocate(st, now, actor=None)
        return req


def renew(actor: User, req: LoanRequest) -> LoanRequest:
    """LDL-9: extend the session by one session period, within the open-for-renewal window and
    up to the maximum renewal period in total (3 days, max 10 → 3+3+3+1)."""
    with transaction.atomic():
        st = _lock(req.representation_id)
        now = clock.now()
        _apply_timers(st, now)
        req = _reload(req, st)
        if req.patron_id != actor.pk:
            raise PermissionDenied("LDL-9", _("only the patron who borrowed the title can renew the loan"))
        transition(req, "renew")
        t = req.terms
        library = st.representation.library
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
        if not t.get("renewable_when_others_wait") and LoanRequest.objects.filter(
                representation_id=req.representation_id, status=Status.READY).exists():
            raise RuleViolation("LDL-9", _("others are waiting for this title: it cannot be renewed"), status=409)
        extension = min(req.session_length, remaining)
        return _move(req, "renew", actor, now, session_due_at=req.session_due_at + extension, renewals=req.renewals + 1,
                     renewed_total=req.renewed_total + extension, note=f"+{extension}")


def cancel(actor: User, req: LoanRequest, *, reason: str = "", note: str = "") -> LoanRequest:
    """Workflow step 6 / LDL-11: staff cancel a request not yet being viewed (with a reason);
    a patron cancels their own request while it waits.  Cancelling an active request frees
    the copy for the next in line; cancelling a waiting one moves later ones up."""
    with transaction.atomic():
        st = _lock(req.representation_id, req.representation.library)
        now = clock.now()
        _apply_timers(st, now)
        req = _reload(req, st)
        staff = can_manage_requests(actor, st.representation.library)
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
        _complete(st, req, "cancel", Outcome.CANCELLED, actor, now, now, note=(note or "").strip(),
                  cancel_reason=reason, cancel_note=(note or "").strip())
        _letter("ldl_cancelled", req, "cancelled", reason=req.get_cancel_reason_display(), note=req.cancel_note)
        if was_active:
            _allocate(st, now, actor=None)
        return req


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
    with transaction.atomic():
        st = _lock(req.representation_id)
        now = clock.now()
        _apply_timers(st, now)
        req = _reload(req, st)
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
            req.save(update_fields=[*changes, "updated_at"])
            audit.changed(actor, req, changes)
        return changes

"""Merge two accounts of one person (ORG-MERGE; ORG-3, ORG-6, LMS-1..3).

One human can end up with two accounts: a roster sync loads them by the LMS's Org Defined ID with
an e-mail address other than the one SSO later vouches for; a person created by an LMS launch
later signs in by SSO under their institution username; a person of the people file arrives by
LTI before anybody linked them.  :func:`merge_people` moves everything the *source* account holds
onto the *target* account, in one transaction, and deactivates the source (never deletes it: the
audit trail keeps naming it).

Every app that keeps a reference to a person plugs in here — this app sits low in the app graph
and never imports them — with a ``merge.py`` module (autodiscovered from ``OrgConfig.ready``):

    from syllabus.org.merging import participant

    @participant("courses.Enrollment.user", "courses.Course.instructors", "courses.Course.students")
    def courses(merge):
        merge.reassign(Enrollment, "user", clash=("course",))
        merge.reassign_m2m(Course.instructors)

A participant *claims* the ``app.Model.field`` references to the user model it takes care of:
``tests/org/test_merge_people.py`` walks every model's relations to the user model and fails on
one that no participant claims — a new model with a person in it must say what a merge does to it.
What a participant moves it reports on the :class:`Merge` (``reassign`` does so itself), and the
dry run shows these lines before anything is applied.

The dry run is the merge itself, rolled back: what the preview lists is what the merge does.

Per-reader limits (DIG-7: simultaneous digitization requests per user group) are checked on the
merged account by the apps that keep them, with a ``@limit_check`` (run after every participant
and after the profile is filled in, so that a user group the target gains counts):

    @limit_check
    def digitization_limit(merge):
        merge.over_limit("DIG-7", "open digitization requests", count=7, limit=5)

A merge never cancels a request to bring the person under a limit — each was placed within its
account's limit, the library may be working on it, and which to drop is the person's choice, not
the merge's.  The excess is shown before the merge (the preview) and after it, written in the
audit trail, and new requests are refused, naming the rule, until the person is under the limit
again (the limit's own check: it counts the merged requests).
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db import models, transaction

from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.core.registry import Hooks

from .models import User
from .roles import Role

RULE = "ORG-MERGE"

Participant = Callable[["Merge"], None]
PARTICIPANTS: Hooks[Participant] = Hooks()
#: ``"app_label.Model.field"`` → the participant that takes care of it
CLAIMS: dict[str, str] = {}
#: the claimed references a merge leaves on the source on purpose (a history of what it did)
KEPT: set[str] = set()
#: per-reader limits checked on the merged account (DIG-7): they report with :meth:`Merge.over_limit`
LIMIT_CHECKS: Hooks[Participant] = Hooks()


def limit_check(fn: Participant) -> Participant:
    """Register a check of a per-reader limit on the merged account (see the module's docstring)."""
    return LIMIT_CHECKS.register(fn)


def participant(*fields: str, kept: tuple[str, ...] = ()) -> Callable[[Participant], Participant]:
    """Register a merge participant that moves ``fields`` (``"app_label.Model.field"``) to the
    target and leaves ``kept`` on the source (it says so with :meth:`Merge.keep`)."""
    def register(fn: Participant) -> Participant:
        for name in (*fields, *kept):
            CLAIMS[name] = f"{fn.__module__}.{fn.__name__}"
        KEPT.update(kept)
        return PARTICIPANTS.register(fn)
    return register


def moves(module: str, fields: dict[str, str], *, clashes: dict[str, tuple[str, ...]] | None = None) -> Participant:
    """Register a participant that only moves rows: ``{"app_label.Model.field": "what the report calls
    them"}``; ``clashes``: for a field in a unique constraint, its other fields (see
    :meth:`Merge.reassign`).  ``module`` is the registering module's ``__name__``."""
    from django.apps import apps as registry

    def run(merge: Merge) -> None:
        for name, what in fields.items():
            label, _, attribute = name.rpartition(".")
            merge.reassign(registry.get_model(label), attribute, clash=(clashes or {}).get(name, ()), what=what)

    run.__module__, run.__name__ = module, "moves"
    return participant(*fields)(run)


@dataclass
class Line:
    """One line of a merge's report: what moved (or was closed, kept, revoked) and how many."""

    what: str
    count: int
    detail: str = ""

    def __str__(self) -> str:
        return f"{self.what}: {self.count}" + (f" ({self.detail})" if self.detail else "")


@dataclass
class Excess:
    """A per-reader limit the merged account is over: nothing is cancelled, new requests wait.
    ``what`` is English, marked with ``gettext_noop`` where it is written: pages translate it."""

    rule: str
    what: str
    count: int
    limit: int

    def __str__(self) -> str:
        return (f"{self.rule}: {self.count} {self.what}, over the limit of {self.limit}: all are kept; "
                f"new ones are refused until fewer than {self.limit} are open")


@dataclass
class Merge:
    """One merge under way: the two accounts (locked), who merges, and the report the participants
    write.  A participant moves rows with :meth:`reassign` / :meth:`reassign_m2m` or does its own
    work (an app's service) and says what with :meth:`report`."""

    source: User
    target: User
    actor: User | None
    now: dt.datetime
    lines: list[Line] = field(default_factory=list)
    excesses: list[Excess] = field(default_factory=list)

    @property
    def note(self) -> str:
        return f"account {self.source.username!r} merged into {self.target.username!r}"

    def report(self, what: str, count: int, detail: str = "") -> None:
        if count:
            self.lines.append(Line(what, count, detail))

    def reassign(self, model: type[models.Model], name: str, *, clash: Iterable[str] = (), what: str = "",
                 also: dict | None = None, nulls_clash: bool = False) -> int:
        """Move ``model``'s rows whose ``name`` is the source to the target.

        ``clash``: the other fields of a unique constraint with ``name`` — a source row whose
        values there the target already holds is a duplicate: deleted (the target's row stays),
        never an IntegrityError.  A NULL there never clashes, as in the database, unless
        ``nulls_clash`` (a role's empty library scope is the same scope).  ``also``: more values to
        write on the moved rows."""
        qs = model._base_manager.filter(**{name: self.source})
        dropped = 0
        clash = tuple(clash)
        if clash:
            theirs = set(model._base_manager.filter(**{name: self.target}).values_list(*clash))
            # a NULL never clashes in a unique constraint (My collection's stand-alone entries)
            dup = [pk for pk, *values in qs.values_list("pk", *clash) if (nulls_clash or None not in values) and tuple(values) in theirs]
            if dup:
                dropped, _ = model._base_manager.filter(pk__in=dup).delete()
        moved = qs.update(**{name: self.target}, **(also or {}))
        label = what or f"{model._meta.verbose_name_plural} ({name.replace('_', ' ')})"
        self.report(label, moved + dropped, f"{dropped} the target already had" if dropped else "")
        return moved

    def over_limit(self, rule: str, what: str, *, count: int, limit: int | None) -> None:
        """The merged account holds ``count`` of what ``rule`` limits to ``limit`` (``None``: no
        limit): reported when it is over (``count > limit``)."""
        if limit is not None and count > limit:
            self.excesses.append(Excess(rule, what, count, limit))

    def keep(self, model: type[models.Model], name: str, *, what: str) -> int:
        """Rows that stay with the source on purpose (a history of what that account did): only counted."""
        count = model._base_manager.filter(**{name: self.source}).count()
        self.report(what, count, "kept on the source")
        return count

    def reassign_m2m(self, relation, *, what: str = "") -> int:
        """The source's memberships of a many-to-many relation (``Course.instructors``) become the
        target's; one the target already has is dropped (the pair is unique)."""
        rel = relation.field
        through = rel.remote_field.through
        mine, other = rel.m2m_reverse_field_name(), rel.m2m_field_name()
        if rel.model is User:   # the user's own many-to-manys (groups, permissions)
            mine, other = other, mine
        rows = through._base_manager.filter(**{mine: self.source})
        theirs = set(through._base_manager.filter(**{mine: self.target}).values_list(other, flat=True))
        dup = rows.filter(**{f"{other}__in": theirs})
        dropped = dup.count()
        if dropped:
            dup.delete()
        moved = rows.update(**{mine: self.target})
        label = what or f"{rel.model._meta.verbose_name} {rel.name.replace('_', ' ')}"
        self.report(label, moved + dropped, f"{dropped} the target already had" if dropped else "")
        return moved


@dataclass
class MergeReport:
    source: str
    target: str
    applied: bool
    lines: list[Line]
    excesses: list[Excess] = field(default_factory=list)

    def as_text(self) -> list[str]:
        return [str(line) for line in self.lines]


# --- who may merge which accounts ---------------------------------------------------------------

PRIVILEGED = ("is_superuser", "is_staff")


def roles_of(user: User) -> set[tuple]:
    return {(ra.role, ra.scope, ra.library_id, ra.department) for ra in user.role_assignments.all()}


def may_merge(actor) -> bool:
    """The institution's General System Administrators (and superusers) merge accounts."""
    return bool(actor is not None and getattr(actor, "is_authenticated", False) and actor.is_active
                and (actor.is_superuser or actor.has_role(Role.GENERAL_SYSTEM_ADMINISTRATOR)))


def check_merge(source: User, target: User, actor, *, operator: bool = False) -> None:
    """Refuse, naming the rule, a merge that must not happen (see docs/sso.md *Merging two
    accounts of one person*).  ``operator``: the server's operator at the command line, who
    holds every right (as ``syllabus token create``); the accounts' rules still apply."""
    if not operator and not may_merge(actor):
        raise PermissionDenied(RULE, "only a General System Administrator of the institution merges accounts")
    if source.pk == target.pk:
        raise RuleViolation(RULE, "the source and the target are the same account")
    if source.institution_id != target.institution_id or source.institution_id is None:
        raise RuleViolation(RULE, "the two accounts belong to different institutions (ORG-3: a person belongs to one)")
    if not operator and not actor.is_superuser:
        if actor.institution_id != source.institution_id or not actor.has_role(Role.GENERAL_SYSTEM_ADMINISTRATOR,
                                                                                institution=source.institution):
            raise PermissionDenied(RULE, "only a General System Administrator of the accounts' institution merges them")
        if source.is_superuser or target.is_superuser:
            raise PermissionDenied(RULE, "a platform superuser's account is merged by a superuser only")
        if (source.is_staff and not target.is_staff) or source.groups.exists() or source.user_permissions.exists():
            raise PermissionDenied(RULE, f"{source.username!r} holds administration rights (the staff flag, Django groups or "
                                         "permissions) that only a superuser gives: a superuser merges it")
    if actor is not None and source.pk == actor.pk:
        raise RuleViolation(RULE, "you cannot merge away the account you are signed in with; ask another administrator")
    if source.merged_into_id is not None:
        raise RuleViolation(RULE, f"{source.username!r} was already merged into another account", status=409)
    if target.merged_into_id is not None:
        raise RuleViolation(RULE, f"{target.username!r} was merged into another account: merge into that one", status=409)
    if not target.is_active:
        raise RuleViolation(RULE, f"the target account {target.username!r} is inactive: reactivate it first, or merge the "
                                  "other way round")


def find_account(institution_id: int | None, username: str, *, rule: str = RULE) -> User:
    """A person named by their username, as staff type it."""
    from .models import typed_username

    name = typed_username(username)
    user = User.objects.filter(username=name).select_related("institution").first()
    if user is None or (institution_id is not None and user.institution_id != institution_id):
        raise RuleViolation(rule, f"no account {name!r} in your institution", status=404)
    return user


# --- the verb --------------------------------------------------------------------------------------

class _DryRun(Exception):
    """Leaves the merge's transaction, rolling it back, with its report."""

    def __init__(self, report: MergeReport):
        self.report = report


def merge_people(source: User, target: User, *, by, apply: bool = True, operator: bool = False) -> MergeReport:
    """Merge the account ``source`` into ``target`` (ORG-MERGE), acting as ``by``.

    In one transaction: both accounts are locked (in id order: two merges never deadlock, and a
    second merge of the same source waits, then finds it merged and is refused), the rules are
    checked on the locked rows, every participant moves its rows, the source is deactivated and
    marked merged into the target, and both accounts' audit trails record the merge (ORG-6).
    ``apply=False``: the same, rolled back — the report of what a merge would do.  ``operator``:
    run by the server's operator (``syllabus people merge``), ``by`` then may be nobody."""
    try:
        with transaction.atomic():
            first, second = sorted([source.pk, target.pk])
            locked = {u.pk: u for u in User.objects.select_for_update().filter(pk__in=[first, second]).order_by("pk")}
            source, target = locked.get(source.pk, source), locked.get(target.pk, target)
            check_merge(source, target, by, operator=operator)
            merge = Merge(source=source, target=target, actor=by, now=clock.now())
            for run in PARTICIPANTS:
                run(merge)
            was_active = source.is_active
            _close_source(merge)
            for check in LIMIT_CHECKS:
                check(merge)
            report = MergeReport(source.username, target.username, apply, merge.lines, merge.excesses)
            changes = {"merged_from": source.username, "moved": {line.what: line.count for line in merge.lines}}
            if merge.excesses:
                changes["over_limits"] = {e.rule: {"what": e.what, "count": e.count, "limit": e.limit} for e in merge.excesses}
            audit.event(by, target, "merged", note=f"{merge.note} (ORG-MERGE)", changes=changes)
            audit.event(by, source, "merged_into", note=f"{merge.note} (ORG-MERGE); deactivated",
                        changes={"merged_into": target.username, "is_active": [was_active, False]})
            if not apply:
                raise _DryRun(report)
    except _DryRun as dry:
        return dry.report
    for user in (source, target):
        user.__dict__.pop("_role_cache", None)
    return report


def _close_source(merge: Merge) -> None:
    """The source is deactivated, marked merged and its profile's blanks fill the target's."""
    source, target = merge.source, merge.target
    filled = {}
    for name in ("first_name", "last_name", "email", "phone", "external_id", "preferred_language", "user_group_id",
                 "expiry_date"):
        if getattr(target, name) in ("", None) and getattr(source, name) not in ("", None):
            filled[name] = getattr(source, name)
    if "email" in filled:
        filled["email_verified"] = source.email_verified
    if "expiry_date" in filled:   # the target had none: it does not lapse because the source would have
        del filled["expiry_date"]
    if filled:
        for name, value in filled.items():
            setattr(target, name, value)
        target.save(update_fields=list(filled))
        merge.report("profile details filled in from the source", len(filled), ", ".join(sorted(
            "user_group" if n == "user_group_id" else n for n in filled)))
    source.is_active = False
    source.merged_into = target
    source.merged_at = merge.now
    source.save(update_fields=["is_active", "merged_into", "merged_at"])


def merged_target(user: User | None) -> User | None:
    """The account a merged account now is (itself when it was not merged): what an identity
    source that names ``user`` signs in (LMS-1, LMS-3)."""
    if user is not None and user.merged_into_id is not None:
        return User.objects.filter(pk=user.merged_into_id).first() or user
    return user


# --- likely duplicates ------------------------------------------------------------------------------

#: reasons, strongest evidence first: the institution's identifiers, then the LMS's, then names
SAME_EXTERNAL_ID = "same external id"
EXTERNAL_ID_IS_USERNAME = "external id is another's username"
LMS_SIS_ID = "LMS SIS id"
SAME_NAME = "same name"
SAME_EMAIL_LOCAL_PART = "same e-mail local part"

#: finders of likely duplicates in higher apps (the LMS's SIS ids, lti): ``fn(institution, people)``
#: with ``people`` the institution's active accounts by id → ``[(reason, detail, [user ids])]``
DUPLICATE_FINDERS: Hooks[Callable[[object, dict[int, User]], Iterable[tuple[str, str, list[int]]]]] = Hooks()


@dataclass
class Duplicate:
    reason: str
    people: list[User]
    detail: str = ""   # the value they share ("SIS id 20231234"), when the reason is an identifier


def likely_duplicates(institution, *, limit: int = 200) -> list[Duplicate]:
    """Active people of ``institution`` who are likely one person, each group with why: the same
    external (SIS) id; one's external id is another's username (a people file keyed by username
    and an LMS account keyed by SIS id); what the LMS said is a person's SIS id (LIS
    ``person_sourcedid``, Brightspace's Org Defined ID: ``DUPLICATE_FINDERS``) being another
    account's username or external id; the same name (case, accents and spaces aside); the same
    e-mail local part (``jdoe@uni.edu`` and ``jdoe@students.uni.edu``).  A group is listed once,
    under its strongest reason."""
    import unicodedata

    def normal(text: str) -> str:
        text = unicodedata.normalize("NFKD", text or "")
        return " ".join("".join(c for c in text if not unicodedata.combining(c)).lower().split())

    by_name: dict[str, list[User]] = {}
    by_local: dict[str, list[User]] = {}
    by_external: dict[str, list[User]] = {}
    by_username: dict[str, User] = {}
    everyone: dict[int, User] = {}
    people = (User.objects.filter(institution=institution, is_active=True, merged_into__isnull=True)
              .only("id", "username", "first_name", "last_name", "email", "external_id", "institution_id").order_by("pk"))
    for person in people.iterator(chunk_size=2000):
        everyone[person.pk] = person
        by_username[person.username] = person
        if person.external_id.strip():
            by_external.setdefault(person.external_id.strip(), []).append(person)
        name = normal(f"{person.first_name} {person.last_name}")
        if name:
            by_name.setdefault(name, []).append(person)
        local = normal(person.email.split("@", 1)[0]) if "@" in person.email else ""
        if local:
            by_local.setdefault(local, []).append(person)
    found: list[Duplicate] = []
    seen: set[tuple[int, ...]] = set()

    def add(reason: str, group: list[User], detail: str = "") -> bool:
        group = sorted({p.pk: p for p in group}.values(), key=lambda p: p.pk)
        key = tuple(p.pk for p in group)
        if len(group) > 1 and key not in seen:
            seen.add(key)
            found.append(Duplicate(reason, group, detail))
        return len(found) >= limit

    for external, group in by_external.items():
        if add(SAME_EXTERNAL_ID, group, external):
            return found
    for external, group in by_external.items():
        other = by_username.get(external)
        for person in group:
            if other is not None and other.pk != person.pk and add(EXTERNAL_ID_IS_USERNAME, [person, other], external):
                return found
    for finder in DUPLICATE_FINDERS:
        for reason, detail, ids in finder(institution, everyone):
            if add(reason, [everyone[pk] for pk in ids if pk in everyone], detail):
                return found
    for reason, groups in ((SAME_NAME, by_name), (SAME_EMAIL_LOCAL_PART, by_local)):
        for group in groups.values():
            if add(reason, group):
                return found
    return found

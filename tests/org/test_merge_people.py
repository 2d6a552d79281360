"""Merging two accounts of one person (ORG-MERGE; ORG-3, ORG-6, LMS-1..3, LDL-3, SRV-5).

``merge_people(source, target, by=...)`` moves everything the source holds onto the target in one
transaction, through the participants every app registers (org.merging): the first test walks
every relation of every model to the user model — a new one that no participant claims fails it —
and checks on the demo data that each claimed reference really moves (or is kept, on purpose)."""
from __future__ import annotations

import datetime as dt
import io

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model

from syllabus.core import audit
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.org import merging
from syllabus.org.merging import merge_people
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db


def _references() -> dict[str, tuple]:
    """``"app.Model.field"`` → (model, field) for every relation to the user model: foreign keys,
    one-to-ones and many-to-manys (an automatic through table counts as its many-to-many field)."""
    user_model = get_user_model()
    found: dict[str, tuple] = {}
    for model in apps.get_models(include_auto_created=True):
        for f in model._meta.get_fields(include_hidden=True):
            if not f.is_relation or f.auto_created and not f.concrete:
                continue
            if f.many_to_many and not f.auto_created and f.model is model:
                if f.remote_field.model is user_model:
                    found[f"{model._meta.label}.{f.name}"] = (model, f)
                elif model is user_model:   # the user's own many-to-manys (groups, permissions)
                    found[f"{model._meta.label}.{f.name}"] = (model, f)
            elif f.concrete and f.remote_field.model is user_model and not model._meta.auto_created:
                found[f"{model._meta.label}.{f.name}"] = (model, f)
    return found


def test_every_reference_to_a_person_is_claimed_by_a_merge_participant():
    """A model with a person in it says what a merge does to it (a ``merge.py`` participant)."""
    refs = _references()
    assert "courses.Enrollment.user" in refs and "lists.ResourceList.owners" in refs and "org.User.groups" in refs
    missing = sorted(set(refs) - set(merging.CLAIMS))
    assert not missing, f"relations to the user model that no merge participant claims (org.merging): {missing}"
    assert not set(merging.CLAIMS) - set(refs), "a participant claims a relation that does not exist"


def _load_demo() -> None:
    import importlib
    import importlib.util

    out = io.StringIO()
    for config in apps.get_app_configs():
        name = f"{config.name}.demo"
        if config.name.startswith("syllabus.") and importlib.util.find_spec(name) is not None:
            module = importlib.import_module(name)
            module.load(out, generated=5) if config.label == "catalog" else module.load(out)


def _a_row_of(model, person):
    """A row of ``model`` the demo data does not have: every required field filled — a relation with
    the first row of its model (a person: ``person``), a text, a number, a time."""
    from django.db import models as m

    from syllabus.core import clock

    values = {}
    for f in model._meta.concrete_fields:
        if f.primary_key or f.null or f.has_default() or getattr(f, "auto_now_add", False):
            continue
        if f.is_relation:
            other = f.remote_field.model
            values[f.name] = person if other is get_user_model() else (other._base_manager.first() or _a_row_of(other, person))
        elif isinstance(f, (m.DateTimeField,)):
            values[f.name] = clock.now()
        elif isinstance(f, m.DateField):
            values[f.name] = clock.now().date()
        elif isinstance(f, (m.IntegerField, m.FloatField, m.DecimalField)):
            values[f.name] = 1
        elif isinstance(f, m.JSONField):
            values[f.name] = {}
        elif isinstance(f, m.BinaryField):
            values[f.name] = b""
        elif isinstance(f, m.BooleanField):
            values[f.name] = False
        else:
            values[f.name] = (f.choices[0][0] if f.choices else f"{f.name}-merge-test")[: f.max_length or 50]
    return model._base_manager.create(**values)


def test_every_claimed_reference_moves_to_the_target_or_is_kept(make_user, settings, tmp_path):
    """On the demo data: one row of every model that refers to a person is pointed at the source;
    after the merge each one names the target — or, for the few kept on purpose (the audit trail,
    sign-in sessions, revoked tokens), still the source."""
    from django.contrib.admin.models import ADDITION, LogEntry
    from django.contrib.auth.models import Group


    settings.MEDIA_ROOT = tmp_path
    _load_demo()
    source = make_user("dup-source", first_name="Dana", last_name="Double")
    target = make_user("dup-target")
    group = Group.objects.create(name="merge-test")
    someone = make_user("someone")
    LogEntry.objects.create(user=someone, object_id="1", object_repr="x", action_flag=ADDITION)
    planted: dict[str, tuple] = {}
    for name, (model, f) in _references().items():
        if f.many_to_many and not f.remote_field.through._meta.auto_created:
            continue   # through a model of its own (Course.students: Enrollment), planted as that model's
        if f.many_to_many:
            if model is get_user_model():
                getattr(source, f.name).add(group if f.name == "groups" else f.remote_field.model.objects.first())
                planted[name] = (model, f, source.pk)
                continue
            # each many-to-many of a model on a row of its own (an owner of a list is not also its collaborator)
            nth = sum(1 for other in planted if other.startswith(f"{model._meta.label}."))
            obj = model._base_manager.order_by("pk")[nth:nth + 1].first()
            assert obj is not None, f"the demo data has too few {model._meta.label}: the test needs {nth + 1}"
            getattr(obj, f.name).add(source)
            planted[name] = (model, f, obj.pk)
            continue
        qs = model._base_manager.order_by("pk")
        if model is get_user_model():
            qs = qs.exclude(pk__in=[source.pk, target.pk])
        obj = qs.first() or _a_row_of(model, someone)
        assert obj is not None, f"the demo data has no {model._meta.label}: the test needs one"
        model._base_manager.filter(pk=obj.pk).update(**{f.name: source})
        planted[name] = (model, f, obj.pk)

    report = merge_people(source, target, by=None, operator=True)

    assert report.applied and report.lines
    for name, (model, f, pk) in planted.items():
        want = source.pk if name in merging.KEPT else target.pk
        if f.many_to_many:
            if model is get_user_model():
                holder = model.objects.get(pk=want)
                assert getattr(holder, f.name).exists(), name
            else:
                members = set(getattr(model._base_manager.get(pk=pk), f.name).values_list("pk", flat=True))
                assert want in members and (want == source.pk or source.pk not in members), name
            continue
        value = model._base_manager.filter(pk=pk).values_list(f.attname, flat=True).first()
        assert value == want, f"{name}: {value} after the merge, expected {'the source' if want == source.pk else 'the target'}"
    source.refresh_from_db()
    assert not source.is_active and source.merged_into_id == target.pk


# --- the rules: who merges what --------------------------------------------------------------------

@pytest.fixture
def gsa(make_user):
    return make_user("gsa", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR])


def test_refusals_name_the_rule(make_user, gsa, inst_b, admin_user):
    a1, a2 = make_user("a1"), make_user("a2")
    other = make_user("b1", institution=inst_b)
    cases = [
        (a1, a1, gsa, "the same account"),
        (a1, other, gsa, "different institutions"),
        (gsa, a1, gsa, "you cannot merge away the account you are signed in with"),
    ]
    for source, target, actor, says in cases:
        with pytest.raises(RuleViolation) as exc:
            merge_people(source, target, by=actor)
        assert exc.value.rule == "ORG-MERGE" and says in exc.value.detail
    a2.is_active = False
    a2.save()
    with pytest.raises(RuleViolation, match="inactive"):
        merge_people(a1, a2, by=gsa)


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.GENERAL_SYSTEM_ADMINISTRATOR] + ["instructor", "student"])
def test_only_a_general_system_administrator_merges(make_user, role):
    actor = make_user(f"actor-{role}"[:30], roles=[role] if role in Role.values else [])
    a1, a2 = make_user("a1"), make_user("a2")
    with pytest.raises(PermissionDenied) as exc:
        merge_people(a1, a2, by=actor)
    assert exc.value.rule == "ORG-MERGE"
    a1.refresh_from_db()
    assert a1.is_active and a1.merged_into_id is None


def test_another_institutions_administrator_is_refused(make_user, inst_b):
    b_admin = make_user("b-admin", institution=inst_b, roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR])
    with pytest.raises(PermissionDenied, match="accounts' institution"):
        merge_people(make_user("a1"), make_user("a2"), by=b_admin)


def test_a_staff_flagged_or_superuser_source_needs_a_superuser(make_user, gsa):
    staff = make_user("staffer", is_staff=True)
    with pytest.raises(PermissionDenied, match="only a superuser gives"):
        merge_people(staff, make_user("plain"), by=gsa)
    root = make_user("root", is_superuser=True, is_staff=True)
    with pytest.raises(PermissionDenied, match="superuser"):
        merge_people(make_user("x1"), root, by=gsa)
    superuser = make_user("super", is_superuser=True, is_staff=True)
    report = merge_people(staff, make_user("plain2"), by=superuser)
    assert report.applied


def test_a_merged_account_is_not_merged_again(make_user, gsa):
    a1, a2, a3 = make_user("a1"), make_user("a2"), make_user("a3")
    merge_people(a1, a2, by=gsa)
    with pytest.raises(RuleViolation, match="already merged"):
        merge_people(a1, a3, by=gsa)
    with pytest.raises(RuleViolation, match="merge into that one"):
        merge_people(a3, a1, by=gsa)
    # a chain: a2 into a3 — a1 now leads to a3
    merge_people(a2, a3, by=gsa)
    a1.refresh_from_db()
    assert a1.merged_into_id == a3.pk


# --- what moves, and the clashes ---------------------------------------------------------------------

def test_roles_union_tokens_revoked_profile_filled_and_audited(make_user, gsa):
    from syllabus.org.models import ApiToken
    from syllabus.org.services import create_api_token, user_for_token

    source = make_user("src", group="staff", first_name="Sam", email="sam@uni.edu",
                       roles=[Role.COURSE_RESERVES_OPERATOR, Role.REQUESTS_OPERATOR], external_id="S-1")
    target = make_user("tgt", group="staff", first_name="", email="", roles=[Role.COURSE_RESERVES_OPERATOR])
    _, raw = create_api_token(source)
    preview = merge_people(source, target, by=gsa, apply=False)
    assert not preview.applied and any("role" in line for line in preview.as_text())
    source.refresh_from_db()
    assert source.is_active and source.role_assignments.count() == 2   # a dry run writes nothing

    report = merge_people(source, target, by=gsa)

    assert [str(line) for line in report.lines] == preview.as_text()   # the preview said what the merge does
    assert sorted(target.role_assignments.values_list("role", flat=True)) == sorted(
        [Role.COURSE_RESERVES_OPERATOR, Role.REQUESTS_OPERATOR])
    assert user_for_token(raw) is None and ApiToken.objects.get(user=source).revoked_at is not None
    target.refresh_from_db()
    assert (target.first_name, target.email, target.external_id) == ("Sam", "sam@uni.edu", "S-1")
    entry = audit.trail(target).filter(action="merged").get()
    assert entry.actor == gsa and entry.changes["merged_from"] == "src" and "ORG-MERGE" in entry.note
    assert audit.trail(source).filter(action="merged_into").exists()


def test_enrolments_lists_and_collections_union_without_clash(make_user, gsa, course, student):
    from syllabus.courses.models import Enrollment
    from syllabus.lists.models import ResourceList

    twin = make_user("student-twin")
    Enrollment.objects.create(course=course, user=twin)
    lst = ResourceList.objects.create(institution=course.institution, title="Reading")
    lst.owners.add(twin)
    lst.collaborators.add(student)
    merge_people(twin, student, by=gsa)
    assert list(Enrollment.objects.filter(course=course, user__in=[twin, student]).values_list("user", flat=True)) == [student.pk]
    assert list(lst.owners.all()) == [student] and not lst.collaborators.exists()   # an owner, not also a collaborator


def test_holds_keep_the_better_place_and_cancel_the_duplicate(make_user, gsa, library_a, clock):
    from syllabus.catalog.models import Record
    from syllabus.circulation.models import Hold

    record = Record.objects.create(institution=library_a.institution, title="Twice held")
    source, target = make_user("h-src"), make_user("h-tgt")
    waiting = Hold.objects.create(patron=target, record=record, pickup_library=library_a)
    clock.advance(dt.timedelta(hours=1))
    on_shelf = Hold.objects.create(patron=source, record=record, pickup_library=library_a, status="on_hold_shelf")
    report = merge_people(source, target, by=gsa)
    waiting.refresh_from_db()
    on_shelf.refresh_from_db()
    assert (on_shelf.patron_id, on_shelf.status) == (target.pk, "on_hold_shelf")
    assert waiting.status == "cancelled" and "duplicate" in waiting.reason
    assert any("duplicate" in line for line in report.as_text())


def test_sign_ins_lead_to_the_target_and_a_password_sign_in_says_where(make_user, gsa, client, inst_a):
    """LMS-1/LMS-3: an identity source that still names the merged account (its username) signs in the
    target; the merged account's password gets a clear message naming the target, never the target."""
    from syllabus.org.services import PersonDetails, provision_person

    source = make_user("old-login")
    source.set_password("pw-old")
    source.save()
    target = make_user("new-login")
    merge_people(source, target, by=gsa)
    user, created = provision_person(inst_a, PersonDetails(username="old-login"), source="sso:test")
    assert (user, created) == (target, False)
    page = client.post("/login/", {"username": "old-login", "password": "pw-old"})
    assert page.status_code == 200 and "merged into the account new-login" in page.content.decode()
    assert "_auth_user_id" not in client.session
    wrong = client.post("/login/", {"username": "old-login", "password": "nope"})
    assert "new-login" not in wrong.content.decode()   # a username alone never tells which account it became


def test_the_people_loader_never_revives_a_merged_account(make_user, gsa, inst_a):
    from syllabus.org.services import import_users

    source, target = make_user("loaded"), make_user("kept")
    merge_people(source, target, by=gsa)
    report = import_users(io.StringIO("username,status\nloaded,active\n"), inst_a)
    source.refresh_from_db()
    assert not source.is_active and "merged into another account" in report.rejected[0].reason


@pytest.mark.django_db(transaction=True)
def test_concurrent_merges_of_one_source_merge_it_once(make_user, gsa):
    """Two administrators merge one source into two targets at the same moment: the accounts are
    locked (select_for_update, in id order), the second waits and is refused — never two merges."""
    from tests.concurrency import at_once

    source, t1, t2 = make_user("c-src"), make_user("c-t1"), make_user("c-t2")
    done, refused, errors = at_once([lambda: merge_people(source, t1, by=gsa), lambda: merge_people(source, t2, by=gsa)],
                                    expected=(RuleViolation,), timeout=30)
    assert errors == []
    assert len(done) == 1 and [exc.rule for exc in refused] == ["ORG-MERGE"]
    source.refresh_from_db()
    assert source.merged_into_id == (t1.pk if done[0].target == "c-t1" else t2.pk)
    assert audit.trail(source).filter(action="merged_into").count() == 1


def test_likely_duplicates_by_name_and_email_local_part(make_user, inst_a):
    make_user("jd1", first_name="José", last_name="Díaz")
    make_user("jd2", first_name="jose ", last_name="diaz")
    make_user("m1", email="mary@uni.edu")
    make_user("m2", email="MARY@students.uni.edu")
    make_user("alone", first_name="Solo", email="solo@uni.edu")
    found = {(d.reason, tuple(sorted(p.username for p in d.people))) for d in merging.likely_duplicates(inst_a)}
    assert ("same name", ("jd1", "jd2")) in found and ("same e-mail local part", ("m1", "m2")) in found
    assert not any("alone" in people for _, people in found)


def test_likely_duplicates_by_external_id_say_why_and_come_first(make_user, inst_a):
    """ORG-MERGE: the SIS's identifiers are better evidence than names: two accounts with one
    external id, and an account whose external id is another's username, are listed first, with
    the id; a pair is listed once, under its strongest reason."""
    from django.core.management import call_command

    make_user("sis-a", external_id="S-0042", first_name="Lee", last_name="Park")
    make_user("sis-b", external_id="S-0042", first_name="Lee", last_name="Park")
    make_user("S-0099", first_name="Kim")
    make_user("kim-sso", external_id="S-0099", first_name="Kimberly")
    make_user("nobody", external_id="")
    make_user("nobody2", external_id="")
    found = [(d.reason, d.detail, tuple(sorted(p.username for p in d.people))) for d in merging.likely_duplicates(inst_a)]
    assert found[:2] == [(merging.SAME_EXTERNAL_ID, "S-0042", ("sis-a", "sis-b")),
                         (merging.EXTERNAL_ID_IS_USERNAME, "S-0099", ("S-0099", "kim-sso"))]
    assert not any(people == ("sis-a", "sis-b") for reason, _, people in found[2:])   # not again as "same name"
    assert not any("nobody" in people for _, _, people in found)                      # an empty id pairs no one
    out = io.StringIO()
    call_command("people", "duplicates", inst_a.code, stdout=out)
    assert "same external id S-0042: sis-a (Lee Park" in out.getvalue()


def test_the_command_is_a_dry_run_unless_applied(make_user):
    from django.core.management import call_command

    source, target = make_user("cli-src"), make_user("cli-tgt")
    out = io.StringIO()
    call_command("people", "merge", "cli-src", "cli-tgt", stdout=out)
    source.refresh_from_db()
    assert "dry run" in out.getvalue() and source.is_active
    out = io.StringIO()
    call_command("people", "merge", "cli-src", "cli-tgt", "--apply", stdout=out)
    source.refresh_from_db()
    assert "Merged cli-src into cli-tgt" in out.getvalue() and source.merged_into_id == target.pk


# --- the page: preview, then confirm ------------------------------------------------------------

def test_the_page_previews_then_merges(client, make_user, gsa):
    from django.contrib.messages import get_messages

    source, target = make_user("pg-src"), make_user("pg-tgt")
    source.role_assignments.create(role=Role.REQUESTS_OPERATOR, institution=source.institution)
    client.force_login(gsa)
    assert client.get("/people/merge/?source=pg-src&target=pg-tgt").status_code == 200
    preview = client.post("/people/merge/", {"source": "pg-src", "target": "pg-tgt", "action": "preview"})
    html = preview.content.decode()
    assert preview.status_code == 200 and 'data-testid="merge-preview"' in html and "role assignments: 1" in html
    source.refresh_from_db()
    assert source.is_active   # the preview changed nothing
    done = client.post("/people/merge/", {"source": "pg-src", "target": "pg-tgt", "action": "apply"})
    assert done.status_code == 302
    assert "merged into pg-tgt" in " ".join(str(m) for m in get_messages(done.wsgi_request))
    source.refresh_from_db()
    assert source.merged_into_id == target.pk and not source.is_active


def test_the_page_shows_a_refusal_with_its_rule(client, make_user, gsa, inst_b):
    make_user("pg-a")
    make_user("pg-b", institution=inst_b)
    client.force_login(gsa)
    page = client.post("/people/merge/", {"source": "pg-a", "target": "pg-b", "action": "preview"})
    assert page.status_code == 404 and "ORG-MERGE" in page.content.decode()   # B's person is not found from A
    page = client.post("/people/merge/", {"source": "pg-a", "target": "pg-a", "action": "apply"})
    assert page.status_code == 400 and "the same account" in page.content.decode()
    assert client.post("/people/merge/", {}).status_code == 400
    # the form reads the post: an action the page does not offer, or a name longer than any username
    # (it was cut to 150 characters), is refused naming the rule — nothing is merged
    for bad in ({"source": "pg-a", "target": "pg-c", "action": "merge-everything"},
                {"source": "pg-a" + "x" * 150, "target": "pg-c", "action": "apply"}):
        page = client.post("/people/merge/", bad)
        assert page.status_code == 400 and "<strong>ORG-MERGE:</strong>" in page.content.decode()


@pytest.mark.parametrize("role", [r for r in Role.values if r != Role.GENERAL_SYSTEM_ADMINISTRATOR] + ["student"])
def test_the_pages_are_for_general_system_administrators_only(client, make_user, role):
    person = make_user("pg-person", roles=[role] if role in Role.values else [])
    source, target = make_user("pg-src"), make_user("pg-tgt")
    client.force_login(person)
    for url in ("/people/merge/", "/people/duplicates/"):
        assert client.get(url).status_code == 403
    assert client.post("/people/merge/", {"source": "pg-src", "target": "pg-tgt", "action": "apply"}).status_code == 403
    source.refresh_from_db()
    assert source.is_active and target.pk


def test_the_merge_needs_the_csrf_token(make_user, gsa):
    from django.test import Client

    make_user("pg-src"), make_user("pg-tgt")
    client = Client(enforce_csrf_checks=True)
    client.force_login(gsa)
    assert client.post("/people/merge/", {"source": "pg-src", "target": "pg-tgt", "action": "apply"}).status_code == 403


def test_the_duplicates_page_links_to_the_merge(client, make_user, gsa):
    make_user("dp1", first_name="Ana", last_name="Lima")
    make_user("dp2", first_name="ana", last_name="LIMA")
    client.force_login(gsa)
    html = client.get("/people/duplicates/").content.decode()
    assert "/people/merge/?source=dp1&amp;target=dp2" in html and "Same name" in html


def test_clashing_rows_keep_the_targets_and_null_never_clashes(make_user, gsa, library_a):
    """A unique pair the target already has: the source's row goes, the target's stays — never an
    IntegrityError; a stand-alone (no record) My collection entry of both is kept twice."""
    from syllabus.catalog.models import CollectionEntry, Record
    from syllabus.org.models import RoleAssignment

    source, target = make_user("cl-src"), make_user("cl-tgt")
    record = Record.objects.create(institution=library_a.institution, title="Both collected")
    mine = CollectionEntry.objects.create(user=target, record=record, title="Both collected", note="the target's")
    CollectionEntry.objects.create(user=source, record=record, title="Both collected", note="the source's")
    CollectionEntry.objects.create(user=source, title="Loose note A")
    CollectionEntry.objects.create(user=target, title="Loose note B")
    for user in (source, target):
        RoleAssignment.objects.create(user=user, role=Role.REQUESTS_OPERATOR, institution=user.institution)
    report = merge_people(source, target, by=gsa)
    assert list(CollectionEntry.objects.filter(user=target, record=record)) == [mine]
    assert CollectionEntry.objects.filter(user=target, record__isnull=True).count() == 2
    assert RoleAssignment.objects.filter(user=target).count() == 1
    assert "My collection entries: 2 (1 the target already had)" in report.as_text()


def test_the_enrolment_loader_enrols_the_account_a_merged_one_became(make_user, gsa, course, inst_a):
    from syllabus.courses.models import Enrollment
    from syllabus.courses.services import import_enrolments

    source, target = make_user("en-src"), make_user("en-tgt")
    merge_people(source, target, by=gsa)
    line = f"course_code,section,term,username,role\n{course.code},{course.section},{course.term},en-src,student\n"
    import_enrolments(io.StringIO(line), inst_a)
    assert Enrollment.objects.filter(course=course, user=target).exists()
    assert not Enrollment.objects.filter(course=course, user=source).exists()


def test_the_admin_action_opens_the_merge_page_with_two_accounts(client, make_user, gsa):
    gsa.is_staff = True
    gsa.save()
    older, newer = make_user("ad-old"), make_user("ad-new")
    client.force_login(gsa)
    answer = client.post("/admin/org/user/", {"action": "merge_accounts", "_selected_action": [older.pk, newer.pk]})
    assert answer.status_code == 302 and answer["Location"] == "/people/merge/?source=ad-new&target=ad-old"
    one = client.post("/admin/org/user/", {"action": "merge_accounts", "_selected_action": [older.pk]}, follow=True)
    assert "Choose exactly two accounts" in one.content.decode()

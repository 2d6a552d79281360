"""Issue 18 item 1 (ORG-3): the Django admin over EVERY registered admin model — an administrator of
institution A can neither see, choose nor save an object of another institution.

For each model in ``admin.site._registry`` (a model that another app registers later is covered
without editing this file — but it needs a row of the other institution in ``world`` below):

- see: the changelist and the add/change pages never name the other institution's rows (every
  row of it is called ``ZZOTHER...``), and its rows' change pages are not reachable;
- choose: no select, many-to-many box or list filter offers them (same check: no ``ZZOTHER``);
- save: on the change page of one of A's rows, every relation field — select, raw-id typed id,
  many-to-many, and the same in each inline — is set in turn to the id of the other institution's
  row, as a forged POST would; afterwards no row of A points at a row of the other institution and
  the other institution's rows are unchanged.  The unchanged form must save, so that the forged
  ones are refused for their id, not for some other error.

A model with no way to an institution is for superusers only.
"""
from __future__ import annotations

import datetime as dt
import re

import pytest
from bs4 import BeautifulSoup
from django.apps import apps
from django.contrib import admin
from django.forms import ModelChoiceField, ModelMultipleChoiceField
from django.urls import reverse

from syllabus.org.admin import institution_lookups, scope_filter
from syllabus.org.roles import Role
from tests.factories import ConsortiumFactory, CourseFactory, InstitutionFactory, LibraryFactory, UserFactory, UserGroupFactory

pytestmark = pytest.mark.django_db
MARK = "ZZOTHER"


def _build(inst, tag: str):
    """One of everything the admin shows, for ``inst``; the text of each row carries ``tag``."""
    from syllabus.catalog.models import Record
    from syllabus.courses.models import Enrollment
    from syllabus.lists.models import Citation, LibrarianTask, ResourceList, Section
    from syllabus.org.models import ClosedDate, ConfigValue, RoleAssignment

    lib = LibraryFactory(institution=inst, code=f"{tag.lower()}-lib", name=f"{tag} Library")
    ClosedDate.objects.create(library=lib, start=dt.date(2026, 12, 24), end=dt.date(2026, 12, 26), description=f"{tag} winter")
    group = UserGroupFactory(institution=inst, code=f"{tag.lower()}-grp", name=f"{tag} Group")
    teacher = UserFactory(username=f"{tag.lower()}_teacher", institution=inst, user_group=group, first_name=tag)
    pupil = UserFactory(username=f"{tag.lower()}_pupil", institution=inst, user_group=group, first_name=tag)
    RoleAssignment.objects.create(user=teacher, role=Role.COURSE_RESERVES_OPERATOR, institution=inst)
    ConfigValue.objects.create(key="max_upload_mb_student", institution=inst, value=7)
    ConfigValue.objects.create(key="max_upload_mb_student", library=lib, value=6)
    course = CourseFactory(institution=inst, code=f"{tag}101", name=f"{tag} course", term=f"{tag}T")
    course.instructors.add(teacher)
    Enrollment.objects.create(course=course, user=pupil)
    record = Record.objects.create(institution=inst, source_id=f"{tag}-r1", title=f"{tag} record")
    lst = ResourceList.objects.create(institution=inst, title=f"{tag} list", assignee=teacher, created_by=teacher)
    lst.courses.add(course)
    lst.owners.add(teacher)
    section = Section.objects.create(resource_list=lst, title=f"{tag} section")
    citation = Citation.objects.create(resource_list=lst, section=section, title=f"{tag} citation", record=record,
                                       metadata={"title": f"{tag} citation"}, created_by=teacher)
    LibrarianTask.objects.create(resource_list=lst, citation=citation, kind="list_sent", detail=tag, created_by=teacher)
    # LMS-1/LMS-2: the institution's LMS, one person's LMS account and one linked LMS course
    from syllabus.lti.models import ContextLink, Deployment, Identity, Platform

    host = f"https://{tag.lower()}.lms.example"
    platform = Platform.objects.create(institution=inst, name=f"{tag} LMS", issuer=host, client_id=f"{tag}-client",
                                       auth_login_url=f"{host}/auth", auth_token_url=f"{host}/token",
                                       keyset_url=f"{host}/jwks")
    Deployment.objects.create(platform=platform, deployment_id=f"{tag}-deployment")
    Identity.objects.create(issuer=host, sub=f"{tag}-sub", user=pupil)
    ContextLink.objects.create(platform=platform, context_id=f"{tag}-ctx", course=course, label=f"{tag} context",
                               title=f"{tag} LMS course")
    # LMS-3: the institution's identity provider and its SAML service provider
    from syllabus.sso.models import IdentityProvider, Kind
    from syllabus.sso.services import service_provider

    IdentityProvider.objects.create(institution=inst, slug=f"{tag.lower()}-idp", name=f"{tag} account", kind=Kind.OIDC,
                                    issuer=f"https://{tag.lower()}.idp.example", client_id=f"{tag}-client")
    sp = service_provider(inst)
    sp.host_names = f"{tag}.syllabus.example"
    sp.save()
    # CON-2: the institution's ILL partner outside the consortium
    from syllabus.consortium.models import IllPartner

    IllPartner.objects.create(institution=inst, agency_id=f"ZZ-{tag}", name=f"{tag} ILL partner",
                              endpoint_url=f"https://{tag.lower()}.ill.example/iso18626")


@pytest.fixture
def world(inst_a, admin_user):
    other_consortium = ConsortiumFactory(code="zzother-cons", name=f"{MARK} Consortium")
    other = InstitutionFactory(consortium=other_consortium, code="zzother", name=f"{MARK} Institute", short_name=MARK)
    UserGroupFactory(institution=other, code="zz-staff", name=f"{MARK} Staff")
    _build(inst_a, "Alpha")
    _build(other, MARK)
    return inst_a, other


def _rows(model, inst):
    return model._base_manager.filter(scope_filter(model, inst.pk)).distinct()


def _snapshot(models, other) -> dict:
    return {m._meta.label: sorted(map(repr, _rows(m, other).values())) for m in models}


def _cross_references(models, inst, other) -> list[str]:
    """Rows of ``inst`` (of ``models``) whose relations point at rows of ``other``."""
    found = []
    for model in models:
        mine = _rows(model, inst)
        for field in model._meta.get_fields():
            if not (field.is_relation and field.concrete) or institution_lookups(field.related_model) in (None, ()):
                continue
            theirs = _rows(field.related_model, other).exclude(scope_filter(field.related_model, inst.pk))
            if mine.filter(**{f"{field.name}__in": theirs.values("pk")}).exists():
                found.append(f"{model._meta.label}.{field.name}")
    return found


def _form_data(html: str) -> dict[str, list[str]]:
    """What a browser would post from the admin's change form, as it stands."""
    form = BeautifulSoup(html, "html.parser").find("form", id=re.compile(r"_form$"))
    data: dict[str, list[str]] = {}
    for el in form.find_all(["input", "select", "textarea"]):
        name = el.get("name")
        if not name or el.has_attr("disabled") or "__prefix__" in name:
            continue
        if el.name == "input":
            kind = el.get("type", "text").lower()
            if kind in ("submit", "button", "image", "file", "reset"):
                continue
            if kind in ("checkbox", "radio") and not el.has_attr("checked"):
                continue
            data.setdefault(name, []).append(el.get("value", "on" if kind in ("checkbox", "radio") else ""))
        elif el.name == "select":
            chosen = [o for o in el.find_all("option") if o.has_attr("selected")]
            if not chosen and not el.has_attr("multiple") and el.find("option"):
                chosen = [el.find("option")]
            data.setdefault(name, []).extend(o.get("value", o.text) for o in chosen)
        else:
            text = el.text
            data.setdefault(name, []).append(text[1:] if text.startswith("\n") else text)
    return data


def _relation_inputs(response):
    """(posted name, related model, many) of every relation field of the page's form and inlines."""
    forms = [response.context["adminform"].form]
    for inline in response.context["inline_admin_formsets"]:
        forms.extend(inline.formset.forms)
    for form in forms:
        for name, field in form.fields.items():
            if isinstance(field, ModelChoiceField) and not field.disabled:
                yield form.add_prefix(name), field.queryset.model, isinstance(field, ModelMultipleChoiceField)


def _admin_urls(model, pk=None):
    info = (model._meta.app_label, model._meta.model_name)
    if pk is None:
        return reverse("admin:%s_%s_changelist" % info), reverse("admin:%s_%s_add" % info)
    return reverse("admin:%s_%s_change" % info, args=[pk])


def test_registry_models_all_reach_an_institution_or_are_for_superusers_only(client, world, admin_user):
    client.force_login(admin_user)
    for model in admin.site._registry:
        if institution_lookups(model) is None:
            changelist, add = _admin_urls(model)
            assert client.get(changelist).status_code in (302, 403), f"{model._meta.label} has no institution: superusers only"
            assert client.get(add).status_code in (302, 403)


@pytest.mark.parametrize("label", sorted(m._meta.label for m in admin.site._registry if institution_lookups(m) is not None))
def test_an_institution_administrator_cannot_see_choose_or_save_another_institutions_rows(client, world, admin_user, label):
    inst, other = world
    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    theirs = list(_rows(model, other).exclude(scope_filter(model, inst.pk)))
    assert theirs, f"{label}: add a row of the other institution to this test's world"
    client.force_login(admin_user)
    changelist, add = _admin_urls(model)

    # see
    page = client.get(changelist)
    if page.status_code == 200:
        assert MARK not in page.content.decode(), f"{label}: the changelist shows another institution's rows"
        shown = set(page.context["cl"].queryset.values_list("pk", flat=True))
        assert not shown & {o.pk for o in theirs}
    for obj in theirs:
        assert client.get(_admin_urls(model, obj.pk)).status_code in (302, 403, 404), f"{label} #{obj.pk} is reachable"

    # choose
    page = client.get(add)
    if page.status_code == 200:
        assert MARK not in page.content.decode(), f"{label}: the add form offers another institution's rows"
    mine = _rows(model, inst).exclude(scope_filter(model, other.pk)).order_by("pk").first()
    if mine is None or not model_admin.has_change_permission(page.wsgi_request, mine):
        return
    change = _admin_urls(model, mine.pk)
    page = client.get(change)
    assert page.status_code == 200
    assert MARK not in page.content.decode(), f"{label}: the change form offers another institution's rows"

    # save: the form as it stands saves; each forged relation is refused
    baseline = _form_data(page.content.decode())
    saved = client.post(change, baseline)
    assert saved.status_code == 302, (label, saved.context and [f.errors for f in [saved.context["adminform"].form]])
    touched = [model] + [inline.model for inline in model_admin.get_inline_instances(page.wsgi_request, mine)]
    assert _cross_references(touched, inst, other) == []
    before = _snapshot(touched, other)
    forged_fields = 0
    for name, related, many in _relation_inputs(page):
        target = _rows(related, other).exclude(scope_filter(related, inst.pk)).first() \
            if institution_lookups(related) not in (None, ()) else None
        if target is None:
            continue
        forged_fields += 1
        data = dict(baseline)
        data[name] = (baseline.get(name, []) + [str(target.pk)]) if many else [str(target.pk)]
        client.post(change, data)
        assert _cross_references(touched, inst, other) == [], f"{label}: {name} accepted another institution's {related._meta.label}"
        assert _snapshot(touched, other) == before, f"{label}: {name} changed another institution's rows"
    relations = [f for f in model._meta.get_fields() if f.is_relation and f.concrete and institution_lookups(f.related_model)]
    assert not relations or forged_fields or model_admin.get_readonly_fields(page.wsgi_request, mine), label

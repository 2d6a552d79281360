"""Every changelist of the admin, its filters and its search sent hostile values one by one (the
"never a 500" audit, session 11): for every registered ModelAdmin, as a superuser and as an
institution's administrator (whose relation filters are RelatedOnlyFieldListFilter, ORG-3), each
parameter its list filters read (``expected_parameters()``), its date hierarchy's, the search
``q``, the ordering ``o`` and the page ``p`` are set in turn to an over-long text (at the
pages' ceiling: longer is WEB-QUERY's 400 before the admin), a 20-digit number, a negative one,
a non-number, a NUL character and impossible dates — the page answers (a 200, the admin's
"?e=1" redirect, a 400/404), never a 500, and nothing is written.  A filter added to any
ModelAdmin is fuzzed the day it is added."""
from __future__ import annotations

import pytest
from django.contrib import admin
from django.urls import reverse

from syllabus.core.limits import KEV
from tests.rowcounts import product_row_counts

pytestmark = pytest.mark.django_db

HOSTILE = ("x" * KEV, "9" * 20, "-1", "-9" + "9" * 19, "abc", "1.5", "0", "", "\x00", "2026-13-45", "0000-00-00",
           "2026-02-30T25:61", "99999-01-01", "True", "null", "1,2", "__all__")
ALWAYS = ("q", "o", "p", "all", "e")  # search, ordering, page, show all, the admin's error flag


def _counts():
    return product_row_counts()


def _parameters(request, model_admin) -> list[str]:
    """What the changelist's filters and date hierarchy read from the query — every filter, also
    one the changelist does not show for want of choices (as Django's ``ChangeList.get_filters``)."""
    from django.contrib.admin import FieldListFilter
    from django.contrib.admin.utils import get_fields_from_path

    model = model_admin.model
    names: list[str] = []
    for item in model_admin.get_list_filter(request):
        if callable(item):  # a SimpleListFilter
            spec = item(request, {}, model, model_admin)
        else:
            field_path, factory = item if isinstance(item, (tuple, list)) else (item, FieldListFilter.create)
            field = get_fields_from_path(model, field_path)[-1]
            spec = factory(field, request, {}, model, model_admin, field_path=field_path)
        names.extend(spec.expected_parameters())
    if model_admin.date_hierarchy:
        names.extend(f"{model_admin.date_hierarchy}__{part}" for part in ("year", "month", "day"))
    return names


@pytest.fixture
def people(make_user, course, admin_user):
    root = make_user("fuzz-root", group="staff", is_staff=True, is_superuser=True)
    return {"superuser": root, "administrator": admin_user}


def test_every_filter_parameter_is_found(rf, people):
    """The walk reads the filters of the admin as it is: the models with filters are reached."""
    found = {}
    for model, model_admin in admin.site._registry.items():
        request = rf.get("/")
        request.user = people["superuser"]
        found[model._meta.label] = _parameters(request, model_admin)
    assert "institution__id__exact" in found["courses.Course"] and "status__exact" in found["lists.ResourceList"]
    assert sum(map(len, found.values())) > 10


@pytest.mark.parametrize("who", ["superuser", "administrator"])
@pytest.mark.parametrize("label", sorted(m._meta.label for m in admin.site._registry))
def test_a_changelist_answers_every_hostile_filter_value_without_a_500(client, rf, people, who, label):
    from django.apps import apps

    model = apps.get_model(label)
    model_admin = admin.site._registry[model]
    user = people[who]
    client.force_login(user)
    url = reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")
    first = client.get(url)
    if first.status_code != 200:  # superusers only (tests/security/test_admin_institution_guard.py)
        assert who != "superuser" and first.status_code in (302, 403), (label, first.status_code)
        return
    request = rf.get(url)
    request.user = user
    names = list(dict.fromkeys(_parameters(request, model_admin) + list(ALWAYS)))
    before = _counts()
    for name in names:
        for value in HOSTILE:
            r = client.get(url, {name: value})
            assert r.status_code in (200, 302, 400, 404), (label, who, name, value[:20], r.status_code)
            if r.status_code == 302:  # the admin's "bad filter" answer: the changelist with ?e=1
                assert "e=1" in r["Location"], (label, name, r["Location"])
    r = client.get(url, {"q": "x" * (KEV + 1)})
    assert r.status_code == 400 and "WEB-QUERY" in r.content.decode(), label
    assert _counts() == before, label

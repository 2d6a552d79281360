"""The pages' forms bound every input too (the "never a 500" audit of session 9): a text longer
than its column is a DataError on PostgreSQL — a 500 — when nothing refuses it first, and SQLite
stores it whole.  So every field of every :class:`~syllabus.core.forms.RuleForm` has a ceiling
(``max_length`` from the column, ``max_items`` for a repeated field); a value over it is a
refusal naming the form's rule and the field; and every page that reads a RuleForm, sent a
100,000-character value in each of the form's text fields, answers a refusal — never a 500 — and
writes nothing."""
from __future__ import annotations

import importlib
import inspect
import json
import re
from pathlib import Path

import pytest
from django import forms

import syllabus
from syllabus.core.errors import RuleViolation
from syllabus.core.forms import IdList, RuleForm, TextList
from tests.rowcounts import product_row_counts

HUGE = 100_000


def _form_classes() -> list[type[RuleForm]]:
    for path in sorted(Path(syllabus.__file__).parent.glob("*/forms.py")):
        importlib.import_module(f"syllabus.{path.parent.name}.forms")
    found: list[type[RuleForm]] = []

    def walk(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.startswith("syllabus."):
                found.append(sub)
            walk(sub)

    walk(RuleForm)
    return sorted(set(found), key=lambda c: f"{c.__module__}.{c.__qualname__}")


def _instance(cls: type[RuleForm], data=None) -> RuleForm:
    """The form with its request-time fields (``more``) made for sample names."""
    more: dict = {}
    if hasattr(cls, "more"):
        arg = ["pages", "notes"] if "FormFields" in cls.__name__ else [type("G", (), {"code": "undergraduate"})()]
        more = cls.more(arg)
    return cls(data, more=more)


FORMS = _form_classes()


def _texts(form: RuleForm):
    for name, field in form.fields.items():
        if isinstance(field, forms.CharField):
            yield name, field.max_length


def test_every_field_of_every_rule_form_has_a_ceiling():
    unbounded = []
    for cls in FORMS:
        for name, field in _instance(cls).fields.items():
            where = f"{cls.__module__}.{cls.__qualname__}.{name}"
            if isinstance(field, forms.CharField) and field.max_length is None:
                unbounded.append(f"{where}: a text without max_length")
            elif isinstance(field, forms.IntegerField) and field.max_value is None:
                unbounded.append(f"{where}: a number without max_value")
            elif isinstance(field, (TextList, IdList)) and not getattr(field, "max_items", None):
                unbounded.append(f"{where}: a repeated field without max_items")
    assert unbounded == []
    assert len(FORMS) >= 20  # the walk reached the apps' forms


@pytest.mark.parametrize("cls", FORMS, ids=lambda c: c.__qualname__)
def test_a_value_over_its_ceiling_is_refused_naming_the_rule_and_the_field(cls):
    # the form's other required texts are given (a refusal names the first field wrong, in the form's order)
    required = {other: "x" for other, field in _instance(cls).fields.items()
                if field.required and isinstance(field, forms.CharField)}
    for name, limit in _texts(_instance(cls)):
        for length in (limit + 1, max(HUGE, limit + 1)):
            with pytest.raises(RuleViolation) as refused:
                _instance(cls).parse({**required, name: "x" * length},
                                     **({"more": _instance(cls).fields} if hasattr(cls, "more") else {}))
            assert refused.value.field == name
            assert refused.value.rule == cls.rules.get(name, cls.rule)
            assert f"at most {limit} characters" in refused.value.detail
    for name, field in _instance(cls).fields.items():
        if isinstance(field, (TextList, IdList)):
            with pytest.raises(RuleViolation) as refused:
                cls.parse(_multi({name: ["1"] * (field.max_items + 1)}))
            assert refused.value.field == name and "at most" in refused.value.detail


def _multi(values: dict):
    from django.http import QueryDict

    q = QueryDict(mutable=True)
    for k, v in values.items():
        q.setlist(k, v)
    return q


# --- the pages -------------------------------------------------------------------------------------

def _pages():
    """(url name, path parameters, form class) of every page whose view reads a RuleForm."""
    import django

    django.setup()
    from django.urls import URLPattern, URLResolver, get_resolver

    by_name = {c.__name__: c for c in FORMS}
    found = []

    def walk(resolver, namespace):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                walk(p, p.namespace or namespace)
            elif isinstance(p, URLPattern) and namespace:
                view = p.callback
                while hasattr(view, "__wrapped__"):
                    view = view.__wrapped__
                try:
                    source = inspect.getsource(view)
                except (OSError, TypeError):
                    continue
                module = inspect.getmodule(view)
                for name in sorted(set(re.findall(r"forms\.(\w+Form)\b", source))):
                    cls = by_name.get(name)
                    if cls is not None and module and cls.__module__.rsplit(".", 1)[0] == module.__name__.rsplit(".", 1)[0]:
                        found.append(pytest.param(f"{namespace}:{p.name}", list(p.pattern.converters), cls,
                                                  id=f"{namespace}:{p.name}-{name}"))

    walk(get_resolver(), "")
    return found


def _counts():
    return product_row_counts()


@pytest.fixture
def world(make_user, course, library_a, client):
    """A general system administrator (who may reach every page) who owns a list with a section and
    an item, in a course, and a catalog record with an item."""
    from syllabus.catalog.models import Item, Record
    from syllabus.lists import services as lists
    from syllabus.org.roles import Role
    from tests.lists.conftest import BOOK

    admin = make_user("size-admin", group="staff", is_staff=True, roles=[
        Role.GENERAL_SYSTEM_ADMINISTRATOR, Role.COURSE_RESERVES_OPERATOR, Role.FULFILLMENT_ADMINISTRATOR])
    lst = lists.create_list(admin, title="Readings", courses=[course])
    week = lists.add_section(admin, lst, title="Week 1")
    book = lists.add_citation(admin, lst, week, "book", BOOK)
    record = Record.objects.create(institution=course.institution, source_id="size-1", title="Middlemarch")
    Item.objects.create(record=record, library=library_a, barcode="SIZE-1")
    client.force_login(admin)
    return {"pk": lst.pk, "list_id": lst.pk, "section_id": week.pk, "citation_id": book.pk, "course_id": course.pk,
            "record_id": record.pk, "request_id": 1, "task_id": 1, "action": "cancel", "kind": "digitization",
            "rep_id": 1, "partner_id": 1, "ill_id": 1, "code": "list_complete", "key": "hold_pickup_days"}


@pytest.mark.parametrize("url_name, parameters, cls", _pages())
def test_every_form_page_refuses_an_overlong_value_without_a_500_and_writes_nothing(client, world, url_name,
                                                                                      parameters, cls):
    from django.urls import reverse

    url = reverse(url_name, kwargs={p: world[p] for p in parameters})
    for name, _limit in _texts(_instance(cls)):
        before = _counts()
        r = client.post(url, {name: "x" * HUGE})
        assert r.status_code < 500, (name, r.status_code)
        assert r.status_code in (302, 400, 403, 404, 409), (name, r.status_code)
        if r.status_code == 400:
            assert f"{cls.rules.get(name, cls.rule)}" in r.content.decode(), name
        assert _counts() == before, name


# --- pages that read their POST without a RuleForm, and the configuration page's sections ----------

LONG_EMAIL = "a" * 60 + "@" + ("b" * 60 + ".") * 4 + "org"  # a well-formed address longer than the column's 254


def _hand_pages():
    from syllabus.core.limits import LETTER, TEXT

    cases = [
        ("notify:preferences", {}, {"email": LONG_EMAIL}, "NTF-1"),
        ("notify:preferences", {}, {"email": "x" * HUGE}, "NTF-1"),
        # the letter's page shows each template's error under it (LTR-2)
        ("notify:letter", {"code": "ldl_available"}, {"subject": "x" * HUGE, "body": "Hello"}, "at most 1000 characters"),
        ("notify:letter", {"code": "ldl_available"}, {"subject": "Hi", "body": "x" * (LETTER + 1)},
         f"at most {LETTER} characters"),
        ("lending:policy-new", {}, {"name": "x" * HUGE}, "LDL-1"),
        ("catalog:collect-citation", {}, {"csl": json.dumps({"title": "x" * HUGE})}, "DSV-3"),
        ("lending:policy-new", {}, {"name": "Policy", "description": "x" * (TEXT + 1)}, "LDL-1"),
    ]
    return [pytest.param(*c, id=f"{c[0]}-{next(iter(c[2]))}-{len(next(iter(c[2].values())))}") for c in cases]


@pytest.mark.parametrize("url_name, parameters, data, rule", _hand_pages())
def test_pages_reading_their_post_refuse_an_overlong_value_naming_the_rule(client, world, url_name, parameters, data,
                                                                           rule):
    from django.urls import reverse

    before = _counts()
    r = client.post(reverse(url_name, kwargs=parameters), data)
    assert r.status_code in (200, 400), r.status_code  # the form again, with the refusal
    assert rule in r.content.decode()
    assert _counts() == before


def _config_sections():
    import django

    django.setup()
    from syllabus.fulfillment.views import CONFIG_SECTIONS

    return [pytest.param(section, form, id=section) for section, (_save, form) in sorted(CONFIG_SECTIONS.items())]


@pytest.mark.parametrize("section, cls", _config_sections())
def test_every_section_of_the_digitization_configuration_refuses_an_overlong_value(client, world, section, cls):
    from django.urls import reverse

    for name, limit in _texts(_instance(cls)):
        before = _counts()
        r = client.post(reverse("fulfillment:config"), {"section": section, name: "x" * (limit + 1)})
        assert r.status_code == 400, (name, r.status_code)
        assert cls.rules.get(name, cls.rule) in r.content.decode(), name
        assert _counts() == before, name


def test_a_value_the_database_refuses_is_a_refusal_page_and_nothing_is_written(client, instructor, monkeypatch):
    """The pages' last line of defence (``web.errors.DataErrorMiddleware``): a value no form or
    service refused, that the database does, is a WEB-VALUE refusal — not a 500."""
    from django.urls import reverse

    from syllabus.lists import services
    from syllabus.lists.models import ResourceList
    from tests.api.test_input_sizes import _unrefused_overflow

    monkeypatch.setattr(services, "create_list", _unrefused_overflow)
    client.force_login(instructor)
    r = client.post(reverse("lists:create"), {"title": "Readings"})
    assert r.status_code == 400
    assert "WEB-VALUE" in r.content.decode()
    assert not ResourceList.objects.exists()

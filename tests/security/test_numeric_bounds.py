"""Every numeric input has an upper bound (the project's standard; session 16's outside-in pass).

``tests/api/test_bad_input.py`` walks the OpenAPI document (every parameter — path and query —
and every request body of the API) and ``tests/web/test_form_sizes.py`` every ``RuleForm``.  What
they did not reach, walked here:

- **every Django form class in the project** — plain ``Form``s, ``ModelForm``s, the admin's own
  forms — and the form the admin *generates* for every registered model and every inline: a
  number field needs ``max_value``, a ``MaxValueValidator``, or (a model form) one on its model
  field, which the form's model validation runs.  Before: the admin took any course size, item
  position, task count or provider order up to the column's limit (``order`` 32767, the others
  2^31−1: a course of two billion students);
- **every page that reads a number from its POST itself**: the loan-rights page passed
  ``concurrent_users`` to the service unbounded (the API's schema said 10,000; the page took two
  billion, and ids past 2^63 in ``items``) — the ceiling now lives in the service, for both
  (``tests/lending/test_pages.py``, ``…past_its_ceiling…``);
- **path parameters**: every URL pattern takes a number through the bounded ``<id:...>``
  converter (1..2^63−1), never Django's unbounded ``<int:...>``.
"""
from __future__ import annotations

import importlib
import pkgutil

from django import forms
from django.contrib import admin
from django.core.validators import MaxValueValidator
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

import syllabus


def _import_everything() -> None:
    for module in pkgutil.walk_packages(syllabus.__path__, "syllabus."):
        if ".migrations" not in module.name and not module.name.endswith(".wsgi"):
            importlib.import_module(module.name)


def _subclasses(cls):
    for sub in cls.__subclasses__():
        yield sub
        yield from _subclasses(sub)


def _unbounded_numbers(form_class, where: str) -> list[str]:
    model = getattr(getattr(form_class, "_meta", None), "model", None)
    found = []
    for name, field in form_class.base_fields.items():
        if not isinstance(field, forms.IntegerField):   # FloatField and DecimalField are IntegerFields too
            continue
        if field.max_value is not None or any(isinstance(v, MaxValueValidator) for v in field.validators):
            continue
        model_field = next((f for f in model._meta.concrete_fields if f.name == name), None) if model else None
        if model_field is not None and any(isinstance(v, MaxValueValidator) for v in model_field._validators):
            continue   # the model form's validation (full_clean) runs the model field's ceiling
        found.append(f"{where}.{name}: {type(field).__name__} without an upper bound")
    return found


def _superuser_request():
    from syllabus.org.models import User

    request = RequestFactory().get("/admin/")
    request.user = User(username="walker", is_superuser=True, is_staff=True, is_active=True)
    return request


def test_every_form_class_and_every_admin_form_bounds_its_numbers():
    _import_everything()
    unbounded: list[str] = []
    classes = [c for c in set(_subclasses(forms.BaseForm)) if c.__module__.startswith("syllabus.")]
    for cls in sorted(classes, key=lambda c: f"{c.__module__}.{c.__qualname__}"):
        unbounded += _unbounded_numbers(cls, f"{cls.__module__}.{cls.__qualname__}")
    request = _superuser_request()
    walked = 0
    for model, model_admin in admin.site._registry.items():
        unbounded += _unbounded_numbers(model_admin.get_form(request), f"admin {model._meta.label}")
        walked += 1
        for inline in model_admin.get_inline_instances(request):
            unbounded += _unbounded_numbers(inline.get_formset(request).form,
                                            f"admin {model._meta.label} inline {inline.model._meta.label}")
    assert sorted(set(unbounded)) == []
    assert len(classes) >= 30 and walked >= 15   # the walk reached the apps' forms and the admin


def test_no_url_pattern_takes_an_unbounded_number_in_its_path():
    """``<int:pk>`` takes any number of digits (a 500 past 2^63 before session 10); ``<id:pk>`` does not."""
    unbounded: list[str] = []

    def walk(patterns, prefix=""):
        for p in patterns:
            if isinstance(p, URLResolver):
                walk(p.url_patterns, prefix + str(p.pattern))
            elif isinstance(p, URLPattern):
                converters = getattr(p.pattern, "converters", {})
                if any(type(c).__name__ == "IntConverter" for c in converters.values()):
                    unbounded.append(prefix + str(p.pattern))

    walk(get_resolver().url_patterns)
    assert unbounded == []


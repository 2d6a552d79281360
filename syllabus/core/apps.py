from django.apps import AppConfig


class SyllabusAppConfig(AppConfig):
    """The base of every Syllabus app's config: the app's ``name`` is the package its ``apps.py``
    sits in (``syllabus.lists``) and its ``label`` the last part (``lists``, Django's default), so
    a config says only what is its own: ``verbose_name`` and what ``ready()`` registers."""

    default = False  # Django picks the app's own subclass, not this base imported next to it

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if "name" not in vars(cls):
            cls.name = cls.__module__.rpartition(".")[0]
        if "default" not in vars(cls):
            cls.default = True


class CoreConfig(SyllabusAppConfig):
    verbose_name = "Core"

    def ready(self) -> None:
        from django.urls import register_converter

        from syllabus.core.converters import IdConverter

        register_converter(IdConverter, "id")  # <id:pk> in the pages' paths: 1..MAX_ID, else 404

        from django.core import checks

        from syllabus.core.encryption import check_keys

        checks.register(check_keys)   # SEC-KEY: usable keys, and set in production

        # session 21: every JSON field of every admin form (and inline) reads its text with
        # core.jsondata — deeply nested JSON is a field error, not a RecursionError (a 500)
        from django.contrib.admin import options
        from django.db import models

        from syllabus.core.forms import BoundedJSONField

        bounded = {"form_class": BoundedJSONField}
        options.FORMFIELD_FOR_DBFIELD_DEFAULTS[models.JSONField] = bounded   # admins and inlines made from now on
        from django.contrib import admin

        for model_admin in admin.site._registry.values():   # those the admin's autodiscovery already made
            overrides = dict(model_admin.formfield_overrides)
            overrides[models.JSONField] = {**bounded, **overrides.get(models.JSONField, {})}
            model_admin.formfield_overrides = overrides  # type: ignore[misc]  # the instance's own, as Django's __init__ makes it

"""Every Syllabus app is configured by its own ``apps.py`` class, on the one base
(:class:`syllabus.core.apps.SyllabusAppConfig`) that names the app after its package."""
from __future__ import annotations

import importlib

from django.apps import apps

from syllabus.core.apps import SyllabusAppConfig


def _ours():
    return [c for c in apps.get_app_configs() if c.name.startswith("syllabus.")]


def test_each_app_runs_its_own_config_class_named_after_its_package():
    configs = _ours()
    assert len(configs) > 10
    for config in configs:
        # not Django's fallback AppConfig (which would skip ready() and the verbose name)
        assert type(config).__module__ == f"{config.name}.apps", config.name
        assert isinstance(config, SyllabusAppConfig)
        assert config.label == config.name.rpartition(".")[2]


def test_the_names_people_read_are_kept():
    assert apps.get_app_config("notify").verbose_name == "Notifications"
    assert apps.get_app_config("org").verbose_name == "Organisation"


def test_an_explicit_name_wins():
    module = importlib.import_module("syllabus.core.apps")

    class Elsewhere(module.SyllabusAppConfig):
        name = "syllabus.somewhere"

    assert Elsewhere.name == "syllabus.somewhere" and Elsewhere.default is True
    assert SyllabusAppConfig.default is False

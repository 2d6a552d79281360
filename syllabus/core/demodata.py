"""The tables of an app's demo data live in ``<app>/data/demo.json``, not in code: records,
reading lists and word lists are data, edited as such and shipped as package data."""
from __future__ import annotations

import json
from importlib import resources
from typing import Any


def demo_data(package: str) -> dict[str, Any]:
    """The demo tables of the app ``package`` (``syllabus.catalog``): its ``data/demo.json``."""
    return json.loads(resources.files(package).joinpath("data", "demo.json").read_text(encoding="utf-8"))

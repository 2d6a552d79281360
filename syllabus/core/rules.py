"""The product's rule catalogue: what a rule id named in an error means.

Every refusal names a rule (``LDL-5``, ``ROLL-3``, ``WEB-QUERY`` ...); ``rules.toml`` beside this
module says what each one requires, in the specification's words.  The API serves it at
``/api/v1/problems/<rule>`` (the ``type`` of every problem-details error points there), so a
client that meets an error can read the rule it broke.  A test walks the code for every rule id
it names and fails on one the catalogue does not describe.
"""
from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path


@cache
def catalogue() -> dict[str, str]:
    with (Path(__file__).with_name("rules.toml")).open("rb") as fh:
        return dict(tomllib.load(fh)["rules"])


def describe(rule: str) -> str | None:
    """What ``rule`` requires, or None for an id the product does not have."""
    return catalogue().get(rule)

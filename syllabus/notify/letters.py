"""The catalog of letter types, declared by the app that sends them.

Each app writes its letters in ``<app>/letters.toml`` (one table a letter, Django templates as
plain text) and names them, translated, in ``<app>/letters.py`` (loaded at start-up)::

    declare_letters(__package__, {"ldl_available": _("Long-term digital loan: available")})

    # letters.toml
    [defaults]                      # optional: what every letter of the file has unless it says otherwise
    channels = ["email", "sms"]
    sample = {patron = "Ada Lovelace", title = "Middlemarch"}   # merged under each letter's sample

    [ldl_available]
    variables = ["patron", "title", "link", "grace_until"]
    sample = {grace_until = "2026-03-04 09:00 UTC"}
    subject = "{{ title }} is available for you"
    body = '''
    Dear {{ patron }}, ...'''

The institution's Letter Administrator may override subject and body (and switch the letter,
or one of its channels, off).  ``channels`` are among ``email``, ``sms`` and ``inapp`` (the
bell); ``sms`` is the short text of the SMS channel (default: the body).  Every letter also
receives ``recipient_name`` and ``institution_name``.  ``declare_letter`` declares one letter
in code (tests use it).
"""
from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from importlib import resources

from django.core.exceptions import ImproperlyConfigured
from django.utils.functional import Promise


@dataclass(frozen=True)
class LetterType:
    code: str
    name: str | Promise  # translated lazily
    channels: tuple[str, ...]
    variables: tuple[str, ...]
    sample: dict = field(default_factory=dict)
    subject: str = ""
    body: str = ""
    sms: str = ""
    description: str | Promise = ""

    @property
    def all_variables(self) -> tuple[str, ...]:
        """The declared variables plus those every letter receives (see :data:`COMMON_VARIABLES`)."""
        return tuple(dict.fromkeys(self.variables + COMMON_VARIABLES))

    @property
    def full_sample(self) -> dict:
        return {**COMMON_SAMPLE, **self.sample}


# Variables every letter may use, filled in by ``queue_letter``.
COMMON_VARIABLES = ("recipient_name", "institution_name")
COMMON_SAMPLE = {"recipient_name": "Ada Lovelace", "institution_name": "Riverside University"}

LETTERS: dict[str, LetterType] = {}


def declare_letter(code: str, name: str | Promise, *, channels=("email",), variables=(), sample=None,
                   subject: str = "", body: str = "", sms: str = "", description: str | Promise = "") -> LetterType:
    letter = LetterType(code, name, tuple(channels), tuple(variables), dict(sample or {}), subject, body, sms or "",
                        description)
    LETTERS[code] = letter
    return letter


def letter_type(code: str) -> LetterType:
    return LETTERS[code]


def all_letters() -> list[LetterType]:
    return sorted(LETTERS.values(), key=lambda lt: str(lt.name).lower())


def declare_letters(package: str, names: Mapping[str, str | Promise], *,
                    descriptions: Mapping[str, str | Promise] | None = None) -> list[LetterType]:
    """Declare the letters of ``package``'s ``letters.toml``, in the order of ``names`` (code →
    the name Letter Administrators see); ``descriptions``: code → what the letter is for."""
    with resources.files(package).joinpath("letters.toml").open("rb") as f:
        tables = tomllib.load(f)
    defaults = tables.pop("defaults", {})
    if set(tables) != set(names) or not set(descriptions or {}) <= set(names):
        raise ImproperlyConfigured(f"{package}: letters.toml declares {sorted(tables)}, letters.py names {sorted(names)}")
    for code, table in {"defaults": defaults, **tables}.items():
        if unknown := set(table) - _TOML_KEYS:
            raise ImproperlyConfigured(f"{package}: letters.toml [{code}] has unknown keys {sorted(unknown)}")
    letters = []
    for code, name in names.items():
        letter = defaults | tables[code]
        letters.append(declare_letter(
            code, name, channels=letter.get("channels", ("email",)), variables=letter.get("variables", ()),
            sample=defaults.get("sample", {}) | tables[code].get("sample", {}),
            subject=letter.get("subject", ""), body=letter.get("body", ""), sms=letter.get("sms", ""),
            description=(descriptions or {}).get(code, ""),
        ))
    return letters


# What a table of letters.toml may say (the name and description are translated: letters.py).
_TOML_KEYS = frozenset({"channels", "variables", "sample", "subject", "body", "sms"})

"""The catalog of letter types, declared in code by the app that sends them.

    declare_letter(
        "ldl_available", "Long-term loan available",
        channels=("email", "sms"),
        variables=("patron", "title", "link", "grace_until"),
        sample={"patron": "Ada Lovelace", "title": "Middlemarch", "link": "https://...", "grace_until": "..."},
        subject="{{ title }} is available for you",
        body="Dear {{ patron }}, ...",
    )

Each app declares its letters in ``<app>/letters.py`` (loaded at start-up).  Subject and
body are Django templates; the institution's Letter Administrator may override them (and
switch the letter, or one of its channels, off).  ``channels`` are among ``email``, ``sms``
and ``inapp`` (the bell); ``sms`` is the short text of the SMS channel (default: the body).
Every letter also receives ``recipient_name`` and ``institution_name``.
"""
from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class LetterType:
    code: str
    name: str
    channels: tuple[str, ...]
    variables: tuple[str, ...]
    sample: dict = field(default_factory=dict)
    subject: str = ""
    body: str = ""
    sms: str = ""
    description: str = ""

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


def declare_letter(code: str, name: str, *, channels=("email",), variables=(), sample=None,
                   subject: str = "", body: str = "", sms: str = "", description: str = "") -> LetterType:
    letter = LetterType(code, name, tuple(channels), tuple(variables), dict(sample or {}), subject, body, sms or "",
                        description)
    LETTERS[code] = letter
    return letter


def letter_type(code: str) -> LetterType:
    return LETTERS[code]


def all_letters() -> list[LetterType]:
    return sorted(LETTERS.values(), key=lambda lt: str(lt.name).lower())

"""The forms of the course pages (CRS-2): the POSTs of ``views.py`` are read here."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import RuleForm
from syllabus.core.limits import TERM
from syllabus.org.models import typed_username

from .services import STUDENT


class MemberForm(RuleForm):
    """Add a person to a course's roster as a student or an instructor (the service checks the role)."""

    rule = "CRS-2"
    username = forms.CharField(required=False, max_length=254)  # a username or an e-mail address
    role = forms.CharField(required=False, empty_value=STUDENT, max_length=TERM)

    @classmethod
    def values(cls, post) -> tuple[str, str]:
        data = cls.parse(post)
        return typed_username(data["username"])[:150], data["role"]  # NFKC, like the sign-in form

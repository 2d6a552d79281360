"""One way to show a refusal on a page (issue 17, "one way per concern"): every template says a
refusal with ``{% rule_error error ... %}`` (web_tags) — the rule with its colon in the reader's
language, then the detail.  Twelve hand-written shapes had drifted apart ("RULE: detail",
"detail (RULE)", a bold rule, an English colon on a French page)."""
from __future__ import annotations

import pathlib
import re

from django.template import Context, Template
from django.utils import translation

from syllabus.core.errors import PermissionDenied, RuleViolation

ROOT = pathlib.Path(__file__).resolve().parents[2] / "syllabus"


def test_no_template_writes_a_refusal_by_hand():
    own = [str(p.relative_to(ROOT)) for p in ROOT.glob("*/templates/**/*.html")
           if re.search(r"error\.(rule|detail)\b", p.read_text())]
    assert own == []


def _said(error, tag: str = "{% rule_error error %}") -> str:
    return Template("{% load web_tags %}" + tag).render(Context({"error": error}))


def test_a_refusal_names_its_rule_and_is_an_alert():
    html = _said(RuleViolation("DIG-1", "at most 10 page ranges"))
    assert html == ('<p class="error" role="alert" data-testid="rule-error"><strong>DIG-1:</strong> '
                    "at most 10 page ranges</p>")


def test_the_ids_tests_and_labels_rely_on_are_kept():
    html = _said(PermissionDenied("CIR-2", "<b>no</b>"), '{% rule_error error id="hold-error" testid="hold-error" %}')
    assert 'data-testid="hold-error" id="hold-error"' in html and "&lt;b&gt;no&lt;/b&gt;" in html
    beside = _said(RuleViolation("LST-1", "x"), '{% rule_error error id="c5-refusal" testid="item-refusal" alert=False '
                                                'css="item-refusal" oob=True %}')
    assert beside.startswith('<p class="error item-refusal" data-testid="item-refusal" id="c5-refusal" hx-swap-oob="true">')
    assert _said(None) == ""


def test_french_puts_a_non_breaking_space_before_the_colon():
    with translation.override("fr"):
        html = _said({"rule": "LST-1", "detail": "ce n’est pas une section de cette liste"})
    assert "<strong>LST-1\u00a0:</strong> ce n’est pas une section de cette liste" in html

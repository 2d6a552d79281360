"""Every rule an error can name is described at /api/v1/problems/<rule> (issue 17, API errors).

The problem-details ``type`` of a refusal points at ``/api/v1/problems/<rule>``; a client that
follows it reads what the rule requires (syllabus/core/rules.toml), not a generic sentence.
"""
from __future__ import annotations

import re
from pathlib import Path

import pytest

import syllabus
from syllabus.api import problems
from syllabus.core import rules

# Quoted tokens of a rule id's shape that are not rules: formats, encodings, identifiers, codes of
# demo data and examples.
NOT_RULES = {"ISBN-13", "ISBN-10", "UTF-8", "UTF-16", "CSL-JSON", "JSON-LD", "SHA-256", "TY-JOUR", "MARC-8",
             "HTTP-POST", "YYYY-MM", "CODE-SECTION", "MAIN-CIRC", "DIG-DEMO", "LDL-DEMO", "SYL-ILL",
             "DE-101", "US-EXAMPLE"}  # ISIL agency ids (ISO 15511), not rules
RULE_TOKEN = re.compile(r"""["'(\s]([A-Z]{2,5}-(?:\d{1,3}|[A-Z]{2,12}))\b""")


def rules_named_in_code() -> set[str]:
    root = Path(syllabus.__file__).parent
    found: set[str] = set()
    for path in root.rglob("*.py"):
        if "migrations" in path.parts:
            continue
        found |= set(RULE_TOKEN.findall(path.read_text(encoding="utf-8")))
    return found - NOT_RULES


def test_every_rule_the_code_names_is_described():
    named = rules_named_in_code()
    assert {"LDL-5", "ROLL-3", "WEB-QUERY", "API-ETAG"} <= named  # the walk finds rules of every kind
    missing = sorted(r for r in named if rules.describe(r) is None and r not in problems.GENERIC_RULES)
    assert not missing, f"rules named in the code with no entry in syllabus/core/rules.toml: {missing}"


@pytest.mark.parametrize(("rule", "words"), [
    ("LDL-5", "higher priority first"),
    ("DIG-1", "at most 10 page ranges"),
    ("ROLL-3", "term offset"),
    ("OUT-1", "outbox monitor"),
    ("WEB-QUERY", "query value"),
])
def test_a_rule_is_explained_in_its_own_words(client, db, rule, words):
    r = client.get(f"/api/v1/problems/{rule}")
    assert r.status_code == 200
    body = r.json()
    assert body["rule"] == rule and body["type"] == f"/api/v1/problems/{rule}"
    assert words in body["description"] and body["description"].startswith(f"{rule}: ")


def test_an_error_type_leads_to_its_rule(api, student):
    """A student may not create a course: follow the refusal's ``type`` to what CRS-1 requires."""
    refused = api(student).post("/api/v1/courses", {"code": "X1", "name": "X"})
    assert refused.status_code == 403
    explained = api(student).get(refused.json()["type"])
    assert explained.status_code == 200 and explained.json()["rule"] == "CRS-1"
    assert "code, name, section, department, term" in explained.json()["description"]


@pytest.mark.parametrize("rule", ["LDL-99", "XYZ-1", "nonsense!", "ldl-5"])
def test_a_rule_the_product_does_not_have_is_not_found(client, db, rule):
    r = client.get(f"/api/v1/problems/{rule}")
    assert r.status_code == 404
    assert r.headers["Content-Type"].startswith(problems.MEDIA_TYPE)

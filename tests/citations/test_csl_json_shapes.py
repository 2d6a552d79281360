"""LST-9 (session 19): CSL-JSON in the shapes real tools write it.  CSL 1.0.2 describes an array of
items; citation-js writes that (its "data" output); a DOI's content negotiation answers one item
alone; Zotero's web API (``format=csljson``) and citeproc-js-server wrap the items in
``{"items": [...]}`` (citeproc-js-server also as a map id → item); pandoc's citeproc inputs in
``{"references": [...]}``; the CSL test suite's fixtures as JSON (citeproc-js's
``processor-tests/machines``) in ``{"mode": ..., "input": [...], "result": ...}``.  Every shape of
the same items is read as the same entries.  What is no CSL-JSON items is refused naming LST-9 and
what it is: the test suite's human fixtures (``>>===== INPUT =====>>`` sections, not JSON), a
citation cluster (``citationItems``), the CSL JSON schema itself, an object of something else.

The items come from real exports: citation-js (installed by ``make interop``) run over the
corpus's Zotero RIS and JabRef BibTeX files, Zotero's own CSL-JSON (its translator's test case),
and the schema's own examples (tests/data/csl/csl-data.json's ``custom``)."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.citations import formats
from syllabus.core.errors import RuleViolation
from syllabus.lists import services as list_services
from tests.citations.corpus import DATA
from tests.independent import run_node

SOURCES = ["ris/zotero-RIS-export-sample.ris", "bibtex/jabref-BibtexImporter.examples.bib",
           "bibtex/bbt/improve-import-of-films-1837.bib"]


@pytest.fixture(scope="module")
def exports() -> dict[str, list]:
    """citation-js's CSL-JSON of each source file (a real third-party export)."""
    return {source: json.loads(run_node("csl-json-export.cjs", str(DATA / source))) for source in SOURCES}


def _read(value) -> list[tuple]:
    detected, entries = formats.parse(json.dumps(value, ensure_ascii=False), "", "")
    assert detected == "csl-json"
    return [(e.csl, e.error, e.dropped) for e in entries]


def _shapes(items: list[dict]) -> dict[str, object]:
    return {
        "array (CSL 1.0.2, citation-js)": items,
        "Zotero web API / citeproc-js-server": {"items": items},
        "citeproc-js-server map": {"items": {str(item.get("id", n)): {k: v for k, v in item.items() if k != "id"}
                                             for n, item in enumerate(items)}},
        "pandoc citeproc inputs": {"references": items, "citations": []},
        "CSL test-suite fixture as JSON": {"mode": "bibliography", "input": items, "result": "…", "csl": "<style/>"},
    }


@pytest.mark.parametrize("source", SOURCES)
def test_citation_js_exports_read_the_same_in_every_shape_tools_write(exports, source):
    items = exports[source]
    assert items and all(isinstance(item, dict) for item in items)
    expected = _read(items)
    assert any(csl is not None for csl, _error, _dropped in expected)
    for shape, value in _shapes(items).items():
        assert _read(value) == expected, shape
    one = next(item for item in items if item.get("title"))  # a DOI's content negotiation: one item alone
    assert _read(one) == [next(e for e in expected if e[0] is not None and e[0].get("title") == one["title"])]


def test_zotero_csl_json_and_the_schemas_examples_are_read_as_items():
    zotero = json.loads((DATA / "csl" / "zotero-CSL-JSON-00.json").read_text(encoding="utf-8"))
    assert _read({"items": zotero}) == _read(zotero) and _read(zotero)[0][0]["title"].startswith("Stochastic")
    schema = json.loads((DATA / "csl" / "csl-data.json").read_text(encoding="utf-8"))
    examples = schema["items"]["properties"]["custom"]["examples"]
    for n, custom in enumerate(examples):  # an item valid by the schema is read; its custom data named, not kept
        [(csl, error, dropped)] = _read({"id": f"x{n}", "type": "book", "title": "Middlemarch", "custom": custom})
        assert error == "" and csl["title"] == "Middlemarch" and "custom" in dropped and "custom" not in csl


@pytest.mark.parametrize("value, says", [
    ({"citationID": "c1", "citationItems": [{"id": "ITEM-1"}], "properties": {"noteIndex": 0}}, "citation"),
    ({"collection": "Readings", "owner": "me"}, "neither a CSL-JSON item"),
    ("just a string", "str"),
    (42, "int"),
])
def test_what_is_no_csl_json_items_is_refused_saying_what_it_is(value, says):
    with pytest.raises(RuleViolation) as refused:
        formats.parse(json.dumps(value), "csl-json", "")
    assert refused.value.rule == "LST-9" and says in refused.value.detail


def test_the_csl_json_schema_itself_is_refused():
    with pytest.raises(RuleViolation) as refused:
        formats.parse((DATA / "csl" / "csl-data.json").read_text(encoding="utf-8"), "", "csl-data.json")
    assert refused.value.rule == "LST-9" and "JSON schema" in refused.value.detail


@pytest.mark.django_db
def test_through_the_api_wrapped_items_import_and_a_test_suite_fixture_is_refused_naming_it(client, instructor, course,
                                                                                          exports):
    lst = list_services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    items = exports["ris/zotero-RIS-export-sample.ris"][:20]
    plain = json.dumps(items).encode()
    r = client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile("zotero-api.json", json.dumps({"items": items}).encode())})
    assert r.status_code == 200, r.content
    report = r.json()
    assert report["format"] == "csl-json" and report["read"] == 20 and report["created"] >= 15
    other = list_services.create_list(instructor, title="Readings 2", courses=[course])
    same = client.post(f"/api/v1/lists/{other.pk}/import", {"file": SimpleUploadedFile("citation-js.json", plain)}).json()
    assert [(e["status"], e["title"], e["rule"]) for e in same["entries"]] == \
        [(e["status"], e["title"], e["rule"]) for e in report["entries"]]
    fixture = sorted((DATA / "csl" / "suite").glob("*.txt"))[0]
    for name in (fixture.name, "fixture.json"):  # as it is named, and misnamed .json: said what it is either way
        r = client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile(name, fixture.read_bytes())})
        assert r.status_code == 400 and r.json()["rule"] == "LST-9" and "CSL test-suite fixture" in r.json()["detail"], name

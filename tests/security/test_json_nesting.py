"""Attack class (session 20): JSON nested past Python's recursion limit.

``json.loads`` of ``[[[[…]]]]`` a few thousand levels deep raises ``RecursionError`` — not a
``ValueError`` — so every ``except ValueError`` around a parse let it through as a 500 (and a
stack trace in the log per request).  Two kilobytes did it, with no account at all for the API
and the OpenID back-channel logout.  Every JSON a request or another server sends is now read by
``syllabus.core.jsondata.loads``: nested deeper than ``JSON_MAX_DEPTH`` (64 — CSL-JSON needs 5) is
a ``ValueError`` like any other malformed JSON, so each caller's own refusal answers it:

- the API: 422 problem details ``VALIDATION`` before any operation runs (signed in or not);
- a CSL-JSON import: ``LST-9`` naming the nesting, nothing imported;
- My collection's "save this citation" and Cite it's save: the page's own "damaged" refusal;
- an LTI launch whose id_token header nests (PyJWT parses it itself and already refused it): LMS-1;
- an OpenID back-channel logout token whose header nests: 400 ``LMS-3``, nobody signed out
  (tests/sso/test_logout_token_nesting.py, against the local OpenID provider).

Guard: an AST walk of syllabus/ fails on any other ``json.loads``/``.json()`` of data from outside.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

pytestmark = pytest.mark.django_db

DEEP = "[" * 5000 + "]" * 5000          # 10 KB
DEEP_OBJECT = '{"a":' * 3000 + "1" + "}" * 3000
PACKAGE = Path(__file__).resolve().parents[2] / "syllabus"


def test_the_api_refuses_deep_json_as_a_validation_error_signed_in_or_not(api, instructor):
    for caller in (api(), api(instructor)):
        for body in (DEEP, DEEP_OBJECT):
            r = caller.client.post("/api/v1/lists", data=body, content_type="application/json", **caller.headers)
            assert r.status_code == 422, r.status_code
            problem = r.json()
            assert problem["rule"] == "VALIDATION" and "nested deeper than 64" in problem["detail"], problem


def test_a_csl_json_import_nested_too_deep_is_refused_naming_lst9_and_imports_nothing(client, instructor, course):
    from syllabus.lists import services
    from syllabus.lists.models import Citation

    lst = services.create_list(instructor, title="Deep", courses=[course])
    client.force_login(instructor)
    for text in (DEEP, '[{"title": "A", "note": ' + DEEP + "}]"):
        r = client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile("deep.json", text.encode())},
                        HTTP_HX_REQUEST="true")
        assert r.status_code in (200, 400), r.status_code
        assert "LST-9" in r.content.decode() and "nested deeper than 64" in r.content.decode()
    assert Citation.objects.filter(resource_list=lst).count() == 0


def test_the_api_import_of_deep_csl_json_is_refused_naming_lst9(api, instructor, course):
    from syllabus.lists import services

    lst = services.create_list(instructor, title="Deep", courses=[course])
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/import",
                             {"file": SimpleUploadedFile("deep.json", DEEP.encode())}, format="multipart")
    assert r.status_code == 400 and r.json()["rule"] == "LST-9" and "nested deeper than 64" in r.json()["detail"], r.content


def test_saving_a_citation_with_deep_csl_is_the_pages_own_refusal(client, instructor):
    from syllabus.catalog.models import CollectionEntry

    client.force_login(instructor)
    r = client.post("/catalog/collection/add/", {"csl": DEEP}, HTTP_HX_REQUEST="true")
    assert r.status_code in (200, 400) and "nested deeper than 64" in r.content.decode()
    r = client.post("/catalog/cite-it/save/", {"csl": DEEP, "title": "A"})
    assert r.status_code in (200, 400), r.status_code
    assert CollectionEntry.objects.count() == 0


def test_an_lti_launch_whose_id_token_header_nests_too_deep_is_refused_naming_lms1(client):
    """PyJWT reads the launch's header and claims with its own json.loads and turns any failure,
    RecursionError included, into DecodeError: kept as a regression test (no account is needed)."""
    import base64

    def b64(text: str) -> str:
        return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()

    for header in (DEEP, DEEP_OBJECT):
        r = client.post("/lti/launch/", {"id_token": f"{b64(header)}.{b64('{}')}.c2ln", "state": "s"})
        assert r.status_code == 400 and "LMS-1" in r.content.decode() and "not a JWT" in r.content.decode()


def test_jsondata_reads_ordinary_json_and_refuses_depth_as_a_value_error():
    from syllabus.core import jsondata

    assert jsondata.loads('{"a": [1, {"b": "c"}]}') == {"a": [1, {"b": "c"}]}
    assert jsondata.loads(b"[" * 64 + b"]" * 64) is not None
    for deep in ("[" * 65 + "]" * 65, DEEP, DEEP_OBJECT):
        with pytest.raises(ValueError, match="nested deeper than 64"):
            jsondata.loads(deep)


# what may still call json.loads itself: our own files and our own output, never a request's
# or another server's data
TRUSTED = {
    "core/jsondata.py": "the one reader",
    "core/demodata.py": "the demo's own data file",
    "acquisitions/cla.py SAMPLE.read_text": "the packaged sample",
    "lists/templatetags/lists_tags.py": "a fragment the server wrote itself",
    "lti/keys.py": "joserfc's export of our own key",
    "citations/bibliography.py": "a citation's stored CSL-JSON (validated when stored)",
}


def _trusted(path: str, call: str) -> bool:
    return path in TRUSTED or any(key.startswith(path + " ") and key.split(" ", 1)[1] in call for key in TRUSTED)


def test_guard_no_other_json_parse_of_outside_data():
    offenders = []
    for file in sorted(PACKAGE.rglob("*.py")):
        rel = file.relative_to(PACKAGE).as_posix()
        if "/migrations/" in rel:
            continue
        source = file.read_text(encoding="utf-8")
        for node in ast.walk(ast.parse(source)):
            if not isinstance(node, ast.Call) or not isinstance(node.func, ast.Attribute):
                continue
            f = node.func
            loads = f.attr == "loads" and isinstance(f.value, ast.Name) and f.value.id == "json"
            dot_json = f.attr == "json" and not node.args and not node.keywords
            if (loads or dot_json) and not _trusted(rel, ast.get_source_segment(source, node) or ""):
                offenders.append(f"{rel}:{node.lineno}")
    assert not offenders, "JSON from outside read without syllabus.core.jsondata.loads: " + ", ".join(offenders)


def test_the_admin_refuses_deep_json_in_a_form_as_a_field_error_not_a_500(client, admin_user, inst_a):
    """Session 21: an administrator typing (or pasting) deeply nested JSON into a JSON field of the
    admin — a configuration value — got a 500 (``forms.JSONField`` reads with ``json.loads`` and
    catches only ``JSONDecodeError``; its re-display of the bad value parses it again)."""
    from syllabus.org.models import ConfigValue

    client.force_login(admin_user)
    for deep in (DEEP, DEEP_OBJECT):
        r = client.post("/admin/org/configvalue/add/", {"key": "default_language", "institution": inst_a.pk,
                                                        "library": "", "value": deep})
        assert r.status_code == 200, r.status_code
        assert "nested deeper than 64 levels" in r.content.decode()
    assert not ConfigValue.objects.filter(key="default_language", institution=inst_a).exists()


def test_guard_every_json_field_of_every_admin_form_refuses_deep_json():
    """Every JSON field of every registered admin form and inline (``admin.site._registry``) reads
    its text with ``core.jsondata`` (a model added tomorrow is covered)."""
    from django import forms as django_forms
    from django.contrib import admin
    from django.test import RequestFactory

    from syllabus.org.models import User

    request = RequestFactory().get("/admin/")
    request.user = User(username="root", is_superuser=True, is_staff=True)
    seen = 0
    for model_admin in admin.site._registry.values():
        forms_of = [model_admin.get_form(request)]
        forms_of += [inline.get_formset(request).form for inline in model_admin.get_inline_instances(request)]
        for form_class in forms_of:
            for field in form_class.base_fields.values():
                if isinstance(field, django_forms.JSONField) and not field.disabled:
                    seen += 1
                    with pytest.raises(django_forms.ValidationError, match="nested deeper"):
                        field.clean(DEEP)
                    assert field.bound_data(DEEP, None) is not None  # re-displaying the value is no 500
    assert seen >= 3

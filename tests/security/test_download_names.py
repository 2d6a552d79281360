"""Attack class: header injection and broken download names in ``Content-Disposition`` (session 19).

An export's file name comes from the list's title (LST-9).  Before, it was written into the
header as ``filename="<title>"``: a title in Chinese, Greek, Arabic... (not Latin-1) made Django
MIME-encode the **whole** header (``=?utf-8?b?…?=``), which no browser reads as a disposition —
the download lost its name and its ``attachment`` type.  Every download name now goes through
Django's ``content_disposition_header`` (RFC 6266: ``filename*=utf-8''…``, quotes, line breaks
and semicolons percent-encoded), and a guard fails on any other way of writing the header."""
import ast
from email.message import Message
from pathlib import Path

import pytest

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parents[2] / "syllabus"


def _filename(header: str) -> str:
    message = Message()
    message["Content-Disposition"] = header
    return message.get_filename()


@pytest.mark.parametrize("title, expected", [
    ("中文阅读书目", "中文阅读书目"), ("Βιβλιογραφία", "βιβλιογραφία"), ("Week 1: \"Intro\"; x", "week-1---intro---x")])
def test_a_list_title_in_any_script_is_the_download_name_and_stays_an_attachment(client, instructor, course, title, expected):
    from syllabus.lists import services

    lst = services.create_list(instructor, title=title, courses=[course])
    client.force_login(instructor)
    for url in (f"/api/v1/lists/{lst.pk}/export?format=ris", f"/catalog/lists/{lst.pk}/export/?format=html"):
        answer = client.get(url)
        assert answer.status_code == 200, url
        header = answer["Content-Disposition"]
        assert header.startswith("attachment;") and "=?utf-8?" not in header, header
        assert _filename(header).rsplit(".", 1)[0] == expected


def _writes_the_header(node: ast.AST) -> bool:
    """``x["Content-Disposition"] = …`` or ``headers={"Content-Disposition": …}``."""
    if isinstance(node, ast.Assign):
        return any(isinstance(t, ast.Subscript) and isinstance(t.slice, ast.Constant)
                   and str(t.slice.value).lower() == "content-disposition" for t in node.targets)
    if isinstance(node, ast.Dict):
        return any(isinstance(k, ast.Constant) and str(k.value).lower() == "content-disposition" for k in node.keys)
    return False


def test_guard_every_content_disposition_is_made_by_content_disposition_header():
    offenders = []
    for path in ROOT.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if not _writes_the_header(node):
                continue
            value = node.value if isinstance(node, ast.Assign) else None
            values = [value] if value is not None else [v for k, v in zip(node.keys, node.values)  # type: ignore[attr-defined]
                                                        if isinstance(k, ast.Constant)
                                                        and str(k.value).lower() == "content-disposition"]
            for v in values:
                made_by_helper = (isinstance(v, ast.Call) and isinstance(v.func, (ast.Name, ast.Attribute))
                                  and (getattr(v.func, "id", None) or getattr(v.func, "attr", None)) == "content_disposition_header")
                if not made_by_helper:
                    offenders.append(f"{path.relative_to(ROOT.parent)}:{node.lineno}")
    assert offenders == [], ("Content-Disposition written by hand (use django.utils.http.content_disposition_header: "
                             f"non-Latin names, quotes, line breaks): {offenders}")

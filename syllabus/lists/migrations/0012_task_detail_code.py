"""LST-7 (session 21): a librarian task's detail is a code and its parameters, said in the reader's
language when shown (``lists.task_details``), instead of an English sentence with the fields'
internal names.  The tasks already stored are read back where their text has a known shape
("item changed (public_note): Middlemarch", "20 item(s) ready for processing", ...); any other
text stays in ``detail`` as legacy text, shown as it is.  Backwards: the English text again."""

import re

from django.db import migrations, models

_TITLED = {"section added": "section_added", "section changed": "section_changed", "section moved": "section_moved",
           "section deleted": "section_deleted", "item added": "item_added", "item moved": "item_moved",
           "item deleted": "item_deleted", "file attached": "file_attached", "file removed": "file_removed"}
_ACTION = r"(imported from [^()]+(?: \([^()]*\))?|copied from \S+ list \d+)"


def _action(text: str) -> dict:
    m = re.fullmatch(r"imported from ([^()]+?)(?: \(([^()]*)\))?", text)
    if m:
        return {"code": "imported", "params": {"format": m.group(1), "filename": m.group(2) or ""}}
    m = re.fullmatch(r"copied from (\S+) list (\d+)", text)
    return {"code": "copied", "params": {"institution": m.group(1), "list_id": int(m.group(2))}}


def _batch(head_n: int | None, action: str, names: str | None, count: int) -> tuple[str, dict]:
    more = 0
    names = names or ""
    m = re.search(r"(?:^|; )… and (\d+) more$", names)
    if m:
        more, names = int(m.group(1)), names[:m.start()]
    params = {"action": _action(action), "added": [names] if names and head_n else [],
              "other": [names] if names and not head_n else [], "n_added": head_n or 0,
              "n_other": max(0, count - (head_n or 0)) if head_n else count, "more": more}
    return "batch", params


def parse(kind: str, detail: str, count: int = 1) -> tuple[str, dict] | None:
    """``(code, params)`` of an old task's text, or None when its shape is unknown."""
    text = detail or ""
    if kind == "item_sent" and text:
        return "item_sent", {"title": text}
    if kind == "discussion":
        return "message", {"text": text}
    m = re.fullmatch(r"course ended: return the personal copy of (.*) to (\S+)", text, re.S)
    if kind == "personal_copy_return" and m:
        return "personal_copy_return", {"title": m.group(1), "owner": m.group(2)}
    m = re.fullmatch(r"(\d+) item\(s\) ready for processing", text)
    if m:
        return "list_sent", {"n": int(m.group(1))}
    if text in ("list published", "list unpublished"):
        return text.replace(" ", "_"), {}
    m = re.fullmatch(r"list details changed: ([a-z_, ]+)", text)
    if m:
        return "list_details_changed", {"fields": [f for f in m.group(1).split(", ") if f]}
    m = re.fullmatch(r"item changed \(([a-z_, ]*)\): (.*)", text, re.S)
    if m:
        return "item_changed", {"fields": [f for f in m.group(1).split(", ") if f], "title": m.group(2)}
    m = re.fullmatch(r"(section added|section changed|section moved|section deleted|item added|item moved|item deleted"
                     r"|file attached|file removed): (.*)", text, re.S)
    if m:
        return _TITLED[m.group(1)], {"title": m.group(2)}
    m = re.fullmatch(r"(\d+) items? added since the list was sent \(" + _ACTION + r"\)(?:: (.*))?", text, re.S)
    if m:
        return _batch(int(m.group(1)), m.group(2), m.group(3), count)
    m = re.fullmatch(r"changed \(" + _ACTION + r"\)(?:: (.*))?", text, re.S)
    if m:
        return _batch(None, m.group(1), m.group(2), count)
    return None


def forwards(apps, schema_editor):
    LibrarianTask = apps.get_model("lists", "LibrarianTask")
    for task in LibrarianTask.objects.filter(detail_code="").exclude(detail="").iterator(chunk_size=2000):
        found = parse(task.kind, task.detail, task.count)
        if found is not None:
            LibrarianTask.objects.filter(pk=task.pk).update(detail_code=found[0], detail_params=found[1], detail="")


def backwards(apps, schema_editor):
    from django.utils import translation

    from syllabus.lists import task_details

    LibrarianTask = apps.get_model("lists", "LibrarianTask")
    with translation.override("en"):
        for task in LibrarianTask.objects.exclude(detail_code="").iterator(chunk_size=2000):
            text = task_details.say(task.detail_code, task.detail_params)
            LibrarianTask.objects.filter(pk=task.pk).update(detail=text[:5000])


class Migration(migrations.Migration):

    dependencies = [
        ('lists', '0011_list_import_notes_public'),
    ]

    operations = [
        migrations.AddField(
            model_name='librariantask',
            name='detail_code',
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.AddField(
            model_name='librariantask',
            name='detail_params',
            field=models.JSONField(blank=True, default=dict),
        ),
        migrations.AlterField(
            model_name='librariantask',
            name='detail',
            field=models.TextField(blank=True, help_text='legacy: the text of a task written before detail_code'),
        ),
        migrations.RunPython(forwards, backwards),
    ]

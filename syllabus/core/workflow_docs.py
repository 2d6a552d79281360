"""The docs' workflow tables, generated from the code's (:mod:`syllabus.core.workflow`).

A doc marks where a table goes; ``syllabus workflows --write`` fills it, ``syllabus workflows``
(or ``tests/test_workflow_docs.py``) fails while a table differs from the code::

    <!-- workflow: syllabus.lists.workflow.LIST_WORKFLOW -->
    (generated)
    <!-- /workflow -->
"""
from __future__ import annotations

import importlib
import importlib.util
import re
from pathlib import Path

from django.apps import apps

from .workflow import StateMachine

DOCS = Path(__file__).resolve().parent.parent.parent / "docs"
BLOCK = re.compile(r"(<!-- workflow: (?P<name>[\w.]+) -->\n)(?P<body>.*?)(<!-- /workflow -->)", re.S)


def machines() -> dict[str, StateMachine]:
    """``{"syllabus.app.workflow.NAME": machine}`` of every installed app's ``workflow.py``."""
    found = {}
    for config in apps.get_app_configs():
        module_name = f"{config.name}.workflow"
        if not config.name.startswith("syllabus.") or importlib.util.find_spec(module_name) is None:
            continue
        module = importlib.import_module(module_name)
        for attr, value in vars(module).items():
            if isinstance(value, StateMachine):
                found[f"{module_name}.{attr}"] = value
    return found


def _table(name: str, known: dict[str, StateMachine]) -> str:
    if name not in known:
        raise LookupError(f"no workflow {name} (known: {', '.join(sorted(known))})")
    return known[name].markdown() + "\n"


def render(text: str, known: dict[str, StateMachine] | None = None) -> str:
    """``text`` with every marked block replaced by the table the code holds now."""
    known = machines() if known is None else known
    return BLOCK.sub(lambda m: m.group(1) + _table(m.group("name"), known) + m.group(4), text)


def documented(docs: Path | None = None) -> dict[str, list[Path]]:
    """``{workflow name: [doc files that show it]}``."""
    docs = docs or DOCS
    out: dict[str, list[Path]] = {}
    for path in sorted(docs.glob("*.md")):
        for m in BLOCK.finditer(path.read_text(encoding="utf-8")):
            out.setdefault(m.group("name"), []).append(path)
    return out


def stale(docs: Path | None = None) -> list[Path]:
    """The doc files whose tables differ from the code's."""
    docs, known = docs or DOCS, machines()
    return [path for path in sorted(docs.glob("*.md"))
            if render(text := path.read_text(encoding="utf-8"), known) != text]


def write(docs: Path | None = None) -> list[Path]:
    docs, known = docs or DOCS, machines()
    changed = []
    for path in sorted(docs.glob("*.md")):
        text = path.read_text(encoding="utf-8")
        new = render(text, known)
        if new != text:
            path.write_text(new, encoding="utf-8")
            changed.append(path)
    return changed

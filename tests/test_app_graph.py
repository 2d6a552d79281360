"""The app graph is one-way (ARCHITECTURE.md, issue 17): no app imports an app of a higher
tier, and no two apps import each other (directly or around a loop).

Every import counts, at module level or inside a function, and so do the module names given
as literals to ``importlib.import_module`` / ``find_spec`` and the ``"app.Model"`` targets of
relations and ``apps.get_model`` — hiding a dependency does not remove it. Demo data, the
admin and management commands may reach anywhere (they assemble the whole product).

A higher app plugs into a lower one through a registry or a signal (slots, nav entries, item
filters, file guards, the catalog's lists port, ...; docs/DEVELOPING.md lists them).
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "syllabus"

# From the bottom up. An app may import apps of its own tier or of lower tiers (but two apps
# never import each other). A new app goes into one of these tiers; the test fails until it is
# placed.
TIERS: list[set[str]] = [
    {"core"},                      # clock, errors, audit, outbox plumbing, tasks runner
    {"org"},                       # institutions, libraries, users, roles, configuration
    {"api"},                       # the API's shared schemas and authentication (routers mount by name)
    {"courses"},
    {"web"},                       # the shell: base templates, navigation, page error and htmx helpers
    {"notify"},
    {"citations"},                 # citation core: metadata, identifiers, CSL, formats (no app)
    {"catalog"},
    {"lists"},
    {"discussion", "fulfillment", "lending", "acquisitions"},
    {"lti", "sso", "consortium", "analytics"},
]

# (importing app, imported app, file) edges that break the order today and are being removed
# (issue 17); each one names why it is still here. Keep this empty.
KNOWN_EXCEPTIONS: dict[tuple[str, str, str], str] = {}

# may reach anywhere
EXEMPT_FILES = {"admin.py"}
EXEMPT_DIRS = {"management", "migrations"}


def _exempt(path: Path) -> bool:
    return (path.name in EXEMPT_FILES or "demo" in path.stem
            or bool(EXEMPT_DIRS & set(path.relative_to(PACKAGE).parts)))


def _apps() -> list[str]:
    return sorted(p.name for p in PACKAGE.iterdir() if (p / "__init__.py").is_file())


def _targets(node: ast.AST, module: str) -> list[str]:
    """Dotted module names (or ``app_label.Model``) that ``node`` depends on."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    if isinstance(node, ast.ImportFrom):
        if node.level == 0:
            return [node.module or ""]
        base = module.split(".")[:-node.level] if node.level else []
        return [".".join(base + ([node.module] if node.module else []))]
    if isinstance(node, ast.Call):
        name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
        args = [a.value for a in node.args if isinstance(a, ast.Constant) and isinstance(a.value, str)]
        if name in {"import_module", "find_spec"} and args:
            return [args[0]]
        if name == "get_model" and len(args) == 2:
            return [f"syllabus.{args[0]}"]
        if name in {"ForeignKey", "OneToOneField", "ManyToManyField"} and args and args[0].count(".") == 1:
            return [f"syllabus.{args[0].split('.')[0]}"]
    return []


def import_edges() -> dict[tuple[str, str], list[str]]:
    """``{(importing app, imported app): ["path:line", ...]}`` between distinct apps."""
    apps = set(_apps())
    edges: dict[tuple[str, str], list[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        rel = path.relative_to(PACKAGE)
        if len(rel.parts) < 2 or rel.parts[0] not in apps or _exempt(path):
            continue
        app = rel.parts[0]
        module = ".".join(("syllabus", *rel.with_suffix("").parts))
        if path.name == "__init__.py":
            module += ".__init__"
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            for target in _targets(node, module):
                parts = target.split(".")
                if len(parts) > 1 and parts[0] == "syllabus" and parts[1] in apps and parts[1] != app:
                    edges.setdefault((app, parts[1]), []).append(f"{rel}:{node.lineno}")
    return edges


def _tier(app: str) -> int:
    for i, tier in enumerate(TIERS):
        if app in tier:
            return i
    raise LookupError(app)


def _known(a: str, b: str, where: str) -> bool:
    return (a, b, where.split(":")[0]) in KNOWN_EXCEPTIONS


def test_every_app_has_a_place_in_the_order():
    unplaced = [app for app in _apps() if not any(app in tier for tier in TIERS)]
    assert not unplaced, f"place these apps in TIERS of {__file__}: {unplaced}"


def test_no_app_imports_a_higher_app():
    upward = []
    for (a, b), places in sorted(import_edges().items()):
        if _tier(a) < _tier(b):
            upward += [f"{a} -> {b} at syllabus/{w}" for w in places if not _known(a, b, w)]
    assert not upward, ("a lower app imports a higher one; plug in through a registry or signal of the lower "
                        "app instead (docs/DEVELOPING.md):\n" + "\n".join(upward))


def test_no_cycle_between_apps():
    edges = {k: [w for w in v if not _known(*k, w)] for k, v in import_edges().items()}
    graph: dict[str, set[str]] = {}
    for (a, b), places in edges.items():
        if places:
            graph.setdefault(a, set()).add(b)

    def path(start: str, goal: str, seen: frozenset = frozenset()) -> list[str] | None:
        for nxt in sorted(graph.get(start, ())):
            if nxt == goal:
                return [start, goal]
            if nxt not in seen:
                rest = path(nxt, goal, seen | {start})
                if rest:
                    return [start, *rest]
        return None

    cycles = []
    for (a, b) in sorted(edges):
        if b in graph.get(a, ()):
            back = path(b, a)
            if back:
                loop = [a, *back]
                cycles.append(" -> ".join(loop) + "  (" + "; ".join(
                    f"{x}->{y} at {edges[x, y][0]}" for x, y in zip(loop, loop[1:])) + ")")
    assert not cycles, "cycles between apps:\n" + "\n".join(sorted(set(cycles)))


def test_known_exceptions_are_still_needed():
    """An exception whose import is gone must leave the list (it would hide a new one)."""
    edges = import_edges()
    stale = [k for k in KNOWN_EXCEPTIONS
             if not any(w.split(":")[0] == k[2] for w in edges.get((k[0], k[1]), []))]
    assert not stale, f"remove from KNOWN_EXCEPTIONS: {stale}"


@pytest.mark.parametrize("source, expected", [
    ("from syllabus.lists import services", "lists"),
    ("def f():\n    from syllabus.lists.models import Citation", "lists"),
    ("import importlib\nimportlib.util.find_spec('syllabus.lists.selectors')", "lists"),
    ("from django.apps import apps\napps.get_model('lists', 'Citation')", "lists"),
    ("from django.db import models\nx = models.ForeignKey('lists.Citation', on_delete=models.CASCADE)", "lists"),
    ("from ..lists import slots", "lists"),
])
def test_the_scanner_sees_every_kind_of_import(tmp_path, monkeypatch, source, expected):
    """The scanner is what makes the tests above able to fail: each hiding place is found."""
    pkg = tmp_path / "syllabus"
    for app in ("catalog", "lists"):
        (pkg / app).mkdir(parents=True)
        (pkg / app / "__init__.py").write_text("")
    (pkg / "catalog" / "hidden.py").write_text(source + "\n")
    monkeypatch.setitem(globals(), "PACKAGE", pkg)
    assert ("catalog", expected) in import_edges()

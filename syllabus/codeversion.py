"""A digest of the code a process runs, so that caches shared between processes (Redis,
``CACHE_URL``) never hand one version's renderings to another.

Kept student pages, slot renderings and the list's sections (pickled rows) are keyed by what
they show — the list's revision, its change stamps — not by the templates and code that made
them: after an upgrade that changes a template or a model, the shared cache would go on serving
the old code's pages until each list changed.  Both shared caches' ``KEY_PREFIX`` carries this
digest: a worker of the new code reads only its own renderings; during a rolling restart old
and new workers each read theirs.  Sessions stay safe — the cached session engine falls back to
the database on a miss.
"""
from __future__ import annotations

import hashlib
from pathlib import Path

# what a rendering depends on: code, templates, translations (compiled), static assets named in pages
SUFFIXES = frozenset({".py", ".html", ".txt", ".mo", ".css", ".js", ".csl", ".xml", ".json"})


def code_digest(root: Path) -> str:
    """Twelve hex digits over the path and content of every file under ``root`` that a
    rendering can depend on (byte-compiled caches and migrations' history included as they are)."""
    h = hashlib.sha256()
    for path in sorted(p for p in root.rglob("*") if p.suffix in SUFFIXES and p.is_file()
                       and "__pycache__" not in p.parts):
        h.update(path.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(path.read_bytes())
        h.update(b"\0")
    return h.hexdigest()[:12]

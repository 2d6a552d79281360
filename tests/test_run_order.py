"""The suite's longest tests start first within their group (tests/conftest.py ``LONGEST``;
docs/DEVELOPING.md, "How long the suite takes"): every entry of the list still names a test, so a
renamed or moved test does not silently fall back to the end of the run."""
from __future__ import annotations

import re
from pathlib import Path

from tests.conftest import LONGEST

ROOT = Path(__file__).resolve().parents[1]


def test_every_longest_entry_names_a_test():
    missing = []
    for entry in LONGEST:
        path, _, name = entry.partition("::")
        file = ROOT / path
        if not file.is_file() or not re.search(rf"^def {re.escape(name or 'test_')}", file.read_text(), re.M):
            missing.append(entry)
    assert not missing, f"LONGEST entries that name no test: {missing}"

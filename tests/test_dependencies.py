"""The lockfile pins every dependency that pyproject.toml declares (issue 17).

`make install` installs with `-c requirements.lock`, so a locked package gets exactly the
locked version; a dependency added to pyproject.toml without `make lock` would install at
whatever version the index offers that day. This test names it.
"""
from __future__ import annotations

import re
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent


def _locked() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "requirements.lock").read_text().splitlines():
        m = re.match(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)", line)
        if m:
            pins[canonicalize_name(m.group(1))] = m.group(2)
    return pins


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    reqs = list(project["dependencies"])
    for extra in ("test", "lint"):
        reqs += project["optional-dependencies"][extra]
    return [Requirement(r) for r in reqs]


def test_every_declared_dependency_is_locked_at_a_version_it_allows():
    locked = _locked()
    assert locked, "requirements.lock has no pins"
    problems = []
    for req in _declared():
        version = locked.get(canonicalize_name(req.name))
        if version is None:
            problems.append(f"{req.name} is not in requirements.lock")
        elif not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} in requirements.lock does not satisfy {req}")
    assert not problems, "run `make lock` and commit requirements.lock:\n" + "\n".join(problems)


def test_the_lock_pins_exact_versions_only():
    lines = [ln for ln in (ROOT / "requirements.lock").read_text().splitlines()
             if ln.strip() and not ln.lstrip().startswith("#")]
    loose = [ln for ln in lines if not re.match(r"^[A-Za-z0-9][A-Za-z0-9._-]*==\S+", ln)]
    assert not loose, f"requirements.lock holds lines that are not exact pins: {loose}"

"""README's Configuration table and the environment variables the code reads stay one list.

A new user configures Syllabus from that table ("All settings come from environment variables"):
a variable the code reads but the table leaves out cannot be found, and one the table names but
the code never reads (session 20 found `HTTP_PROXY`, which the outbound client deliberately
ignores — `OUTBOUND_PROXY` is the one it reads) is a setting that silently does nothing.
"""
from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")

# os.environ.get("X", ...), os.environ["X"], env_bool("X", ...), and the ISBN/DOI look-up's setting("X", ...)
# (a Django setting, else the environment variable of that name); a call may wrap before its first argument
ENV_READ = re.compile(
    r"""(?:os\.environ(?:\.get)?\s*[(\[]|\benv_bool\(|\bsetting\()\s*["']([A-Z][A-Z0-9_]+)["']""")

# read by the code but not settings a deployment sets: what `syllabus serve` sets for its own
# children, and what only the test suite sets (named in README's "Development" section instead)
INTERNAL = {"SYLLABUS_WEB_WORKER", "DJANGO_SETTINGS_MODULE"}
TEST_ONLY = {"SQLITE_TEST_PATH", "TEST_DATABASE_NAME", "FAST_PASSWORD_HASHER"}


def section(title: str) -> str:
    return README.split(f"\n## {title}\n", 1)[1].split("\n## ", 1)[0]


def table_rows() -> dict[str, tuple[str, str]]:
    """Each variable of the Configuration table → (its default cell, its description cell)."""
    rows = {}
    for line in section("Configuration").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 3 or not cells[0].startswith("`"):
            continue
        for name in re.findall(r"`([A-Z][A-Z0-9_]+)`", cells[0]):
            rows[name] = (cells[1], cells[2])
    return rows


def variables_read() -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / "syllabus").rglob("*.py")):
        for name in ENV_READ.findall(path.read_text(encoding="utf-8")):
            found.setdefault(name, set()).add(str(path.relative_to(ROOT)))
    return found


def test_every_variable_the_code_reads_is_in_the_readme_table():
    documented = table_rows()
    missing = {name: sorted(paths) for name, paths in variables_read().items()
               if name not in documented and name not in INTERNAL | TEST_ONLY}
    assert not missing, f"environment variables read by the code but not in README's Configuration table: {missing}"


def test_every_variable_of_the_readme_table_is_read_by_the_code():
    read = variables_read()
    unread = sorted(name for name in table_rows() if name not in read)
    assert not unread, f"README's Configuration table names variables that no code reads: {unread}"


def test_test_only_variables_are_named_where_a_developer_looks():
    development = section("Development")
    assert not {name for name in TEST_ONLY if f"`{name}" not in development}, \
        f"name each of {sorted(TEST_ONLY)} in README's Development section"


def test_a_single_numeric_default_in_the_table_is_the_codes_default():
    """`TICK_SECONDS | 60` in the README and `os.environ.get("TICK_SECONDS", "60")` in the code agree."""
    code = "\n".join(p.read_text(encoding="utf-8") for p in (ROOT / "syllabus").rglob("*.py"))
    checked, wrong = 0, {}
    for name, (default, _) in table_rows().items():
        documented = re.fullmatch(r"`(-?[0-9.]+)`", default)
        actual = re.search(rf"""os\.environ\.get\(\s*["']{name}["']\s*,\s*(?:str\()?["']?([0-9][0-9_.* ]*)""", code)
        if not documented or not actual:
            continue
        checked += 1
        value = actual.group(1).strip()
        if "*" in value:  # 128 * 1024, 50 * 1024 * 1024
            product = 1
            for factor in value.split("*"):
                product *= int(factor)
            value = str(product)
        if float(value.replace("_", "")) != float(documented.group(1)):
            wrong[name] = (documented.group(1), value)
    assert checked >= 10, "the table's defaults are no longer recognised: update this test"
    assert not wrong, f"README's default ≠ the code's (README, code): {wrong}"

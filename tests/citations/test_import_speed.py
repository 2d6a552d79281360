"""LST-9, session 18: a BibTeX import no longer spends ≈ 30 µs a character in pylatexenc, and
reads exactly what it read before.

``tests/data/import-golden.json`` is what ``formats.parse`` gave for every corpus file under
tests/data (BibTeX, RIS, CSL-JSON) *before* the fast paths (written with the code of main at
session 18's start); the parse of today must be the same, entry for entry, field for field — and
the same again with every LaTeX value sent to pylatexenc whole (``FAST_LATEX = False``)."""
from __future__ import annotations

import dataclasses
import json
import random
import time
from pathlib import Path

import pytest

from syllabus.citations import formats

DATA = Path(__file__).resolve().parent.parent / "data"
GOLDEN = json.loads((DATA / "import-golden.json").read_text(encoding="utf-8"))
FORMAT = {"bibtex": "bibtex", "ris": "ris", "csl": "csl-json"}


def _parsed(name: str) -> list:
    path = DATA / name
    detected, entries = formats.parse(formats.decode(path.read_bytes()), FORMAT[name.split("/")[0]], path.name)
    # (through JSON, as the golden file was written: tuples become lists)
    return json.loads(json.dumps([detected, [dataclasses.asdict(e) for e in entries]], ensure_ascii=False))


@pytest.fixture
def slow_latex():
    formats.FAST_LATEX = False
    yield
    formats.FAST_LATEX = True


def test_the_golden_file_covers_the_whole_corpus():
    files = {str(p.relative_to(DATA)) for sub, pattern in (("bibtex", "**/*.bib"), ("ris", "*.ris"), ("csl", "*.json"))
             for p in (DATA / sub).glob(pattern) if not p.name.endswith(".expected.json") and p.name != "csl-data.json"}
    assert files == set(GOLDEN)
    assert sum(len(v[1]) for v in GOLDEN.values()) > 500


@pytest.mark.parametrize("name", sorted(GOLDEN))
def test_every_corpus_file_reads_as_before(name):
    assert _parsed(name) == GOLDEN[name]


@pytest.mark.parametrize("name", sorted(n for n in GOLDEN if n.startswith("bibtex/")))
def test_every_bibtex_file_reads_the_same_through_pylatexenc_alone(name, slow_latex):
    assert _parsed(name) == GOLDEN[name]


def test_the_fast_decoder_gives_pylatexenc_s_text_for_any_mix_of_its_shapes():
    """Random values made of what the fast path reads (and of what it must leave to pylatexenc)."""
    tokens = ["a", "Z", " ", "  ", "{", "}", "~", "-", "--", "---", "'", "''", "`", "``", "!", "?", "!`", "?`", "\\'e",
              "\\'{e}", '\\"u', '\\"{U}', "\\c{c}", "\\v{s}", "\\^o", "\\~n", "\\=a", "\\.z", "\\u{a}", "\\H{o}", "\\k{a}",
              "\\'{\\i}", "é", "\\ss", "\\c c", "$", "%", "&", "\n", "\\'", "\\"]
    rnd = random.Random(18)
    fast_ones = 0
    for _ in range(20_000):
        value = "".join(rnd.choice(tokens) for _ in range(rnd.randint(1, 12)))
        fast = formats._fast_latex(value)
        if fast is None:
            continue
        fast_ones += 1
        assert fast == formats._latex.latex_to_text(value), value
    assert fast_ones > 5_000


def _accents(entries: int) -> str:
    title = "{\\'e}~\\c{c}{\\`a}~" * 200
    return "".join(f"@article{{k{n},\n  title = {{{title}}},\n  author = {{M{{\\\"u}}ller, J{{\\'e}}r{{\\^o}}me}},\n"
                   f"  year = {{2020}}\n}}\n" for n in range(entries))


def test_a_bibtex_file_of_latex_accents_reads_in_a_fraction_of_pylatexenc_s_time(slow_latex):
    """The security review's file (every character of a title an accent or a tie): 3.4 KB a title
    took ≈ 0.1 s each in pylatexenc; read token by token it is at least ten times faster."""
    text = _accents(20)
    started = time.perf_counter()
    slow = formats.parse(text, "bibtex")
    slow_seconds = time.perf_counter() - started
    formats.FAST_LATEX = True
    formats._tex_cached.cache_clear()
    started = time.perf_counter()
    fast = formats.parse(text, "bibtex")
    fast_seconds = time.perf_counter() - started
    assert fast == slow
    assert fast[1][0].csl["title"].startswith("é çà é çà")
    assert fast_seconds * 10 < slow_seconds, (fast_seconds, slow_seconds)


def test_reused_keys_after_many_strings_are_read_again_in_linear_time():
    """Entries whose key was used before are read again after the file's @strings: once per entry,
    that was (number of strings) × (number of reused keys) — quadratic in the file's size."""
    def make(n: int) -> str:
        strings = "".join(f"@string{{j{i} = {{Journal {i}}}}}\n" for i in range(n))
        entries = "".join(f"@article{{same,\n  title = {{Work {i}}},\n  journal = j{i}\n}}\n" for i in range(n))
        return strings + entries

    formats.parse(make(20), "bibtex")
    started = time.perf_counter()
    small = formats.parse(make(150), "bibtex")[1]
    t_small = time.perf_counter() - started
    started = time.perf_counter()
    large = formats.parse(make(1200), "bibtex")[1]
    t_large = time.perf_counter() - started
    assert t_large < 16 * t_small + 0.5, (t_small, t_large)
    # each entry read, with its own journal and its line, under the key the file gives
    assert [(e.csl["title"], e.csl["container-title"], e.label, e.line) for e in small[:3]] == [
        ("Work 0", "Journal 0", "same", 151), ("Work 1", "Journal 1", "same", 155), ("Work 2", "Journal 2", "same", 159)]
    assert len(large) == 1200 and large[-1].csl["container-title"] == "Journal 1199"

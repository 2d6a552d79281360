"""Attack class: regular-expression denial of service in the citation parsers (LST-9 imports,
DSV-6 OpenURL, DSV-1 MARC).  An import file may be 5 MB; a pattern that is tried again from every
character of a long run (``^\\s*`` over blank lines, ``\\s*-`` over blanks, a lookahead scanning to
the end of the field from every ``_``) takes quadratic time — a few hundred KB held a worker for
minutes.  Session 17 found three such patterns; each is attacked here the way an outsider would
(an import through the list page and the API) and its cost is checked to grow linearly.

A linear parse of ``8n`` characters takes about 8 times as long as one of ``n``; a quadratic one
about 64 times.  The bound below (16 times, plus half a second for a loaded machine) tells them
apart without timing anything absolutely, except the attack through HTTP, whose input took over
ten seconds before and takes a few milliseconds now."""
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.citations import formats, openurl

pytestmark = pytest.mark.django_db


def _seconds(fn, *args) -> float:
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def _grows_linearly(make, n: int) -> None:
    small, large = make(n), make(8 * n)
    _seconds(formats.parse, small[0], small[1])   # warm up (imports, compiled patterns)
    t_small = _seconds(formats.parse, *small)
    t_large = _seconds(formats.parse, *large)
    assert t_large < 16 * t_small + 0.5, f"{n} → {t_small:.3f} s, {8 * n} → {t_large:.3f} s: not linear"


@pytest.mark.parametrize("make", [
    pytest.param(lambda n: ("\n" * n, ""), id="blank lines, format detected"),
    pytest.param(lambda n: (" \r\n" * n, ""), id="blanks and CRLF, format detected"),
    pytest.param(lambda n: ("\t\n" * n + "@book{k, title={T}}", ""), id="blank lines before a BibTeX entry"),
    pytest.param(lambda n: ("@book{k,\n title={T},\n pages={" + " " * n + "}}\n", "bibtex"), id="BibTeX pages of blanks"),
    pytest.param(lambda n: ("@book{k,\n title={T},\n pages={1" + " " * n + "x}}\n", "bibtex"), id="BibTeX pages, blanks and no dash"),
    pytest.param(lambda n: ("@book{k,\n title={T},\n note={" + "a_1 " * (n // 4) + "$}}\n", "bibtex"), id="BibTeX subscripts before a $"),
    pytest.param(lambda n: ("@book{k,\n title={$" + "x^2" * (n // 3) + "}}\n", "bibtex"), id="BibTeX superscripts after a $"),
])
def test_parsers_take_linear_time_on_hostile_runs(make):
    _grows_linearly(make, 5000)


def test_writing_a_page_range_of_blanks_to_bibtex_is_linear():
    """The BibTeX writer's page-range pattern had the same shape (a stored item's pages)."""
    def export(n):
        return _seconds(formats.to_bibtex, [{"type": "book", "title": "T", "page": "1" + " " * n + "x"}])

    export(100)
    assert export(40000) < 16 * export(5000) + 0.5


def test_openurl_values_take_linear_time():
    for value in ("-" * 5000, " " * 5000, "0 " * 2500, "a_1" * 1700):
        kev = {"url_ver": ["Z39.88-2004"], "rft.genre": ["book"]}
        for key in ("rft.btitle", "rft.au", "rft.date", "rft.pages", "rft.spage", "rft.isbn", "rft_id"):
            kev[key] = [value]
        started = time.perf_counter()
        openurl.to_csl(kev)
        small = time.perf_counter() - started
        kev = {k: [v[0] * 8] for k, v in kev.items() if k.startswith("rft.") and k != "rft.genre"} | {
            "url_ver": ["Z39.88-2004"], "rft.genre": ["book"], "rft_id": [value * 8]}
        started = time.perf_counter()
        openurl.to_csl(kev)
        assert time.perf_counter() - started < 16 * small + 0.5


def test_an_import_of_blank_lines_through_the_list_page_answers_at_once(client, instructor, course):
    """The attack as an outsider sends it: an instructor's import form (or POST
    /api/v1/lists/{id}/import) with a file of 60,000 blank lines and no telling name — the format
    is detected from the text.  Before, detecting it took tens of seconds (quadratic); now the
    answer (nothing to import) comes in well under a second."""
    from syllabus.lists import services

    lst = services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    client.get(f"/api/v1/lists/{lst.pk}")   # the first request loads the URLs and the API's schemas
    started = time.perf_counter()
    page = client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile("readings", b"\r\n" * 60000)},
                       HTTP_HX_REQUEST="true")
    api = client.post(f"/api/v1/lists/{lst.pk}/import",
                      {"file": SimpleUploadedFile("readings", b"@book{k, title={T}, pages={1" + b" " * 60000 + b"2}}")})
    assert time.perf_counter() - started < 5
    assert page.status_code in (200, 400) and api.status_code == 200, (page.status_code, api.content[:300])
    assert api.json()["created"] == 1


def test_a_csv_of_quotes_and_separators_is_read_as_fast_as_a_plain_one():
    """csv.Sniffer's quote guess is quadratic in its sample: 8 KB of ``','`` held a worker for
    seconds at load (security review, session 20); the separator is now found in the first
    kilobyte's lines, so such a file costs what a plain CSV of its size costs."""
    from syllabus.citations import tables

    def read(raw: bytes) -> float:
        started = time.perf_counter()
        try:
            tables.read_table(raw, "list.csv")
        except Exception:  # noqa: BLE001 — a refusal is fine: the time is what is measured
            pass
        return time.perf_counter() - started

    hostile = ("','" * 2730).encode()  # 8 KB, one line
    plain = ("Title,Author\n" + "A book,An author\n" * 480).encode()  # 8 KB of rows
    read(plain)
    assert read(hostile) < 16 * read(plain) + 0.05


@pytest.mark.parametrize("unit", ["A. B. Smith, ", "Smith, A. B., ", "Aaaaaaaaaa", "Smith AB, ", "[1] S. Y. Patel and "])
def test_a_formatted_reference_takes_linear_time(unit):
    """Session 23: a pasted line or Word paragraph (LST-9; read up to 4,000 characters) of one long author list, or
    one 4,000-letter word, took 1–4 seconds — the text before each full stop searched again at each one, a family
    name's letters tried in every split; 12 such lines fit in one paste."""
    from syllabus.citations.references import parse_reference

    small, large = unit * (400 // len(unit)), unit * (3200 // len(unit))
    parse_reference(small)  # warm up
    assert _seconds(parse_reference, large) < 16 * _seconds(parse_reference, small) + 0.5

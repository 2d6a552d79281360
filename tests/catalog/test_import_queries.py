"""LST-9 / DSV-5 at scale: an import links its entries to the catalog records with their ISBN
or DOI through one look-up for the whole file, not a search (and a fetch) per entry."""
from __future__ import annotations

import pytest
from stdnum import ean

from syllabus.lists import catalog_link
from syllabus.lists import services as list_services
from syllabus.lists.models import Citation

pytestmark = pytest.mark.django_db


def _isbn(n: int) -> str:
    stem = f"978000{n:06d}"
    return stem + ean.calc_check_digit(stem)


def _ris(start: int, count: int, identifiers: bool = True) -> str:
    entries = []
    for n in range(start, start + count):
        ident = f"DO  - 10.5555/entry.{n}" if n % 3 == 0 else f"SN  - {_isbn(n)}"
        ident = ident if identifiers else "PB  - Nobody"
        entries.append(f"TY  - {'JOUR' if n % 3 == 0 else 'BOOK'}\nTI  - Entry {n}\n{ident}\nER  - \n")
    return "".join(entries)


@pytest.fixture
def catalog(make_record, inst_a, inst_b):
    """Every other entry has a record: ours, or (ISBN 4, 5) only another member's."""
    records = {"b6": make_record(inst_b, title="Their copy of record 6", DOI="10.5555/entry.6")}  # the lower id
    for n in range(0, 60, 2):
        csl = {"DOI": f"10.5555/entry.{n}"} if n % 3 == 0 else {"ISBN": f"0-00-000000-0 {_isbn(n)}"}
        records[n] = make_record(inst_b if n == 4 else inst_a, title=f"Record {n}", **csl)
    return records


def _import(django_assert_max_num_queries, user, lst, start, count, most, *, identifiers=True):
    with django_assert_max_num_queries(most) as ctx:
        report = catalog_link.import_into_list(user, lst.pk, _ris(start, count, identifiers), filename="refs.ris")
    assert report.created == count
    return len(ctx.captured_queries)


def test_an_import_looks_the_records_up_once_for_all_its_entries(django_assert_max_num_queries, instructor, course,
                                                                 catalog):
    lists = [list_services.create_list(instructor, title=f"List {n}", courses=[course]) for n in range(4)]
    # what the lists app spends on 35 more citations without identifiers (nothing to look up)
    plain = (_import(django_assert_max_num_queries, instructor, lists[0], 0, 40, 10_000, identifiers=False)
             - _import(django_assert_max_num_queries, instructor, lists[1], 0, 5, 10_000, identifiers=False))
    five = _import(django_assert_max_num_queries, instructor, lists[2], 0, 5, 10_000)
    # 35 more entries with an ISBN or a DOI: the citations, and less than one query each for the
    # link (the lists app reads a linked record); a look-up per entry took 6 or more
    _import(django_assert_max_num_queries, instructor, lists[3], 0, 40, five + plain + 35)

    links = dict(Citation.objects.filter(resource_list=lists[3]).values_list("title", "record_id"))
    assert links["Entry 2"] == catalog[2].pk              # by ISBN (its second one)
    assert links["Entry 4"] == catalog[4].pk              # another member's record when we have none
    assert links["Entry 6"] == catalog[6].pk              # by DOI, ours before theirs
    assert links["Entry 1"] is None and links["Entry 3"] is None
    assert sum(1 for v in links.values() if v) == 20

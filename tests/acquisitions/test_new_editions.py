"""New editions (SRV-3; issue 14 acceptance 3): a later edition of the same work is found in the
local catalog and from an Open Library-speaking feed (local fake server); the notice's four actions
(view original, replace item, add to list, decline) do what they say; a different work with the same
title is never offered."""
from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse

from syllabus.catalog.models import Record
from syllabus.org.models import ConfigValue

from .fake_servers import FakeServer, open_library_routes

pytestmark = pytest.mark.django_db

# Introduction to Algorithms (Cormen, Leiserson, Rivest, Stein), MIT Press: 3rd ed. 2009, 4th ed. 2022
CLRS3 = {"title": "Introduction to Algorithms", "author": [{"family": "Cormen", "given": "Thomas H."}],
         "publisher": "MIT Press", "issued": {"date-parts": [[2009]]}, "ISBN": "9780262033848", "edition": "3rd ed.", "type": "book"}


@pytest.fixture
def clrs(instructor, course, inst_a):
    from syllabus.lists import services

    record = Record.objects.create(institution=inst_a, source_id="clrs3", title="Introduction to Algorithms",
                                   creators="Cormen, Thomas H.; Leiserson, Charles E.", year=2009, edition="3rd ed.",
                                   isbn="9780262033848", csl=CLRS3)
    lst = services.create_list(instructor, title="CS201 readings", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    citation = services.add_citation(instructor, lst, section, "book", dict(CLRS3), record=record)
    return lst, citation, record


def _same_title_other_work(inst, year=2023):
    # a different book with the same title (another author): must never be offered
    return Record.objects.create(institution=inst, source_id=f"other-{year}", title="Introduction to Algorithms",
                                 creators="Manber, Udi", year=year, isbn="9780201120370")


def test_local_catalog_by_title_and_author_and_not_a_same_titled_other_work(clrs, instructor, inst_a, api):
    _lst, citation, _record = clrs
    fourth = Record.objects.create(institution=inst_a, source_id="clrs4", title="Introduction to Algorithms",
                                   creators="Cormen, Thomas H.; Leiserson, Charles E.", year=2022, edition="4th ed.",
                                   isbn="9780262046305")
    Record.objects.create(institution=inst_a, source_id="clrs2", title="Introduction to algorithms", creators="Cormen, Thomas H.",
                          year=2001, isbn="9780262032933")     # an earlier edition: not "new"
    _same_title_other_work(inst_a)
    found = api(instructor).post(f"/api/v1/citations/{citation.pk}/new-editions/check").json()["items"]
    assert [(n["source"], n["record_id"], n["year"], n["isbn"]) for n in found] == [("catalog", fourth.pk, 2022, "9780262046305")]


def test_local_catalog_by_work_key_ignores_a_same_titled_other_work(clrs, instructor, inst_a, api):
    _lst, citation, record = clrs
    record.work_key = "oclc-work:1234"
    record.save()
    fourth = Record.objects.create(institution=inst_a, source_id="clrs4", title="Introduction to algorithms, fourth edition",
                                   creators="Cormen, Thomas H.", year=2022, isbn="9780262046305", work_key="oclc-work:1234")
    other = _same_title_other_work(inst_a)
    other.work_key = "oclc-work:9999"
    other.save()
    found = api(instructor).post(f"/api/v1/citations/{citation.pk}/new-editions/check").json()["items"]
    assert [n["record_id"] for n in found] == [fourth.pk]


def test_no_false_positive_for_a_different_work_with_the_same_title(clrs, instructor, inst_a, api):
    _lst, citation, _record = clrs
    _same_title_other_work(inst_a)
    assert api(instructor).post(f"/api/v1/citations/{citation.pk}/new-editions/check").json()["items"] == []


OL_EDITIONS = {
    "/works/OL0000001W": [
        {"key": "/books/OL0000011M", "title": "Introduction to Algorithms", "edition_name": "2nd ed.", "publish_date": "2001",
         "publishers": ["MIT Press"], "isbn_13": ["9780262032933"]},
        {"key": "/books/OL0000012M", "title": "Introduction to Algorithms", "edition_name": "3rd ed.", "publish_date": "2009",
         "publishers": ["MIT Press"], "isbn_13": ["9780262033848"]},
        {"key": "/books/OL0000013M", "title": "Introduction to Algorithms", "edition_name": "Fourth edition",
         "publish_date": "April 5, 2022", "publishers": ["The MIT Press"], "isbn_13": ["9780262046305"]},
    ],
    "/works/OL0000002W": [  # the same title by another author: another work, never asked for
        {"key": "/books/OL0000021M", "title": "Introduction to Algorithms", "publish_date": "2024", "isbn_13": ["9780201120370"]},
    ],
}
OL_ISBN = {"9780262033848": {"key": "/books/OL0000012M", "title": "Introduction to Algorithms", "publish_date": "2009",
                             "works": [{"key": "/works/OL0000001W"}], "isbn_13": ["9780262033848"]}}


def test_open_library_feed_finds_the_later_edition_of_the_same_work_only(clrs, instructor, inst_a, api):
    _lst, citation, _record = clrs
    with FakeServer(open_library_routes(OL_ISBN, OL_EDITIONS)) as server:
        ConfigValue.objects.create(key="editions_feed_url", institution=inst_a, value=server.url)
        found = api(instructor).post(f"/api/v1/citations/{citation.pk}/new-editions/check").json()["items"]
        assert server.requests == ["/isbn/9780262033848.json", "/works/OL0000001W/editions.json?limit=100"]
    assert [(n["source"], n["isbn"], n["year"], n["edition"], n["publisher"]) for n in found] == [
        ("openlibrary", "9780262046305", 2022, "Fourth edition", "The MIT Press")]


def test_feed_down_finds_nothing_and_does_not_break(clrs, instructor, inst_a, api):
    _lst, citation, _record = clrs
    with FakeServer(open_library_routes({}, {})) as server:
        url = server.url
    ConfigValue.objects.create(key="editions_feed_url", institution=inst_a, value=url)
    assert api(instructor).post(f"/api/v1/citations/{citation.pk}/new-editions/check").json()["items"] == []


@pytest.fixture
def notice(clrs, instructor, inst_a, api):
    lst, citation, _record = clrs
    fourth = Record.objects.create(institution=inst_a, source_id="clrs4", title="Introduction to Algorithms",
                                   creators="Cormen, Thomas H.", year=2022, edition="4th ed.", isbn="9780262046305",
                                   publisher="MIT Press")
    found = api(instructor).post(f"/api/v1/citations/{citation.pk}/new-editions/check").json()["items"]
    return lst, citation, fourth, found[0]


def test_view_original_points_at_the_item(notice, instructor, client):
    lst, citation, _fourth, n = notice
    assert n["original_url"] == reverse("lists:edit", args=[lst.pk]) + f"#item-{citation.pk}"
    client.force_login(instructor)
    html = client.get(reverse("lists:edit", args=[lst.pk])).content.decode()
    assert f'id="item-{citation.pk}"' in html and 'data-testid="new-edition-notice"' in html and "View original" in html


def test_replace_item_makes_the_item_the_new_edition(notice, instructor, api):
    _lst, citation, fourth, n = notice
    r = api(instructor).post(f"/api/v1/edition-notices/{n['id']}/replace").json()
    assert r["status"] == "replaced"
    citation.refresh_from_db()
    assert citation.metadata["ISBN"] == "9780262046305" and citation.metadata["issued"] == {"date-parts": [[2022]]}
    assert citation.record_id == fourth.pk
    assert api(instructor).post(f"/api/v1/edition-notices/{n['id']}/add").status_code == 409


def test_add_to_list_keeps_the_original_and_adds_the_new_edition_after_it(notice, instructor, api):
    from syllabus.lists.models import Citation

    lst, citation, fourth, n = notice
    assert api(instructor).post(f"/api/v1/edition-notices/{n['id']}/add").json()["status"] == "added"
    rows = list(Citation.objects.filter(resource_list=lst).order_by("position"))
    assert [c.record_id for c in rows] == [citation.record_id, fourth.pk]
    assert rows[1].metadata["ISBN"] == "9780262046305"


def test_decline_hides_it_for_good(notice, instructor, api):
    _lst, citation, _fourth, n = notice
    assert api(instructor).post(f"/api/v1/edition-notices/{n['id']}/decline").json()["status"] == "declined"
    assert api(instructor).post(f"/api/v1/citations/{citation.pk}/new-editions/check").json()["items"] == []
    citation.refresh_from_db()
    assert citation.metadata["ISBN"] == "9780262033848"


def test_a_purchase_request_starts_from_the_notice(notice, instructor, client):
    from syllabus.acquisitions.models import PurchaseRequest

    lst, citation, _fourth, n = notice
    client.force_login(instructor)
    client.post(reverse("acquisitions:request-purchase", args=[citation.pk]), {"notice": n["id"]})
    req = PurchaseRequest.objects.get()
    assert (req.isbn, req.status) == ("9780262046305", "library_processing")
    citation.refresh_from_db()
    assert "new_edition_purchase_requested" in citation.tags


def test_the_periodic_sweep_raises_the_notice(clrs, inst_a, clock):
    from syllabus.acquisitions.models import EditionNotice
    from syllabus.core.tasks import sweeps

    Record.objects.create(institution=inst_a, source_id="clrs4", title="Introduction to Algorithms", creators="Cormen, Thomas H.",
                          year=2022, isbn="9780262046305")
    sweep = sweeps()["acquisitions.new_editions"]
    assert sweep(clock.now()) == 1
    assert sweep(clock.now()) == 0            # idempotent
    assert EditionNotice.objects.get().isbn == "9780262046305"
    EditionNotice.objects.all().delete()
    assert sweep(clock.now()) == 0            # each item at most once a day
    clock.advance(dt.timedelta(days=1, minutes=1))
    assert sweep(clock.now()) == 1


def test_only_the_lists_editors_see_and_act(notice, student, librarian_b, make_user, api):
    _lst, citation, _fourth, n = notice
    for user in (student, librarian_b, make_user("stranger", group="faculty")):
        assert api(user).post(f"/api/v1/citations/{citation.pk}/new-editions/check").status_code in (403, 404)
        assert api(user).get(f"/api/v1/citations/{citation.pk}/new-editions").status_code in (403, 404)
        for action in ("replace", "add", "decline"):
            assert api(user).post(f"/api/v1/edition-notices/{n['id']}/{action}").status_code in (403, 404)

"""What a new instructor met walking the demo from the README (session 24, outside walk).

- *Resource lists* named a list linked to two sections of one course "HIST101, HIST101" (the
  demo's HIST101-01 and HIST101-LMS), as did the list's own course checkboxes: a course is named
  by its label, ``CODE-SECTION`` (CRS-1), wherever lists name their courses.
- The import form's file picker offered ``.ris``, ``.bib``, ``.bibtex``, ``.txt`` and ``.json`` but
  not ``.biblatex``, which the import reads as BibTeX (LST-9): biber's files were greyed out.
- In French a section's dates read "1 Sep 2026 – 7 Sep 2026" on the student view (Django's "M"
  is the English abbreviation, also in French): now "1 sept. 2026 – 7 sept. 2026" (LST-1).
- The import's report said "(BIBTEX, 90 entries read)": a format is named as people write it.
- *Paste citations* said "no title: it will be looked up by 10.1093/..." under an APA reference
  whose title it had just read: a reference read whole with a DOI is looked up and what is found
  replaces what was read — said so, not "no title" (LST-9).
"""
from __future__ import annotations

import datetime as dt
import re

import pytest

from syllabus.citations import formats
from syllabus.lists import services
from tests.factories import CourseFactory

pytestmark = pytest.mark.django_db

APA_WITH_DOI = ("Thompson, E. P. (1967). Time, work-discipline, and industrial capitalism. Past & Present, 38, "
                "56–97. https://doi.org/10.1093/past/38.1.56")


@pytest.fixture
def two_sections(inst_a, instructor, course):
    course.section = "01"
    course.save()
    lms = CourseFactory(institution=inst_a, code="HIST101", section="LMS", name="Introduction to Modern History",
                        term=course.term)
    lms.instructors.add(instructor)
    return course, lms


def test_crs1_my_lists_and_the_editor_name_each_course_by_its_section(client, instructor, two_sections):
    first, lms = two_sections
    lst = services.create_list(instructor, title="Readings", courses=[first, lms])
    client.force_login(instructor)
    mine = client.get("/lists/").content.decode()
    row = mine.split('data-testid="my-lists"')[1].split("</tr>")[1]
    assert "HIST101-01, HIST101-LMS" in row and "HIST101, HIST101" not in row
    editor = client.get(f"/lists/{lst.pk}/edit/").content.decode()
    assert re.search(rf'value="{first.pk}" checked> HIST101-01 ', editor)
    assert re.search(rf'value="{lms.pk}" checked> HIST101-LMS ', editor)


def test_lst9_the_import_picker_offers_every_suffix_the_import_reads(client, instructor, course):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    client.force_login(instructor)
    html = client.get(f"/lists/{lst.pk}/edit/").content.decode()
    accept = re.search(r'id="import-file-\d+" name="file" accept="([^"]+)"', html).group(1).split(",")
    assert ".biblatex" in accept and ".bib" in accept and ".ris" in accept
    for suffix in accept:  # each one the import reads by its name
        assert formats.detect("", f"refs{suffix}") in ("ris", "bibtex", "csl-json") or suffix == ".txt"


def test_lst9_a_pasted_reference_read_whole_with_a_doi_is_not_said_to_lack_its_title(api, instructor, course):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    services.add_section(instructor, lst, title="Week 1")
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/paste/preview", {"text": f"{APA_WITH_DOI}\n10.1017/S0022050700068492"})
    assert r.status_code == 200, r.content
    apa, bare = r.json()["rows"]
    assert apa["csl"]["title"] == "Time, work-discipline, and industrial capitalism" and not apa["review"]
    assert apa["problems"] == ["it will be looked up by 10.1093/past/38.1.56: what is found there replaces what was read"]
    assert bare["review"] and bare["problems"] == ["no title: it will be looked up by 10.1017/S0022050700068492"]


def test_lst9_the_import_report_names_the_format_as_people_write_it(client, instructor, course):
    from django.core.files.uploadedfile import SimpleUploadedFile

    lst = services.create_list(instructor, title="Readings", courses=[course])
    services.add_section(instructor, lst, title="Week 1")
    client.force_login(instructor)
    bib = b"@book{austen, author = {Austen, Jane}, title = {Pride and Prejudice}, publisher = {Penguin}, year = {2003}}"
    r = client.post(f"/catalog/lists/{lst.pk}/import/", {"file": SimpleUploadedFile("refs.biblatex", bib)},
                    HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert r.status_code == 200 and "(BibTeX, 1 entry read)" in html and "BIBTEX" not in html


@pytest.mark.parametrize("language, dates", [("fr", "1 sept. 2026 – 7 sept. 2026"), ("en", "1 Sept. 2026 – 7 Sept. 2026")])
def test_lst1_a_sections_dates_are_in_the_readers_language(client, instructor, student, course, language, dates):
    lst = services.create_list(instructor, title="Readings", courses=[course])
    services.add_section(instructor, lst, title="Week 1", start_date=dt.date(2026, 9, 1), end_date=dt.date(2026, 9, 7))
    services.publish_list(instructor, lst)
    client.force_login(student)
    client.cookies["django_language"] = language
    html = client.get(f"/lists/{lst.pk}/").content.decode()
    assert dates in html and "Sep 2026" not in html

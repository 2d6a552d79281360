"""LST-7: the librarian task list — tabs, assignment, filters (list status, course, term,
department, items by status or any registered item filter), sort by name, status, course code."""
import pytest
from django.db.models import Q

from syllabus.lists import selectors, services
from syllabus.lists.workflow import ItemStatus, ListStatus
from tests.factories import CourseFactory

from .conftest import BOOK


@pytest.fixture
def university(instructor, librarian, librarian2, inst_a):
    """Four lists in different states, courses, terms and departments."""
    made = {}
    for code, term, dept, title in (("HIST230", "2026S", "History", "Industrial Revolution"),
                                    ("ENGL245", "2026S", "English", "Victorian Novel"),
                                    ("BIOL210", "2026F", "Biology", "Genetics"),
                                    ("ARTH120", "2026F", "Art History", "Renaissance Art")):
        c = CourseFactory(institution=inst_a, code=code, term=term, department=dept)
        c.instructors.add(instructor)
        lst = services.create_list(instructor, title=title, courses=[c])
        services.add_citation(instructor, lst, None, "book", BOOK)
        made[code] = lst
    services.send_list(instructor, made["HIST230"])
    services.send_list(instructor, made["ENGL245"])
    services.assign_list(librarian, made["ENGL245"], "librarian")
    services.send_list(instructor, made["BIOL210"])
    services.assign_list(librarian2, made["BIOL210"], "librarian2")
    services.set_list_status(librarian2, made["BIOL210"], ListStatus.COMPLETE)
    return made


def _titles(api_client, **params):
    r = api_client.get("/api/v1/librarian/lists", params)
    assert r.status_code == 200, r.content
    return [row["title"] for row in r.json()["items"]]


def test_tabs_split_lists_by_assignee(api, librarian, university):
    lib = api(librarian)
    assert _titles(lib, tab="mine") == ["Victorian Novel"]
    assert _titles(lib, tab="unassigned") == ["Industrial Revolution", "Renaissance Art"]
    assert _titles(lib, tab="others") == ["Genetics"]
    counts = lib.get("/api/v1/librarian/lists", {"tab": "mine"}).json()["tab_counts"]
    assert counts == {"mine": 1, "unassigned": 2, "others": 1}


def test_assign_to_another_librarian_and_back_to_nobody(api, librarian, university):
    lib = api(librarian)
    lst = university["HIST230"]
    assert lib.post(f"/api/v1/lists/{lst.pk}/assign", {"username": "librarian2"}).json()["assignee"] == "librarian2"
    assert "Industrial Revolution" in _titles(lib, tab="others")
    assert lib.post(f"/api/v1/lists/{lst.pk}/assign", {"username": None}).json()["assignee"] is None
    assert "Industrial Revolution" in _titles(lib, tab="unassigned")


def test_filters(api, librarian, university):
    lib = api(librarian)
    assert _titles(lib, tab="unassigned", status="sent_to_library") == ["Industrial Revolution"]
    assert _titles(lib, tab="unassigned", status="being_prepared") == ["Renaissance Art"]
    assert _titles(lib, tab="unassigned", course="hist230") == ["Industrial Revolution"]
    assert _titles(lib, tab="unassigned", term="2026F") == ["Renaissance Art"]
    assert _titles(lib, tab="unassigned", department="art history") == ["Renaissance Art"]
    assert _titles(lib, tab="unassigned", item_status="ready_for_processing") == ["Industrial Revolution"]
    assert _titles(lib, tab="unassigned", item_status="being_prepared") == ["Renaissance Art"]
    assert _titles(lib, tab="unassigned", open_tasks="true") == ["Industrial Revolution"]
    assert _titles(lib, tab="unassigned", q="renaissance") == ["Renaissance Art"]
    r = lib.get("/api/v1/librarian/lists", {"item_status": "nonsense"})
    assert r.status_code == 400 and r.json()["rule"] == "LST-7"


def test_sorting_by_name_status_and_course_code(api, librarian, university, instructor):
    services.assign_list(librarian, university["HIST230"], "librarian")
    services.assign_list(librarian, university["ARTH120"], "librarian")
    lib = api(librarian)
    assert _titles(lib, tab="mine", sort="name") == ["Industrial Revolution", "Renaissance Art", "Victorian Novel"]
    assert _titles(lib, tab="mine", sort="-name") == ["Victorian Novel", "Renaissance Art", "Industrial Revolution"]
    assert _titles(lib, tab="mine", sort="code") == ["Renaissance Art", "Victorian Novel", "Industrial Revolution"]
    services.set_list_status(librarian, university["ENGL245"], ListStatus.IN_PROCESS)
    assert _titles(lib, tab="mine", sort="status") == ["Renaissance Art", "Industrial Revolution", "Victorian Novel"]
    r = lib.get("/api/v1/librarian/lists", {"sort": "colour"})
    assert r.status_code == 400 and r.json()["rule"] == "LST-7"


def test_other_apps_register_item_filters(api, librarian, university):
    """The digitization app will add "digitization requested"; any registered filter works."""
    selectors.register_item_filter("has_isbn", "Has an ISBN", lambda: Q(metadata__ISBN__isnull=False) & ~Q(type="website"))
    try:
        assert len(_titles(api(librarian), tab="unassigned", item_status="has_isbn")) == 2
        assert "has_isbn" in api(librarian).get("/api/v1/list-vocabulary").json()["item_filters"]
    finally:
        selectors.ITEM_FILTERS.pop("has_isbn")


def test_the_task_list_counts_ready_items_and_open_tasks(api, librarian, instructor, university):
    lst = university["HIST230"]
    services.update_citation(instructor, lst.citations.get(), public_note="new note")
    row = next(r for r in api(librarian).get("/api/v1/librarian/lists", {"tab": "unassigned"}).json()["items"]
               if r["id"] == lst.pk)
    assert row["items"] == 1 and row["ready_for_processing"] == 1 and row["open_tasks"] == 2
    assert row["courses"][0]["code"] == "HIST230"


def test_lists_of_another_institution_never_show(api, make_user, inst_b, university):
    from syllabus.org.roles import Role

    foreign = make_user("lib-b", institution=inst_b, roles=[Role.COURSE_RESERVES_OPERATOR])
    assert _titles(api(foreign), tab="unassigned") == []
    assert api(foreign).post(f"/api/v1/lists/{university['HIST230'].pk}/assign", {"username": "lib-b"}).status_code == 404


def test_tasks_are_marked_done(api, librarian, university):
    lst = university["HIST230"]
    tasks = api(librarian).get(f"/api/v1/lists/{lst.pk}/tasks").json()["items"]
    assert [t["kind"] for t in tasks] == ["list_sent"]
    r = api(librarian).post(f"/api/v1/librarian/tasks/{tasks[0]['id']}/done")
    assert r.status_code == 200 and r.json()["resolved_at"]
    assert api(librarian).get(f"/api/v1/lists/{lst.pk}/tasks").json()["items"] == []


def test_item_status_filter_on_the_list_detail(client, librarian, instructor, university):
    lst = university["HIST230"]
    services.add_citation(instructor, lst, None, "website", {"title": "A site", "URL": "https://example.org/"})
    client.force_login(librarian)
    page = client.get(f"/lists/{lst.pk}/library/?item_status=ready_for_processing").content.decode()
    assert page.count('data-testid="library-item"') == 1
    page = client.get(f"/lists/{lst.pk}/library/").content.decode()
    assert page.count('data-testid="library-item"') == 2
    assert str(ItemStatus.COMPLETE.label) in page

"""Two editors adding items to the same section at the same time get distinct positions (the
list row is locked while positions are counted), and two librarians assigning the same list at
once leave exactly one assignee and one audit entry each (LST-1, LST-7)."""
import pytest

from syllabus.core.audit import trail
from syllabus.lists import services
from syllabus.lists.models import Citation
from tests.concurrency import at_once

pytestmark = pytest.mark.django_db(transaction=True)


def _run_together(*funcs):
    _results, _refused, errors = at_once(funcs)
    assert not errors, errors


def test_concurrent_additions_get_distinct_positions(instructor, make_user, course):
    lst = services.create_list(instructor, title="Shared", courses=[course])
    section = services.add_section(instructor, lst, title="Week 1")
    ta = make_user("ta-c", group="postgraduate")
    services.update_list(instructor, lst, collaborators=["ta-c"])

    def adder(user, prefix):
        def run():
            for n in range(5):
                services.add_citation(user, lst, section, "book", {"title": f"{prefix} {n}"})
        return run

    _run_together(adder(instructor, "A"), adder(ta, "B"))
    positions = list(Citation.objects.filter(section=section).order_by("position").values_list("position", flat=True))
    assert positions == list(range(10))


def test_concurrent_assignment_leaves_one_assignee(instructor, librarian, make_user, course):
    from syllabus.org.roles import Role

    other = make_user("lib-c2", group="staff", roles=[Role.COURSE_RESERVES_OPERATOR])
    lst = services.create_list(instructor, title="Contested", courses=[course])
    services.add_citation(instructor, lst, None, "book", {"title": "A book"})
    services.send_list(instructor, lst)
    _run_together(lambda: services.assign_list(librarian, lst, "librarian"),
                  lambda: services.assign_list(other, lst, "lib-c2"))
    lst.refresh_from_db()
    assert lst.assignee in (librarian, other)
    assigned = [e for e in trail(lst) if e.action == "assigned"]
    assert 1 <= len(assigned) <= 2 and assigned[0].note == lst.assignee.username  # the last one wins, both recorded


def test_lst7_assigning_to_a_full_width_username_assigns_that_librarian(instructor, librarian, course):
    """The assignee a librarian types is read in NFKC (User.normalize_username), like the sign-in form."""
    from tests.conftest import full_width

    lst = services.create_list(instructor, title="Wide", courses=[course])
    services.add_citation(instructor, lst, None, "book", {"title": "A book"})
    services.send_list(instructor, lst)
    services.assign_list(librarian, lst, full_width("librarian"))
    lst.refresh_from_db()
    assert lst.assignee == librarian

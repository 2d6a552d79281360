"""What every signed-in page pays (issue 19): the person, whether they hold any role and the
menu's badges come in one query with them; the menu is computed once per request and its URLs
once per process.  Each saving keeps the page exact: a change shows on the next page at once,
and nothing of one person's reaches another's page."""
from __future__ import annotations

import pytest
from django.test import RequestFactory

from syllabus.notify.models import Notification

pytestmark = pytest.mark.django_db


def _bell(n: int) -> str:
    return f'aria-label="{n} new">{n}</span>'


def test_a_warm_signed_in_page_reads_a_bounded_number_of_queries(client, student, course, django_assert_max_num_queries):
    """Home of a student: the session, the person (with role presence and badges), their
    institution's configuration, the courses taught and enrolled — nothing per menu entry."""
    client.force_login(student)
    assert client.get("/").status_code == 200
    with django_assert_max_num_queries(5):
        assert client.get("/").status_code == 200


def test_a_staff_page_still_reads_the_roles_once(client, librarian, django_assert_max_num_queries):
    client.force_login(librarian)
    first = client.get("/")
    assert 'data-testid="nav-back_office"' in first.content.decode()
    with django_assert_max_num_queries(12):  # session, person, configuration, roles, a few badges
        assert client.get("/").status_code == 200


def test_the_bell_counts_a_new_notification_at_once_and_only_for_its_person(client, student, make_user):
    other = make_user("someone-else")
    client.force_login(student)
    assert 'class="badge"' not in client.get("/").content.decode()
    Notification.objects.create(user=student, letter="x", subject="One")
    assert _bell(1) in client.get("/").content.decode()
    Notification.objects.create(user=student, letter="x", subject="Two")
    assert _bell(2) in client.get("/").content.decode()
    client.force_login(other)
    assert 'class="badge"' not in client.get("/").content.decode()


def test_marking_read_in_the_same_request_shows_in_that_requests_menu(student):
    """The badge read with the person is dropped when the request marks notifications read."""
    from syllabus.notify.services import mark_all_notifications_read
    from syllabus.org.backends import SyllabusBackend
    from syllabus.web.context_processors import shell

    Notification.objects.create(user=student, letter="x", subject="One")
    user = SyllabusBackend().get_user(student.pk)
    request = RequestFactory().get("/")
    request.user = user
    assert [e["badge"] for g in shell(request)["nav_menu"] for e in g["entries"] if e["name"] == "notify:list"] == [1]
    mark_all_notifications_read(user)
    assert [e["badge"] for g in shell(request)["nav_menu"] for e in g["entries"] if e["name"] == "notify:list"] == [0]


def test_library_discussion_shows_as_soon_as_the_person_owns_a_list(client, instructor, course):
    from syllabus.lists import services

    client.force_login(instructor)
    assert "Library discussion" not in client.get("/").content.decode()
    services.create_list(instructor, title="A new list", courses=[course])
    assert "Library discussion" in client.get("/").content.decode()


def test_a_role_granted_shows_the_back_office_on_the_next_page_and_a_role_removed_hides_it(client, student):
    from syllabus.org.models import RoleAssignment
    from syllabus.org.roles import Role
    from syllabus.org.services import assign_role

    client.force_login(student)
    assert 'data-testid="nav-back_office"' not in client.get("/").content.decode()
    assign_role(student, Role.COURSE_RESERVES_OPERATOR)
    assert 'data-testid="nav-back_office"' in client.get("/").content.decode()
    RoleAssignment.objects.filter(user=student).delete()
    assert 'data-testid="nav-back_office"' not in client.get("/").content.decode()


def test_the_menu_is_in_the_readers_language_whatever_was_rendered_before(client, student):
    """Entries are sorted and reversed once per process: the labels still follow each request's language."""
    client.force_login(student)
    english = client.get("/", headers={"accept-language": "en"}).content.decode()
    client.cookies["django_language"] = "fr"
    french = client.get("/").content.decode()
    assert "Courses" in english and ">Cours<" in french and ">Courses<" not in french


def test_a_session_of_a_deactivated_person_ends_at_once(client, student):
    client.force_login(student)
    assert client.get("/").status_code == 200
    student.is_active = False
    student.save(update_fields=["is_active"])
    assert client.get("/").status_code == 302


def test_the_backend_reads_what_was_registered_with_the_person(student):
    from syllabus.org.backends import SIGNED_IN_READS, SyllabusBackend

    assert {"unread_notifications", "discussion_instructor"} <= set(SIGNED_IN_READS)
    user = SyllabusBackend().get_user(student.pk)
    assert user._nav_memo["unread_notifications"] == 0 and user._nav_memo["discussion_instructor"] is False
    assert user._role_cache == [] and not user.is_back_office
    assert not any(name.startswith("_signed_in_") for name in vars(user))


def test_the_kept_menu_marks_the_current_page_of_each_request(client, student):
    client.force_login(student)
    home = client.get("/").content.decode()
    courses = client.get("/courses/").content.decode()
    assert '<a href="/" aria-current="page">' in home and '<a href="/courses/" aria-current="page">' not in home
    assert '<a href="/courses/" aria-current="page">' in courses and '<a href="/" aria-current="page">' not in courses


def test_the_kept_menu_is_never_another_persons(client, student, librarian):
    """A librarian's menu (back office, badges) rendered first never shows on a student's page."""
    client.force_login(librarian)
    assert 'data-testid="nav-back_office"' in client.get("/").content.decode()
    client.force_login(student)
    page = client.get("/").content.decode()
    assert 'data-testid="nav-back_office"' not in page and "Task list" not in page


def test_a_time_zone_configured_in_another_worker_shows_at_once(client, student, inst_a, library_a):
    """The configured zone is read with the request's configuration, not kept per process: a
    change made by another worker (no signal reaches this one) shows on the next page."""
    from syllabus.org import config
    from syllabus.org.models import ConfigValue

    config.set_value("time_zone", "Asia/Tokyo", institution=inst_a)
    client.force_login(student)
    assert "Times are in Asia/Tokyo." in client.get("/circulation/card/").content.decode()
    ConfigValue.objects.filter(key="time_zone", institution=inst_a).update(value="Europe/Paris")  # as another worker
    assert "Times are in Europe/Paris." in client.get("/circulation/card/").content.decode()

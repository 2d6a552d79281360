"""Acceptance 7 (issue 2): in Chromium, the instructor signs in, searches a course, sees it,
and switches the language."""
import re

import pytest
from playwright.sync_api import expect

from tests.factories import CourseFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_instructor_signs_in_searches_a_course_and_switches_language(page, login, course, inst_a):
    CourseFactory(institution=inst_a, code="BIO200", name="Genetics")
    login("instructor")
    expect(page.get_by_test_id("brand")).to_have_text("Institution A")
    expect(page.get_by_role("heading", name="Courses you teach")).to_be_visible()

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Courses").click()
    page.get_by_label("Code, name or instructor").fill("HIST101")
    page.get_by_role("button", name="Search").click()
    results = page.locator("#course-results")
    expect(results.get_by_role("link", name="HIST101-01")).to_be_visible()
    expect(results).not_to_contain_text("BIO200")
    expect(page.get_by_test_id("course-count")).to_have_text("1 course")

    page.get_by_label("Language").select_option("fr")
    expect(page.get_by_role("heading", name="Recherche de cours")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("button", name="Rechercher")).to_be_visible()


def test_the_institution_default_language_applies_until_the_user_chooses(page, login, course, inst_a):
    from syllabus.org import config

    config.set_value("default_language", "fr", institution=inst_a)
    login("instructor")
    expect(page.get_by_role("heading", name="Cours que vous enseignez")).to_be_visible()
    page.get_by_label("Langue").select_option("en")
    expect(page.get_by_role("heading", name="Courses you teach")).to_be_visible()


def test_a_student_sees_no_back_office(page, login, course):
    login("student")
    nav = page.get_by_role("navigation", name="Main")
    expect(nav).to_contain_text("Resource lists")
    expect(nav).to_contain_text("Library")          # the library's services, one menu (issue 12)
    expect(nav).not_to_contain_text("Back office")


def test_a_wrong_password_is_refused(page, course):
    page.goto("/login/")
    page.fill("#id_username", "instructor")
    page.fill("#id_password", "wrong")
    page.click("button[type=submit]")
    expect(page.get_by_role("alert")).to_contain_text("didn't match")
    assert re.search(r"/login/", page.url)

"""ORG-MERGE in Chromium: a General System Administrator names two accounts, sees what the merge
will move — with a DIG-7 excess the merge leaves, nothing cancelled — and confirms; the merged
account is deactivated and its requests are the target's.  Any other role is refused the page,
with the rule.  axe finds no serious or critical violation on the form, the preview, the result
and the duplicates page (WCAG 2.1 AA)."""
from __future__ import annotations

import pytest
from playwright.sync_api import expect

from syllabus.org.roles import Role
from tests.web.test_accessibility import check

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def accounts(make_user, groups, inst_a, library_a):
    from syllabus.catalog.models import Item, Record
    from syllabus.fulfillment import services

    fadmin = make_user("fadmin", group="staff", roles=[Role.FULFILLMENT_ADMINISTRATOR])
    services.save_edd_rule(fadmin, inst_a, name="Everyone", user_groups=[], allowed=True)
    services.set_patron_limit(fadmin, groups["undergraduate"], 1)
    record = Record.objects.create(institution=inst_a, source_id="mb-1", title="Middlemarch", year=1871)
    Item.objects.create(record=record, library=library_a, barcode="MB0001")
    source = make_user("lms-ana", first_name="Ana", last_name="Lima", email="ana@lms.uni.edu")
    target = make_user("ana", first_name="Ana", last_name="Lima", email="ana@uni.edu")
    for person in (source, target):
        services.request_from_record(person, record, {})
    make_user("gsa", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR])
    return source, target


def test_org_merge_a_general_system_administrator_previews_then_confirms(page, login, accounts):
    from syllabus.fulfillment.models import DigitizationRequest

    source, target = accounts
    login("gsa")
    page.goto("/people/duplicates/")
    check(page, page.title())
    row = page.get_by_test_id("duplicates").get_by_role("row").filter(has_text="ana@lms.uni.edu")
    expect(row.get_by_test_id("duplicate-why")).to_contain_text("Same name")
    row.get_by_role("link", name="Merge lms-ana into ana…").click()
    page.wait_for_url("**/people/merge/?source=lms-ana&target=ana")
    expect(page.get_by_label("Account that goes away (username)")).to_have_value("lms-ana")
    expect(page.get_by_label("Account that stays (username)")).to_have_value("ana")
    check(page, page.title())

    page.get_by_role("button", name="Show what will move").click()
    preview = page.get_by_test_id("merge-preview")
    expect(preview).to_contain_text("Merging lms-ana into ana will move")
    expect(preview).to_contain_text("digitization and copyright requests: 1")
    expect(page.get_by_test_id("merge-over-limits")).to_contain_text(
        "DIG-7: ana will have 2 open digitization requests, over the limit of 1")
    check(page, page.title())
    source.refresh_from_db()
    assert source.is_active          # the preview changed nothing

    page.get_by_test_id("merge-apply").click()
    expect(page.get_by_text("lms-ana was merged into ana and deactivated.")).to_be_visible()
    expect(page.get_by_text("DIG-7: ana now has 2 open digitization requests, over the limit of 1")).to_be_visible()
    expect(page.get_by_test_id("merge-preview")).to_have_count(0)
    check(page, page.title())
    source.refresh_from_db()
    assert not source.is_active and source.merged_into_id == target.pk
    assert DigitizationRequest.objects.filter(requester=target).count() == 2   # nothing cancelled


def test_org_merge_a_refusal_on_the_page_names_the_rule(page, login, accounts):
    login("gsa")
    page.goto("/people/merge/")
    page.get_by_label("Account that goes away (username)").fill("ana")
    page.get_by_label("Account that stays (username)").fill("ana")
    page.get_by_role("button", name="Show what will move").click()
    expect(page.get_by_test_id("merge-error")).to_have_text("ORG-MERGE: the source and the target are the same account")
    check(page, page.title())


@pytest.mark.parametrize("role", [Role.FULFILLMENT_ADMINISTRATOR, Role.COURSE_RESERVES_OPERATOR, "student"])
def test_org_merge_other_roles_are_refused_the_pages(page, login, accounts, make_user, role):
    make_user("someone", roles=[role] if role in Role.values else [])
    login("someone")
    for address in ("/people/merge/?source=lms-ana&target=ana", "/people/duplicates/"):
        response = page.goto(address)
        assert response.status == 403
        expect(page.get_by_test_id("rule-error")).to_have_text(
            "ORG-MERGE: only a General System Administrator merges accounts")
        expect(page.get_by_role("button", name="Show what will move")).to_have_count(0)
        check(page, page.title())
    accounts[0].refresh_from_db()
    assert accounts[0].is_active

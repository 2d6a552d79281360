"""CON-1: the Consortium Administrator sets consortium-level values in the API and the pages;
members override unless the consortium locked the setting."""
import pytest

from syllabus.org import config

pytestmark = pytest.mark.django_db


def test_consortium_admin_sets_a_value_for_every_member_through_the_config_api(api, consortium_admin, inst_a, inst_b):
    r = api(consortium_admin).put("/api/v1/config/max_upload_mb_student", {"value": 9, "level": "consortium"})
    assert r.status_code == 200 and r.json()["value"] == 9 and r.json()["source"] == "consortium"
    assert config.resolve("max_upload_mb_student", institution=inst_a) == (9, "consortium")
    assert config.resolve("max_upload_mb_student", institution=inst_b) == (9, "consortium")


@pytest.mark.parametrize("who", ["admin_user", "librarian", "student"])
def test_only_a_consortium_admin_sets_consortium_values(api, request, who, inst_a):
    user = request.getfixturevalue(who)
    for r in (api(user).put("/api/v1/config/max_upload_mb_student", {"value": 9, "level": "consortium"}),
              api(user).put("/api/v1/consortium/config/max_upload_mb_student", {"value": 9}),
              api(user).get("/api/v1/consortium/config")):
        assert r.status_code == 403 and r.json()["rule"] == "CON-1"
    assert config.resolve("max_upload_mb_student", institution=inst_a)[1] == "default"


def test_a_member_override_wins_until_the_consortium_locks_the_setting(api, consortium_admin, admin_user, inst_a, inst_b, consortium):
    cadmin = api(consortium_admin)
    assert cadmin.put("/api/v1/consortium/config/library_discussion", {"value": "list"}).status_code == 200
    assert api(admin_user).put("/api/v1/config/library_discussion", {"value": "off"}).status_code == 200
    assert config.get("library_discussion", institution=inst_a) == "off"
    assert config.get("library_discussion", institution=inst_b) == "list"
    row = cadmin.get("/api/v1/consortium/config", {"limit": 100}).json()["items"]
    row = next(r for r in row if r["key"] == "library_discussion")
    assert row["value"] == "list" and row["overrides"] == ["inst-a"] and row["locked"] is False

    locked = cadmin.put("/api/v1/consortium/config/library_discussion", {"value": "list", "locked": True}).json()
    assert locked["locked"] is True and locked["overrides"] == []
    assert config.get("library_discussion", institution=inst_a) == "list"       # the override went
    refused = api(admin_user).put("/api/v1/config/library_discussion", {"value": "off"})
    assert refused.status_code == 400 and refused.json()["rule"] == "CON-1"
    assert config.get("library_discussion", institution=inst_a) == "list"

    unlocked = cadmin.put("/api/v1/consortium/config/library_discussion", {"locked": False}).json()
    assert unlocked["locked"] is False and unlocked["value"] == "list"      # the value is kept
    assert api(admin_user).put("/api/v1/config/library_discussion", {"value": "item"}).status_code == 200
    assert config.get("library_discussion", institution=inst_a) == "item"


def test_the_consortium_configuration_page(client, consortium_admin, inst_a, inst_b):
    client.force_login(consortium_admin)
    page = client.get("/consortium/config/")
    assert page.status_code == 200 and b'data-testid="setting-external_links_enabled"' in page.content
    r = client.post("/consortium/config/external_links_enabled/", {"value": "false", "locked": "on"})
    assert r.status_code == 302
    assert config.resolve("external_links_enabled", institution=inst_b) == (False, "consortium")
    bad = client.post("/consortium/config/hold_pickup_days/", {"value": "soon"})
    assert bad.status_code == 400 and b"ORG-4" in bad.content


@pytest.mark.parametrize("who", ["admin_user", "librarian", "student", "instructor"])
def test_the_page_is_refused_to_everyone_else(client, request, who):
    client.force_login(request.getfixturevalue(who))
    assert client.get("/consortium/config/").status_code == 403
    assert client.post("/consortium/config/external_links_enabled/", {"value": "false"}).status_code == 403

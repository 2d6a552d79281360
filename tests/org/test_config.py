"""ORG-4: configuration resolved library → institution → consortium → default."""
import pytest

from syllabus.core.errors import RuleViolation
from syllabus.org import config


def test_nearest_explicit_value_wins(consortium, inst_a, inst_b, library_a, library_b):
    config.set_value("max_upload_mb_instructor", 50, consortium=consortium)
    config.set_value("max_upload_mb_instructor", 100, institution=inst_a)
    assert config.get("max_upload_mb_instructor", library=library_a) == 100
    assert config.get("max_upload_mb_instructor", library=library_b) == 50
    assert config.resolve("max_upload_mb_instructor", library=library_b) == (50, "consortium")
    config.set_value("max_upload_mb_instructor", 7, library=library_b)
    assert config.resolve("max_upload_mb_instructor", library=library_b) == (7, "library")


def test_default_applies_when_nothing_is_set(library_a):
    assert config.resolve("max_upload_mb_instructor", library=library_a) == (20, "default")


def test_a_value_of_the_wrong_type_is_refused(inst_a):
    with pytest.raises(RuleViolation) as exc:
        config.set_value("max_upload_mb_instructor", "lots", institution=inst_a)
    assert exc.value.rule == "ORG-4"
    with pytest.raises(RuleViolation):
        config.set_value("library_discussion", "sometimes", institution=inst_a)


def test_config_is_readable_through_the_api(api, admin_user, library_a, consortium):
    config.set_value("max_upload_mb_instructor", 50, consortium=consortium)
    rows = {r["key"]: r for r in api(admin_user).get("/api/v1/config", {"library": "lib-a1"}).json()["items"]}
    assert rows["max_upload_mb_instructor"]["value"] == 50
    assert rows["max_upload_mb_instructor"]["source"] == "consortium"


def test_only_an_administrator_sets_config_through_the_api(api, admin_user, student, inst_a):
    denied = api(student).put("/api/v1/config/max_upload_mb_student", {"value": 9})
    assert denied.status_code == 403 and denied.json()["rule"] == "ORG-4"
    ok = api(admin_user).put("/api/v1/config/max_upload_mb_student", {"value": 9})
    assert ok.status_code == 200 and ok.json()["value"] == 9 and ok.json()["source"] == "institution"


def test_configuration_is_read_only_within_ones_own_institution(api, admin_user, student, make_user, inst_b, library_b):
    """Issue 18 item 8 (ORG-4): another institution's user cannot read an institution's or its
    libraries' configuration, nor learn that the library exists; its administrator cannot set it."""
    from syllabus.org import config

    config.set_value("max_upload_mb_student", 3, library=library_b)
    for user in (student, admin_user):
        r = api(user).get("/api/v1/config", {"library": library_b.code})
        assert r.status_code == 404 and r.json()["rule"] == "ORG-4" and "max_upload_mb_student" not in r.content.decode()
        assert api(user).get("/api/v1/config", {"library": "no-such-library"}).status_code == 404
    r = api(admin_user).put("/api/v1/config/max_upload_mb_student", {"value": 9, "level": "library", "library": library_b.code})
    assert r.status_code == 404 and r.json()["rule"] == "ORG-4"
    assert config.get("max_upload_mb_student", library=library_b) == 3
    outsider = make_user("outsider", institution=inst_b)
    mine = {row["key"]: row for row in api(outsider).get("/api/v1/config", {"library": library_b.code, "limit": 200}).json()["items"]}
    assert mine["max_upload_mb_student"]["value"] == 3

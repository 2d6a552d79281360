"""The configuration page reads every section through its form (issue 17): what an administrator
submits lands in the configuration, switches sent as "off" switch off, a number out of bounds or
a row id that is no number is refused with the rule, not a server error."""
from __future__ import annotations

from syllabus.fulfillment.models import CopyrightOption, DisplayLogicRule, EddRule, FormField

URL = "/services/configuration/"


def test_edd_rule_created_switched_off_and_on(client, fadmin):
    client.force_login(fadmin)
    r = client.post(URL, {"section": "edd", "name": "Staff only", "position": "3", "user_groups": ["staff", "faculty"],
                          "allowed": "on"})
    assert r.status_code == 302
    rule = EddRule.objects.get(name="Staff only")
    assert (rule.position, sorted(rule.user_groups), rule.allowed, rule.enabled) == (3, ["faculty", "staff"], True, True)
    r = client.post(URL, {"section": "edd_enabled", "rule": rule.pk, "enabled": "off"})
    assert r.status_code == 302
    rule.refresh_from_db()
    assert rule.enabled is False
    client.post(URL, {"section": "edd_enabled", "rule": rule.pk, "enabled": "on"})
    rule.refresh_from_db()
    assert rule.enabled is True


def test_request_form_fields_display_rule_and_copyright_option(client, fadmin, inst_a):
    client.force_login(fadmin)
    r = client.post(URL, {"section": "form", "display_chapters": "on", "default_chapters": "1-2",
                          "display_pages": "off", "display_notes": "on"})
    assert r.status_code == 302
    shown = {f.field: (f.display, f.default) for f in FormField.objects.filter(institution=inst_a)}
    assert shown["chapters"] == (True, "1-2") and shown["pages"][0] is False and shown["notes"][0] is True
    r = client.post(URL, {"section": "copyright", "code": " own ", "label": " My own work ", "copyright_status": "self_declared"})
    assert r.status_code == 302
    assert CopyrightOption.objects.filter(institution=inst_a, code="own", label="My own work").exists()
    r = client.post(URL, {"section": "display", "service": "digitization", "condition": "always", "has_active": "1"})
    assert r.status_code == 302
    assert DisplayLogicRule.objects.filter(institution=inst_a, service="digitization", active=False).exists()


def test_numbers_and_row_ids_are_bounded(client, fadmin, dept):
    client.force_login(fadmin)
    r = client.post(URL, {"section": "edd", "name": "Big", "position": "99999999999999999999"})
    assert r.status_code == 400 and b"DIG-7" in r.content and not EddRule.objects.filter(name="Big").exists()
    r = client.post(URL, {"section": "limits", "limit_undergraduate": "two"})
    assert r.status_code == 400 and b"DIG-7" in r.content and b"whole number" in r.content
    r = client.post(URL, {"section": "edd_enabled", "rule": "abc", "enabled": "on"})
    assert r.status_code == 400 and b"DIG-6" in r.content
    r = client.post(URL, {"section": "department_active", "department": str(dept.pk + 1000), "active": "on"})
    assert r.status_code == 404

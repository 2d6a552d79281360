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


def _paragraph(html: str, control_id: str) -> str:
    """The <p> of the page that holds the control ``control_id``."""
    import re

    found = re.search(rf'<p>(?:(?!</p>).)*id="{control_id}"(?:(?!</p>).)*</p>', html, re.S)
    assert found, f"no paragraph with #{control_id}"
    return found.group(0)


def test_a_refused_limit_is_said_beside_its_field_and_no_limit_is_saved(client, fadmin, inst_a):
    """DIG-7: a negative limit is refused beside the group's field — aria-invalid, and
    aria-describedby naming the refusal with its rule — not only at the top of a long page; and
    the groups saved before it in the same form are not saved either."""
    from syllabus.fulfillment.models import PatronLimit
    from syllabus.org.models import UserGroup

    *first, last = [g.code for g in UserGroup.objects.filter(institution=inst_a)]   # the order the page saves them
    client.force_login(fadmin)
    r = client.post(URL, {"section": "limits", **{f"limit_{code}": "3" for code in first}, f"limit_{last}": "-1"})
    assert r.status_code == 400
    html = r.content.decode()
    field = _paragraph(html, f"lim_{last}")
    assert 'aria-invalid="true" aria-describedby="limits-error"' in field
    assert 'id="limits-error"' in field and "DIG-7" in field and "a limit cannot be negative" in field
    assert "aria-invalid" not in _paragraph(html, f"lim_{first[0]}")
    assert html.count('aria-invalid="true"') == 1
    assert not PatronLimit.objects.filter(user_group__institution=inst_a).exists()


def test_a_refused_rule_is_said_in_its_own_form_of_the_page(client, fadmin, inst_a):
    """DIG-8: the page has a form per EDD rule and one to add a rule, each with a Position field;
    the refusal is tied to the field of the form that was sent, and its <details> is open."""
    client.force_login(fadmin)
    rule = EddRule.objects.create(institution=inst_a, name="Everyone", position=1, allowed=True)
    r = client.post(URL, {"section": "edd", "rule": rule.pk, "has_enabled": "1", "name": "Everyone",
                          "position": "1000000", "allowed": "on", "enabled": "on"})
    assert r.status_code == 400
    html = r.content.decode()
    field = _paragraph(html, f"e{rule.pk}_pos")
    assert f'aria-describedby="edd-{rule.pk}-error"' in field and f'id="edd-{rule.pk}-error"' in field and "DIG-7" in field
    assert "aria-invalid" not in _paragraph(html, "e_pos")
    assert '<details open><summary>Edit<span class="visually-hidden"> Everyone' in html

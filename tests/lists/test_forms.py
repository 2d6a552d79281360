"""The editor reads its POSTs through lists/forms.py (issue 17): the rule and the field of a
refusal are named, numbers are bounded, a checkbox is ticked only by "on", and a field the form
leaves out is left as it is."""
from django.urls import reverse

from syllabus.lists.models import Citation

HX = {"HTTP_HX_REQUEST": "true"}


def test_a_section_date_that_is_no_date_names_the_rule_and_the_field(client, instructor, built_list):
    lst = built_list["list"]
    client.force_login(instructor)
    r = client.post(reverse("lists:add-section", args=[lst.pk]), {"title": "Week 3", "start_date": "next monday"}, **HX)
    assert r.status_code == 400
    assert "LST-1" in r.content.decode() and "start date" in r.content.decode()
    assert lst.sections.count() == 2


def test_moving_an_item_to_a_section_id_beyond_any_key_is_refused(client, instructor, built_list):
    lst, book = built_list["list"], built_list["book"]
    client.force_login(instructor)
    r = client.post(reverse("lists:move-citation", args=[lst.pk, book.pk]), {"section": str(10**30)}, **HX)
    assert r.status_code == 400 and "LST-1" in r.content.decode()
    book.refresh_from_db()
    assert book.section_id == built_list["sections"][0].pk


def test_a_checkbox_sent_as_off_stays_unticked(client, instructor, built_list):
    lst, site = built_list["list"], built_list["site"]
    client.force_login(instructor)
    r = client.post(reverse("lists:update-citation", args=[lst.pk, site.pk]),
                    {"type": "website", "title": "The Victorian Web", "url": "https://victorianweb.org/", "open_access": "off",
                     "personal_copy": "false"}, **HX)
    assert r.status_code == 200, r.content
    site = Citation.objects.get(pk=site.pk)
    assert site.open_access is False and site.personal_copy is False
    client.post(reverse("lists:update-citation", args=[lst.pk, site.pk]),
                {"type": "website", "title": "The Victorian Web", "url": "https://victorianweb.org/", "open_access": "on"}, **HX)
    assert Citation.objects.get(pk=site.pk).open_access is True


def test_settings_leave_the_title_alone_when_the_form_does_not_send_it(client, instructor, built_list):
    lst = built_list["list"]
    client.force_login(instructor)
    r = client.post(reverse("lists:settings", args=[lst.pk]), {"description": "Spring term"}, **HX)
    assert r.status_code == 200
    lst.refresh_from_db()
    assert (lst.title, lst.description) == ("HIST101 readings", "Spring term")

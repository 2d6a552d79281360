"""LST-2: the item form offers video and audio by their CSL 1.0.2 types (a radio, TV or podcast
programme, an audio recording...), so that a radio adaptation is not formatted "[Video
recording]" (the formats and the real data: tests/citations/test_media_types.py)."""
from __future__ import annotations

import pytest
from django.urls import reverse

from syllabus.lists.models import Citation, CitationType


@pytest.mark.django_db
def test_lst2_the_item_form_offers_the_kinds_of_video_and_audio(client, instructor, built_list):
    lst = built_list["list"]
    client.force_login(instructor)
    add = reverse("lists:add-citation", args=[lst.pk])
    r = client.post(add, {"type": "broadcast", "title": "The War of the Worlds", "authors": "Welles, Orson",
                          "container_title": "The Mercury Theatre on the Air", "publisher": "CBS", "year": "1938-10-30"})
    assert r.status_code in (200, 302)
    radio = Citation.objects.get(title="The War of the Worlds")
    assert radio.type == CitationType.VIDEO_AUDIO and radio.metadata["type"] == "broadcast"
    assert "[Broadcast]" in radio.formatted and "Video recording" not in radio.formatted
    page = client.get(reverse("lists:update-citation", args=[lst.pk, radio.pk])).content.decode()
    assert '<option value="broadcast" selected>' in page
    # back to a film: the kind the form offers changes with it
    client.post(reverse("lists:update-citation", args=[lst.pk, radio.pk]),
                {"type": "video_audio", "title": "The War of the Worlds", "authors": "Welles, Orson"})
    radio.refresh_from_db()
    assert radio.metadata["type"] == "motion_picture"
    client.post(add, {"type": "song", "title": "Kind of Blue", "authors": "Davis, Miles", "year": "1959"})
    assert Citation.objects.get(title="Kind of Blue").metadata["type"] == "song"
    client.post(reverse("set_language"), {"language": "fr", "next": "/"})
    page = client.get(reverse("lists:update-citation", args=[lst.pk, radio.pk])).content.decode()
    assert "Vidéo / audio\u00a0: émission de radio, de télévision ou podcast" in page


@pytest.mark.django_db
def test_lst2_the_api_keeps_a_video_or_audio_type_given_as_a_csl_type(api, instructor, built_list):
    lst = built_list["list"]
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/citations",
                             {"type": "broadcast", "metadata": {"title": "The War of the Worlds", "publisher": "CBS"}})
    assert r.status_code == 201, r.content
    radio = Citation.objects.get(pk=r.json()["id"])
    assert radio.type == CitationType.VIDEO_AUDIO and radio.metadata["type"] == "broadcast"
    assert "[Broadcast]" in radio.formatted
    # a type of ours keeps the metadata's own kind
    r = api(instructor).post(f"/api/v1/lists/{lst.pk}/citations",
                             {"type": "video_audio", "metadata": {"title": "Kind of Blue", "type": "song"}})
    assert Citation.objects.get(pk=r.json()["id"]).metadata["type"] == "song"

"""Video and audio items by their CSL 1.0.2 type (LST-2, LST-9): a film or video is a
``motion_picture``, a radio, TV or podcast programme a ``broadcast``, any audio recording a
``song`` — through the item form, the RIS/BibTeX/CSL-JSON import and export, and the formatted
reference, in English and French.  A radio adaptation used to be formatted "[Video recording]".

Real data: ``tests/data/ris/zotero-RIS-export-media.ris`` is Zotero's own RIS export of the 22
films, videos, audio recordings, radio and TV broadcasts and podcasts in the test cases of
zotero/translators (origins in tests/data/README.md); ``zotero-RIS-02.ris`` is Zotero's "every
tag" RIS import test."""
from __future__ import annotations

import json

import pytest
from syllabus.citations import bibliography, formats

from .corpus import DATA, expected

MEDIA = DATA / "ris" / "zotero-RIS-export-media.ris"

# what Zotero's RIS export writes each of its types as, and so what any RIS reader gets back:
# RIS has no code for a broadcast or a podcast (RIS.js writes them as SOUND or MPCT)
READ_AS = {"film": "motion_picture", "videoRecording": "motion_picture", "tvBroadcast": "motion_picture",
           "audioRecording": "song", "radioBroadcast": "song", "podcast": "song"}


def _media():
    _fmt, entries = formats.parse(MEDIA.read_text(encoding="utf-8"), filename=MEDIA.name)
    return list(zip([e.csl for e in entries], expected(MEDIA)))


def test_lst9_zoteros_own_ris_export_of_real_films_broadcasts_and_recordings_imports_as_video_or_audio():
    pairs = _media()
    assert len(pairs) == 22
    got = [(item["title"], csl["type"]) for csl, item in pairs]
    assert got == [(item["title"], READ_AS[item["itemType"]]) for _csl, item in pairs]
    # an episode keeps the programme it belongs to (T2: CSL's container-title of a broadcast, song or film)
    programmes = [(csl["title"], csl.get("container-title")) for csl, item in pairs if item.get("programTitle")]
    assert ("Seventeen Seconds", "Star Trek: Picard") in programmes
    assert ("It's Summer, And That Means The Mysterious Return Of Glacier Ice Worms", "Morning Edition") in programmes
    assert all(container for _title, container in programmes) and len(programmes) == 10


@pytest.mark.parametrize("name", ["zotero-RIS-02.ris", "zotero-RIS-04.ris"])
def test_lst9_a_ris_music_record_is_an_audio_recording_as_zotero_reads_it(name):
    path = DATA / "ris" / name
    text = path.read_text(encoding="utf-8")
    _fmt, entries = formats.parse(text, filename=path.name)
    read = [(e.csl or {}).get("type") for e in entries]
    audio = [i for i, item in enumerate(expected(path)) if item["itemType"] == "audioRecording"]
    assert "TY  - MUSIC" in text and audio and [read[i] for i in audio] == ["song"] * len(audio)


RADIO = {"id": "welles", "type": "broadcast", "title": "The War of the Worlds", "container-title": "The Mercury Theatre on the Air",
         "author": [{"family": "Welles", "given": "Orson"}], "publisher": "CBS", "issued": {"date-parts": [[1938, 10, 30]]}}
ALBUM_TRACK = {"id": "davis", "type": "song", "title": "So What", "container-title": "Kind of Blue",
               "author": [{"family": "Davis", "given": "Miles"}], "publisher": "Columbia", "issued": {"date-parts": [[1959]]}}
SCORE = {"id": "debussy", "type": "musical_score", "title": "Clair de lune", "author": [{"family": "Debussy", "given": "Claude"}],
         "publisher": "Fromont", "issued": {"date-parts": [[1905]]}}
FILM = {"id": "reed", "type": "motion_picture", "title": "The Third Man", "director": [{"family": "Reed", "given": "Carol"}],
        "genre": "Film", "publisher": "London Films", "issued": {"date-parts": [[1949]]}}


@pytest.mark.parametrize("fmt", ["ris", "bibtex", "csl-json"])
def test_lst9_video_and_audio_keep_their_type_and_programme_through_export_and_import(fmt):
    write = {"ris": formats.to_ris, "bibtex": formats.to_bibtex, "csl-json": formats.to_csl_json}[fmt]
    _got_fmt, entries = formats.parse(write([RADIO, ALBUM_TRACK, SCORE, FILM]))
    back = [e.csl for e in entries]
    assert [b["type"] for b in back] == ["broadcast", "song", "musical_score", "motion_picture"]
    assert back[0]["container-title"] == "The Mercury Theatre on the Air"
    assert back[1]["container-title"] == "Kind of Blue"
    # a film with a director and no author: the director is not lost (RIS writes him as AU, as Zotero does)
    assert "Reed" in json.dumps(back[3])


def test_lst9_ris_writes_no_type_code_other_readers_do_not_know():
    text = formats.to_ris([RADIO, SCORE])
    assert "TY  - BROAD" not in text and "TY  - MUSIC" not in text  # MUSIC is an audio recording to Zotero
    assert text.count("TY  - GEN") == 2 and "M3  - broadcast" in text and "M3  - musical_score" in text


@pytest.mark.parametrize("locale, radio, film", [("en-US", "[Broadcast]", "[Film]"), ("fr-FR", "[Émission]", "[Film]")])
def test_lst9_a_radio_adaptation_is_formatted_as_a_broadcast_not_a_video_recording(locale, radio, film):
    text = bibliography.format_citation(RADIO, "apa", "text", locale)
    assert radio in text and "The Mercury Theatre on the Air" in text
    assert "ideo" not in text and "vidéo" not in text
    assert film in bibliography.format_citation(FILM, "apa", "text", locale)  # its genre, as APA 7 wants

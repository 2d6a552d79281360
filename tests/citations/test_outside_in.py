"""LST-9 from outside in: real files nobody here wrote (tests/data, origins in its README) —
Better BibTeX's import fixtures, Zotero's own RIS export of preprints, biblatex patents — go
through the API as a user's would: import into a list → export (RIS, BibTeX, CSL-JSON) →
import again. Every entry imports or is refused naming the rule and the entry (never a 500),
and the round trip keeps authors, title, container, date and identifiers. The records that used
to fail are asserted field by field (``EXPECT``)."""
from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.lists import services as list_services

from .corpus import DATA, fold

pytestmark = pytest.mark.django_db

# file → (created, [(line, rule) refused])
FILES = {
    "bibtex/bbt-excerpts.bib": (10, []),
    "bibtex/bbt-patent-1060.bib": (2, []),
    "ris/zotero-RIS-export-preprints.ris": (14, []),
    # Zotero's RIS export of the preprints of all its translators' tests (session 16)
    "ris/zotero-RIS-export-preprints-all.ris": (57, []),
    # RIS.js's own "every tag" test items among them carry "URL" and "ISBN" as their URL and ISBN: refused (LST-2)
    "ris/zotero-RIS-export-sample.ris": (112, [(1874, "LST-2"), (1896, "LST-2"), (1925, "LST-2")]),
    # JabRef's UTF-16 files without a byte-order mark (were "no BibTeX entry")
    "bibtex/encodings/jabref-tiny-BE-noBOM.bib": (1, []),
    "bibtex/encodings/jabref-tiny-LE-noBOM.bib": (1, []),
    # JabRef's reading of an EndNote XML export: two entries without a key, "<Go to ISI>://..." as their url (refused)
    "bibtex/jabref/EndnoteXmlImporterTestArticle2.bib": (2, []),
    # Better BibTeX's import fixtures, whole (tests/data/bibtex/bbt/)
    "bibtex/bbt/article-with-entrysubtype.bib": (1, []),
    "bibtex/bbt/better-bibtex-001.bib": (2, []),
    "bibtex/bbt/better-bibtex-003.bib": (2, []),
    "bibtex/bbt/better-bibtex-004.bib": (0, [(1, "LST-2")]),  # ISBN 0-69-697269-4: its check digit is wrong
    "bibtex/bbt/better-bibtex-005.bib": (1, []),
    "bibtex/bbt/better-bibtex-006.bib": (1, []),
    "bibtex/bbt/better-bibtex-008.bib": (1, []),
    "bibtex/bbt/better-bibtex-009.bib": (2, [(10, "LST-9")]),  # @book{emptyreference,} has no title
    "bibtex/bbt/better-bibtex-011.bib": (1, []),
    "bibtex/bbt/better-bibtex-012.bib": (1, []),
    "bibtex/bbt/better-bibtex-014.bib": (1, []),
    "bibtex/bbt/eprinttype-field-dropped-on-import-959.bib": (1, []),
    "bibtex/bbt/failure-to-handle-unparsed-author-names-92.bib": (1, []),
    "bibtex/bbt/import-fails-to-perform-string-substitutions-154.bib": (1, []),
    "bibtex/bbt/import-from-clipboard-stopped-working-2377.bib": (1, []),  # an empty field slot ", ," (was unreadable)
    "bibtex/bbt/import-location-to-event-place-for-conference-papers.bib": (1, []),
    "bibtex/bbt/import-software-related-biblatex-entries-1544.bib": (1, []),
    "bibtex/bbt/imported-name-suffix-in-family-part-2744.bib": (0, [(1, "LST-9")]),  # no title
    "bibtex/bbt/improve-import-of-films-1837.bib": (4, []),
    "bibtex/bbt/issues-with-round-instead-of-curly-braces-do-not-import-correctly-871.bib": (1, []),
    "bibtex/bbt/math-formatting-lost-on-import-627.bib": (1, []),
    "bibtex/bbt/spaces-lost-when-expanding-string-variables-during-import-1081.bib": (1, []),
    "bibtex/bbt/url-not-recognised-in-a-simple-online-bib-file-entry-on-import-2842.bib": (0, [(1, "LST-9")]),  # no title
    "bibtex/bbt/wrong-ring-above-import-1115.bib": (1, []),
}
# (file, title starts with) → fields as imported (and, but for CANNOT, after every round trip)
EXPECT = {
    ("bibtex/bbt-excerpts.bib", "CaratInterface"): {"type": "document", "author": [("Gähler", "F.")]},
    ("bibtex/bbt-excerpts.bib", "Poole-Frenkel"): {"ISSN": "1530-6992 1530-6984", "DOI": "10.1021/nl102958g",
                                                    "ISBN": None},
    ("bibtex/bbt-excerpts.bib", "A realistic transformational"): {
        "editor": [("Halle", "M."), ("Bresnan", "J."), ("Miller", "G.")], "author": [("Bresnan", "Joan")]},
    ("bibtex/bbt-excerpts.bib", "Radial Stark"): {"DOI": "10.1021/acs.nanolett.5b03748"},
    ("bibtex/bbt-excerpts.bib", "Intersubband"): {"DOI": "10.1002/pssb.201600734"},
    ("bibtex/bbt-excerpts.bib", "The Cambridge History"): {"ISBN": "9780521531801",
                                                           "editor": [("Garber", "Daniel"), ("Ayers", "Michael")]},
    ("bibtex/bbt-excerpts.bib", "Reviewers as Readers"): {"container-title": "Mémoires du livre", "volume": "9"},
    ("bibtex/bbt-patent-1060.bib", "Elektrische Einrichtung"): {
        "type": "patent", "number": "1700367", "genre": "European patent",
        "publisher": "Robert Bosch GmbH; Daimler Chrysler AG; Bayerische Motoren Werke AG"},
    ("bibtex/bbt/import-from-clipboard-stopped-working-2377.bib", "Report number 2PTE3"): {
        "type": "report", "number": "2PTE3", "publisher": "Research Institute X"},
    ("bibtex/encodings/jabref-tiny-LE-noBOM.bib", "Investigation of the best suture"): {
        "DOI": "10.1136/vr.d6221", "author": [("Verwilghen", "D."), ("Busoni", "V."), ("van Galen", "G."), ("Wilke", "M.")]},
    ("ris/zotero-RIS-export-preprints.ris", "A dual pair"): {"type": "article", "number": "arXiv:1402.1516",
                                                             "archive": "arXiv", "DOI": "10.48550/arXiv.1402.1516"},
}
# what a format cannot carry: (format, CSL type, field)
CANNOT = {("ris", "book", "container")}  # RIS has no container for a BOOK (T2 is its series): a @book with a booktitle


def _person(n: dict) -> tuple:
    return (" ".join(p for p in (n.get("non-dropping-particle"), n.get("family") or n.get("literal")) if p),
            " ".join(p for p in (n.get("given"), n.get("dropping-particle")) if p))


def _kept(item: dict) -> dict:
    """What a round trip must keep."""
    issued = (item.get("issued") or {}).get("date-parts")
    return {"title": fold(item.get("title")), "author": [_person(n) for n in item.get("author") or []],
            "editor": [_person(n) for n in item.get("editor") or []], "container": fold(item.get("container-title")),
            "issued": issued, "DOI": str(item.get("DOI") or "").lower(), "ISBN": item.get("ISBN") or "",
            "ISSN": item.get("ISSN") or "", "type": item.get("type")}


def _import(client, token, lst, name: str, data: bytes) -> dict:
    r = client.post(f"/api/v1/lists/{lst.pk}/import", {"file": SimpleUploadedFile(name, data)},
                    HTTP_AUTHORIZATION=f"Bearer {token}")
    assert r.status_code == 200, (name, r.status_code, r.content[:300])
    return r.json()


@pytest.mark.parametrize("name", FILES, ids=lambda n: n.split("/")[-1])
def test_lst9_real_files_round_trip_through_a_list(client, api, instructor, course, name):
    from syllabus.org.services import create_api_token

    _, token = create_api_token(instructor)
    path = DATA / name
    lst = list_services.create_list(instructor, title=path.name, courses=[course])
    report = _import(client, token, lst, path.name, path.read_bytes())
    created, refused = FILES[name]
    assert report["created"] == created, report["entries"]
    rejected = [e for e in report["entries"] if e["status"] == "rejected"]
    assert [(e["line"], e["rule"]) for e in rejected] == refused
    assert all(e["detail"] for e in rejected)  # naming what is wrong, with the entry's line
    if not created:
        return
    items = json.loads(api(instructor).get(f"/api/v1/lists/{lst.pk}/export", {"format": "csl-json"}).content)
    assert len(items) == created

    checked = set()
    for (file, title), want in EXPECT.items():
        if file != name:
            continue
        (item,) = [i for i in items if i["title"].startswith(title)]
        got = {k: [_person(n) for n in item.get(k) or []] if k in ("author", "editor") else item.get(k) for k in want}
        want = {k: v if k not in ("author", "editor") else [(f, g) for f, g in v] for k, v in want.items()}
        assert got == want, title
        checked.add(title)
    assert checked == {t for f, t in EXPECT if f == name}

    for fmt, ext in (("ris", "ris"), ("bibtex", "bib"), ("csl-json", "json")):
        text = api(instructor).get(f"/api/v1/lists/{lst.pk}/export", {"format": fmt}).content
        again = list_services.create_list(instructor, title=f"{path.name} via {fmt}", courses=[course])
        back_report = _import(client, token, again, f"export.{ext}", text)
        assert back_report["created"] == created, (fmt, back_report["entries"])
        back = json.loads(api(instructor).get(f"/api/v1/lists/{again.pk}/export", {"format": "csl-json"}).content)
        lost = [(fmt, item["title"][:40], key, value, _kept(other)[key])
                for item, other in zip(items, back) for key, value in _kept(item).items()
                if value != _kept(other)[key] and (fmt, item.get("type"), key) not in CANNOT]
        assert lost == []

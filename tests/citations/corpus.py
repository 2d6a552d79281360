"""Helpers of the corpus tests: the real files under ``tests/data/`` (origins in its README)
and a comparison of what we read with what Zotero's own translator tests expect."""
from __future__ import annotations

import json
import re
import unicodedata
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "data"

# Zotero item types → CSL types, as Zotero's citeproc export maps them
ZOTERO_TYPES = {
    "journalArticle": "article-journal", "book": "book", "bookSection": "chapter", "conferencePaper": "paper-conference",
    "thesis": "thesis", "report": "report", "patent": "patent", "dataset": "dataset", "webpage": "webpage",
    "magazineArticle": "article-magazine", "newspaperArticle": "article-newspaper", "manuscript": "manuscript",
    "map": "map", "film": "motion_picture", "artwork": "graphic", "audioRecording": "song", "videoRecording": "motion_picture",
    "bill": "bill", "case": "legal_case", "statute": "legislation", "hearing": "hearing", "letter": "personal_communication",
    "email": "personal_communication", "interview": "interview", "encyclopediaArticle": "entry-encyclopedia",
    "dictionaryEntry": "entry-dictionary", "blogPost": "post-weblog", "forumPost": "post", "presentation": "speech",
    "computerProgram": "software", "radioBroadcast": "broadcast", "tvBroadcast": "broadcast", "podcast": "song",
    "document": "document", "standard": "standard", "preprint": "article", "instantMessage": "personal_communication",
}


def files(kind: str, pattern: str) -> list[Path]:
    return sorted((DATA / kind).glob(pattern))


def expected(path: Path) -> list[dict]:
    """Zotero's expected items for one of its test inputs (``zotero-RIS-03.ris`` → ``.expected.json``)."""
    return json.loads(path.with_suffix(".expected.json").read_text())


def fold(text) -> str:
    """Compare text as a reader would: no case, accents kept, spacing and punctuation loosened."""
    text = unicodedata.normalize("NFC", str(text or "")).replace("\u00a0", " ").replace("’", "'")
    return re.sub(r"[\s.,:;]+", " ", text).strip().lower()


def name_of(name: dict) -> tuple[str, str]:
    family = " ".join(p for p in (name.get("non-dropping-particle"), name.get("family") or name.get("literal")) if p)
    given = " ".join(p for p in (name.get("given"), name.get("dropping-particle")) if p)
    return fold(family), fold(given)


def zotero_name(creator: dict) -> tuple[str, str]:
    if "name" in creator:
        return fold(creator["name"]), ""
    return fold(creator.get("lastName")), fold(creator.get("firstName"))


def corpus_csl_items() -> list[dict]:
    """Every entry of the real corpus files as the import reads it (CSL-JSON): the RIS and BibTeX
    files (Zotero, JabRef, Better BibTeX, biblatex) and the CSL-JSON items of tests/data."""
    from syllabus.citations import formats

    texts = [(p, "ris") for p in files("ris", "*.ris")]
    texts += [(p, "bibtex") for kind in ("bibtex", "bibtex/bbt", "bibtex/jabref") for p in files(kind, "*.bib")]
    items: list[dict] = []
    for path, fmt in texts:
        _detected, entries = formats.parse(path.read_text(encoding="utf-8"), fmt, path.name)
        items += [e.csl for e in entries if e.csl is not None]
    items += [v["item"] for v in json.loads((DATA / "csl" / "items.json").read_text(encoding="utf-8"))]
    items += json.loads((DATA / "csl" / "zotero-CSL-JSON-00.json").read_text(encoding="utf-8"))
    return items

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

"""Reference parsing accuracy (LST-9, session 21): how many fields of a formatted reference
:func:`syllabus.citations.references.parse_reference` reads right, on real rendered bibliographies —
the 33 CSL test-suite items of ``tests/data/csl/items.json`` rendered by citeproc in APA, Harvard
(Cite Them Right), Chicago author-date and MLA, English and French (``tests/data/csl/golden``:
264 references), compared field by field with the items they were rendered from.

A field counts as right when, compared without case, accents, punctuation and spaces, it equals
the item's, among the fields the style printed (titles: also when one is the other cut at its subtitle, as a style may print a
short title); "wrong" is a field given with another value; "missing" one left out."""
from __future__ import annotations

import json
import re
import unicodedata
from collections import Counter
from pathlib import Path

DATA = Path(__file__).resolve().parent.parent / "tests" / "data" / "csl"
STYLES = ("apa", "harvard-cite-them-right", "chicago-author-date", "modern-language-association")
FIELDS = ("author", "year", "title", "container-title", "volume", "issue", "page", "publisher", "DOI", "URL")


def fold(value) -> str:
    value = re.sub(r"<[^>]+>", "", str(value or ""))
    text = unicodedata.normalize("NFKD", str(value or "")).encode("ascii", "ignore").decode() or str(value or "")
    return re.sub(r"[\W_]+", "", text.lower())


def _family(name: dict) -> str:
    return " ".join(p for p in (name.get("non-dropping-particle"), name.get("family") or name.get("literal")) if p)


def expected(item: dict, key: str) -> str:
    if key == "author":
        names = item.get("author") or item.get("editor") or []
        return fold(_family(names[0])) if names else ""
    if key == "year":
        parts = (item.get("issued") or {}).get("date-parts") or [[]]
        return str(parts[0][0]) if parts and parts[0] and int(parts[0][0]) > 1500 else ""
    if key == "page":
        return fold(str(item.get("page") or "").split("-")[0].split("–")[0])
    if key == "DOI":
        return fold(re.sub(r"(?i)^https?://(dx\.)?doi\.org/", "", str(item.get("DOI") or "")))
    return fold(item.get(key))


def got(csl: dict, key: str) -> str:
    if key == "author":
        names = csl.get("author") or csl.get("editor") or []
        return fold(_family(names[0])) if names else ""
    if key == "year":
        parts = (csl.get("issued") or {}).get("date-parts") or [[]]
        return str(parts[0][0]) if parts and parts[0] else ""
    if key == "page":
        return fold(re.split(r"[–—-]", str(csl.get("page") or ""))[0])
    return fold(csl.get(key))


def same(key: str, want: str, have: str) -> bool:
    if want == have:
        return True
    if key in ("title", "container-title") and want and have:
        return want.startswith(have) and len(have) >= 8 or have.startswith(want)
    if key == "page" and want and have:  # "e9612" printed as "e9612", "870" as "Article 870"
        return want.endswith(have) or have.endswith(want)
    return False


def score(styles=STYLES, languages=("en", "fr")) -> dict:
    """{style: Counter((field, right|wrong|missing))} and the total number of references."""
    from syllabus.citations.references import parse_reference

    items = [entry["item"] for entry in json.loads((DATA / "items.json").read_text(encoding="utf-8"))]
    out: dict[str, Counter] = {}
    for style in styles:
        counts: Counter = Counter()
        for language in languages:
            for line in (DATA / "golden" / f"{style}.{language}.txt").read_text(encoding="utf-8").splitlines():
                if "\t" not in line:
                    continue
                number, text = line.split("\t", 1)
                item = items[int(number) - 1]
                parsed = parse_reference(text)
                csl = parsed.csl
                counts["references"] += 1
                if parsed.confident:
                    counts["confident"] += 1
                    if all(same(k, expected(item, k), got(csl, k)) for k in ("author", "year", "title")
                           if expected(item, k) and (k == "year" or expected(item, k)[:12] in fold(text))):
                        counts["confident and right"] += 1
                printed = fold(text)
                for key in FIELDS:
                    want, have = expected(item, key), got(csl, key)
                    if want and key != "year" and want[:12] not in printed:
                        continue  # the style did not print it (a URL beside a DOI, an abbreviated name)
                    if not want:
                        if have and key not in ("URL", "publisher"):
                            counts[(key, "invented")] += 1
                        continue
                    counts[(key, "right" if same(key, want, have) else "wrong" if have else "missing")] += 1
        out[style] = counts
    return out


def table(result: dict) -> list[str]:
    lines = ["| field | " + " | ".join(result) + " | all |", "|---|" + "---:|" * (len(result) + 1)]
    for key in FIELDS:
        cells, total_right, total_all = [], 0, 0
        for counts in result.values():
            right = counts[(key, "right")]
            all_ = right + counts[(key, "wrong")] + counts[(key, "missing")]
            total_right, total_all = total_right + right, total_all + all_
            cells.append(f"{right}/{all_}" if all_ else "–")
        lines.append(f"| {key} | " + " | ".join(cells) + f" | {total_right}/{total_all} ({100 * total_right // max(total_all, 1)}%) |")
    return lines


# --- a second, independent corpus: AnyStyle's gold set (session 22) --------------------------------

ANYSTYLE = DATA.parent / "anystyle" / "gold.xml"
ANYSTYLE_FIELDS = ("author", "year", "title", "container-title", "volume", "page", "publisher")


def _first_family(author: str) -> str:
    """The first author's family name as AnyStyle's annotators wrote it: "Bergk, V." → Bergk, "O. Ambacher, B. Foutz"
    → Ambacher, "Lin TC, Yen JM" → Lin, and (session 24) a name written given name first and whole, as BibTeX's plain
    style prints it, "Eric J. Rossetter, Joshua P. Switkes" → Rossetter, "AM Trinkoff" → Trinkoff — the first
    capitalised word that is no initial read the given name (Eric, AM) as the family name, and counted as right a
    parser that did the same."""
    first = re.split(r",|;|\s+(?:and|&|et|und)\s+|&", author.strip(), maxsplit=1)[0].strip(" .")
    words = re.findall(r"[^\s()]+", first)
    if len(words) >= 2:
        last = words[-1].rstrip(".")
        initials = re.fullmatch(r"(?:[A-ZÀ-Þ]\.?-?){1,3}", words[-1]) or (last.isupper() and len(last) <= 3)
        if not initials and last[:1].isupper():
            return fold(last)
    for word in re.findall(r"[^\s,;&()]+", author):
        if len(word.rstrip(".")) > 1 and not word.endswith(".") and word[0].isupper():
            return fold(word)
    return ""


def anystyle_expected(parts: dict[str, str]) -> dict[str, str]:
    year = re.search(r"\b(1[5-9]\d\d|20\d\d)\b", parts.get("date", ""))
    container = re.sub(r"(?i)^\s*in:?\s+", "", parts.get("journal") or parts.get("container-title") or "")
    number = {k: re.search(r"\d+", parts.get(k, "")) for k in ("volume", "pages")}
    return {"author": _first_family(parts.get("author", "")), "year": year.group(1) if year else "",
            "title": fold(parts.get("title")), "container-title": fold(container),
            "volume": number["volume"].group(0) if number["volume"] else "",
            "page": number["pages"].group(0) if number["pages"] else "", "publisher": fold(parts.get("publisher"))}


def score_anystyle() -> Counter:
    """Counter((field, right|wrong|missing)) over AnyStyle's 1,669 labelled references; the
    reference is its labelled parts in order, joined by blanks (as it was printed)."""
    from xml.etree import ElementTree

    from syllabus.citations.references import parse_reference

    counts: Counter = Counter()
    for sequence in ElementTree.parse(ANYSTYLE).getroot().iter("sequence"):
        parts: dict[str, str] = {}
        for child in sequence:
            parts.setdefault(child.tag, " ".join((child.text or "").split()))
        text = " ".join(" ".join((child.text or "").split()) for child in sequence)
        parsed = parse_reference(text)
        counts["references"] += 1
        counts["confident"] += parsed.confident
        want = anystyle_expected(parts)
        wrong = set()
        for key in ANYSTYLE_FIELDS:
            if not want[key]:
                continue
            have = got(parsed.csl, key) if key != "page" else re.sub(r"\D.*", "", str(parsed.csl.get("page") or ""))
            if key == "author" and have and want[key]:
                ok = want[key] in have or have in want[key]
            else:
                ok = same(key, want[key], have)
            counts[(key, "right" if ok else "wrong" if have else "missing")] += 1
            if not ok:
                wrong.add(key)
        # trusted (no "Needs review") and right: its authors, year and title as labelled (session 23)
        counts["confident and right"] += parsed.confident and not wrong & {"author", "year", "title"}
    return counts


def run(args) -> None:
    from bench.common import setup_django

    setup_django("references")
    any_counts = score_anystyle()
    print(f"AnyStyle gold set (tests/data/anystyle/gold.xml): {any_counts['references']} references, "
          f"{any_counts['confident']} read with authors, year and title; of these, {any_counts['confident and right']} have "
          "all three right")
    print("| field | right / labelled |\n|---|---:|")
    for key in ANYSTYLE_FIELDS:
        right = any_counts[(key, "right")]
        total = right + any_counts[(key, "wrong")] + any_counts[(key, "missing")]
        print(f"| {key} | {right}/{total} ({100 * right // max(total, 1)}%) |")
    result = score()
    print(f"references: {sum(c['references'] for c in result.values())}")
    for style, counts in result.items():
        print(f"{style}: {counts['confident']} of {counts['references']} read with authors, year and title "
              f"(not tagged 'Needs review'); of these, {counts['confident and right']} have all three right")
    for line in table(result):
        print(line)
    for style, counts in result.items():
        wrong = {k: v for k, v in counts.items() if isinstance(k, tuple) and k[1] in ("wrong", "invented")}
        print(style, "wrong/invented:", dict(sorted(wrong.items())))

"""Suggestions (ANL-3): "often used with" — materials that other lists put together with this
list's (or this item's) materials, ranked by how many lists share them, then by their use.

An item is known across lists by its catalog record, else its DOI, ISBN or normalized title
(:func:`work_key`). Candidate lists are the institution's own and, for members that share
(``analytics_share_with_consortium``), the consortium's published lists. Co-occurrence: for
each other list that holds at least one of our materials, each of its other materials scores
the number of our materials that list holds; usage (opens, downloads, done marks in the daily
counts) breaks ties. A bounded number of candidate lists keeps it one page's worth of reads.
"""
from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, Sum

from syllabus.lists.models import Citation, ResourceList
from syllabus.lists.workflow import Visibility
from syllabus.org import config
from syllabus.org.models import Institution

from .models import DailyUsage, Kind

MAX_LISTS = 300
LIMIT = 5


def _norm(text: str) -> str:
    return re.sub(r"\W+", " ", (text or "").casefold()).strip()


def work_key(record_id: int | None, metadata: dict | None, title: str) -> str:
    meta = metadata or {}
    if record_id:
        return f"record:{record_id}"
    if meta.get("DOI"):
        return f"doi:{str(meta['DOI']).lower()}"
    if meta.get("ISBN"):
        return f"isbn:{re.sub(r'[^0-9Xx]', '', str(meta['ISBN'])).upper()}"
    return f"title:{_norm(title)}"


@dataclass
class Suggestion:
    title: str
    key: str
    lists: int                      # how many other lists hold it with ours
    score: int
    uses: int = 0
    record_id: int | None = None
    metadata: dict = field(default_factory=dict)


def _sources(institution) -> list[int]:
    ids = [institution.pk]
    others = Institution.objects.filter(consortium_id=institution.consortium_id).exclude(pk=institution.pk)
    ids += [i.pk for i in others.select_related("consortium")
            if config.get("analytics_share_with_consortium", institution=i)]
    return ids


def often_used_with(lst: ResourceList, *, citation: Citation | None = None, limit: int = LIMIT) -> list[Suggestion]:
    """What other lists use together with ``lst``'s materials (or with ``citation`` alone)."""
    # the list's own items, read once (issue 19, session 18: they were read twice, whole rows)
    own = list(Citation.objects.filter(resource_list=lst).values_list("record_id", "metadata", "title"))
    mine = {work_key(record_id, metadata, title) for record_id, metadata, title in own}
    if citation is not None:
        keys = {work_key(citation.record_id, citation.metadata, citation.title)}
        titles = {citation.title} if citation.title else set()
    else:
        keys, titles = mine, {title for _record_id, _metadata, title in own if title}
    if not keys:
        return []
    sources = _sources(lst.institution)
    visible = Q(resource_list__institution_id=lst.institution_id) | Q(
        resource_list__institution_id__in=sources, resource_list__visibility=Visibility.PUBLISHED)
    records = [int(k[7:]) for k in keys if k.startswith("record:")]
    matches = (Citation.objects.filter(visible).exclude(resource_list=lst)
               .filter(Q(record_id__in=records) | Q(title__in=titles))
               .values_list("resource_list_id", flat=True).distinct()[:MAX_LISTS])
    other_lists = list(matches)
    rows = list(Citation.objects.filter(resource_list_id__in=other_lists)
                .values_list("pk", "resource_list_id", "record_id", "metadata", "title"))
    by_list: dict[int, list[tuple]] = defaultdict(list)
    for pk, list_id, record_id, metadata, title in rows:
        by_list[list_id].append((pk, work_key(record_id, metadata, title), record_id, metadata, title))
    found: dict[str, Suggestion] = {}
    members: dict[str, list[int]] = defaultdict(list)
    for items in by_list.values():
        shared = len(keys & {k for _pk, k, *_rest in items})
        if not shared:
            continue
        for pk, key, record_id, metadata, title in items:
            if key in mine:
                continue
            s = found.get(key)
            if s is None:
                s = found[key] = Suggestion(title=title or str(metadata.get("title") or ""), key=key, lists=0, score=0,
                                            record_id=record_id, metadata=metadata or {})
            s.lists += 1
            s.score += shared
            members[key].append(pk)
    if not found:
        return []
    uses = dict(DailyUsage.objects.filter(citation_id__in=[pk for pks in members.values() for pk in pks])
                .exclude(kind=Kind.LIST_VIEW).values_list("citation_id").annotate(n=Sum("events")).order_by())
    for key, s in found.items():
        s.uses = sum(uses.get(pk, 0) for pk in members[key])
    return sorted(found.values(), key=lambda s: (-s.score, -s.lists, -s.uses, s.title))[:limit]

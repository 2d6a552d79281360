"""Template tags of the lists pages: plug-in slots and labels."""
from __future__ import annotations

import hashlib
import re
from collections.abc import Callable

from django import template
from django.core.cache import cache
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from syllabus.lists import tags as tag_vocabulary
from syllabus.lists.slots import slots
from syllabus.lists.workflow import item_label, list_label

register = template.Library()


@register.simple_tag(takes_context=True)
def lists_slot(context, name: str, **extra):
    """Render every template registered for slot ``name`` (see syllabus.lists.slots)."""
    request = context.get("request")
    parts = []
    for slot in slots(name):
        values = extra
        if slot.when is not None:
            values = context.flatten()   # a ``when`` may add values for its template
            values.update(extra)
            if not slot.when(request, values):
                continue
        # Render inside the page's own context: rendering with the request would run every
        # context processor (the navigation and its badges) again for each slot of each item.
        with context.push(values):
            parts.append(context.template.engine.get_template(slot.template).render(context))
    return mark_safe("".join(parts))


#: stands for the CSRF token in a slot's rendering kept across requests (``Slot.key``); the
#: page puts its own token in its place
CSRF_PLACEHOLDER = "syllabus-csrf-placeholder-0f6d2b"
#: seconds a slot's rendering kept by key is reused (its key changes with its data at once; this
#: only bounds how long a new deployment's template takes to show)
SLOT_CACHE_SECONDS = 600


def _slot_cache_key(slot, key) -> str:
    digest = hashlib.sha256(repr(key).encode()).hexdigest()[:40]
    return f"lists:slot:{slot.template}:{translation.get_language()}:{digest}"


def per_item(context, name: str, citations, **extra) -> dict[int, list[str]]:
    """Every template of per-item slot ``name`` for each of ``citations``, in one pass per slot
    (``{citation_id: [html, ...]}``).  A slot with a ``key`` is rendered once per distinct key
    and reused from the cache by every reader with the same key; the others are rendered for
    this reader, one template invocation per item."""
    request = context.get("request")
    out: dict[int, list[str]] = {c.pk: [] for c in citations}
    flat = None
    for slot in slots(name):
        template = context.template.engine.get_template(slot.template)
        todo = []
        for c in citations:
            values = {"citation": c, **extra}
            if slot.when is not None:
                if flat is None:
                    flat = context.flatten()
                values = {**flat, **values}   # a ``when`` may add values for its template
                if not slot.when(request, values):
                    continue
            cache_key = None
            if slot.key is not None:
                with context.push(values):
                    key = slot.key(request, context)
                cache_key = None if key is None else _slot_cache_key(slot, key)
            todo.append((c, values, cache_key))
        keys = [k for _c, _v, k in todo if k is not None]
        found = cache.get_many(keys) if keys else {}
        fresh: dict[str, str] = {}
        for c, values, cache_key in todo:
            html = None if cache_key is None else found.get(cache_key, fresh.get(cache_key))
            if html is None:
                if cache_key is not None:
                    values = {**values, "csrf_token": CSRF_PLACEHOLDER}
                with context.push(values):
                    html = template.render(context)
                if cache_key is not None:
                    fresh[cache_key] = html
            out[c.pk].append(html)
        if fresh:
            cache.set_many(fresh, SLOT_CACHE_SECONDS)
    return out


_SLOT_MARK = re.compile(r"<!--syllabus-slot:(\d+)-->")


@register.simple_tag(takes_context=True)
def student_items(context):
    """The sections and items of the student view: the shared rendering (``items_html`` from
    the cache, else rendered now from ``lists/_view_items.html``), with each item's
    "citation_services" slot (the library's services) and "citation_reader" slot (this reader's
    own marks, holds and places) rendered for this reader in place of its marker."""
    lst = context["lst"]
    html = context.get("items_html")
    if html is None:
        html = render_to_string("lists/_view_items.html", {"lst": lst})
        setter = context.get("items_html_store")
        if setter is not None:
            setter(html)
    citations = [c for s in lst.section_list for c in s.items]
    access = context.get("access")
    services = per_item(context, "citation_services", citations, lst=lst, access=access)
    reader = per_item(context, "citation_reader", citations, lst=lst, access=access)

    def slot(match):
        pk = int(match.group(1))
        if pk not in services:
            return ""
        return ('<div class="library-services">' + "".join(services[pk]) + '</div>\n        <div class="reader-services">'
                + "".join(reader[pk]) + "</div>")

    html = _SLOT_MARK.sub(slot, html)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, str(context.get("csrf_token") or ""))
    return mark_safe(html)


@register.filter
def with_id(url: str, pk) -> str:
    """A URL built once per page with ``999999999`` for the item id (lists.views), for item ``pk``."""
    return url.replace("999999999", str(pk))


@register.filter
def tag_label(code: str) -> str:
    return tag_vocabulary.label(code)


def _label_or_code(label: Callable[[str], str], status: str) -> str:
    """The workflow's label of ``status``, or the status itself when the workflow has no such state."""
    try:
        return label(status)
    except ValueError:
        return status


@register.filter
def item_status_label(status: str) -> str:
    return _label_or_code(item_label, status)


@register.filter
def list_status_label(status: str) -> str:
    return _label_or_code(list_label, status)

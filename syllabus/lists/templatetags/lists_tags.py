"""Template tags of the lists pages: plug-in slots and labels."""
from __future__ import annotations

import re

from django import template
from django.template.loader import render_to_string
from django.utils.html import format_html
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
        flat = context.flatten()
        flat.update(extra)
        if slot.when is not None and not slot.when(request, flat):
            continue
        # Render inside the page's own context: rendering with the request would run every
        # context processor (the navigation and its badges) again for each slot of each item.
        with context.push(flat):
            parts.append(context.template.engine.get_template(slot.template).render(context))
    return mark_safe("".join(parts))


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
    items = {c.pk: c for s in lst.section_list for c in s.items}
    access = context.get("access")

    def slot(match):
        c = items.get(int(match.group(1)))
        if c is None:
            return ""
        return format_html('<div class="library-services">{}</div>\n        <div class="reader-services">{}</div>',
                           lists_slot(context, "citation_services", citation=c, lst=lst, access=access),
                           lists_slot(context, "citation_reader", citation=c, lst=lst, access=access))

    return mark_safe(_SLOT_MARK.sub(slot, html))


@register.filter
def with_id(url: str, pk) -> str:
    """A URL built once per page with ``999999999`` for the item id (lists.views), for item ``pk``."""
    return url.replace("999999999", str(pk))


@register.filter
def tag_label(code: str) -> str:
    return tag_vocabulary.label(code)


@register.filter
def item_status_label(status: str) -> str:
    try:
        return item_label(status)
    except ValueError:
        return status


@register.filter
def list_status_label(status: str) -> str:
    try:
        return list_label(status)
    except ValueError:
        return status

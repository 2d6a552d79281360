"""Template tags of the lists pages: plug-in slots and labels."""
from __future__ import annotations

from django import template
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

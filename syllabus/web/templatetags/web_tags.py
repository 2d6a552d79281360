"""Template tags of the page shell."""
from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlencode

from django import template
from django.core.signals import setting_changed
from django.template.loader_tags import BLOCK_CONTEXT_KEY
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

register = template.Library()


@register.simple_tag(takes_context=True)
def page_heading(context) -> str:
    """The page's ``<h1>``: its ``{% block title %}`` again, so a page whose heading is its
    window title writes it once and the two cannot drift apart (WCAG 2.4.2 Page Titled; see
    docs/DEVELOPING.md, "add pages").  A page whose heading says more than its title writes its
    ``<h1>`` itself."""
    blocks = context.render_context.get(BLOCK_CONTEXT_KEY)
    title = blocks.get_block("title") if blocks is not None else None
    text = title.nodelist.render(context) if title is not None else ""  # safe: the template's own output
    if not text.strip():  # an empty <h1> is no heading at all (WCAG 1.3.1)
        raise template.TemplateSyntaxError("{% page_heading %} needs a page that extends web/base.html and "
                                           "declares a {% block title %} with text")
    return format_html("<h1>{}</h1>", text)


@register.simple_tag
def invalid(error, field: str, error_id: str) -> str:
    """`` aria-invalid="true" aria-describedby="<error_id>"`` on the input that a refused form's
    ``error`` (a RuleViolation) names by its ``field`` — a screen reader then says the field is
    wrong and why, on the field itself (WCAG 3.3.1, 1.3.1) — nothing otherwise."""
    if error is None or getattr(error, "field", None) != field:
        return ""
    return format_html(' aria-invalid="true" aria-describedby="{}"', error_id)


@register.filter
def colon(label) -> str:
    """``label`` followed by its colon in the reader's language: "Title:", "Titre :" (French puts a
    non-breaking space before it) — never a colon written after a translated word in a template."""
    return gettext("%(label)s:") % {"label": label}


def _said(error, name: str):
    """``error.rule`` / ``error.detail`` of a RuleViolation, or of a dict carrying them (a refusal kept
    in a session or a job's row)."""
    return error.get(name, "") if isinstance(error, Mapping) else getattr(error, name, "")


@register.simple_tag
def rule_error(error, testid: str = "rule-error", id: str = "", alert: bool = True, css: str = "",
               oob: bool = False, inline: bool = False) -> str:
    """A page's refusal, said one way everywhere (issue 17, "one way per concern"): the rule id with
    its colon in the reader's language ("LST-1:", "LST-1 :" in French) and the detail —
    ``{% rule_error error testid="hold-error" id="hold-error" %}``.  ``role="alert"`` unless
    ``alert=False`` (a refusal a live region already speaks); ``css`` adds classes, ``oob`` swaps it
    out of band (htmx) into the element of its ``id``; ``inline`` says it in a ``<span>`` (inside a
    line's status element).  Nothing without a refusal; templates never
    write ``error.rule`` by hand (tests/web/test_one_refusal.py)."""
    if not error:
        return ""
    attrs = format_html(' class="{}"', f"error {css}".strip())
    if alert:
        attrs += mark_safe(' role="alert"')
    if testid:
        attrs += format_html(' data-testid="{}"', testid)
    if id:
        attrs += format_html(' id="{}"', id)
    if oob:
        attrs += mark_safe(' hx-swap-oob="true"')
    tag = "span" if inline else "p"
    return format_html("<{}{}><strong>{}</strong> {}</{}>", tag, attrs, colon(_said(error, "rule")), _said(error, "detail"), tag)


@dataclass(frozen=True)
class FormRefusal:
    """A refusal shown on the form that was posted (:func:`form_error`): its ``rule``, ``detail``
    and ``field``, and ``id``, the id of the element that says it next to the field."""

    rule: str
    detail: str
    field: str | None
    id: str


def form_key(section: str, row=None) -> str:
    """How a page with several forms names one: ``form_key("rules", 5)`` → ``"rules:5"`` (``"rules:"``:
    its form for a new row).  The view names the form that was posted the same way (``posted``)."""
    return f"{section}:{'' if row in (None, '') else row}"


@register.simple_tag(takes_context=True)
def form_error(context, section: str, row=None) -> FormRefusal | None:
    """``{% form_error "rules" rule.pk as err %}``: the page's refusal (``error``, a RuleViolation)
    when the form the view says was posted (``posted``) is this one — else None.  Then each field
    says ``{% invalid err "position" err.id %}`` and ``{% field_error err "position" %}`` after it, so
    that the refusal shows next to the field it is about, tied to it (WCAG 3.3.1, 1.3.1), on the
    form it concerns among the page's others."""
    error, posted = context.get("error"), context.get("posted")
    name = form_key(section, row)
    if error is None or posted != name:
        return None
    slug = re.sub(r"[^A-Za-z0-9_-]", "-", f"{section}-{row}" if row not in (None, "") else section)
    return FormRefusal(error.rule, str(error.detail), getattr(error, "field", None) or None, f"{slug}-error")


@register.simple_tag
def field_error(refusal: FormRefusal | None, field: str | None = None) -> str:
    """The refusal's rule and text beside the field it names (``field``; no field: beside the form's
    button, for a refusal that names no field), with the id the field's ``aria-describedby`` reads."""
    if refusal is None or refusal.field != (field or None):
        return ""
    return format_html('<span class="error field-error" id="{}" data-testid="field-error"><strong>{}</strong> {}</span>',
                       refusal.id, colon(refusal.rule), refusal.detail)


@register.simple_tag(takes_context=True)
def related_pages(context, *url_names: str) -> str:
    """Links to the menu entries named ``url_names`` that the signed-in person sees (``web.nav.related``),
    separated by " · ": ``{% related_pages "consortium:ill-mine" %}`` on a page of an app that may
    not import the app of that page (ARCHITECTURE.md, the app graph)."""
    from syllabus.web.nav import related

    links = related(context["request"].user, *url_names)
    return format_html_join(" · ", '<a href="{}" data-testid="related-page">{}</a>', ((e["url"], e["label"]) for e in links))


@register.inclusion_tag("web/_pager.html")
def pager(page, *queries: str | Mapping, **params) -> dict:
    """The Previous / "Page n of m" / Next links of a Django ``Page``.  Each link keeps the search
    the page shows — ``params``, then ``queries`` (mappings, or query strings already encoded);
    empty values left out — and changes only ``page``: ``{% pager page q=q term=term %}``."""
    parts = [_encoded(params), *(_encoded(q) if isinstance(q, Mapping) else q for q in queries)]
    keep = "&".join(p for p in parts if p)
    return {"page": page, "keep": f"{keep}&" if keep else ""}


def _encoded(values: Mapping) -> str:
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})


# The menu's markup depends only on the language, the entries shown (with their labels and
# badges) and which of them is the current page: it is rendered once for each such combination
# and kept per process (issue 19: the menu's loops were a third of the shell's rendering).  The key
# holds nothing of a person but what the markup shows, so two people with the same menu share it.
_MENUS: dict[tuple, str] = {}
_MENUS_MAX = 2000


def menu_key(menu: list[dict], path: str | None) -> tuple:
    """Everything the menu's markup shows: the language, the entry of the current page (``path``)
    and every entry with its label and badge (also part of the student view's reader page key,
    lists_tags.reader_page_key)."""
    from django.utils.translation import get_language

    language = get_language()
    urls = {item["url"] for group in menu for item in group["entries"]}
    return (language, path if path in urls else None,
            tuple((group["key"], _text(group["label"], language), group["badge"],
                   tuple((item["name"], item["url"], _text(item["label"], language), item["badge"]) for item in group["entries"]))
                  for group in menu))


# A menu label is a lazy translation: turning it into text costs ~5 µs (the active translation
# looked up through asgiref's Local), ~80 µs for a menu of 17 labels on every page (issue 19,
# session 12). Its text depends only on the language, so it is kept per label object and
# language; the entry holds the label itself, so its id is never another object's while kept.
_TEXTS: dict[tuple[int, str | None], tuple[object, str]] = {}
_TEXTS_MAX = 5000


def _text(label, language: str | None) -> str:
    if isinstance(label, str):
        return label
    key = (id(label), language)
    kept = _TEXTS.get(key)
    if kept is not None and kept[0] is label:
        return kept[1]
    text = str(label)
    if len(_TEXTS) >= _TEXTS_MAX:
        _TEXTS.clear()
    _TEXTS[key] = (label, text)
    return text


def _forget_texts(*, setting: str, **kwargs) -> None:
    if setting in ("LANGUAGES", "LANGUAGE_CODE", "LOCALE_PATHS", "INSTALLED_APPS"):   # (tests: the catalogs change)
        _TEXTS.clear()


setting_changed.connect(_forget_texts, dispatch_uid="web-menu-label-texts")


@register.simple_tag(takes_context=True)
def shell_menu(context) -> str:
    from django.template.loader import get_template
    from django.utils.safestring import mark_safe

    menu = list(context.get("nav_menu") or [])
    request = context.get("request")
    key = menu_key(menu, getattr(request, "path", None))
    html = _MENUS.get(key)
    if html is None:
        html = get_template("web/_menu.html").render({"nav_menu": menu, "current_path": key[1]})
        if len(_MENUS) >= _MENUS_MAX:
            _MENUS.clear()
        _MENUS[key] = html
    return mark_safe(html)


# --- an audit trail as people read it (ORG-6, session 21) --------------------------------------

@register.filter
def audit_action(action: str) -> str:
    """An audit entry's action in the reader's language (``core.labels``): "approve" → "Approved"."""
    from syllabus.core.labels import action_label

    return action_label(action)


@register.filter
def audit_changes(entry) -> list[tuple[str, object, object]]:
    """An audit entry's changes as ``(label, old, new)``: each field by its label ("Status", not
    ``status``) and a value with choices by its label, in the reader's language; none for a
    ``created`` entry (it lists every field of the new row)."""
    from django.contrib.contenttypes.models import ContentType

    from syllabus.core.labels import field_label

    if entry.action == "created":  # every field of the new row: no change to read, the action says it
        return []
    model = ContentType.objects.get_for_id(entry.content_type_id).model_class()
    out = []
    for name, pair in (entry.changes or {}).items():
        old, new = (pair if isinstance(pair, (list, tuple)) and len(pair) == 2 else (None, pair))
        if old == new:  # written with the change, not changed by it
            continue
        choices = _choices(model, name)
        out.append((field_label(name, model), _value(old, choices), _value(new, choices)))
    return out


def _value(value, choices: dict):
    """A stored value as people read it: a choice by its label, a time as the pages show times."""
    if not _hashable(value):
        return value
    if value in choices:
        return choices[value]
    if isinstance(value, str) and len(value) >= 19 and value[4:5] == "-" and value[10:11] == "T":
        import datetime as dt

        from django.utils import timezone
        from django.utils.dateformat import format as date_format

        try:
            when = dt.datetime.fromisoformat(value)
        except ValueError:
            return value
        return date_format(timezone.localtime(when) if timezone.is_aware(when) else when, "Y-m-d H:i")
    return value


def _hashable(value) -> bool:
    return isinstance(value, (str, int, float, bool, type(None)))


def _choices(model, name: str) -> dict:
    """A field's stored values → their labels ("pending_approval" → "Waiting for approval")."""
    try:
        field = model._meta.get_field(name) if model is not None else None
    except Exception:  # noqa: BLE001 — not a field of the model
        return {}
    return {k: str(v) for k, v in (getattr(field, "flatchoices", None) or ())}

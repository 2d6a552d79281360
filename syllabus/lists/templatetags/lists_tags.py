"""Template tags of the lists pages: plug-in slots and labels."""
from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from types import SimpleNamespace

from django import template
from django.core.cache import cache, caches
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.safestring import mark_safe

from syllabus.lists import file_guards
from syllabus.lists import tags as tag_vocabulary
from syllabus.lists.slots import slots
from syllabus.lists.workflow import item_label, list_label

register = template.Library()


@register.simple_tag(takes_context=True)
def lists_slot(context, name: str, lazy: bool | None = None, **extra):
    """Render every template registered for slot ``name`` (see syllabus.lists.slots); with
    ``lazy``, only those registered with that ``lazy`` (the editor draws the others on demand)."""
    if context.get("slot_holes") and name in READER_SLOTS:
        return mark_safe(f"<!--syllabus-hole:{name}-->")   # student_page renders it for this reader
    request = context.get("request")
    parts = []
    for slot in slots(name):
        if lazy is not None and slot.lazy != lazy:
            continue
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


def _plan(context, name: str, citations, extra: dict) -> list[tuple]:
    """Which templates of per-item slot ``name`` show for which of ``citations``, with the
    ``key`` of each (``None`` for a slot without one) and its ``stencil`` (lists.slots; ``None``
    when it has none): ``[(slot, [(citation, values, key, stencil), ...])]``."""
    request = context.get("request")
    plan = []
    flat = None
    for slot in slots(name):
        todo = []
        for c in citations:
            values = {"citation": c, **extra}
            if slot.when is not None:
                if flat is None:
                    flat = context.flatten()
                values = {**flat, **values}   # a ``when`` may add values for its template
                if not slot.when(request, values):
                    continue
            key = stencil = None
            if slot.stencil is not None:
                with context.push(values):
                    stencil = slot.stencil(request, context)
            if stencil is None and slot.key is not None:
                with context.push(values):
                    key = slot.key(request, context)
            todo.append((c, values, key, stencil))
        plan.append((slot, todo))
    return plan


def _shared(plan) -> tuple | None:
    """What the renderings of ``plan`` are a function of, when every one of them declares it
    (a ``key`` or a ``stencil``); ``None`` when one is rendered for this reader only."""
    parts = []
    for slot, todo in plan:
        for c, _values, key, stencil in todo:
            if stencil is not None:
                key = ("stencil", stencil[0], stencil[2])
            elif key is None:
                return None
            parts.append((slot.template, c.pk, key))
    return tuple(parts)


def _render(context, plan, citations) -> dict[int, list[str]]:
    out: dict[int, list[str]] = {c.pk: [] for c in citations}
    for slot, todo in plan:
        template = context.template.engine.get_template(slot.template)
        keyed = [(c, values, None if key is None else _slot_cache_key(slot, key), stencil) for c, values, key, stencil in todo]
        keys = [k for _c, _v, k, _s in keyed if k is not None]
        found = cache.get_many(keys) if keys else {}
        fresh: dict[str, str] = {}
        stencils: dict = {}
        for c, values, cache_key, stencil in keyed:
            if stencil is not None:   # the stand-in rendered once, this item's marks filled in
                stencil_key, stand_in, marks = stencil
                html = stencils.get(stencil_key)
                if html is None:
                    with context.push({**values, **stand_in, "csrf_token": CSRF_PLACEHOLDER}):
                        html = stencils[stencil_key] = template.render(context)
                for mark, text in marks:
                    html = html.replace(mark, text)
                out[c.pk].append(html)
                continue
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


def per_item(context, name: str, citations, **extra) -> dict[int, list[str]]:
    """Every template of per-item slot ``name`` for each of ``citations``, in one pass per slot
    (``{citation_id: [html, ...]}``).  A slot's ``stencil`` is rendered once per distinct key on
    this request and each item's marks filled in; a slot with a ``key`` is rendered once per
    distinct key and reused from the cache by every reader with the same key; the others are
    rendered for this reader, one template invocation per item."""
    return _render(context, _plan(context, name, citations, extra), citations)


_SLOT_MARK = re.compile(r"<!--syllabus-slot:(\d+)-->")


@register.simple_tag(takes_context=True)
def student_items(context):
    """The sections and items of the student view: the shared rendering (``items_html`` from
    the cache, else rendered now from ``lists/_view_items.html``), with each item's
    "citation_services" slot (the library's services) and "citation_reader" slot (this reader's
    own marks, holds and places) rendered for this reader in place of its marker.  Inside
    :func:`student_page`'s shared rendering, the services come from it and the reader's part
    stays a marker, filled per request."""
    lst = context["lst"]
    html = context.get("items_html")
    if html is None:
        file_guards.mark_shown_elsewhere(c for s in lst.section_list for c in s.items)
        html = render_to_string("lists/_view_items.html", {"lst": lst})
        setter = context.get("items_html_store")
        if setter is not None:
            setter(html)
    citations = [c for s in lst.section_list for c in s.items]
    access = context.get("access")
    services = context.get("student_services")
    holes = services is not None
    if services is None:
        services = per_item(context, "citation_services", citations, lst=lst, access=access)
    reader = {} if holes else per_item(context, "citation_reader", citations, lst=lst, access=access)

    def slot(match):
        pk = int(match.group(1))
        if pk not in services:
            return ""
        mine = f"<!--syllabus-reader:{pk}-->" if holes else "".join(reader[pk])
        return ('<div class="library-services">' + "".join(services[pk]) + '</div>\n        <div class="reader-services">'
                + mine + "</div>")

    html = _SLOT_MARK.sub(slot, html)
    if not holes and CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, str(context.get("csrf_token") or ""))
    return mark_safe(html)


#: the slots of the student view that are this reader's own: left as a marker in the shared
#: rendering of the page (:func:`student_page`) and rendered on every request
READER_SLOTS = ("list_actions", "list_reader", "list_aside")
_READER_MARK = re.compile(r"<!--syllabus-(hole|reader):([a-z_]+|\d+)-->")
#: seconds the shared rendering of a student view is kept (its key changes with everything it
#: shows, at once; this only bounds how long a new deployment's template takes to show)
PAGE_CACHE_SECONDS = 600
#: part of every page key: change it when the page's templates change shape
PAGE_VERSION = "1"


def page_cache():
    """The cache of whole student pages (settings: ``pages``, bounded apart from the rest)."""
    return caches["pages"]


#: heads a page kept under its stamps: the items whose reader parts it leaves as markers
_ITEMS_HEAD = re.compile(r"\A<!--syllabus-items:(.*?)-->\n", re.S)


def stamped_page_key(list_id: int, parts) -> str:
    """The page's key from the stamps read with the list (lists.views: ``_stamped_key``)."""
    digest = hashlib.sha256(repr((PAGE_VERSION, "stamped", parts, translation.get_language())).encode()).hexdigest()
    return f"lists:page:{list_id}:s:{digest}"


def cached_page(key: str) -> tuple[str, list[SimpleNamespace]] | None:
    """The shared part of a page kept by :func:`student_page` under ``key``, with its items (id,
    title, record: what the reader's own parts need), or ``None``."""
    html = page_cache().get(key)
    if html is None:
        return None
    head = _ITEMS_HEAD.match(html)
    if head is None:
        return None
    items = [SimpleNamespace(pk=pk, title=title, record_id=record_id) for pk, title, record_id in json.loads(head.group(1))]
    return html[head.end():], items


def _with_items(html: str, citations) -> str:
    items = json.dumps([[c.pk, c.title, c.record_id] for c in citations]).replace("--", "\\u002d\\u002d")
    return f"<!--syllabus-items:{items}-->\n{html}"


@register.simple_tag(takes_context=True)
def student_page(context):
    """The student view's content, whole (issue 19): its shared part — the list's header, its
    sections, its items with their library services — rendered once and kept in the cache under
    a key made of *everything it shows*: ``page_stamp_key`` from the view (the list as read, its
    courses' and every item-access provider's stamps, the reader's access, institution,
    language and citation style — with it, a page found in the cache is ``page_html`` and no
    item is loaded at all), else ``page_key`` with the key of every item's services slot, read
    on this request.  The reader's own parts (their marks, holds and progress, the list actions
    and side pane) are markers in it, rendered for this reader and filled into the same
    response, with this page's CSRF token.  A page on which a services slot without a ``key``
    shows (an editor's, a librarian's) is rendered whole, as before, and not kept."""
    lst = context["lst"]
    access = context.get("access")
    citations = [c for s in lst.section_list for c in s.items]
    html = context.get("page_html")
    if html is None:
        plan = _plan(context, "citation_services", citations, {"lst": lst, "access": access})
        key = None
        stamped = context.get("page_stamp_key")
        base = context.get("page_key")
        shared = _shared(plan) if base is not None or stamped is not None else None
        if shared is not None and stamped is not None:
            key = stamped
        elif shared is not None:
            digest = hashlib.sha256(repr((PAGE_VERSION, base, translation.get_language(), shared)).encode()).hexdigest()
            key = f"lists:page:{lst.pk}:{digest}"
        pages = page_cache()
        html = pages.get(key) if key is not None and key != stamped else None
        if html is None:
            services = _render(context, plan, citations)
            with context.push(student_services=services, slot_holes=True):
                html = context.template.engine.get_template("lists/_view_content.html").render(context)
            if key is not None:
                pages.set(key, _with_items(html, citations) if key == stamped else html, PAGE_CACHE_SECONDS)
    reader = per_item(context, "citation_reader", citations, lst=lst, access=access)

    def fill(match):
        kind, name = match.group(1), match.group(2)
        if kind == "reader":
            return "".join(reader.get(int(name), []))
        return lists_slot(context, name, lst=lst, access=access)

    html = _READER_MARK.sub(fill, html)
    if CSRF_PLACEHOLDER in html:
        html = html.replace(CSRF_PLACEHOLDER, str(context.get("csrf_token") or ""))
    return mark_safe(html)


# --- a reader's whole page (issue 19, session 10) -------------------------------------------------

#: stand for what differs between the pages of two readers that share a whole page kept by
#: :func:`reader_page_key`: the CSP nonce and the reader's name (the CSRF token: CSRF_PLACEHOLDER)
NONCE_PLACEHOLDER = "syllabus-nonce-placeholder-7c1e94"
WHOAMI_PLACEHOLDER = "syllabus-whoami-placeholder-52ad3f"


def reader_page_key(request, lst, access, stamped: str, style: str) -> str | None:
    """The key of a student's **whole** page — the shell, the shared content, their own parts —
    when they have nothing of their own on the list (no done mark, hold or loan: every
    ``mine_<provider>`` read with the list is false), so that their own parts are those of any
    such reader of it: the shared page's key ``stamped`` (the list as read, its courses', items'
    and item-access providers' stamps, the reader's access, institution, language, citation
    style and configuration), the path, the URL prefix, the shell — the reader's institution
    (its branding), the menu with its badges — and the ``key`` of every list-level reader slot
    that shows (lists.slots).  Their name, CSRF token and CSP nonce are filled in per response
    (:func:`fill_reader_page`), so readers of one institution with the same menu share it.
    ``None`` (the page is rendered as before) for a request with a query string or messages to
    show, or when a reader slot shows without a key."""
    from django.contrib.messages import get_messages
    from django.urls import get_script_prefix

    from syllabus.lists import item_access
    from syllabus.web.context_processors import _menu
    from syllabus.web.templatetags.web_tags import menu_key

    user = request.user
    if request.method != "GET" or request.META.get("QUERY_STRING") or not user.is_authenticated or not user.institution_id:
        return None
    if any(getattr(lst, f"mine_{p.name}", False) for p in item_access.providers()):
        return None
    if any(s.when is not None or s.key is None for s in slots("citation_reader")):
        return None   # (a per-item part rendered afresh may read anything)
    if len(get_messages(request)):
        return None
    values = {"lst": lst, "access": access, "citation_style": style, "request": request, "user": user,
              "reader_owns_nothing": True}
    shown = []
    for name in READER_SLOTS:
        for slot in slots(name):
            if slot.when is not None and not slot.when(request, dict(values)):
                continue
            key = slot.key(request, values) if slot.key is not None else None
            if key is None:
                return None
            shown.append((slot.template, key))
    institution = user.institution
    branding = tuple(getattr(institution, f.attname) for f in type(institution)._meta.concrete_fields)
    parts = (PAGE_VERSION, "reader", stamped, request.path, get_script_prefix(), translation.get_language(), branding,
             menu_key(list(_menu(user)), request.path), tuple(shown))
    return f"lists:reader:{lst.pk}:{hashlib.sha256(repr(parts).encode()).hexdigest()}"


_FILLED = re.compile(f"({CSRF_PLACEHOLDER}|{NONCE_PLACEHOLDER}|{WHOAMI_PLACEHOLDER})")


def reader_page(key: str) -> tuple | None:
    """The whole page kept under ``key`` (:func:`reader_page_key`): its text cut at the
    placeholders, ``(bytes, placeholder, bytes, …, bytes)``."""
    return page_cache().get(key)


def fill_reader_page(request, parts: tuple, token: str | None = None) -> bytes:
    """A kept whole page for this response: its CSRF token (``token``, else a new one: the CSRF
    cookie is then sent as on any page with a form), CSP nonce and the reader's name — joined
    in one pass, already encoded."""
    from django.utils.html import conditional_escape

    from syllabus.web.csrf import get_token

    user = request.user
    values = {CSRF_PLACEHOLDER: (token or get_token(request)).encode(),
              NONCE_PLACEHOLDER: getattr(request, "csp_nonce", "").encode(),
              WHOAMI_PLACEHOLDER: str(conditional_escape(user.get_full_name() or user.username)).encode()}
    return b"".join(values[part] if i % 2 else part for i, part in enumerate(parts))


def keep_reader_page(request, key: str, html: str, token: str) -> bytes:
    """Keep ``html`` — the page rendered for this request with ``token`` as its CSRF token and
    WHOAMI_PLACEHOLDER as the reader's name — under ``key``, its token and nonce replaced by
    placeholders; the page for this response."""
    kept = html.replace(token, CSRF_PLACEHOLDER)
    nonce = getattr(request, "csp_nonce", "")
    if nonce:
        kept = kept.replace(nonce, NONCE_PLACEHOLDER)
    parts = tuple(part if i % 2 else part.encode() for i, part in enumerate(_FILLED.split(kept)))
    page_cache().set(key, parts, PAGE_CACHE_SECONDS)
    return fill_reader_page(request, parts, token)


@register.filter
def with_id(url: str, pk) -> str:
    """A URL built once per page with ``999999999`` for the item id (lists.views), for item ``pk``."""
    return url.replace("999999999", str(pk))


@register.filter
def tag_label(code: str) -> str:
    return tag_vocabulary.label(code)


@register.filter
def public_tags(codes) -> list[str]:
    """The tags a reader sees on the student view (LST-3): the public ones only."""
    return tag_vocabulary.public_tags(codes)


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


@register.filter
def people_names(people) -> str:
    """``Ann Smith, bob`` — each person's full name, or their username (the owners a co-instructor
    is told to ask, LST-8)."""
    return ", ".join(p.get_full_name() or p.username for p in people)

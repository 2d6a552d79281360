"""Pages of resource lists: the instructor's editor, the student's list view, the librarian's task
list and list detail (LST-1..8).  Thin: parse the form, call a service or selector, render.

Every action is a POST form that works without JavaScript (redirect back with a message) and,
with htmx, swaps the re-rendered part of the page in place; a refused action shows its rule and
message in the page's live region without losing what was typed.
"""
from __future__ import annotations

import functools
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse, reverse_lazy
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from syllabus.citations.csl import season_text
from syllabus.citations.validate import merge_patch
from syllabus.core import usage
from syllabus.core.redirects import safe_next
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.courses.models import Course
from syllabus.core import paging
from syllabus.web import tabs
from syllabus.web.errors import refusal, rule_errors
from syllabus.web.htmx import is_htmx

from . import catalog_link, file_guards, forms, item_access, selectors, services, slots
from . import metadata as list_metadata
from .models import Citation, CopyrightStatus, LibrarianTask, Section
from .permissions import ensure_edit, ensure_librarian, is_librarian_for, reads_no_course, require_process
from .tags import TAGS, instructor_tags
from .templatetags import lists_tags
from .workflow import INSTRUCTOR, ITEM_WORKFLOW, LIBRARIAN, LIST_WORKFLOW, ItemStatus, ListStatus

HTMX_CONFIG = ('{"responseHandling": [{"code": "204", "swap": false}, {"code": "[23]..", "swap": true},'
               ' {"code": "4..", "swap": true, "error": false}, {"code": "...", "swap": false, "error": true}]}')


# the refusal page of web.errors in the lists' page frame, with the way back to one's lists
LIST_FRAME: dict[str, Any] = {"base": "lists/page.html", "back_url": reverse_lazy("lists:mine"),
              "back_label": gettext_lazy("Back to your lists"), "context": {"htmx_config": HTMX_CONFIG}}


def _forbidden(request, exc: RuleViolation):
    return refusal(request, exc, status=403, **LIST_FRAME)


def page(view):
    """GET pages: a list the user may not see is a 404, one they may not use this way a 403 —
    the refusal page of web.errors, in the lists' page frame."""
    return login_required(rule_errors(view, **LIST_FRAME))


def _live_refusal(request, exc: RuleViolation, citation_id: int | None = None) -> HttpResponse:
    """An htmx request refused: the rule and its message in the page's live region (#messages-live),
    whatever the request aimed at — nothing on the page is replaced, nothing typed is lost.  An
    action of the editor on one item says it beside that item too (out of band, into the item's
    ``#c<id>-refusal``): the live region speaks, but a sighted instructor looks at the item whose
    button they pressed, maybe a screen below the region."""
    beside = f"c{citation_id}-refusal" if citation_id and getattr(request.htmx, "target", None) == "editor" else None
    response = render(request, "lists/_error.html", {"error": exc, "beside": beside}, status=exc.status)
    response["HX-Retarget"] = "#messages-live"
    response["HX-Reswap"] = "innerHTML"
    return response


def _action_refused_htmx(request, exc: RuleViolation) -> HttpResponse:
    """An action's refusal for htmx: in the live region, and beside the item it was about."""
    match = getattr(request, "resolver_match", None)
    return _live_refusal(request, exc, match.kwargs.get("citation_id") if match else None)


def _action_back(request, *args, **kwargs) -> str:
    """Where a refused plain form post goes back to (with the refusal as its message)."""
    return safe_next(request, request.POST.get("next"), request.META.get("HTTP_REFERER"), fallback=reverse("lists:mine"))


def action(view):
    """POST actions.  The view performs the change and returns (fragment renderer, page url,
    message).  htmx gets the fragment; a plain form post is redirected back to the page with a
    message.  A refusal is web.errors' (:func:`~syllabus.web.errors.rule_errors`): for htmx in the
    live region, for a plain post the message "RULE: detail" on the page it came from, a missing
    right the refusal page in the lists' frame."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        render_fragment, url, message = view(request, *args, **kwargs)
        if is_htmx(request):
            return render_fragment(message)
        if message:
            messages.success(request, message)
        return redirect(url)

    return login_required(require_POST(rule_errors(wrapper, htmx=_action_refused_htmx, flash=_action_back, **LIST_FRAME)))


def _int(value, default=None):
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


# --- my lists -------------------------------------------------------------------------------

@page
def my_lists(request):
    user = request.user
    lists = list(selectors.lists_for_user(user))
    editable = [lst for lst in lists if lst.viewer_edits]
    reading = [lst for lst in lists if lst not in editable]
    taught = list(user.courses_taught.order_by("code", "section"))
    to_join = list(selectors.find_lists_to_join(user)) if taught else []
    can_create = services.can_create_list(user)
    # with nothing to show: a reader with no course is told where courses come from
    no_course = not (lists or to_join or can_create) and reads_no_course(user)
    return render(request, "lists/my_lists.html", {
        "editable": editable, "reading": reading, "taught": taught, "to_join": to_join, "show_courses": True,
        "can_create": can_create, "no_course": no_course, "is_librarian": is_librarian_for(user, user.institution_id),
        "htmx_config": HTMX_CONFIG,
    })


def _create_page(request, typed: dict | None = None, error: RuleViolation | None = None) -> HttpResponse:
    """The create-list page (LST-1, CRS-3): the form alone, for a link, a reload or a refused post
    (then with the rule and everything typed).  Someone who may not create lists meets the LST-8
    refusal page, with the way back to their lists."""
    if not services.can_create_list(request.user):
        return _forbidden(request, PermissionDenied("LST-8", "only instructors and the library create resource lists"))
    taught = list(request.user.courses_taught.order_by("code", "section"))
    if typed is None:  # ?course=<id>: a course of one's own ticked (a link from the course's page)
        course = _int(request.GET.get("course"))
        typed = {"courses": [c.pk for c in taught if c.pk == course]}
    return render(request, "lists/new.html", {"taught": taught, "typed": typed, "error": error, "htmx_config": HTMX_CONFIG},
                  status=error.status if error else 200)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def create(request):
    if request.method != "POST":
        return _create_page(request)
    try:
        data = forms.ListForm.parse(request.POST)
        courses = list(Course.objects.filter(pk__in=data["courses"], institution_id=request.user.institution_id))
        lst = services.create_list(request.user, title=data["title"], description=data["description"], courses=courses)
    except PermissionDenied as exc:
        return _forbidden(request, exc)
    except RuleViolation as exc:  # the page of its own again, with the rule and what was typed: nothing is lost
        fields = forms.ListForm.base_fields
        typed = {"title": request.POST.get("title", "")[:fields["title"].max_length],
                 "description": request.POST.get("description", "")[:fields["description"].max_length],
                 "courses": [int(v) for v in request.POST.getlist("courses")[:50] if v.isdigit() and len(v) < 19]}
        return _create_page(request, typed, exc)
    messages.success(request, _("List created. Add sections and items, then publish it and send it to the library."))
    response = redirect("lists:edit", lst.pk)
    if is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("lists:edit", args=[lst.pk])
    return response


# --- student / reader view --------------------------------------------------------------------

#: seconds the shared rendering of a student view is kept (a change of the list replaces it at
#: once through its revision; this only bounds how long a change of labels or configuration takes)
VIEW_CACHE_SECONDS = 600


@page
def view(request, pk: int):
    lst, acc, stamp = selectors.reader_list(request.user, pk)
    # ORG-4/CON-1: links to external resources (web addresses, DOIs) shown or not, as the list's
    # institution (or its consortium) configures it; part of the shared rendering, so of its key
    style, language, lst.external_links = services.view_settings(lst)
    reader_language = translation.get_language()
    # The sections and items are the same for every reader of this revision of the list in one
    # language: their rendering is cached (per language and citation style); per-reader parts are slots.
    key = f"lists:view:{lst.pk}:{lst.revision}:{reader_language}:{style}" + ("" if lst.external_links else ":no-links")
    usage.record(usage.Kind.LIST_VIEW, request.user, list_id=lst.pk, institution_id=lst.institution_id)  # ANL-1
    student = acc.student and not acc.edit
    stamped = _stamped_key(request, lst, acc, key, stamp) if student and stamp is not None else None
    context = {"lst": lst, "access": acc, "citation_style": style, "htmx_config": HTMX_CONFIG,
               "items_html_store": lambda html: cache.set(key, html, VIEW_CACHE_SECONDS)}
    reader_key = None
    if stamped is not None:
        # issue 19: a reader with nothing of their own on the list gets the whole page kept for
        # every such reader (shell included), their name, token and nonce filled in
        reader_key = lists_tags.reader_page_key(request, lst, acc, stamped, style)
        kept = lists_tags.reader_page(reader_key) if reader_key is not None else None
        if kept is not None:
            return HttpResponse(lists_tags.fill_reader_page(request, kept))
        found = lists_tags.cached_page(stamped)
        if found is not None:
            # the shared part comes whole from the cache under the stamps read with the list —
            # no item, no item access is loaded; only this reader's own parts are
            html, reader_items = found
            item_access.attach_mine(request.user, lst, reader_items)
            lst.section_list = [SimpleNamespace(items=reader_items)]
            _prepare_reader(request, lst, reader_items)
            return _render_view(request, {**context, "page_html": html}, reader_key)
    selectors.load_items(lst)
    items = selectors.all_items(lst)
    items_html = cache.get(key)
    if items_html is None:
        services.refresh_formatted(items, style, language)
        if reader_language != language:  # LST-9: the reader's language, not the stored one
            services.localize_formatted(items, style, reader_language)
    slots.prepare(request, "citation_services", items)
    _prepare_reader(request, lst, items)
    return _render_view(request, {
        **context, "items_html": items_html, "page_stamp_key": stamped,
        "page_key": _page_key(lst, acc, key) if student else None}, reader_key)


def _render_view(request, context: dict, reader_key: str | None) -> HttpResponse:
    """The student view rendered; with ``reader_key``, rendered with a known CSRF token and a
    placeholder for the reader's name, and kept whole under it (lists_tags.reader_page_key)."""
    if reader_key is None:
        return render(request, "lists/view.html", context)
    token = get_token(request)
    html = render_to_string("lists/view.html", {**context, "csrf_token": token, "shell_whoami": lists_tags.WHOAMI_PLACEHOLDER},
                            request)
    return HttpResponse(lists_tags.keep_reader_page(request, reader_key, html, token))


def _prepare_reader(request, lst, items) -> None:
    slots.prepare(request, "list_aside", [lst])
    # per person (done marks, own holds, queue places): kept apart from the shared, cached parts
    slots.prepare(request, "citation_reader", items)
    slots.prepare(request, "list_reader", [lst])


def _list_shown(lst) -> tuple:
    """What the list's header shows of the list itself (its revision: every change of the list,
    a section or an item bumps it; its state, read again here since a plain UPDATE does not)."""
    assignee = lst.assignee
    return (lst.pk, lst.revision, str(lst.updated_at), lst.title, lst.description, lst.status, lst.visibility,
            lst.assignee_id, (assignee.get_full_name(), assignee.username) if assignee is not None else None)


def _page_key(lst, acc, items_key: str) -> tuple:
    """What the shared part of a student's page shows besides its items' services (whose keys
    lists_tags.student_page adds): the list as read on this request (:func:`_list_shown`), its
    courses, the reader's access, the language, the citation style and whether external links
    show (``items_key``)."""
    courses = tuple((c.pk, c.code, c.section, c.name, c.term) for c in lst.courses.all())
    return (_list_shown(lst), courses, tuple(sorted(vars(acc).items())), items_key)


def _stamped_key(request, lst, acc, items_key: str, stamp: tuple) -> str:
    """The key of a student's whole page from what was read with the list (issue 19): the list
    as shown, the reader's access, language, citation style and links (``items_key``), the
    stamps of its courses and of every item-access provider (selectors.reader_list), the
    reader's institution, and the whole configuration of the list's and the reader's
    institutions (the slots' conditions may read any of it)."""
    user = request.user
    own = config_digest(lst.institution)
    conf = (own, (own if user.institution_id == lst.institution_id else config_digest(user.institution))
            if user.institution_id else None)
    return lists_tags.stamped_page_key(lst.pk, (_list_shown(lst), tuple(sorted(vars(acc).items())), items_key,
                                                 user.institution_id, stamp, conf))


def config_digest(institution) -> str:
    """Every configuration value in force at ``institution`` (read once per request: no query)."""
    from syllabus.org import config

    return config.digest(institution=institution)


# --- the instructor's editor -------------------------------------------------------------------

def _author_line(name: dict) -> str:
    if name.get("literal"):
        return name["literal"]
    return ", ".join(p for p in (name.get("family"), name.get("given")) if p)


# DIG-3: copyright statuses only the library's clearance sets; an editor sees them, cannot pick them
LIBRARY_DECISIONS = (CopyrightStatus.WAITING, CopyrightStatus.APPROVED, CopyrightStatus.DECLINED)


def form_values(c: Citation) -> dict:
    """The editor form's values of an item (CSL-JSON → plain form fields)."""
    m = c.metadata or {}
    values = {field: m.get(csl, "") for field, csl in forms.FORM_FIELDS.items()}
    issued = m.get("issued") or {}
    values.update({
        "type": list_metadata.form_type(c.type, m), "authors": "\n".join(_author_line(n) for n in m.get("author") or []),
        "year": season_text(issued) or ("-".join(str(p) for p in issued["date-parts"][0]) if issued.get("date-parts")
                                        else issued.get("literal") or issued.get("raw", "")),
        "tags": c.tags, "public_note": c.public_note, "library_note": c.library_note, "open_access": c.open_access,
        "copyright_status": c.copyright_status, "copyright_status_label": c.get_copyright_status_display(),
        "personal_copy": c.personal_copy, "personal_copy_owner": c.personal_copy_owner,
        "record_id": c.record_id,
    })
    return values


def _form_choices(acc, lst) -> dict:
    """What an item form offers (``lists/_citation_form.html``): types, tags, copyright statuses."""
    choices = services.copyright_choices(acc, lst)
    return {"types": list_metadata.form_types(), "instructor_tags": instructor_tags(), "all_tags": list(TAGS.values()),
            "copyright_choices": choices, "copyright_values": [value for value, _label in choices],
            "library_decisions": LIBRARY_DECISIONS}


def _editor_context(request, pk: int, message: str = "") -> dict:
    lst, acc = selectors.list_with_items(request.user, pk)
    ensure_edit(request.user, lst)
    items = selectors.all_items(lst)
    slots.prepare(request, "citation_services", items, lazy=False)  # the lazy ones: citation_services below
    slots.prepare(request, "list_aside", [lst])
    sides = set()
    if acc.instructor:
        sides.add(INSTRUCTOR)
    if acc.process:
        sides.add(LIBRARIAN)
    return {
        "lst": lst, "access": acc, "message": message, **_form_choices(acc, lst),
        "can_send_list": LIST_WORKFLOW.between(lst.status, ListStatus.SENT_TO_LIBRARY) is not None and INSTRUCTOR in sides,
        "can_send_items": INSTRUCTOR in sides, "htmx_config": HTMX_CONFIG,
        "list_empty": not items,  # LST-4: nothing to send yet
        "taught": list(request.user.courses_taught.order_by("code", "section")),
        "item_urls": _editor_urls(lst.pk), "lazy_services": slots.has_lazy("citation_services"),
    }


def _editor_urls(list_id: int) -> dict[str, str]:
    """The editor's per-item and per-section URLs, built once per page (the template puts each
    id in with ``with_id``): reversing ~10 URLs for each of 150 items cost ~15 % of the page."""
    item = {"move": "move-citation", "send": "send-citation", "delete": "delete-citation",
            "update": "update-citation", "services": "citation-services", "move_section": "move-section",
            "delete_section": "delete-section", "update_section": "update-section"}
    urls = {key: reverse(f"lists:{name}", args=[list_id, _ID]) for key, name in item.items()}
    urls["file"] = reverse("lists:file", args=[_ID])
    return urls


def _editor(request, pk: int):
    return lambda message="": render(request, "lists/_editor.html", {**_editor_context(request, pk, message), "oob": True})


def editor_action(view):
    """An action of the list editor (an :func:`action`): the view changes the list and returns
    the message; the answer is the re-rendered editor (htmx) or the editor page."""

    @functools.wraps(view)
    def wrapper(request, pk: int, *args, **kwargs):
        message = view(request, pk, *args, **kwargs)
        return _editor(request, pk), reverse("lists:edit", args=[pk]), message

    return action(wrapper)


def page_after_import(request, pk: int, report: dict, message: str):
    """LST-9: an import that added items changes the whole list page it was sent from — its
    sections and items, the header's counts and state, "Send to library" once the list is no
    longer empty: the editor (or the library's list page) is rendered again, as after any of its
    actions, with the import's report open in place and its summary in the live region.  ``None``
    when the form was sent from another page (the report alone answers)."""
    from urllib.parse import parse_qs, urlsplit

    from django.urls import Resolver404, resolve

    current = urlsplit(request.headers.get("HX-Current-URL", ""))
    try:
        match = resolve(current.path)
    except Resolver404:
        return None
    if match.namespace != "lists" or match.kwargs.get("pk") != pk:
        return None
    if match.url_name == "edit":
        context, template, frame = _editor_context(request, pk, message), "lists/_editor.html", "#editor"
    elif match.url_name == "library":
        query = parse_qs(current.query)
        context = _library_context(request, pk, message, (query.get("item_status") or [""])[0],
                                   paging.parse((query.get("page") or [None])[0]))
        template, frame = "lists/_library.html", "#library-detail"
    else:
        return None
    context["lst"].import_result = report
    response = render(request, template, {**context, "oob": True})
    response["HX-Retarget"], response["HX-Reswap"] = frame, "outerHTML"
    return response


@page
def edit(request, pk: int):
    return render(request, "lists/edit.html", _editor_context(request, pk))


def _record(user, post):
    """The catalog record the identifier lookup matched (hidden ``record_id``), or ``None``;
    scoped like the API (another consortium's record does not exist for the user)."""
    from .api import _record as record_for_user

    try:
        return record_for_user(user, _int(post.get("record_id")) or None)
    except NotFound:  # the same answer for a record of another consortium and one that does not exist
        raise RuleViolation("LST-2", "no such catalog record", field="record_id")


@editor_action
def list_settings(request, pk: int):
    lst, _acc = selectors.list_for(request.user, pk)
    values = forms.ListForm.values(request.POST)
    if "courses" in values:
        values["courses"] = list(Course.objects.filter(pk__in=values["courses"], institution_id=lst.institution_id))
    services.update_list(request.user, lst, **values)
    return _("List details saved.")


@editor_action
def send_list(request, pk: int):
    lst, _acc = selectors.list_for(request.user, pk)
    services.send_list(request.user, lst)
    return _("The list was sent to the library.")


@editor_action
def set_visibility(request, pk: int):
    lst, _acc = selectors.list_for(request.user, pk)
    visibility = forms.VisibilityForm.parse(request.POST)["visibility"]
    services.set_visibility(request.user, lst, visibility)
    msg = _("The list is published: students of its courses see it.") if visibility == "published" else _("The list is back to draft.")
    return msg


@editor_action
def add_section(request, pk: int):
    lst, _acc = selectors.list_for(request.user, pk)
    services.add_section(request.user, lst, **forms.SectionForm.parse(request.POST))
    return _("Section added.")


def _of_list(pk: int, found):
    """The section or item of ``found`` (``(object, access)`` from a selector) when it belongs
    to list ``pk`` (the URL's), else a 404."""
    obj, _acc = found
    if obj.resource_list_id != pk:
        raise NotFound()
    return obj


def _section(request, pk: int, section_id: int) -> Section:
    return _of_list(pk, selectors.section_for(request.user, section_id))


@editor_action
def update_section(request, pk: int, section_id: int):
    section = _section(request, pk, section_id)
    services.update_section(request.user, section, **forms.SectionForm.parse(request.POST))
    return _("Section saved.")


@editor_action
def move_section(request, pk: int, section_id: int):
    section = _section(request, pk, section_id)
    delta = -1 if forms.MoveForm.parse(request.POST)["direction"] == "up" else 1
    services.move_section(request.user, section, max(0, section.position + delta))
    return _("Section moved.")


@editor_action
def delete_section(request, pk: int, section_id: int):
    section = _section(request, pk, section_id)
    services.delete_section(request.user, section)
    return _("Section deleted.")


def _paste_refused(request, exc: RuleViolation) -> HttpResponse:
    """A paste refused (htmx): the rule in the preview's place under the paste box."""
    return render(request, "lists/_paste_preview.html", {"error": exc}, status=exc.status)


@login_required
@require_POST
@rule_errors(htmx=_paste_refused, flash=lambda request, pk: reverse("lists:edit", args=[pk]) + "#paste", **LIST_FRAME)
def paste_preview(request, pk: int):
    """LST-9 (session 22): the citations pasted into the editor, read — the format detected and each
    entry's fields — before anything is added; htmx gets the preview under the paste box, a plain
    post the editor page with it (a refusal: its message on the editor, or the refusal page for a
    list one may not edit)."""
    data = forms.PasteForm.parse(request.POST)
    preview = catalog_link.preview_pasted(request.user, pk, data["text"])
    context = {"preview": preview, "section_id": data["section"] or "", "lst_id": pk}
    if is_htmx(request):
        return render(request, "lists/_paste_preview.html", context)
    return render(request, "lists/edit.html", {**_editor_context(request, pk), "paste": context,
                                               "paste_text": data["text"]})


@editor_action
def paste_add(request, pk: int):
    """LST-9 (session 22): add the pasted citations to the chosen section; the editor, with what was
    added, how many need review and what was refused."""
    data = forms.PasteForm.parse(request.POST)
    report = catalog_link.add_pasted(request.user, pk, data["text"], section_id=data["section"] or None)
    review = sum(1 for e in report.entries if e.status == "created" and e.review)
    message = ngettext("%(n)d item added.", "%(n)d items added.", report.created) % {"n": report.created}
    if review:
        message += " " + ngettext("%(n)d is tagged “Needs review”: check its fields.",
                                  "%(n)d are tagged “Needs review”: check their fields.", review) % {"n": review}
    for e in report.entries:
        if e.status == "created" and e.detail:  # (its DOI or ISBN look-up failed: kept as pasted)
            message += " " + _("Look-up failed, kept as written: %(title)s — %(detail)s") % {"title": e.title[:60] or "—",
                                                                                             "detail": e.detail}
        if e.status == "rejected":
            message += " " + _("Refused: %(title)s — %(rule)s %(detail)s") % {"title": e.title[:60] or "—", "rule": e.rule,
                                                                              "detail": e.detail}
    return message


def _citation(request, pk: int, citation_id: int) -> Citation:
    return _of_list(pk, selectors.citation_for(request.user, citation_id))


@editor_action
def add_citation(request, pk: int):
    lst, _acc = selectors.list_for(request.user, pk)
    ensure_edit(request.user, lst)
    data = forms.CitationForm.parse(request.POST)
    section = selectors.section_of_list(lst.pk, data["section"] or 0) if request.POST.get("section") else None
    meta = list_metadata.set_form_csl_type(data["type"], {k: v for k, v in forms.CitationForm.metadata(data).items()
                                                          if v is not None})
    added = services.add_citation(request.user, lst, section, data["type"] or "book", meta, record=_record(request.user, data),
                                  **forms.CitationForm.values(data))
    return _placed(_("Item added."), added.pk)


def _save_citation(request, pk: int, citation_id: int) -> None:
    """LST-2/LST-3: the item's form saved (the editor's in-place form and the item's own page)."""
    citation = _citation(request, pk, citation_id)
    data = forms.CitationForm.parse(request.POST)
    meta = list_metadata.set_form_csl_type(data["type"], merge_patch(citation.metadata, forms.CitationForm.metadata(data)))
    values = forms.CitationForm.values(data)
    record = _record(request.user, data)
    if record is not None and record.pk != citation.record_id:
        values["record"] = record
    services.update_citation(request.user, citation, type=data["type"] or citation.type, metadata=meta, **values)


@editor_action
def update_citation(request, pk: int, citation_id: int):
    _save_citation(request, pk, citation_id)
    return _("Item saved.")


# --- an item's own edit page (LST-2, LST-3): the editor shows each item's summary and links here ------

@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def citation_page(request, pk: int, citation_id: int):
    """The item's edit form: a page of its own (a plain link and a plain form: no JavaScript
    needed; saved, it returns to the item in the editor) or, asked by htmx from the editor's
    "Edit item" link, the form alone, loaded in place (``Vary: HX-Request``).  Saved from the
    editor (htmx), the answer is the editor's, as for every editor action."""
    if request.method == "POST":
        return update_citation(request, pk, citation_id) if is_htmx(request) else _save_citation_page(request, pk, citation_id)
    return _citation_form(request, pk, citation_id)


def _citation_context(request, pk: int, citation_id: int) -> dict:
    citation = _citation(request, pk, citation_id)
    lst = citation.resource_list
    acc = ensure_edit(request.user, lst)
    return {"lst": lst, "access": acc, "citation": citation, "form": form_values(citation), **_form_choices(acc, lst),
            "form_url": reverse("lists:update-citation", args=[pk, citation_id]),
            "move_url": reverse("lists:move-citation", args=[pk, citation_id]),
            "other_sections": list(lst.sections.exclude(pk=citation.section_id).order_by("position", "pk")),
            "back_url": reverse("lists:edit", args=[pk]) + f"#item-{citation_id}", "htmx_config": HTMX_CONFIG}


def _prepare_citation_page(request, citation) -> None:
    """What the item's own page shows under "Library services": the editor's lazy services
    (copies and access) and the ``citation_page`` slot."""
    slots.prepare(request, "citation_services", [citation], lazy=True)
    slots.prepare(request, "citation_page", [citation])


@rule_errors(htmx=_live_refusal, **LIST_FRAME)
def _citation_form(request, pk: int, citation_id: int):
    context = _citation_context(request, pk, citation_id)
    if is_htmx(request):
        return render(request, "lists/_citation_edit.html", context)
    _prepare_citation_page(request, context["citation"])
    return render(request, "lists/citation_edit.html", context)


@login_required
@require_http_methods(["GET", "HEAD"])
@rule_errors(htmx=_live_refusal, **LIST_FRAME)
def citation_services(request, pk: int, citation_id: int):
    """An item's lazy library services (copies and access: lists.slots ``lazy``), which the
    editor loads with htmx when the item's "Copies and access" opens; asked without htmx, the
    item's own page, which shows them."""
    citation = _citation(request, pk, citation_id)
    lst = citation.resource_list
    acc = ensure_edit(request.user, lst)
    item_page = reverse("lists:update-citation", args=[pk, citation_id])
    if not is_htmx(request):
        return redirect(item_page + "#services")
    slots.prepare(request, "citation_services", [citation], lazy=True)
    return render(request, "lists/_citation_services.html", {"citation": citation, "lst": lst, "access": acc, "page_url": item_page})


@page
def _save_citation_page(request, pk: int, citation_id: int):
    """The item's page posted: saved → back to the item in the editor with the message; refused
    by a rule of the form → the page again, with the rule and message and everything typed."""
    try:
        _save_citation(request, pk, citation_id)
    except (NotFound, PermissionDenied):
        raise  # the refusal page (page)
    except RuleViolation as exc:
        context = _citation_context(request, pk, citation_id)
        _prepare_citation_page(request, context["citation"])
        typed = forms.CitationForm.typed(request.POST)
        typed["copyright_status_label"] = dict(CopyrightStatus.choices).get(typed["copyright_status"], typed["copyright_status"])
        return render(request, "lists/citation_edit.html", {**context, "form": typed, "error": exc}, status=exc.status)
    messages.success(request, _("Item saved."))
    return redirect(reverse("lists:edit", args=[pk]) + f"#item-{citation_id}")


@editor_action
def move_citation(request, pk: int, citation_id: int):
    citation = _citation(request, pk, citation_id)
    move = forms.MoveForm.parse(request.POST)
    direction = move["direction"]
    if direction in ("up", "down"):
        position = max(0, citation.position + (-1 if direction == "up" else 1))
        services.move_citation(request.user, citation, position=position)
    else:
        section = selectors.section_of_list(pk, move["section"] or 0)
        services.move_citation(request.user, citation, section=section, position=None)
    return _placed(_("Item moved."), citation.pk)


def _placed(done: str, citation_id: int) -> str:
    """``done`` and where the item now is — which item, its place and its section — for the
    editor's live region: a screen reader user who added or moved an item hears which one and
    where it went, without hunting for it (WCAG 4.1.3 status messages)."""
    citation, of = selectors.place_of(citation_id)
    where = {"title": citation.title[:80], "n": citation.position + 1, "of": of}
    if citation.section is None:
        return f"{done} " + _("%(title)s is item %(n)s of %(of)s of the list.") % where
    return f"{done} " + _("%(title)s is item %(n)s of %(of)s in %(section)s.") % {**where, "section": citation.section.title}


def _item_verb(verb: str, done: str):
    """An editor action that is one service verb on the item of the URL: ``services.<verb>(user,
    citation)``, then the message ``done`` (marked with gettext_noop, translated here)."""

    @editor_action
    def view(request, pk: int, citation_id: int):
        citation = _citation(request, pk, citation_id)
        getattr(services, verb)(request.user, citation)
        return f"{_(done)} {citation.title[:80]}"

    view.__name__ = view.__qualname__ = verb
    return view


delete_citation = _item_verb("delete_citation", gettext_noop("Item deleted."))
send_citation = _item_verb("send_citation", gettext_noop("The item was sent to the library."))


def file_action(view):
    """An action on an item's file (LST-3), posted from the item's own page (its file section):
    a plain post returns to that section with the message; an htmx post gets the editor, as every
    editor action."""

    @functools.wraps(view)
    def wrapper(request, pk: int, citation_id: int):
        message = view(request, pk, citation_id)
        return _editor(request, pk), reverse("lists:update-citation", args=[pk, citation_id]) + "#file", message

    return action(wrapper)


@file_action
def upload(request, pk: int, citation_id: int):
    citation = _citation(request, pk, citation_id)
    upload_file = request.FILES.get("file")
    if upload_file is None:
        raise RuleViolation("LST-3", "choose a file to upload", field="file")
    services.attach_file(request.user, citation, upload_file)
    return _("File uploaded.")


@file_action
def remove_file(request, pk: int, citation_id: int):
    services.remove_file(request.user, _citation(request, pk, citation_id))
    return _("File removed.")


# --- files ------------------------------------------------------------------------------------

@page
@require_GET
def download(request, citation_id: int):
    citation, _acc = selectors.citation_for(request.user, citation_id)
    response = file_guards.file_response(request.user, citation)
    usage.record(usage.Kind.FILE_DOWNLOAD, request.user, list_id=citation.resource_list_id, citation_id=citation.pk)  # ANL-1
    return response


# --- the librarian's task list and list detail ----------------------------------------------------

FILTER_KEYS = ("tab", "status", "course", "term", "department", "item_status", "open_tasks", "q", "sort")


def _task_params(source) -> dict:
    params = {k: (source.get(k) or "").strip() for k in FILTER_KEYS}
    # LST-7: a tab or sort that is not one of the page's opens the default (a mistyped or old link),
    # never a refusal page; the API still refuses them by name
    params["tab"] = tabs.chosen(params["tab"], selectors.TABS, "unassigned")
    params["sort"] = tabs.chosen(params["sort"], selectors.SORTS, "name")
    return params


def _task_context(request, params: dict, message: str = "") -> dict:
    user = request.user
    qs = selectors.task_list(user, tab=params["tab"], status=params["status"], course=params["course"], term=params["term"],
                             department=params["department"], item_status=params["item_status"],
                             open_tasks_only=params["open_tasks"] == "1", q=params["q"], sort=params["sort"])
    page_obj = paging.page_of(request, qs, 50)
    rows = list(page_obj.object_list)
    slots.prepare(request, "task_list_columns", rows)
    terms, departments = selectors.terms_and_departments(user.institution_id)
    query = urlencode({k: v for k, v in params.items() if v and k != "tab"})
    return {
        "params": params, "page": page_obj, "rows": rows, "counts": selectors.tab_counts(user), "query": query,
        "list_statuses": ListStatus.choices, "item_filters": selectors.ITEM_FILTERS.values(),
        "terms": terms, "departments": departments, "state": urlencode({k: v for k, v in params.items() if v}),
        "librarians": [{"pk": u.pk, "username": u.username, "label": u.get_full_name() or u.username}
                       for u in selectors.librarians(user.institution_id)],
        "sorts": [("name", _("Name")), ("status", _("Status")), ("code", _("Course code")), ("updated", _("Last change"))],
        "tabs": [("mine", _("Assigned to me")), ("unassigned", _("Unassigned")), ("others", _("Assigned to others"))],
        "message": message, "htmx_config": HTMX_CONFIG,
    }


@page
def tasks(request):
    ensure_librarian(request.user, request.user.institution_id)
    context = _task_context(request, _task_params(request.GET))
    template = "lists/_task_results.html" if is_htmx(request) else "lists/tasks.html"
    return render(request, template, context)


#: items per page of the librarian's list page (a list of 800 items is 16 pages, not one page of 3 MB)
LIBRARY_PAGE_SIZE = 50
_ID = "999999999"  # stands for an item id in the URLs built once per page (the with_id filter)


def _library_context(request, pk: int, message: str = "", item_filter_key: str = "", page: int = 1) -> dict:
    lst, acc, item_pages = selectors.list_with_item_page(request.user, pk, item_filter_key=item_filter_key, page=page,
                                                     per_page=LIBRARY_PAGE_SIZE)
    require_process(acc)
    items = selectors.all_items(lst)
    slots.prepare(request, "librarian_citation_services", items)
    slots.prepare(request, "list_aside", [lst])
    for item in items:
        item.next_statuses = ITEM_WORKFLOW.targets(item.status, LIBRARIAN)
    base = reverse("lists:library", args=[lst.pk])
    query = {"item_status": item_filter_key} if item_filter_key else {}
    tasks = selectors.open_tasks(lst)
    for t in tasks:
        if t.citation_id and t.citation_id in item_pages["page_of"]:
            t.item_link = f"{base}?{urlencode({**query, 'page': item_pages['page_of'][t.citation_id]})}#litem-{t.citation_id}"
    item_pages["links"] = [(n, f"{base}?{urlencode({**query, 'page': n})}") for n in range(1, item_pages["pages"] + 1)]
    urls = {  # built once per page; the template puts each item's id in (with_id)
        "item_status": reverse("lists:item-status", args=[lst.pk, _ID]),
        "library_note": reverse("lists:library-note", args=[lst.pk, _ID]),
        "file": reverse("lists:file", args=[_ID]),
    }
    counts = selectors.status_counts(lst)
    return {
        "lst": lst, "access": acc, "message": message, "tasks": tasks,
        # LST-4: items neither complete nor declined, named beside "Mark the list complete"
        "unfinished": sum(n for s, n in counts.items() if s not in (ItemStatus.COMPLETE, ItemStatus.DECLINED)),
        "counts": counts, "item_filters": selectors.ITEM_FILTERS.values(),
        "item_filter": item_filter_key, "list_next": LIST_WORKFLOW.targets(lst.status, LIBRARIAN),
        "librarians": list(selectors.librarians(lst.institution_id)), "htmx_config": HTMX_CONFIG,
        "item_statuses": ItemStatus, "all_tags": list(TAGS.values()), "paging": item_pages, "urls": urls,
    }


def _library(request, pk: int):
    flt = forms.LibraryViewForm.parse(request.POST)["item_status"]
    page = paging.number(request)
    return lambda message="": render(request, "lists/_library.html",
                                     {**_library_context(request, pk, message, flt, page), "oob": True})


@page
def library(request, pk: int):
    flt = request.GET.get("item_status", "")
    context = _library_context(request, pk, item_filter_key=flt, page=paging.number(request))
    template = "lists/_library.html" if is_htmx(request) else "lists/library.html"
    return render(request, template, context)


@action
def assign(request, pk: int):
    lst, _acc = selectors.list_for(request.user, pk)
    data = forms.AssignForm.parse(request.POST)
    username = request.user.username if data["assign_me"] else data["username"]
    services.assign_list(request.user, lst, username or None)
    msg = _("Assigned to %(name)s.") % {"name": username} if username else _("The list is unassigned.")
    if data["return_to"] == "tasks":
        from django.http import QueryDict

        params = _task_params(QueryDict(data["state"]))
        return (lambda message="": render(request, "lists/_task_results.html", {**_task_context(request, params, message), "oob": True}),
                reverse("lists:tasks") + "?" + urlencode({k: v for k, v in params.items() if v}), msg)
    return _library(request, pk), reverse("lists:library", args=[pk]), msg


@action
def list_status(request, pk: int):
    lst, _acc = selectors.list_for(request.user, pk)
    status = forms.StatusForm.parse(request.POST)["status"]
    services.set_list_status(request.user, lst, status)
    return _library(request, pk), reverse("lists:library", args=[pk]), _("List status: %(s)s.") % {"s": ListStatus(status).label}


@action
def item_status(request, pk: int, citation_id: int):
    citation = _citation(request, pk, citation_id)
    data = forms.StatusForm.parse(request.POST)
    status = data["status"]
    services.set_item_status(request.user, citation, status, note=data["note"])
    return _library(request, pk), reverse("lists:library", args=[pk]), _("Item status: %(s)s.") % {"s": ItemStatus(status).label}


@action
def library_note(request, pk: int, citation_id: int):
    citation = _citation(request, pk, citation_id)
    services.update_citation(request.user, citation, **forms.LibraryNoteForm.parse(request.POST))
    return _library(request, pk), reverse("lists:library", args=[pk]), _("Item saved.")


@action
def task_done(request, pk: int, task_id: int):
    task = LibrarianTask.objects.select_related("resource_list").filter(pk=task_id, resource_list_id=pk).first()
    if task is None:
        raise NotFound()
    services.resolve_task(request.user, task)
    return _library(request, pk), reverse("lists:library", args=[pk]), _("Task done.")


# --- term rollover (ROLL-1..11) -------------------------------------------------------------------

#: lists one run of the page copies (ROLL-10); "Run again" goes on where it stopped (ROLL-8)
ROLLOVER_PAGE_MAX_LISTS = 100
ROLLOVER_ENTRIES_PER_PAGE = 100


def _rollover_context(request, form: dict | None = None, **extra) -> dict:
    return {"terms": selectors.rollover_terms(request.user.institution_id), "runs": selectors.rollover_runs(request.user)[:20],
            "form": form or {"keep_notes": True}, "max_lists": ROLLOVER_PAGE_MAX_LISTS, "htmx_config": HTMX_CONFIG, **extra}


@page
def rollover(request):
    """The librarian's term rollover: a dry run first, then the run (ROLL-9); past runs below."""
    from .rollover import ensure_may_roll_over, roll_over_lists

    ensure_may_roll_over(request.user)
    if request.method != "POST":
        return render(request, "lists/rollover.html", _rollover_context(request))
    raw = {k: request.POST.get(k, "") for k in ("from_term", "to_term", "to_term_start", "notes")}   # shown again
    dry_run = True
    try:
        form = forms.RolloverForm.values(request.POST)
        dry_run = form["dry_run"]
        report = roll_over_lists(request.user, request.user.institution, max_lists=ROLLOVER_PAGE_MAX_LISTS, **form)
    except PermissionDenied:
        raise
    except RuleViolation as exc:
        return render(request, "lists/rollover.html", _rollover_context(request, raw | {"keep_notes": raw["notes"] != "clear"},
                                                                         error=exc), status=exc.status)
    if not dry_run:
        messages.success(request, report.summary())
        return redirect("lists:rollover-run", run_id=report.run_id)
    return render(request, "lists/rollover.html", _rollover_context(request, raw | {"keep_notes": form["keep_notes"]},
                                                                     report=report))


@page
@require_GET
def rollover_run(request, run_id: int):
    run = selectors.rollover_run(request.user, run_id)
    entries = selectors.rollover_entries(run)
    count = entries.count()
    pages = max(1, (count + ROLLOVER_ENTRIES_PER_PAGE - 1) // ROLLOVER_ENTRIES_PER_PAGE)
    number = min(paging.number(request), pages)
    start = (number - 1) * ROLLOVER_ENTRIES_PER_PAGE
    return render(request, "lists/rollover_run.html", {
        "run": run, "entries": entries[start:start + ROLLOVER_ENTRIES_PER_PAGE], "count": count,
        "page_links": [(n, f"?page={n}") for n in range(1, pages + 1)] if pages > 1 else [], "page_number": number,
        "htmx_config": HTMX_CONFIG})

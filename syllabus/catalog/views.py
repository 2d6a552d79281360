"""Pages of the catalog: search with facets (DSV-1/2), record page (holdings, availability,
lists containing it, request options), course reserves (DSV-5), My collection (DSV-3),
cite it with its bookmarklet (DSV-4), digital representations, and the link resolver page
``/openurl`` (DSV-6, mounted at the root by ``resolver_urls``).  Thin: parse, call a service or
selector, render; htmx requests get the fragment they replace."""
from __future__ import annotations

from html import escape as html_escape
import json
import re
from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods, require_POST

from syllabus.citations import csl as cslmod
from syllabus.citations import bibliography, exports, formats, openurl
from syllabus.core.files import serve_upload
from syllabus.core.redirects import safe_next
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.web.errors import refusal, refusal_fragment
from syllabus.web.errors import rule_errors
from syllabus.web.htmx import is_htmx
from syllabus.core import jsondata

from . import access, actions, citeit, forms, lists_port, marc, resolver, selectors, services
from .models import CollectionEntry, Representation, RepresentationFile



# a refused request becomes a page naming the rule: 404 for what the user may not know of, 403
# for what they may not do, 400 for a broken rule; htmx gets it in the flash region beside the button
inline_refusals = rule_errors(htmx=refusal_fragment)


def _back_to_record(request, pk: int) -> str:
    return safe_next(request, request.POST.get("next"), fallback=reverse("catalog:record", args=[pk]))


def _back_to_collection(request, *args, **kwargs) -> str:
    return reverse("catalog:collection")


# --- search ---------------------------------------------------------------------------------

def _search_args(get) -> dict:
    page = get.get("page", "1")
    return {
        "q": get.get("q", "").strip()[:500], "scope": get.get("scope", selectors.SCOPE_MINE), "types": get.getlist("type"),
        "year": get.get("year", "").strip(), "libraries": get.getlist("library"), "availability": get.get("availability", ""),
        "course": get.get("course", "").strip()[:200], "page": int(page) if page.isdigit() else 1,
        "sort": get.get("sort", "relevance"),
    }


def _toggle_url(get, key: str, value: str, *, single: bool = False) -> str:
    params = get.copy()
    params.pop("page", None)
    values = params.getlist(key)
    if value in values:
        values.remove(value)
    elif single:
        values = [value]
    else:
        values.append(value)
    params.setlist(key, values)
    return "?" + params.urlencode()


def _facet_links(get, facets: dict) -> list[dict]:
    groups = []
    titles = {"type": _("Type"), "year": _("Year"), "library": _("Library"), "availability": _("Availability")}
    for key in ("availability", "type", "library", "year"):
        values = facets.get(key) or []
        if not values:
            continue
        selected = get.getlist(key)
        entries = []
        for f in values[:15]:
            entries.append(dict(f, selected=f["value"] in selected,
                                url=_toggle_url(get, key, f["value"], single=key in ("year", "availability"))))
        groups.append({"key": key, "title": titles[key], "values": entries})
    return groups


@login_required
@inline_refusals
def search(request):
    args = _search_args(request.GET)
    page, error = None, None
    try:
        page = selectors.search_records(request.user, **args)
    except RuleViolation as exc:
        error = exc
    if page:
        actions.decorate_results(page.records, request.user)  # e.g. digital loan availability for staff (LDL-14)
    base = request.GET.copy()
    base.pop("page", None)
    context = {
        "args": args, "page": page, "error": error, "scopes": selectors.scope_choices(request.user),
        "facet_groups": _facet_links(request.GET, page.facets) if page else [],
        "collected": selectors.collection_record_ids(request.user),
        "my_lists": lists_port.lists_for_adding(request.user),
        "query_string": base.urlencode(), "sorts": [("relevance", _("Relevance")), ("title", _("Title")),
                                                    ("year_desc", _("Newest")), ("year_asc", _("Oldest"))],
    }
    return render(request, "catalog/_results.html" if is_htmx(request) else "catalog/search.html", context)


# --- record page ----------------------------------------------------------------------------

def _record_or_404(request, pk: int):
    record = selectors.record_for(request.user, pk)
    if record is None:
        raise Http404
    return record


@login_required
@inline_refusals
def record(request, pk: int):
    rec = _record_or_404(request, pk)
    context = {
        "record": rec, "csl": rec.csl, "kev": openurl.from_csl(rec.csl),
        "editions": selectors.other_editions(rec, request.user), "lists": selectors.lists_containing(rec, request.user),
        "actions": actions.actions_for(rec, request.user), "collected": rec.pk in selectors.collection_record_ids(request.user),
        "my_lists": lists_port.lists_for_adding(request.user),
        "formatted": bibliography.format_citation(rec.csl, "apa") if rec.csl.get("title") else "",
        "can_manage": services.can_catalog(request.user, rec.institution),
        "subjects": [s for s in rec.subjects.split("; ") if s], "place": rec.csl.get("publisher-place", ""),
        "people": {role: [cslmod.name_text(n) for n in cslmod.names(rec.csl, role)] for role in ("author", "editor", "translator")},
    }
    return render(request, "catalog/record.html", context)


def _export(items: list[dict], fmt: str, filename: str) -> HttpResponse:
    if fmt not in formats.FORMATS:  # the data formats only: a record is no bibliography
        raise Http404
    kind = exports.EXPORTS[fmt]
    response = HttpResponse(exports.export(items, fmt), content_type=f"{kind.content_type}; charset=utf-8")
    response["Content-Disposition"] = content_disposition_header(True, f"{filename}.{kind.extension}")
    return response


@login_required
def record_export(request, pk: int, fmt: str):
    rec = _record_or_404(request, pk)
    if fmt == "marcxml":  # issue 13: the record as MARC21 in XML (pymarc's writer)
        response = HttpResponse(marc.to_marcxml([rec]), content_type="application/marcxml+xml")
        response["Content-Disposition"] = content_disposition_header(True, f"record-{rec.pk}.xml")
        return response
    return _export([rec.csl], fmt, f"record-{rec.pk}")


@login_required
@require_POST
@inline_refusals
def collect(request, pk: int):
    """DSV-3: add a record to My collection (htmx swaps the button)."""
    rec = _record_or_404(request, pk)
    services.add_to_collection(request.user, record=rec, source=CollectionEntry.Source.SEARCH)
    if is_htmx(request):
        return render(request, "catalog/_collect_button.html", {"record": rec, "collected": True})
    messages.success(request, _("Added to My collection."))
    return redirect(safe_next(request, request.POST.get("next"), fallback=reverse("catalog:record", args=[rec.pk])))


@login_required
@require_POST
@rule_errors(htmx=refusal_fragment, flash=_back_to_record)
def add_to_list(request, pk: int):
    """DSV-3: add a record from the results or the record page to one of my lists."""
    rec = _record_or_404(request, pk)
    return _added_to_list(request, lambda list_pk, section_id: lists_port.add_record(request.user, list_pk, rec, section_id=section_id),
                          back=_back_to_record(request, rec.pk))


def _added_to_list(request, add: Callable[[int, int | None], Any], *, back: str) -> HttpResponse:
    """Add to the list the form names (``add(list_pk, section_id)`` answers the citation, DSV-3)
    and say so: a flash fragment to an htmx request, else a message and a redirect to ``back`` (a
    refusal is the view's ``rule_errors``: the flash fragment, or the message on the page it came from)."""
    chosen = forms.AddToListForm.parse(request.POST)
    try:
        citation = add(chosen["list_id"], chosen["section_id"])
    except NotFound as exc:   # the list the form names is none of theirs: the form is refused, the page is there
        raise RuleViolation(exc.rule, exc.detail, field="list_id") from None
    message = _("Added to the list “%(title)s”.") % {"title": citation.resource_list.title}
    if is_htmx(request):
        return render(request, "catalog/_flash.html", {"message": message, "ok": True})
    messages.success(request, message)
    return redirect(back)


# --- course reserves (DSV-5) -----------------------------------------------------------------

@login_required
@inline_refusals
def reserves(request):
    q = request.GET.get("q", "").strip()[:200]
    found = selectors.course_reserves(request.user, q) if q else []
    context = {"q": q, "found": found, "collected": selectors.collection_record_ids(request.user)}
    return render(request, "catalog/_reserves_results.html" if is_htmx(request) else "catalog/reserves.html", context)


# --- My collection (DSV-3) ------------------------------------------------------------------

@login_required
def collection(request):
    entries = list(selectors.collection_of(request.user))
    return render(request, "catalog/collection.html", {"entries": entries, "my_lists": lists_port.lists_for_adding(request.user)})


@login_required
@require_POST
@inline_refusals
def collection_remove(request, pk: int):
    services.remove_from_collection(request.user, pk)
    if is_htmx(request):
        return HttpResponse("")
    messages.success(request, _("Removed from My collection."))
    return redirect("catalog:collection")


@login_required
@require_POST
@rule_errors(htmx=refusal_fragment, flash=_back_to_collection)
def collection_to_list(request, pk: int):
    entry = selectors.collection_of(request.user).filter(pk=pk).first()
    if entry is None:
        raise Http404
    return _added_to_list(request, lambda list_pk, _section_id: lists_port.add_metadata(request.user, list_pk, entry.csl, record=entry.record,
                                                                           note="from My collection"),
                          back=reverse("catalog:collection"))


@login_required
def collection_export(request, fmt: str):
    return _export([e.csl for e in selectors.collection_of(request.user)], fmt, "my-collection")


# --- cite it (DSV-4) -------------------------------------------------------------------------

PENDING = "cite_it_pending"


@login_required
def cite_it(request):
    harvest_url = request.build_absolute_uri(reverse("catalog:cite-it-harvest"))
    bookmarklet = (
        "javascript:(function(){var f=document.createElement('form');f.method='post';"
        f"f.action={json.dumps(harvest_url)};f.target='_blank';f.acceptCharset='utf-8';"
        "function a(n,v){var i=document.createElement('input');i.type='hidden';i.name=n;i.value=v;f.appendChild(i);}"
        "a('url',location.href);a('html',document.documentElement.outerHTML.slice(0,2000000));"
        "document.body.appendChild(f);f.submit();f.remove();})();"
    )
    return render(request, "catalog/cite_it.html", {"bookmarklet": bookmarklet})


@csrf_exempt
@require_http_methods(["GET", "POST"])
def cite_it_harvest(request):
    """Harvest a page and show what was found, to edit and save.  CSRF-exempt because the
    bookmarklet posts here from any site: this view changes nothing (saving is a separate,
    protected POST)."""
    data = request.POST if request.method == "POST" else request.GET
    url, html = data.get("url", "").strip()[:2000], data.get("html", "")
    if not request.user.is_authenticated:
        if url or html:
            request.session[PENDING] = {"url": url, "html": html[:500_000]}
        return redirect_to_login(reverse("catalog:cite-it-harvest") + "?resume=1")
    if data.get("resume") and PENDING in request.session:
        pending = request.session.pop(PENDING)
        url, html = pending.get("url", ""), pending.get("html", "")
    if not url and not html:
        messages.error(request, _("DSV-4: give the address of a page, or its HTML."))
        return redirect("catalog:cite-it")
    try:
        if not html:
            url, html = citeit.fetch(url)
        harvest = citeit.harvest(html, url)
    except RuleViolation as exc:
        messages.error(request, str(exc))
        return redirect("catalog:cite-it")
    return render(request, "catalog/cite_it_preview.html", _preview_context(request, harvest.csl, harvest))


def _preview_context(request, data: dict, harvest=None) -> dict:
    people = "\n".join(cslmod.name_text(n) for n in cslmod.names(data, "author"))
    return {"csl": data, "csl_json": json.dumps(data), "authors_text": people, "year": cslmod.year_of(data) or "",
            "container": data.get("container-title", ""),
            "harvest": harvest, "labels": citeit.FORMAT_LABELS, "types": sorted(cslmod.TYPE_LABELS.items(), key=lambda kv: str(kv[1])),
            "my_lists": lists_port.lists_for_adding(request.user)}


def edited_csl(post) -> dict:
    """The preview form's fields applied over the harvested CSL-JSON (catalog/forms.py)."""
    data, sent = forms.CiteItEditForm.edited(post)
    for key in forms.CITE_IT_FIELDS:
        if key in sent:
            data[key] = sent[key]
    if "authors" in sent:
        data["author"] = [cslmod.parse_name(line) for line in sent["authors"].splitlines() if line.strip()]
    if "year" in sent:
        year = sent["year"]
        issued = (data.get("issued") or {}).get("date-parts", [[]])[0] if isinstance(data.get("issued"), dict) else []
        if year and (not issued or str(issued[0]) != year):
            data["issued"] = {"date-parts": [[int(year)]]}
        elif not year:
            data.pop("issued", None)
    return data


@login_required
@require_POST
@inline_refusals
def cite_it_save(request):
    try:
        target = forms.CiteItSaveForm.target_of(request.POST)
        data = edited_csl(request.POST)
        if target is None:
            services.add_to_collection(request.user, csl=data, source=CollectionEntry.Source.CITE_IT)
            messages.success(request, _("Saved to My collection."))
            return redirect("catalog:collection")
        citation = lists_port.add_metadata(request.user, target, data, note="cite it")
        messages.success(request, _("Added to the list “%(title)s”.") % {"title": citation.resource_list.title})
        return redirect(lists_port.list_url(citation.resource_list))
    except RuleViolation as exc:
        messages.error(request, str(exc))
        try:
            data = jsondata.loads(request.POST.get("csl") or "{}")
        except ValueError:
            data = {}
        return render(request, "catalog/cite_it_preview.html", _preview_context(request, data), status=400)


# --- identifier lookup in a citation form ----------------------------------------------------

FILL_FIELDS = [  # (form field name, id suffix, CSL key, input type) — the lists app's citation form
    ("title", "title", "title", "text"), ("container_title", "container", "container-title", "text"),
    ("edition", "edition", "edition", "text"), ("publisher", "publisher", "publisher", "text"),
    ("publisher_place", "place", "publisher-place", "text"), ("volume", "volume", "volume", "text"),
    ("issue", "issue", "issue", "text"), ("page", "page", "page", "text"), ("isbn", "isbn", "ISBN", "text"),
    ("issn", "issn", "ISSN", "text"), ("doi", "doi", "DOI", "text"), ("url", "url", "URL", "url"),
]


@login_required
def lookup_fill(request):
    """Fill a citation form from an ISBN, ISSN or DOI (htmx): the answer replaces the form's
    inputs out of band, by id (``base`` + field name), and says where the data came from.
    A form opts in with a button: ``hx-get="/catalog/lookup/fill/" hx-include="[name=isbn],[name=doi]"
    hx-vals='{"base": "<id prefix>"}'``."""
    from . import lookup as lookup_mod

    base = re.sub(r"[^A-Za-z0-9_\-]", "", request.GET.get("base", ""))[:60]
    identifier = (request.GET.get("identifier") or request.GET.get("doi") or request.GET.get("isbn")
                  or request.GET.get("issn") or "").strip()
    found, message = None, ""
    if not identifier:
        message = _("Type an ISBN, ISSN or DOI first.")
    else:
        try:
            found = lookup_mod.lookup(request.user, identifier)
            if found is None:
                message = _("Nobody knows %(id)s: enter the details by hand.") % {"id": identifier}
        except RuleViolation as exc:
            message = str(exc)
    fields, authors, year = [], "", ""
    if found is not None:
        data = found.csl
        fields = [{"id": f"{base}{suffix}", "name": name, "type": kind, "value": str(data.get(key, "") or "")}
                  for name, suffix, key, kind in FILL_FIELDS]
        authors = "\n".join(cslmod.name_text(n) for n in cslmod.names(data, "author"))
        year = cslmod.year_of(data) or ""
        source = {"catalog": _("the library catalog"), "openlibrary": "Open Library", "crossref": "Crossref"}[found.source]
        message = _("Filled in from %(source)s.") % {"source": source}
    # the citation is linked to the matched catalog record (DSV-5) and gets the CSL type's citation type
    types = lists_port.citation_form_type(found.csl.get("type")) if found is not None else None
    return render(request, "catalog/_lookup_fill.html", {"found": found, "message": message, "fields": fields, "base": base,
                                                          "authors": authors, "year": year, "types": types})


# --- digital representations ----------------------------------------------------------------

def _representation(request, pk: int) -> Representation:
    rep = Representation.objects.select_related("record__institution", "library").prefetch_related("extra_files").filter(pk=pk).first()
    if rep is None or not request.user.is_authenticated:
        raise Http404
    try:
        access.ensure_can_read(request.user, rep)
    except NotFound:
        raise Http404
    return rep


@login_required
def representation(request, pk: int):
    try:
        rep = _representation(request, pk)  # 404 first: a stranger learns nothing
    except PermissionDenied as exc:
        # served by another app's page (a lent title: its loan page) to those who may not open it here
        home = access.home_url(get_object_or_404(Representation, pk=pk))
        if home:
            return redirect(home)
        return refusal(request, exc, status=403)
    return render(request, "catalog/representation.html", {"rep": rep, "record": rep.record})


def _file_response(field_file, name: str):
    """Sniffed, allow-listed, sandboxed (§12 uploads): the one helper every file route uses."""
    return serve_upload(field_file, filename=name, inline=True)


@login_required
def representation_file(request, pk: int):
    try:
        rep = _representation(request, pk)
    except PermissionDenied as exc:
        return refusal(request, exc, status=403)
    return _file_response(rep.file, rep.label)


@login_required
def representation_extra_file(request, pk: int):
    extra = RepresentationFile.objects.select_related("representation").filter(pk=pk).first()
    if extra is None:
        raise Http404
    try:
        _representation(request, extra.representation_id)
    except PermissionDenied as exc:
        return refusal(request, exc, status=403)
    return _file_response(extra.file, extra.label)


# --- the link resolver (DSV-6) -------------------------------------------------------------

@login_required
@inline_refusals
def openurl_page(request):
    # the same reading as GET /api/v1/resolve (DSV-6): a link the API resolves, this page resolves
    kev = resolver.read_kev(request.GET)  # DSV-6 names an over-long value (the refusal page)
    if not openurl.is_openurl(kev):
        return render(request, "catalog/openurl.html", {"result": None, "bad": bool(request.GET)},
                      status=200 if not request.GET else 400)
    from_item = resolver.read_from_item(request.GET)
    result = resolver.resolve(request.user, openurl.to_csl(kev))
    back = lists_port.item_context(request.user, from_item) if from_item else None
    result.from_item = from_item if back else None  # a next step carries only an item the reader sees
    steps = actions.next_steps_for(result, request.user)
    shown = result.citation if result.citation.get("title") else (result.records[0].csl if result.records else result.citation)
    described = " · ".join(f"{key} {shown[key]}" for key in ("DOI", "PMID", "PMCID", "ISBN", "ISSN", "URL") if shown.get(key))
    context = {"result": result, "citation": shown, "csl_json": json.dumps(shown),
               "formatted": bibliography.format_citation(shown, "apa") if shown.get("title") else html_escape(described),
               "collected": selectors.collection_record_ids(request.user),
               # nothing held anywhere: what the reader can do next (a purchase suggestion, SRV-3)
               "held": actions.held(result), "next_steps": steps, "advised": any(s["advice"] for s in steps),
               # opened from a list item the reader sees: the way back to it (never a URL from the query)
               "back": back,
               # an article is not bought but copied (document delivery / ILL): its own advice
               "is_article": result.citation.get("type") in resolver.ARTICLE_TYPES}
    return render(request, "catalog/openurl.html", context)


@login_required
@require_POST
@inline_refusals
def collect_citation(request):
    """Save a resolved (or any) citation, given as CSL-JSON, to My collection."""
    csl = forms.CollectForm.parse(request.POST)["csl"]
    services.add_to_collection(request.user, csl=csl, source=CollectionEntry.Source.MANUAL)
    message = _("Saved to My collection.")
    if is_htmx(request):
        return render(request, "catalog/_flash.html", {"message": message, "ok": True})
    messages.success(request, message)
    return redirect("catalog:collection")

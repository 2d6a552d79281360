"""The template language of letters: Django templates on a closed engine.

Letter templates are edited in the back office, so they run on an engine of their own: no
template loaders (nothing to include or extend), no tag libraries to ``{% load %}``, no
``{% debug %}``; plain text (no HTML escaping) because e-mail bodies and SMS are text.

:func:`check` compiles a template and finds what would go wrong when it is sent — a syntax
error, a forbidden tag, a variable the letter does not receive — and says so with the line,
so that a Letter Administrator's mistake is caught when saving, not when a patron should have
been told something (acceptance 5 of issue 5).
"""
from __future__ import annotations

import functools

from django.template import Context, Engine, TemplateSyntaxError
from django.template.base import Lexer, TextNode, TokenType, VariableNode, render_value_in_context
from django.template.defaulttags import ForNode, WithNode
from django.utils.translation import gettext as _

ENGINE = Engine(debug=False, loaders=[], libraries={}, autoescape=False)
_CHECK_ENGINE = Engine(debug=True, loaders=[], libraries={}, autoescape=False)

FORBIDDEN_TAGS = frozenset({"load", "include", "extends", "block", "debug", "ssi", "url", "csrf_token", "static"})
ALWAYS_KNOWN = frozenset({"forloop", "True", "False", "None"})


class LetterTemplateError(Exception):
    """A letter template that would not render as written (``line`` is 1-based or None)."""

    def __init__(self, message: str, line: int | None = None):
        super().__init__(message)
        self.message = message
        self.line = line


@functools.lru_cache(maxsize=512)
def _compiled(source: str):
    """A letter template compiled once per process (rendering a compiled template is thread-safe)."""
    return ENGINE.from_string(source)


@functools.lru_cache(maxsize=512)
def _plain_parts(source: str) -> tuple[tuple[bool, str], ...] | None:
    """A template that is only text and bare variables (``{{ name }}``: one plain name, no
    filter, no dot, no tag): its parts, ``(False, text)`` or ``(True, name)`` in order — else
    ``None``.  Most letters are that (issue 19, session 15: a hot loan title renders ≈ 16 per
    hand-over, ≈ 0.1 ms each through the template engine)."""
    parts: list[tuple[bool, str]] = []
    for node in _compiled(source).nodelist:
        if isinstance(node, TextNode):
            parts.append((False, node.s))
            continue
        if type(node) is not VariableNode:
            return None
        fe = node.filter_expression
        var = fe.var if fe.is_var else None
        if (fe.filters or var is None or var.literal is not None or var.translate or var.message_context is not None
                or var.lookups is None or len(var.lookups) != 1):
            return None
        parts.append((True, var.lookups[0]))
    return tuple(parts)


def render(source: str, context: dict) -> str:
    """Render a letter template with ``context``.  A template of text and bare variables whose
    values are all present and plain ``str`` or ``int`` is rendered by joining its parts, each
    value shown as the engine's ``{{ name }}`` shows it (``render_value_in_context``: a ``str``
    as it is, a number localized) — the same text without the engine's per-node machinery;
    anything else goes through the engine."""
    parts = _plain_parts(source)
    if parts is not None:
        out = []
        shown: Context | None = None
        for is_name, piece in parts:
            if not is_name:
                out.append(piece)
                continue
            value = context.get(piece, _MISSING)
            kind = type(value)
            if kind is str:
                out.append(value)
            elif kind is int:
                shown = shown or Context(autoescape=False)
                out.append(render_value_in_context(value, shown))
            else:  # missing, callable, a date, a lazy string …: the engine decides
                break
        else:
            return "".join(out).strip()
    return _compiled(source).render(Context(context, autoescape=False)).strip()


_MISSING = object()


def check(source: str, variables: tuple[str, ...] | list[str], sample: dict | None = None) -> None:
    """Raise :class:`LetterTemplateError` if ``source`` would not render as its author meant."""
    try:
        tokens = Lexer(source).tokenize()
    except Exception as exc:  # the lexer itself is very forgiving; defensive only
        raise LetterTemplateError(str(exc)) from exc
    for token in tokens:
        if token.token_type == TokenType.TEXT:
            for opener, closer in (("{{", "}}"), ("{%", "%}")):
                if opener in token.contents:
                    line = token.lineno + token.contents[:token.contents.index(opener)].count("\n")
                    raise LetterTemplateError(
                        _("“%(opener)s” is never closed with “%(closer)s”") % {"opener": opener, "closer": closer}, line)
        if token.token_type == TokenType.BLOCK and token.contents.split():
            name = token.contents.split()[0]
            if name in FORBIDDEN_TAGS:
                raise LetterTemplateError(
                    _("the tag {%% %(tag)s %%} is not allowed in letters") % {"tag": name}, token.lineno)
    try:
        template = _CHECK_ENGINE.from_string(source)
    except TemplateSyntaxError as exc:
        line = (getattr(exc, "template_debug", None) or {}).get("line")
        raise LetterTemplateError(str(exc).replace("Did you forget to register or load this tag?", "").strip(), line) from exc

    known = set(variables) | ALWAYS_KNOWN | _bound_names(template.nodelist)
    for name, line in _used_names(template.nodelist):
        if name not in known:
            raise LetterTemplateError(
                _("unknown variable “%(name)s”; this letter receives: %(known)s")
                % {"name": name, "known": ", ".join(variables) or "—"}, line)
    try:
        template.render(Context(dict(sample or {}), autoescape=False))
    except Exception as exc:  # a filter that fails on the sample data, for instance
        line = (getattr(exc, "template_debug", None) or {}).get("line")
        raise LetterTemplateError(_("it fails on the sample data: %(error)s") % {"error": exc}, line) from exc


def _walk(nodelist):
    for node in nodelist:
        yield node
        for attr in getattr(node, "child_nodelists", ()):
            child = getattr(node, attr, None)
            if child:
                yield from _walk(child)
        conditions = getattr(node, "conditions_nodelists", None)
        if conditions:
            for _condition, child in conditions:
                yield from _walk(child)


def _bound_names(nodelist) -> set[str]:
    """Names a template binds itself ({% for x in ... %}, {% with a=... %})."""
    names: set[str] = set()
    for node in _walk(nodelist):
        if isinstance(node, ForNode):
            names.update(node.loopvars)
        elif isinstance(node, WithNode):
            names.update(node.extra_context)
    return names


def _base_name(filter_expression) -> str | None:
    var = getattr(filter_expression, "var", None)
    lookups = getattr(var, "lookups", None)
    return lookups[0] if lookups else None


def _expression_names(filter_expression):
    """The variables an expression reads: its base and its filters' variable arguments
    (``{{ x|default:y }}`` reads ``x`` and ``y``)."""
    name = _base_name(filter_expression)
    if name:
        yield name
    for _func, args in getattr(filter_expression, "filters", ()):
        for is_lookup, arg in args:
            lookups = getattr(arg, "lookups", None) if is_lookup else None
            if lookups:
                yield lookups[0]


def _condition_names(condition):
    """Variable names inside an {% if %} condition tree."""
    if condition is None:
        return
    value = getattr(condition, "value", None)
    if value is not None and hasattr(value, "var"):
        yield from _expression_names(value)
    for side in ("first", "second"):
        child = getattr(condition, side, None)
        if child is not None and child is not condition:
            yield from _condition_names(child)


def _used_names(nodelist):
    for node in _walk(nodelist):
        line = getattr(getattr(node, "token", None), "lineno", None)
        if isinstance(node, VariableNode):
            for name in _expression_names(node.filter_expression):
                yield name, line
        elif isinstance(node, ForNode):
            for name in _expression_names(node.sequence):
                yield name, line
        elif isinstance(node, WithNode):
            for expression in node.extra_context.values():
                for name in _expression_names(expression):
                    yield name, line
        conditions = getattr(node, "conditions_nodelists", None)
        if conditions:
            for condition, _child in conditions:
                for name in _condition_names(condition):
                    yield name, line

"""The WSGI handler of ``syllabus serve`` (issue 19, session 14): Django's, with each path's
resolution kept per process.

Django resolves every request's path against the URL configuration (a walk of the patterns, a
regular expression per level, the converters' ``to_python``: ~60 µs of the student view's CPU).
The answer depends only on the resolver (the URL configuration in force, as Django builds it) and
the path, and our converters are pure (``core.converters``), so a path resolved before is not
resolved again: each request gets its own copy of the match (its own ``kwargs``).  A path that
does not resolve (404) is never kept; at most :data:`LIMIT` paths are kept, then forgotten at once
(a client sending many paths costs memory no more than that).

**The process's long-lived objects frozen** (issue 19, session 16): after a worker's first
:data:`FREEZE_AFTER` requests (modules, models, URL configuration, templates, translations and
prepared queries are loaded by then), its objects are moved out of the cyclic garbage
collector's sight (``gc.collect(); gc.freeze()``, once per process).  Python's full collections
walked all ≈ 330,000 of them again and again — ≈ 0.09 ms per student view, ≈ 4 % of its CPU —
though none of them ever becomes garbage; a cycle made later is still collected as before
(tests/core/test_wsgi_handler.py)."""
from __future__ import annotations

import gc
import logging
import os
import threading

from django.core.handlers.wsgi import WSGIHandler
from django.urls import ResolverMatch, URLResolver, get_resolver, set_urlconf

LIMIT = 20_000
_MATCHES: dict[tuple, ResolverMatch] = {}
#: requests a process answers before it freezes its objects (module doc)
FREEZE_AFTER = 50


class _Freeze:
    lock = threading.Lock()
    pid = 0       # the process the count belongs to (a forked child counts again)
    count = 0
    done = False


def _count_and_freeze() -> None:
    with _Freeze.lock:
        if _Freeze.pid != os.getpid():
            _Freeze.pid, _Freeze.count, _Freeze.done = os.getpid(), 0, False
        if _Freeze.done:
            return
        _Freeze.count += 1
        if _Freeze.count < FREEZE_AFTER:
            return
        _Freeze.done = True
    gc.collect()  # (the garbage of the requests so far is not frozen with them)
    gc.freeze()


class Handler(WSGIHandler):
    def __call__(self, environ, start_response):
        response = super().__call__(environ, start_response)
        if not _Freeze.done or _Freeze.pid != os.getpid():
            _count_and_freeze()
        return response

    def resolve_request(self, request):
        if hasattr(request, "urlconf"):
            set_urlconf(request.urlconf)
            resolver = get_resolver(request.urlconf)
        else:
            resolver = get_resolver()
        key = (resolver, request.path_info)   # (the resolver itself: a new URL configuration, new keys)
        found = _MATCHES.get(key)
        if found is None:
            found = resolver.resolve(request.path_info)
            if len(_MATCHES) >= LIMIT:
                _MATCHES.clear()
            _MATCHES[key] = found
        match = ResolverMatch.__new__(ResolverMatch)   # (a copy: ResolverMatch refuses copy.copy)
        match.__dict__.update(found.__dict__)
        match.args, match.kwargs = tuple(found.args), dict(found.kwargs)
        request.resolver_match = match
        return match


def _populate(resolver: URLResolver) -> None:
    """The resolver's reverse table in the active language, and its namespaces' (read on a first
    ``reverse`` otherwise: the menu of every page reverses a dozen names)."""
    len(resolver.reverse_dict)  # (built on first read)
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            _populate(pattern)


def warm_up() -> dict[str, int]:
    """What a worker would otherwise load on its first requests, loaded before it takes one (session
    24): the URL configuration — every view module, and the API's request and response schemas that
    django-ninja builds with pydantic on import (~75 % of a fresh worker's first student view, ~1.5 s
    of CPU) and its tables of names for ``reverse``, the translation catalogs of every language,
    and every template of the apps, compiled into the cached template loader (one that does not
    compile is logged and left to its page, whose request reports it as before).  ``syllabus serve``'s workers call it as they load the
    application (syllabus/wsgi.py), before gunicorn hands them a connection: the first students of
    a new worker (a start of term, a deployment, a worker replaced) no longer wait for it.  Returns
    what it loaded (URL patterns, languages, templates)."""
    from pathlib import Path

    from django.conf import settings
    from django.template import TemplateDoesNotExist, TemplateSyntaxError, engines
    from django.template.utils import get_app_template_dirs
    from django.utils import translation
    from django.utils.translation import trans_real

    resolver = get_resolver()
    patterns = len(resolver.url_patterns)
    for code, _name in settings.LANGUAGES:
        trans_real.translation(code)
        with translation.override(code):  # the names reversed (``{% url %}``, the menu): a table per language
            _populate(resolver)
    templates = 0
    for engine in engines.all():
        if not hasattr(engine, "engine"):
            continue
        for folder in get_app_template_dirs("templates"):
            for path in sorted(Path(folder).rglob("*.html")):
                try:
                    engine.engine.get_template(path.relative_to(folder).as_posix())
                except (TemplateDoesNotExist, TemplateSyntaxError):
                    logging.getLogger("syllabus.wsgi").exception("warm-up: template %s", path)
                    continue
                templates += 1
    return {"url_patterns": patterns, "languages": len(settings.LANGUAGES), "templates": templates}


def get_wsgi_application() -> Handler:
    """``django.core.wsgi.get_wsgi_application`` with :class:`Handler`."""
    import django

    django.setup(set_prefix=False)
    return Handler()

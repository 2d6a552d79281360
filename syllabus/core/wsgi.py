"""The WSGI handler of ``syllabus serve`` (issue 19, session 14): Django's, with each path's
resolution kept per process.

Django resolves every request's path against the URL configuration (a walk of the patterns, a
regular expression per level, the converters' ``to_python``: ~60 µs of the student view's CPU).
The answer depends only on the resolver (the URL configuration in force, as Django builds it) and
the path, and our converters are pure (``core.converters``), so a path resolved before is not
resolved again: each request gets its own copy of the match (its own ``kwargs``).  A path that
does not resolve (404) is never kept; at most :data:`LIMIT` paths are kept, then forgotten at once
(a client sending many paths costs memory no more than that)."""
from __future__ import annotations

from django.core.handlers.wsgi import WSGIHandler
from django.urls import ResolverMatch, get_resolver, set_urlconf

LIMIT = 20_000
_MATCHES: dict[tuple, ResolverMatch] = {}


class Handler(WSGIHandler):
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


def get_wsgi_application() -> Handler:
    """``django.core.wsgi.get_wsgi_application`` with :class:`Handler`."""
    import django

    django.setup(set_prefix=False)
    return Handler()

"""Language choice: the user's explicit choice (cookie), else the language the session was
opened in by an LMS launch (LTI ``launch_presentation.locale``, LMS-1: the LMS's language is the
person's choice of the moment), else their preferred language, else the institution's
``default_language`` (ORG-4), else the browser's, else English."""
from __future__ import annotations

from django.conf import settings
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.functional import LazyObject, empty

SUPPORTED = {code for code, _ in settings.LANGUAGES}
#: the session's language, set by a sign-in that said which language the person reads (an LMS launch)
SESSION_LANGUAGE = "syllabus_language"


def supported_language(tag: object) -> str | None:
    """The interface language of a BCP 47 / POSIX language tag (``fr-CA``, ``fr_FR``, ``FR``), or
    ``None`` when Syllabus has no translation for it (or it is no tag)."""
    if not isinstance(tag, str) or not tag.strip():
        return None
    tag = tag.strip().replace("_", "-").lower()[:35]
    for candidate in (tag, tag.split("-")[0]):
        if candidate in SUPPORTED:
            return candidate
    return None


def set_session_language(request, tag: object) -> str | None:
    """Read the session's pages in the language of ``tag`` (until sign-out, unless the person
    chooses another on a page): what an LMS launch's locale says.  Returns the language, or
    ``None`` when it is not one Syllabus speaks (the session then keeps the usual choice)."""
    language = supported_language(tag)
    if language is None:
        request.session.pop(SESSION_LANGUAGE, None)
        return None
    request.session[SESSION_LANGUAGE] = language
    translation.activate(language)
    request.LANGUAGE_CODE = language
    return language


class InstitutionLanguageMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        language = self._choose(request)
        user = getattr(request, "user", None)
        if isinstance(user, LazyObject) and user._wrapped is not empty:
            # the person is loaded (``_choose`` asked whether they are signed in): the request
            # holds them, not the lazy wrapper every attribute read went through (~100 reads per
            # page; issue 19, session 14) — the same object, what was set on the wrapper is on it
            request.user = user._wrapped
        translation.activate(language)
        request.LANGUAGE_CODE = language
        response = self.get_response(request)
        patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", language)
        return response

    def _choose(self, request) -> str:
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen in SUPPORTED:
            return chosen
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            session = getattr(request, "session", None)
            launched = session.get(SESSION_LANGUAGE) if session is not None else None
            if launched in SUPPORTED:
                return launched
            if user.preferred_language in SUPPORTED:
                return user.preferred_language
            if user.institution_id:
                from syllabus.org import config

                default = config.get("default_language", institution=user.institution)
                if default in SUPPORTED:
                    return default
        browser = translation.get_language_from_request(request)
        return browser if browser in SUPPORTED else settings.LANGUAGE_CODE


class SecureCookiesMiddleware:
    """On a request that came over HTTPS (directly or as SECURE_PROXY_SSL_HEADER says), the
    session, CSRF and language cookies are ``Secure`` whatever SECURE_COOKIES says (issue 18
    item 8): a deployment behind TLS never leaks them over plain HTTP."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if request.is_secure():
            for name in (settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, settings.LANGUAGE_COOKIE_NAME):
                if name in response.cookies:
                    response.cookies[name]["secure"] = True
        return response


class InstitutionTimezoneMiddleware:
    """Times are shown in the signed-in person's institution's time zone: the configured
    ``time_zone`` (ORG-4), else the zone of its first library, else ``TIME_ZONE``.  Pages that
    show one library's times (a hold shelf, a pickup deadline) switch to that library's zone
    and name it.  The configured zone is read with the request's configuration (one read per
    request, shared with the language and the page: a change made in any worker shows at once);
    the zone of the first library is kept per process and dropped when a library or a
    configuration value changes in it."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        from django.utils import timezone

        zone = None
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and user.institution_id:
            zone = institution_zone(user.institution_id, institution=user.institution)
        if zone:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()


_ZONES: dict[tuple[int, str], str] = {}


def institution_zone(institution_id: int, *, institution=None) -> str:
    import zoneinfo

    from syllabus.org import config
    from syllabus.org.models import Institution, Library

    inst = institution if institution is not None else \
        Institution.objects.select_related("consortium").filter(pk=institution_id).first()
    configured = (config.get("time_zone", institution=inst) if inst is not None else "") or ""
    key = (institution_id, configured)
    if key not in _ZONES:
        zone = configured
        if not zone:
            zone = Library.objects.filter(institution_id=institution_id).order_by("code").values_list("timezone", flat=True).first() or ""
        try:
            zoneinfo.ZoneInfo(zone or settings.TIME_ZONE)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            zone = ""
        if len(_ZONES) > 10_000:
            _ZONES.clear()
        _ZONES[key] = zone or settings.TIME_ZONE
    return _ZONES[key]


def forget_zones(**kwargs) -> None:
    _ZONES.clear()


class RateLimitMiddleware:
    """RATE-LIMIT (session 21): a page of ``syllabus.org.ratelimit.PAGES`` counts against its rule
    before its view runs; past the limit the answer is the refusal page, 429 with ``Retry-After``,
    and the view does not run (the API counts through its operations' ninja throttles)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        from syllabus.org import ratelimit

        match = getattr(request, "resolver_match", None)
        entry = ratelimit.PAGES.get(match.view_name) if match is not None else None
        if entry is None:
            return None
        name, methods = entry
        if methods is not None and request.method not in methods:
            return None
        try:
            ratelimit.hit(name, request)
        except ratelimit.RateLimited as exc:
            from .errors import refusal

            response = refusal(request, exc)
            response["Retry-After"] = str(exc.retry_after)
            return response
        return None

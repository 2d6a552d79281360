"""Authentication backend: Django's, plus LMS-3's rule that an expired person no longer signs in
(their open sessions end too, since Django asks the backend again on every request)."""
from __future__ import annotations

from collections.abc import Callable
from functools import partial

from asgiref.local import Local
from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.signals import request_finished, request_started
from django.db.models import Exists, Expression, OuterRef, QuerySet

from syllabus.core import sessions
from syllabus.core.prepared import Prepared

#: What every page of a signed-in person reads about them (the shell's menu and its badges),
#: loaded in the same query as the person (issue 19): ``key → factory() -> expression`` over the
#: user row (``OuterRef("pk")``). The value lands in the request's navigation memo
#: (``user._nav_memo[key]``, see notify.nav.per_request), where the entry that needs it finds it;
#: anything that changes it during the request drops that memo. Higher apps register from
#: their ``AppConfig.ready``.
SIGNED_IN_READS: dict[str, Callable[[], Expression]] = {}


def read_with_user(key: str, factory: Callable[[], Expression]) -> None:
    SIGNED_IN_READS[key] = factory


class SyllabusBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_expired", False)

    def get_user(self, user_id):
        """The signed-in person of a session, read on every request with their institution and
        its consortium in the same query: every page reads them (language, time zone, branding,
        configuration), which cost two more queries per request (issue 19). Whether they hold
        any role (most people hold none: their role list is then known without a query) and the
        registered :data:`SIGNED_IN_READS` come in the same query too."""
        model = get_user_model()
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        keys = tuple(SIGNED_IN_READS)
        read = getattr(_request, "user", None)
        if read is not None and read[0] == (pk, keys):
            # read with this request's session, in its round trip (issue 19, session 11)
            _request.user = None
            found = read[1]
        else:
            # compiled once per process and prepared once per PostgreSQL connection (core.prepared):
            # compiling it cost the ORM more than running it (issue 19)
            found = _SIGNED_IN.fetch(model._default_manager.db, (model, keys), {"user_id": pk, "model": model, "keys": keys})
            _learn(user_id=pk)
        if not found:
            return None
        user = found[0]
        if not user.__dict__.pop("_signed_in_has_roles"):
            user._role_cache = []
        memo = user.__dict__.setdefault("_nav_memo", {})
        for key in SIGNED_IN_READS:
            memo[key] = user.__dict__.pop(f"_signed_in_{key}")
        return user if self.user_can_authenticate(user) else None


_QUERIES: dict[tuple, QuerySet] = {}


def _signed_in_build(values: dict) -> QuerySet:
    return _signed_in_query(values["model"], values["keys"]).filter(pk=values["user_id"])


_SIGNED_IN = Prepared(_signed_in_build, prefix="usr")


def _signed_in_query(model, keys: tuple[str, ...]) -> QuerySet:
    """The signed-in person's query, its expressions resolved once per process (a queryset is
    cloned by ``get``, never changed)."""
    mark = (model, keys)
    if mark not in _QUERIES:
        from .models import RoleAssignment

        reads = {f"_signed_in_{key}": SIGNED_IN_READS[key]() for key in keys}
        _QUERIES[mark] = (model._default_manager.select_related("institution__consortium")
                          .annotate(_signed_in_has_roles=Exists(RoleAssignment.objects.filter(user=OuterRef("pk"))), **reads))
    return _QUERIES[mark]


# --- read with the session (issue 19, session 11) -----------------------------------------------
# On PostgreSQL a signed-in page read the session, then the person, then the configuration of
# their institution: three round trips, each ~0.25 ms of Python and a wake-up of the database.
# The session's read now carries the other two (core.sessions.read_with_session) when this
# process has seen the same session key before: it *guesses* the person and the configuration
# levels from that earlier request — what is read is read fresh, in the same implicit
# transaction as the session; only the choice of what to read is remembered. The person's rows
# are used only by the first get_user of the same request, and only when the session names that
# very person (else they are read as before); the configuration's rows fill the request's memo
# (org.config) exactly as its own query would. Outside a request nothing is guessed.

_GUESSES_LIMIT = 20_000  # session keys remembered per process (then forgotten all at once)
_MARKS_LIMIT = 3         # configuration level sets read with one session
_guesses: dict[str, tuple[int | None, tuple]] = {}   # session key -> (person's id, config marks)
_request = Local()


def _start(**kwargs) -> None:
    _request.active = True
    _request.session_key = None
    _request.user = None


def _finish(**kwargs) -> None:
    _request.active = False
    _request.session_key = None
    _request.user = None


def _learn(*, user_id: int | None = None, mark: tuple | None = None) -> None:
    key = getattr(_request, "session_key", None)
    if key is None or not getattr(_request, "active", False):
        return
    old_user, marks = _guesses.get(key, (None, ()))
    if mark is not None:
        if mark in marks:
            return
        marks = (mark, *marks)[:_MARKS_LIMIT]
    new = (user_id if user_id is not None else old_user, marks)
    if _guesses.get(key) != new:
        if len(_guesses) >= _GUESSES_LIMIT:
            _guesses.clear()
        _guesses[key] = new


def _with_session(db: str, session_key: str) -> list:
    """core.sessions companion: the person and configuration this session key read last time."""
    if not getattr(_request, "active", False):
        return []
    _request.session_key = session_key
    _request.user = None
    guess = _guesses.get(session_key)
    if guess is None:
        return []
    from . import config
    from .models import ConfigValue

    user_id, marks = guess
    reads: list = []
    model = get_user_model()
    if user_id is not None and model._default_manager.db == db:
        keys = tuple(SIGNED_IN_READS)

        def got_user(rows, mark=(user_id, keys)) -> None:
            _request.user = (mark, rows)

        reads.append((_SIGNED_IN, (model, keys), {"user_id": user_id, "model": model, "keys": keys}, got_user))
    if ConfigValue.objects.db == db:
        for mark in marks:
            prepared, shape, values = config.every_read(mark)
            reads.append((prepared, shape, values, partial(config.keep_read, mark)))
    return reads


def install() -> None:
    """Connect the reads with the session (from the org app's ``ready``)."""
    from . import config

    request_started.connect(_start, dispatch_uid="org-session-reads-start")
    request_finished.connect(_finish, dispatch_uid="org-session-reads-finish")
    sessions.read_with_session(_with_session)
    if _mark_read not in config.MARK_READ:
        config.MARK_READ.append(_mark_read)


def _mark_read(mark: tuple) -> None:
    _learn(mark=mark)

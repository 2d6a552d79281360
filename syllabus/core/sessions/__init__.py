"""Session engines: Django's ``db`` and ``cached_db``, the session read on every request by a
query compiled once per process and prepared once per PostgreSQL connection (issue 19: building
``Session.objects.get(...)`` with the ORM cost more than running it).  Same row, same expiry
test (``expire_date`` later than now, by Django's clock as Django reads it), same outcome:
``SESSION_ENGINE = "syllabus.core.sessions.db"`` (or ``.cached_db``).

**Companions** (issue 19, session 11): on PostgreSQL, what a higher app expects the request to
read next — the signed-in person, the configuration of their institution — may travel in the
session's round trip (:func:`read_with_session`; one implicit transaction, prepared statements);
so may the student view's list query (lists.selectors, issue 19 session 12).  A companion only
*guesses* what to read (org.backends, lists.selectors: from what the same session key read
before); whoever uses the rows checks they are the ones it asked for, else reads as before."""
from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from django.core.exceptions import SuspiciousOperation
from django.db import connections

from syllabus.core import clock
from syllabus.core.prepared import Prepared, fetch_many

#: ``companion(db, session_key) -> [(prepared, shape, values, done)]``: reads sent with the
#: session's (PostgreSQL only), ``done(instances)`` called with each one's result
Companion = Callable[[str, str], list[tuple[Prepared, Any, dict, Callable[[list], None]]]]
_COMPANIONS: list[Companion] = []


def read_with_session(companion: Companion) -> None:
    """Register ``companion`` (from an ``AppConfig.ready``): see the module doc."""
    if companion not in _COMPANIONS:
        _COMPANIONS.append(companion)


def _build(values: dict):
    return values["model"]._default_manager.filter(session_key=values["session_key"], expire_date__gt=values["now"])


_SESSION = Prepared(_build, prefix="ses")


#: session data already decoded in this process: ``{(data, salt, serializer, secret keys): dict}``
_DECODED: dict[tuple, dict] = {}
_DECODED_LIMIT = 10_000
_SCALARS = (str, int, float, bool, type(None))


class PreparedRead:
    """Mixin over django.contrib.sessions.backends.db.SessionStore: its read of the session row,
    and its decoding of the row's data kept per process (issue 19, session 14)."""

    def decode(self, session_data):
        """Django's decoding, done once per process for the same signed data under the same keys:
        the signature check and the decompression give the same answer for the same text and
        keys, so a session read again (every request of a signed-in person) is not verified and
        unpacked again.  Each caller gets its own copy (nested values copied deeply); an
        undecodable text is never kept (Django logs it and gives an empty session, each time)."""
        from django.conf import settings

        key = (session_data, self.key_salt, self.serializer, settings.SECRET_KEY, tuple(settings.SECRET_KEY_FALLBACKS))
        found = _DECODED.get(key)
        if found is None:
            found = super().decode(session_data)
            if not found:
                return found
            if len(_DECODED) >= _DECODED_LIMIT:
                _DECODED.clear()
            _DECODED[key] = found
        if all(isinstance(v, _SCALARS) for v in found.values()):
            return dict(found)
        import copy

        return copy.deepcopy(found)

    def _get_session_from_db(self):
        model = self.model
        db = model._default_manager.db
        values = {"model": model, "session_key": self.session_key, "now": clock.django_now()}
        try:
            extra = []
            if _COMPANIONS and connections[db].vendor == "postgresql":
                for companion in _COMPANIONS:
                    extra += companion(db, self.session_key)
            if extra:
                results = fetch_many(db, [(_SESSION, model, values), *((p, shape, v) for p, shape, v, _done in extra)])
                found = results[0]
                for (_p, _shape, _v, done), rows in zip(extra, results[1:]):
                    done(rows)
            else:
                found = _SESSION.fetch(db, model, values)
        except SuspiciousOperation as e:
            logging.getLogger(f"django.security.{e.__class__.__name__}").warning(str(e))
            found = []
        if found:
            return found[0]
        self._session_key = None
        return None

"""Session engines: Django's ``db`` and ``cached_db``, the session read on every request by a
query compiled once per process and prepared once per PostgreSQL connection (issue 19: building
``Session.objects.get(...)`` with the ORM cost more than running it).  Same row, same expiry
test (``expire_date`` later than now, by Django's clock as Django reads it), same outcome:
``SESSION_ENGINE = "syllabus.core.sessions.db"`` (or ``.cached_db``)."""
from __future__ import annotations

import logging

from django.core.exceptions import SuspiciousOperation

from syllabus.core import clock
from syllabus.core.prepared import Prepared


def _build(values: dict):
    return values["model"]._default_manager.filter(session_key=values["session_key"], expire_date__gt=values["now"])


_SESSION = Prepared(_build, prefix="ses")


class PreparedRead:
    """Mixin over django.contrib.sessions.backends.db.SessionStore: its read of the session row."""

    def _get_session_from_db(self):
        model = self.model
        try:
            found = _SESSION.fetch(model._default_manager.db, model,
                                   {"model": model, "session_key": self.session_key, "now": clock.django_now()})
        except SuspiciousOperation as e:
            logging.getLogger(f"django.security.{e.__class__.__name__}").warning(str(e))
            found = []
        if found:
            return found[0]
        self._session_key = None
        return None

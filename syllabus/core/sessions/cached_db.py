"""``SESSION_ENGINE`` with a cache: Django's cached database sessions, read (on a cache miss)
by a prepared query."""
from django.contrib.sessions.backends import cached_db

from . import PreparedRead


class SessionStore(PreparedRead, cached_db.SessionStore):
    pass

"""``SESSION_ENGINE`` without a cache: Django's database sessions, read by a prepared query."""
from django.contrib.sessions.backends import db

from . import PreparedRead


class SessionStore(PreparedRead, db.SessionStore):
    pass

"""Helpers of the migration tests: move the test database to a migration and back to the latest.

Each such test is ``django_db(transaction=True)`` and must end on the latest migrations (the rest
of the suite runs on the current schema): ``try: ... finally: migrate(latest())``."""
from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


def migrate(targets):
    """Migrate to ``targets`` ([(app, migration)]) and return the historical apps of that state."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest(app: str | None = None):
    """The leaf migrations (of one app, or of every app)."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes(app)

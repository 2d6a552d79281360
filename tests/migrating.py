"""Helpers of the migration tests: move the test database to a migration and back to the latest.

Each such test is ``django_db(transaction=True)`` and must end on the latest migrations (the rest
of the suite runs on the current schema): ``try: ... finally: migrate(latest())``."""
from __future__ import annotations

from django.db import connection
from django.db.migrations.executor import MigrationExecutor


class _Executor(MigrationExecutor):
    """Django's executor, with a cheaper first pass when going backwards (session 24).

    To unapply migrations Django computes the project state before each of them by walking the
    whole plan with the *rendered* historical apps: every applied migration between the first and
    the last one to unapply re-renders the models it touches and every model related to them —
    nearly all of them, for a change to an institution or a user.  Here the walk keeps the states
    as plain model descriptions (a dictionary edit per operation) and each state is rendered once,
    when its migration is unapplied.  The migrations and the database operations run are the same;
    only the bookkeeping is cheaper."""

    def _migrate_all_backwards(self, plan, full_plan, fake):
        migrations_to_run = {m[0] for m in plan}
        states = {}
        state = self._create_project_state()
        applied_migrations = {self.loader.graph.nodes[key] for key in self.loader.applied_migrations
                              if key in self.loader.graph.nodes}
        for migration, _ in full_plan:
            if not migrations_to_run:
                break
            if migration in migrations_to_run:
                states[migration] = state
                state = migration.mutate_state(state, preserve=True)
                migrations_to_run.remove(migration)
            elif migration in applied_migrations:
                migration.mutate_state(state, preserve=False)
        for migration, _ in plan:
            _rendered = states[migration].apps  # rendered once, then cloned per operation by Migration.unapply
            self.unapply_migration(states[migration], migration, fake=fake)
            applied_migrations.remove(migration)
        last_unapplied_migration = plan[-1][0]
        state = states[last_unapplied_migration]
        del state.apps
        for index, (migration, _) in enumerate(full_plan):
            if migration == last_unapplied_migration:
                for later, _ in full_plan[index:]:
                    if later in applied_migrations:
                        later.mutate_state(state, preserve=False)
                break
        return state


def migrate(targets):
    """Migrate to ``targets`` ([(app, migration)]) and return the historical apps of that state."""
    executor = _Executor(connection)
    executor.migrate(targets)
    return executor.loader.project_state(targets).apps


def latest(app: str | None = None):
    """The leaf migrations (of one app, or of every app)."""
    return MigrationExecutor(connection).loader.graph.leaf_nodes(app)

from django.db.backends.signals import connection_created
from django.db.models.signals import post_migrate

from syllabus.core.apps import SyllabusAppConfig


def _repair_fulltext_index(sender, using="default", **kwargs):
    from django.db import connections

    from . import fts

    fts.ensure(connections[using])


class CatalogConfig(SyllabusAppConfig):
    verbose_name = "Catalog"

    def ready(self):
        from . import fts

        # SQLite: the FTS5 triggers call syllabus_stems() (Snowball stems of non-English records)
        connection_created.connect(fts.register_sqlite_functions, dispatch_uid="catalog-sqlite-stems")
        post_migrate.connect(_repair_fulltext_index, sender=self, dispatch_uid="catalog-fts-repair")

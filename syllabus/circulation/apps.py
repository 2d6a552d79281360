from syllabus.core.apps import SyllabusAppConfig


class CirculationConfig(SyllabusAppConfig):
    verbose_name = "Circulation and reader services"

    def ready(self):
        from syllabus.catalog import availability
        from syllabus.lists.signals import personal_copy_changed

        from .item_access import held_on_shelf, held_on_shelf_sql

        # DSV-6: a copy on the hold shelf is not available on any page (catalog, Find it, search, API)
        availability.HELD.register(held_on_shelf)
        availability.HELD_SQL.register(held_on_shelf_sql)
        personal_copy_changed.connect(_personal_copy_changed, dispatch_uid="circulation_personal_copy")


def _personal_copy_changed(sender, citation, owner, **kwargs):
    from .services import sync_personal_copy

    sync_personal_copy(citation, owner)

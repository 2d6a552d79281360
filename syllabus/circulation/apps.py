from syllabus.core.apps import SyllabusAppConfig


class CirculationConfig(SyllabusAppConfig):
    verbose_name = "Circulation and reader services"

    def ready(self):
        from syllabus.catalog import availability
        from django.utils.translation import gettext_lazy as _

        from syllabus.lists.signals import personal_copy_changed
        from syllabus.lists.task_details import declare_detail, declare_kind

        from .item_access import held_on_shelf, held_on_shelf_sql

        # DSV-6: a copy on the hold shelf is not available on any page (catalog, Find it, search, API)
        availability.HELD.register(held_on_shelf)
        availability.HELD_SQL.register(held_on_shelf_sql)
        personal_copy_changed.connect(_personal_copy_changed, dispatch_uid="circulation_personal_copy")
        # SRV-1: the course ended, a personal copy goes back to its owner — a librarian task said in
        # the librarian's language (LST-7)
        declare_kind("personal_copy_return", _("Return a personal copy"))
        declare_detail("personal_copy_return", _return_detail)


def _return_detail(params: dict) -> str:
    from django.utils.translation import gettext

    return gettext("Course ended: return the personal copy of %(title)s to %(owner)s") % {
        "title": params.get("title", ""), "owner": params.get("owner", "")}


def _personal_copy_changed(sender, citation, owner, **kwargs):
    from .services import sync_personal_copy

    sync_personal_copy(citation, owner)

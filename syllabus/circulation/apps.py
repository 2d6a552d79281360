from syllabus.core.apps import SyllabusAppConfig


class CirculationConfig(SyllabusAppConfig):
    verbose_name = "Circulation and reader services"

    def ready(self):
        from syllabus.lists.signals import personal_copy_changed

        personal_copy_changed.connect(_personal_copy_changed, dispatch_uid="circulation_personal_copy")


def _personal_copy_changed(sender, citation, owner, **kwargs):
    from .services import sync_personal_copy

    sync_personal_copy(citation, owner)

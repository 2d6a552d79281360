from syllabus.core.apps import SyllabusAppConfig


class WebConfig(SyllabusAppConfig):

    def ready(self):
        from django.db.models.signals import post_delete, post_save

        from syllabus.org.models import ConfigValue, Institution, Library

        from .middleware import forget_zones

        for model in (Institution, Library, ConfigValue):
            post_save.connect(forget_zones, sender=model, dispatch_uid=f"web_forget_zones_save_{model.__name__}")
            post_delete.connect(forget_zones, sender=model, dispatch_uid=f"web_forget_zones_delete_{model.__name__}")

from django.apps import AppConfig


class ConsortiumConfig(AppConfig):
    name = "syllabus.consortium"
    label = "consortium"
    verbose_name = "Consortium: shared configuration, lists gateway, inter-library loan"

    def ready(self):
        from syllabus.org import config

        from .services import refuse_locked_override

        config.register_override_guard(refuse_locked_override)

from syllabus.core.apps import SyllabusAppConfig


class ConsortiumConfig(SyllabusAppConfig):
    verbose_name = "Consortium: shared configuration, lists gateway, inter-library loan"

    def ready(self):
        from syllabus.org import config

        from .services import refuse_locked_override

        config.register_override_guard(refuse_locked_override)

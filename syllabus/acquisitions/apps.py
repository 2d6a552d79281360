from syllabus.core.apps import SyllabusAppConfig


class AcquisitionsConfig(SyllabusAppConfig):
    verbose_name = "Acquisitions, licences and short loan"

    def ready(self):
        from .integration import register_digitization_check, register_list_filters

        register_list_filters()
        register_digitization_check()

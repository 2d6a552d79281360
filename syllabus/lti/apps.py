from syllabus.core.apps import SyllabusAppConfig


class LtiConfig(SyllabusAppConfig):
    verbose_name = "LTI 1.3 (LMS)"

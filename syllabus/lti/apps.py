from django.apps import AppConfig


class LtiConfig(AppConfig):
    name = "syllabus.lti"
    label = "lti"
    verbose_name = "LTI 1.3 (LMS)"

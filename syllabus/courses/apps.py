from syllabus.core.apps import SyllabusAppConfig


class CoursesConfig(SyllabusAppConfig):
    verbose_name = "Courses"

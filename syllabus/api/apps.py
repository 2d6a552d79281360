from syllabus.core.apps import SyllabusAppConfig


class ApiConfig(SyllabusAppConfig):
    """The API's shared schemas and authentication (the apps' routers mount by name)."""

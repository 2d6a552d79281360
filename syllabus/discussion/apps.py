from syllabus.core.apps import SyllabusAppConfig


class DiscussionConfig(SyllabusAppConfig):
    """Discussion threads on list items."""

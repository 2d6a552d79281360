from syllabus.core.apps import SyllabusAppConfig


class DiscussionConfig(SyllabusAppConfig):
    """Discussion threads on list items."""

    def ready(self):
        from syllabus.org.backends import read_with_user

        from .nav import instructor_expression

        # whether "Library discussion" shows comes with the signed-in person's own query (issue 19)
        read_with_user("discussion_instructor", instructor_expression)

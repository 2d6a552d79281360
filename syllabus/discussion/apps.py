from syllabus.core.apps import SyllabusAppConfig


class DiscussionConfig(SyllabusAppConfig):
    """Discussion threads on list items."""

    def ready(self):
        from django.utils.translation import gettext_lazy as _

        from syllabus.lists.task_details import declare_detail, declare_kind
        from syllabus.org.backends import read_with_user

        from .nav import instructor_expression

        # whether "Library discussion" shows comes with the signed-in person's own query (issue 19)
        read_with_user("discussion_instructor", instructor_expression)
        # DSC-2: an instructor's message is a task on the librarians' list, said in their language (LST-7)
        declare_kind("discussion", _("Message from an instructor"))
        declare_detail("message", lambda p: str(p.get("text") or ""))

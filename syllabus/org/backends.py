"""Authentication backend: Django's, plus LMS-3's rule that an expired person no longer signs in
(their open sessions end too, since Django asks the backend again on every request)."""
from __future__ import annotations

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend


class SyllabusBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_expired", False)

    def get_user(self, user_id):
        """The signed-in person of a session, read on every request with their institution and
        its consortium in the same query: every page reads them (language, time zone, branding,
        configuration), which cost two more queries per request (issue 19)."""
        model = get_user_model()
        try:
            user = model._default_manager.select_related("institution__consortium").get(pk=user_id)
        except model.DoesNotExist:
            return None
        return user if self.user_can_authenticate(user) else None

"""Authentication backend: Django's, plus LMS-3's rule that an expired person no longer signs in
(their open sessions end too, since Django asks the backend again on every request)."""
from __future__ import annotations

from django.contrib.auth.backends import ModelBackend


class SyllabusBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_expired", False)

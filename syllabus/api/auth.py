"""API authentication: a bearer token (``syllabus token create``) or the web session."""
from __future__ import annotations

from ninja.security import HttpBearer, django_auth

from syllabus.org.services import user_for_token


class TokenAuth(HttpBearer):
    openapi_scheme = "bearer"

    def authenticate(self, request, token: str):
        user = user_for_token(token)
        if user is not None:
            request.user = user
        return user


AUTH = [TokenAuth(), django_auth]

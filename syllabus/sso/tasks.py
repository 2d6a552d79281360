"""Timers of single sign-on: forget used SAML assertions past their validity (a replay of one
is refused as expired by then) and sign-in records older than any session; read SAML IdP
metadata again from its URL when its cacheDuration (else four hours) has passed, and OpenID
providers' discovery documents and key sets every hour (LMS-3)."""
from syllabus.core.tasks import register_sweeps

from . import services

register_sweeps({
    "sso": services.sweep,
    "sso-metadata": services.refresh_due_metadata,
    "sso-oidc-metadata": services.refresh_due_oidc,
})

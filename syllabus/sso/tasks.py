"""Timers of single sign-on: forget used SAML assertions past their validity (a replay of one
is refused as expired by then) and sign-in records older than any session; read SAML IdP
metadata again from its URL when its cacheDuration (else four hours) has passed, and OpenID
providers' discovery documents and key sets every hour (LMS-3)."""
from syllabus.core.tasks import periodic

from . import services


@periodic("sso")
def sweep(now) -> int:
    return services.sweep(now)


@periodic("sso-metadata")
def refresh_metadata(now) -> int:
    return services.refresh_due_metadata(now)


@periodic("sso-oidc-metadata")
def refresh_oidc_metadata(now) -> int:
    return services.refresh_due_oidc(now)

"""Timer of single sign-on: forget used SAML assertions past their validity (a replay of one
is refused as expired by then) and sign-in records older than any session."""
from syllabus.core.tasks import periodic

from . import services


@periodic("sso")
def sweep(now) -> int:
    return services.sweep(now)

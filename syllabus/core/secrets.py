"""A saved secret (an OpenID client secret, an ILL partner's shared secret) and where it is sent:
the one rule every form, admin and API that edits one applies (LMS-3, CON-2).

The secret is write-only: the page never shows it again, so an empty field keeps the one saved.
But the secret goes somewhere — the OpenID issuer's token endpoint, the partner's ISO 18626
address, in the header named for it — and whoever edits that place could otherwise send the saved
secret to an address of their own.  So once the place changes, the secret is kept only when it is
typed again: an empty field is refused, naming what changed."""
from __future__ import annotations

from .errors import RuleViolation


def kept_secret(saved: str, given: str, *, moved: list[str], rule: str, field: str, what: str) -> str:
    """The secret to save: ``given`` when one is given; otherwise ``saved`` — unless ``moved``
    names what changed about where it is sent (``["the issuer"]``), then a ``rule`` refusal naming
    ``field`` asks for ``what`` (``"the client secret"``) to be typed again."""
    if given or not saved:
        return given
    if moved:
        raise RuleViolation(rule, f"{' and '.join(moved)} changed: type {what} again (the saved one is not sent to a new "
                                  "place)", field=field)
    return saved

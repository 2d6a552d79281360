"""The tool's key pairs (LMS-1): generated on first use, stored, rotated with the old public key
still published for ``LTI_KEY_OVERLAP_DAYS`` (platforms cache the JWKS)."""
from __future__ import annotations

import datetime as dt
import json

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.conf import settings
from django.db import IntegrityError, transaction
from jwcrypto.jwk import JWK

from syllabus.core import audit, clock

from .models import ToolKey


def _overlap() -> dt.timedelta:
    return dt.timedelta(days=getattr(settings, "LTI_KEY_OVERLAP_DAYS", 14))


def _new_key() -> ToolKey:
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    jwk = JWK.from_pem(pem.encode())
    kid = jwk.thumbprint()
    public = json.loads(jwk.export_public())
    public.update({"kid": kid, "alg": "RS256", "use": "sig"})
    return ToolKey(kid=kid, private_key_pem=pem, public_jwk=public)


def signing_key() -> ToolKey:
    """The current signing key, created (once, even under concurrent first requests) when none is."""
    key = ToolKey.objects.filter(retired_at__isnull=True).order_by("-created_at", "-id").first()
    if key is not None:
        return key
    try:
        with transaction.atomic():
            key = _new_key()
            key.save()
            audit.event(None, key, "created", note="first LTI signing key")
            return key
    except IntegrityError:  # another worker made one at the same moment
        return ToolKey.objects.filter(retired_at__isnull=True).order_by("-created_at", "-id")[0]


def rotate(actor=None) -> ToolKey:
    """A new signing key; the previous ones are retired (still published for the overlap)."""
    now = clock.now()
    with transaction.atomic():
        retired = list(ToolKey.objects.select_for_update().filter(retired_at__isnull=True))
        ToolKey.objects.filter(pk__in=[k.pk for k in retired]).update(retired_at=now)
        key = _new_key()
        key.save()
        audit.event(actor, key, "rotated", note=f"retired {', '.join(k.kid for k in retired) or 'none'}")
    return key


def published() -> list[ToolKey]:
    signing_key()
    cutoff = clock.now() - _overlap()
    return list(ToolKey.objects.filter(retired_at__isnull=True) | ToolKey.objects.filter(retired_at__gt=cutoff))


def jwks() -> dict:
    return {"keys": [k.public_jwk for k in published()]}

"""pylti1p3's view of our registrations: a ToolConf read from the ``Platform`` and ``Deployment``
tables (one issuer may have many client ids), signing with the tool's current key."""
from __future__ import annotations

import functools

from pylti1p3.deployment import Deployment as LtiDeployment
from pylti1p3.registration import Registration
from pylti1p3.tool_config.abstract import ToolConfAbstract

from . import keys
from .models import Platform


def registration_for(platform: Platform) -> Registration:
    key = keys.signing_key()
    public_pem = _public_pem(key)
    reg = Registration()
    (reg.set_issuer(platform.issuer).set_client_id(platform.client_id).set_auth_login_url(platform.auth_login_url)
     .set_auth_token_url(platform.auth_token_url).set_key_set_url(platform.keyset_url)
     .set_tool_private_key(key.private_key_pem).set_tool_public_key(public_pem))
    if platform.auth_audience:
        reg.set_auth_audience(platform.auth_audience)
    return reg


def _public_pem(key) -> str:
    """The tool key's public half as PEM, made from the JWK the tool publishes (its modulus and
    exponent) — not from the private PEM, whose loading checks the RSA key: ~35 ms of CPU, twice in
    every launch (the login and the launch each build a registration), the bulk of a launch at
    term start (BENCHMARKS.md, session 21)."""
    return _public_pem_of(key.kid, key.public_jwk["kty"], key.public_jwk["n"], key.public_jwk["e"])


@functools.lru_cache(maxsize=16)   # a kid is the key's thumbprint: one PEM per kid, a handful of keys (rotations)
def _public_pem_of(kid: str, kty: str, n: str, e: str) -> str:
    from jwcrypto.jwk import JWK

    return JWK(kty=kty, n=n, e=e).export_to_pem().decode()


class DbToolConf(ToolConfAbstract):
    """Registrations by (issuer, client id), active platforms only.  ``platform`` is filled by
    the last successful lookup so that the views know which platform a message came from."""

    def __init__(self, key_set: dict | None = None, platform: Platform | None = None):
        super().__init__()
        self.platform: Platform | None = None
        # the platform's key set as syllabus.lti.platform_http keeps it (pylti1p3 would fetch it on every launch)
        self.key_set = key_set
        # pylti1p3 asks for the registration twice in one launch: read once per message (one request)
        self._platforms: dict[tuple[str, str | None], Platform | None] = {}
        if platform is not None and platform.active:   # the launch's platform, as its login state read it
            self._platforms[platform.issuer, platform.client_id] = platform

    def check_iss_has_one_client(self, iss: str) -> bool:
        return False

    def check_iss_has_many_clients(self, iss: str) -> bool:
        return True

    def _platform(self, iss: str, client_id: str | None) -> Platform | None:
        if (iss, client_id) not in self._platforms:
            qs = Platform.objects.select_related("institution").filter(issuer=iss, active=True)
            if client_id:
                qs = qs.filter(client_id=client_id)
            found = list(qs[:2])
            self._platforms[iss, client_id] = found[0] if len(found) == 1 else None
        return self._platforms[iss, client_id]

    def find_registration_by_issuer(self, iss, *args, **kwargs):
        return self.find_registration_by_params(iss, None)

    def find_registration_by_params(self, iss, client_id, *args, **kwargs):
        platform = self._platform(iss, client_id)
        if platform is None:
            return None
        self.platform = platform
        reg = registration_for(platform)
        if self.key_set is not None:
            reg.set_key_set(self.key_set)
        return reg

    def find_deployment(self, iss, deployment_id):
        return self.find_deployment_by_params(iss, deployment_id, None)

    def find_deployment_by_params(self, iss, deployment_id, client_id, *args, **kwargs):
        platform = self._platform(iss, client_id)
        if platform is None:
            return None
        from .services import deployment_accepted

        if not deployment_accepted(platform, deployment_id):
            return None   # (a first deployment to adopt is checked here after the signature; views.launch adds it)
        return LtiDeployment().set_deployment_id(deployment_id)

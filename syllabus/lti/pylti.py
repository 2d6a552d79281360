"""The parts of pylti1p3's Django adapter we use, with its gaps closed:

- its SessionService keeps the nonce in the Django session and only asks whether a nonce is
  *known* — never whether it is the one issued for this login, never consuming it.  Ours
  answers from the ``LoginState`` table (fresh and unused) and the launch view binds the nonce
  to its login and consumes it once (:func:`syllabus.lti.services.accept`);
- it writes the whole launch into the session; we keep only what the pages need;
- the state stays a short-lived cookie (pylti1p3 marks it ``SameSite=None; Secure`` over HTTPS;
  :mod:`syllabus.lti.middleware` adds ``Partitioned``); pylti1p3 2.0 knows nothing of LTI Client
  Side postMessages, so :class:`OIDCLogin`'s redirect can also answer with a page of ours (which
  stores the state in the platform's frame first) carrying the same cookie.
"""
from __future__ import annotations

import jwt
from pylti1p3.contrib.django import DjangoMessageLaunch, DjangoOIDCLogin
from pylti1p3.contrib.django.redirect import DjangoRedirect
from pylti1p3.exception import LtiException
from pylti1p3.session import SessionService

from . import services


class StateSession(SessionService):
    def __init__(self, request, *, storage_verified: bool = False):
        super().__init__(request)
        self.storage_verified = storage_verified

    def save_nonce(self, nonce):  # recorded with its state by services.record_login
        return None

    def check_nonce(self, nonce) -> bool:
        return services.nonce_is_fresh(nonce)

    def save_launch_data(self, key, jwt_body):
        return None

    def save_state_params(self, state, params):
        return None

    def set_state_valid(self, state, id_token_hash):
        return None

    def check_state_is_valid(self, state, id_token_hash) -> bool:
        # compare the state with the browser's cookie — unless the launch view read it back from
        # the platform's storage frame (LTI Client Side postMessages; services.login_for checked)
        return self.storage_verified


class Redirect(DjangoRedirect):
    def with_cookies(self, response):
        """``response`` (a page of ours instead of the 302) with the login's state cookie."""
        return self._process_response(response)


class OIDCLogin(DjangoOIDCLogin):
    def get_redirect(self, url):
        return Redirect(url, self._cookie_service)


class MessageLaunch(DjangoMessageLaunch):
    def get_client_id(self) -> str:
        body = self._get_jwt_body()
        aud, azp = body.get("aud"), body.get("azp")
        if isinstance(aud, list):
            aud = azp if azp in aud else (aud[0] if aud else "")
        return aud if isinstance(aud, str) else ""   # services.check_claims refused anything else

    def validate_message(self) -> "MessageLaunch":
        """A deep-linking request was checked by :func:`services.check_claims` (return URL, context,
        ``accept_types``); pylti1p3's own check refuses, with "Must support a presentation type", a
        platform that leaves out ``accept_presentation_document_targets`` — which Syllabus never
        needs (its LTI links name no presentation: the LMS shows them as it shows links) — and one that
        leaves out ``accept_types``, which Syllabus takes as accepting LTI links (Deep Linking 2.0 §4.4.1)."""
        if self._get_jwt_body().get(services.CLAIM + "message_type") == services.DEEP_LINKING:
            return self
        super().validate_message()
        return self

    def validate_jwt_signature(self) -> "MessageLaunch":
        public_key, key_alg = self.get_public_key()
        try:
            jwt.decode(self._get_id_token(), public_key, algorithms=[key_alg],
                       options=self._jwt_verify_options,  # type: ignore[arg-type]  # pylti1p3 types it dict[str, bool]
                       leeway=services.CLOCK_SKEW)
        except jwt.InvalidTokenError as exc:
            raise LtiException(f"Can't decode id_token: {exc}") from exc
        return self

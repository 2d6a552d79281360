"""Attack class: secrets copied where they are read or kept longer than the secret itself.

- The audit trail (ORG-6) snapshots a row when it is created and records old → new on a change.
  Before session 17 that copied in full an OpenID client secret (admin and ``syllabus sso``), the
  institution's SAML private key (made on first use), and a password hash (a person added in the
  admin) — a rotated secret lived on in the trail, and whoever reads the trail (a database dump, a
  report) read it.  ``core.audit.entry`` is the one way in: a secret field's value is written as
  ``(secret)``.
- The OpenID provider's admin page wrote the client secret back into the page (``value=…``).  Now
  it is never shown; empty keeps the saved one, except that a changed issuer — whose discovery
  names the token endpoint the secret is posted to — must be given the secret again, so whoever
  edits the issuer cannot have the saved secret sent to an address of their choosing."""
import json

import pytest

from syllabus.core import audit
from syllabus.core.models import AuditEntry
from syllabus.sso.models import IdentityProvider, Kind

pytestmark = pytest.mark.django_db

SECRET = "s3cr3t-client-QWERTY-0123456789"


def _trail_text() -> str:
    return json.dumps([e.changes for e in AuditEntry.objects.all()]) + " ".join(AuditEntry.objects.values_list("note", flat=True))


def _oidc_form(inst, **over) -> dict:
    data = {"institution": inst.pk, "name": "Okta", "slug": "okta", "kind": "oidc", "enabled": "on", "order": 1,
            "issuer": "https://okta.example", "client_id": "c", "client_secret": SECRET, "scopes": "openid",
            "group_map": "{}", "role_map": "{}"}
    return data | over


def test_an_oidc_client_secret_never_enters_the_trail_nor_the_page(client, admin_user, inst_a, groups):
    client.force_login(admin_user)
    added = client.post("/admin/sso/identityprovider/add/", _oidc_form(inst_a))
    assert added.status_code == 302, added.content.decode()[:2000]
    provider = IdentityProvider.objects.get(slug="okta")
    assert provider.client_secret == SECRET
    page = client.get(f"/admin/sso/identityprovider/{provider.pk}/change/").content.decode()
    assert SECRET not in page   # before: <input type="password" value="s3cr3t…">
    # saved again without typing the secret: kept
    kept = client.post(f"/admin/sso/identityprovider/{provider.pk}/change/", _oidc_form(inst_a, client_secret="", name="Okta 2"))
    assert kept.status_code == 302
    provider.refresh_from_db()
    assert provider.client_secret == SECRET and provider.name == "Okta 2"
    # rotated: the trail says it changed, not to what
    client.post(f"/admin/sso/identityprovider/{provider.pk}/change/", _oidc_form(inst_a, client_secret="rotated-" + SECRET))
    provider.refresh_from_db()
    assert provider.client_secret == "rotated-" + SECRET
    text = _trail_text()
    assert SECRET not in text and audit.HIDDEN in text
    changes = [e.changes for e in audit.trail(provider) if "client_secret" in (e.changes or {})]
    assert changes and all(c["client_secret"] in (audit.HIDDEN, [audit.HIDDEN, audit.HIDDEN], [None, audit.HIDDEN])
                           for c in changes)


def test_a_new_issuer_does_not_get_the_saved_secret_unasked(client, admin_user, inst_a, groups):
    provider = IdentityProvider.objects.create(institution=inst_a, slug="okta", name="Okta", kind=Kind.OIDC,
                                               issuer="https://okta.example", client_id="c", client_secret=SECRET, order=1)
    client.force_login(admin_user)
    moved = client.post(f"/admin/sso/identityprovider/{provider.pk}/change/",
                        _oidc_form(inst_a, client_secret="", issuer="https://attacker.example"))
    assert moved.status_code == 200 and "type the client secret again" in moved.content.decode()
    provider.refresh_from_db()
    assert provider.issuer == "https://okta.example"
    # typed again (the administrator knows it): saved
    moved = client.post(f"/admin/sso/identityprovider/{provider.pk}/change/",
                        _oidc_form(inst_a, issuer="https://login.example"))
    provider.refresh_from_db()
    assert moved.status_code == 302 and provider.issuer == "https://login.example"


def test_the_cli_and_the_saml_key_pair_write_no_secret_to_the_trail(inst_a, groups):
    from syllabus.sso import services

    services.add_oidc_provider(inst_a, name="Okta", issuer="https://okta.example", client_id="c", client_secret=SECRET,
                               check=False)
    sp = services.service_provider(inst_a)
    text = _trail_text()
    assert SECRET not in text
    assert sp.private_key_pem.splitlines()[1] not in text   # a line of the base64 key body
    assert "PRIVATE KEY" not in text


def test_a_password_set_in_the_admin_leaves_no_hash_in_the_trail(client, admin_user, inst_a, groups):
    from syllabus.org.models import User

    client.force_login(admin_user)
    added = client.post("/admin/org/user/add/", {"username": "newcomer", "password1": "Correct-Horse-42x",
                                                 "password2": "Correct-Horse-42x", "usable_password": "true",
                                                 "institution": inst_a.pk})
    assert added.status_code == 302, added.content.decode()[:3000]
    user = User.objects.get(username="newcomer")
    assert user.has_usable_password()
    hashed = user.password.rsplit("$", 1)[-1]
    assert hashed not in _trail_text()
    assert any((e.changes or {}).get("password") for e in audit.trail(user))   # the trail still says it was set


# fields whose names sound secret but hold none
NOT_SECRET = {"claim_token": "a lease holder's id (notify, consortium outboxes)",
              "auth_token_url": "an LTI platform's token endpoint (an address)",
              "auth_header": "the name of the header an ILL partner's secret goes in"}

# secret fields that are not encrypted at rest (SEC-KEY), and why: a hash is never read back, and a
# value the database looks up by equality cannot be encrypted with a random nonce
NOT_ENCRYPTED = {"token_hash": "SHA-256 of an API or LTI token: a hash, never read back",
                 "digest": "SHA-256 of an API token (org.ApiToken): a hash, never read back",
                 "password": "Django's password hash",
                 "session_key": "the Django session to end at a provider's sign-out, looked up by value (as Django's "
                                "own session table keeps it)",
                 "access_token_hash": "SHA-256 of a delivery link's token (fulfillment.DigitizationRequest, DIG-9): "
                                      "a hash, never read back; the token itself is only in the requester's letter"}


def test_every_secret_looking_field_of_every_model_is_kept_out_of_the_trail():
    """Guard: a new model field named like a secret (secret, private key, password, token, digest,
    session key, auth value) is in ``audit.SECRET_FIELDS`` or says here why it holds no secret."""
    import re

    from django.apps import apps

    looks_secret = re.compile(r"secret|private_key|password|token|digest|session_key|auth_value|api_key")
    missing = sorted({f"{model._meta.label}.{field.name}" for model in apps.get_models() for field in model._meta.concrete_fields
                      if looks_secret.search(field.name) and field.name not in audit.SECRET_FIELDS
                      and field.name not in NOT_SECRET and model._meta.app_label not in ("sessions", "admin", "auth")})
    assert not missing, missing


def test_every_reversible_secret_field_is_encrypted_at_rest():
    """Guard (SEC-KEY): a secret-looking field that Syllabus reads back — anything but a hash or a
    value looked up by equality (``NOT_ENCRYPTED``, with the reason) — is an ``EncryptedTextField``."""
    import re

    from django.apps import apps

    from syllabus.core.encryption import EncryptedTextField

    looks_secret = re.compile(r"secret|private_key|password|token|digest|session_key|auth_value|api_key|credential")
    plain = sorted({f"{model._meta.label}.{field.name}" for model in apps.get_models() for field in model._meta.concrete_fields
                    if looks_secret.search(field.name) and field.name not in NOT_SECRET and field.name not in NOT_ENCRYPTED
                    and not isinstance(field, EncryptedTextField)
                    and model._meta.app_label not in ("sessions", "admin", "auth")})
    assert not plain, plain
    encrypted = {f"{model._meta.label}.{field.name}" for model in apps.get_models() for field in model._meta.concrete_fields
                 if isinstance(field, EncryptedTextField)}
    assert {"sso.IdentityProvider.client_secret", "sso.ServiceProvider.private_key_pem", "sso.SignIn.id_token",
            "lti.ToolKey.private_key_pem", "consortium.IllPartner.auth_value"} <= encrypted
    assert all(name.rsplit(".", 1)[1] in audit.SECRET_FIELDS for name in encrypted)   # and never in the trail

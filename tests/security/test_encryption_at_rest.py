"""SEC-KEY (session 18): the secrets Syllabus stores and reads back are encrypted in their rows.

Before, an OpenID client secret, the institution's SAML private key, the LTI tool's private key,
an ILL partner's shared secret and an OpenID sign-in's ID token were plain text in their tables:
whoever read a database dump (a backup, a copy for a test server) could sign in as the service
provider, sign LTI messages as the tool, and post to ILL partners as the library.  Now each is a
Fernet token under ``SYLLABUS_ENCRYPTION_KEYS`` (or a key derived from ``SECRET_KEY``), read
here with a bare cursor as a dump would."""
from __future__ import annotations

import pytest
from cryptography.fernet import Fernet, InvalidToken
from django.core.management import call_command
from django.core.management.base import CommandError, SystemCheckError
from django.db import connection
from django.test import override_settings

from syllabus.consortium.models import IllPartner
from syllabus.core import encryption
from syllabus.lti import keys
from syllabus.lti.models import ToolKey
from syllabus.sso import services
from syllabus.sso.models import IdentityProvider, ServiceProvider, SignIn
from tests.migrating import latest, migrate

SECRET = "s3cr3t-client-QWERTY-0123456789"
PARTNER_SECRET = "Bearer partner-s3cret-ZXCV"
ID_TOKEN = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LTEwMDEifQ.c2lnbmF0dXJl"
OLD, NEW = Fernet.generate_key().decode(), Fernet.generate_key().decode()


def _raw(model, name: str, pk) -> str:
    """The column as the database holds it (a dump's view), not through the field."""
    table, column = model._meta.db_table, model._meta.get_field(name).column
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {connection.ops.quote_name(column)} FROM {connection.ops.quote_name(table)} "  # noqa: S608
                       f"WHERE {connection.ops.quote_name(model._meta.pk.column)} = %s", [pk])
        return cursor.fetchone()[0]


def _secrets(inst, user) -> list[tuple[type, str, object, str]]:
    """One of each stored secret, made the way the product makes it: (model, field, pk, plain text)."""
    provider = services.add_oidc_provider(inst, name="Okta", issuer="https://okta.example", client_id="c",
                                          client_secret=SECRET, check=False)
    sp = services.service_provider(inst)
    tool_key = keys.signing_key()
    partner = IllPartner.objects.create(institution=inst, agency_id="DK-820010", name="Royal Danish Library",
                                        endpoint_url="https://ill.example/iso18626", auth_header="Authorization",
                                        auth_value=PARTNER_SECRET)
    sign_in = services.record_sign_in(provider, user, "k" * 32, subject="u-1001", id_token=ID_TOKEN)
    return [(IdentityProvider, "client_secret", provider.pk, SECRET),
            (ServiceProvider, "private_key_pem", sp.pk, ServiceProvider.objects.get(pk=sp.pk).private_key_pem),
            (ToolKey, "private_key_pem", tool_key.pk, ToolKey.objects.get(pk=tool_key.pk).private_key_pem),
            (IllPartner, "auth_value", partner.pk, PARTNER_SECRET),
            (SignIn, "id_token", sign_in.pk, ID_TOKEN)]


@pytest.mark.django_db
def test_sec_key_no_stored_secret_is_plain_text_in_its_row_and_each_reads_back(inst_a, make_user, groups):
    made = _secrets(inst_a, make_user("ada"))
    for model, name, pk, plain in made:
        raw = _raw(model, name, pk)
        assert plain and raw != plain and plain not in raw, f"{model.__name__}.{name} is plain text in its row"
        if "PRIVATE KEY" in plain:
            assert "PRIVATE KEY" not in raw and plain.splitlines()[1] not in raw
        assert encryption.decrypt(raw) == plain
        assert getattr(model.objects.get(pk=pk), name) == plain   # read back through the model
    # an empty secret stays empty (nothing to hide; "no secret" must stay readable)
    bare = services.add_oidc_provider(inst_a, name="Public", slug="public", issuer="https://pub.example", client_id="p",
                                      check=False)
    assert _raw(IdentityProvider, "client_secret", bare.pk) == "" and IdentityProvider.objects.get(pk=bare.pk).client_secret == ""


@pytest.mark.django_db
def test_sec_key_rotation_with_two_keys_and_an_old_key_only_configuration_fails_clearly(inst_a, make_user, groups):
    with override_settings(ENCRYPTION_KEYS=[OLD]):
        made = _secrets(inst_a, make_user("ada"))
        before = {(m, n, pk): _raw(m, n, pk) for m, n, pk, _ in made}
    with override_settings(ENCRYPTION_KEYS=[NEW, OLD]):   # the new key first, the old one still opens
        assert all(getattr(m.objects.get(pk=pk), n) == plain for m, n, pk, plain in made)
        out = _command()
        assert "sso.IdentityProvider.client_secret: 1 re-encrypted" in out and "lti.ToolKey.private_key_pem: 1" in out
        assert "5 secrets re-encrypted with the first key" in out
    with override_settings(ENCRYPTION_KEYS=[NEW]):        # the old key dropped: everything reads
        for m, n, pk, plain in made:
            assert _raw(m, n, pk) != before[(m, n, pk)]
            assert getattr(m.objects.get(pk=pk), n) == plain
    with override_settings(ENCRYPTION_KEYS=[OLD]):        # a server given only the old key
        provider = IdentityProvider.objects.get(pk=made[0][2])
        with pytest.raises(encryption.SecretUnreadable) as refused:
            provider.client_secret   # noqa: B018
        assert "SEC-KEY" in str(refused.value) and "SYLLABUS_ENCRYPTION_KEYS" in str(refused.value)
        assert "sso.IdentityProvider.client_secret" in str(refused.value)
        assert provider.name == "Okta"   # the rest of the row reads
        provider.name = "Okta 2"
        provider.save()                  # saving the row keeps the secret it cannot read, untouched
        rows = {(m, n, pk): _raw(m, n, pk) for m, n, pk, _ in made}
        with pytest.raises(CommandError, match="SYLLABUS_ENCRYPTION_KEYS.*nothing was re-encrypted"):
            _command()
        assert rows == {(m, n, pk): _raw(m, n, pk) for m, n, pk, _ in made}   # one transaction: nothing changed
    with override_settings(ENCRYPTION_KEYS=[NEW]):
        assert IdentityProvider.objects.get(pk=made[0][2]).client_secret == SECRET


def _command() -> str:
    from io import StringIO

    out = StringIO()
    call_command("rotate_encryption_keys", stdout=out)
    return out.getvalue()


def test_sec_key_a_new_key_and_the_derived_key_are_printed_for_the_operator():
    from io import StringIO

    out = StringIO()
    call_command("rotate_encryption_keys", "--new-key", stdout=out)
    Fernet(out.getvalue().strip())   # a usable key
    out = StringIO()
    with override_settings(ENCRYPTION_KEYS=[], SECRET_KEY="one"):
        call_command("rotate_encryption_keys", "--derived-key", stdout=out)
        token = encryption.encrypt("x")
    # the demo's secrets, still read once the variable names a key of one's own and then the derived one
    with override_settings(ENCRYPTION_KEYS=[NEW, out.getvalue().strip()], SECRET_KEY="two"):
        assert encryption.decrypt(token) == "x"


def test_sec_key_production_without_a_key_does_not_start():
    """The start-up check (``serve`` and ``migrate`` run it): DEBUG off with an operator's
    SECRET_KEY and no SYLLABUS_ENCRYPTION_KEYS is an error naming the variable; the demo (the
    development SECRET_KEY) and DEBUG need no key; a key that is not a Fernet key is named."""
    with override_settings(DEBUG=False, SECRET_KEY="an-operators-long-random-secret-key-0123456789", ENCRYPTION_KEYS=[]):
        with pytest.raises(SystemCheckError, match="SYLLABUS_ENCRYPTION_KEYS is not set"):
            call_command("check")
    with override_settings(DEBUG=False, SECRET_KEY="an-operators-long-random-secret-key-0123456789", ENCRYPTION_KEYS=[NEW]):
        call_command("check")
    with override_settings(DEBUG=True, SECRET_KEY="an-operators-long-random-secret-key-0123456789", ENCRYPTION_KEYS=[]):
        call_command("check")
    with override_settings(DEBUG=False, ENCRYPTION_KEYS=[]):   # the demo: the development SECRET_KEY
        call_command("check")
    with override_settings(ENCRYPTION_KEYS=[NEW, "not-a-key"]):
        with pytest.raises(SystemCheckError, match="key 2 is not a Fernet key"):
            call_command("check")


LOCAL_DEFAULTS = {"ALLOWED_HOSTS": ["127.0.0.1", "localhost", "testserver"], "CSRF_TRUSTED_ORIGINS": [],
                  "SESSION_COOKIE_SECURE": False, "SECURE_SSL_REDIRECT": False, "SECURE_PROXY_SSL_HEADER": None,
                  "ENCRYPTION_KEYS": []}


@pytest.mark.parametrize("production", [
    {"ALLOWED_HOSTS": ["lists.example.edu"]}, {"ALLOWED_HOSTS": ["*"]},
    {"CSRF_TRUSTED_ORIGINS": ["https://lists.example.edu"]}, {"SESSION_COOKIE_SECURE": True},
    {"SECURE_SSL_REDIRECT": True}, {"SECURE_PROXY_SSL_HEADER": ("HTTP_X_FORWARDED_PROTO", "https")},
    {"ENCRYPTION_KEYS": [NEW]}])
def test_a_production_server_with_the_development_secret_key_does_not_start(production):
    """core.E002: DEBUG off, a setting only a server others reach has, and the development SECRET_KEY
    (public in the source): ``serve`` and ``migrate`` refuse to start, naming SECRET_KEY and the setting."""
    from django.conf import settings

    with override_settings(DEBUG=False, SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY, **{**LOCAL_DEFAULTS, **production}):
        with pytest.raises(SystemCheckError, match=r"core\.E002\) SECRET_KEY is the development key") as refused:
            call_command("check")
    named = {"ENCRYPTION_KEYS": "SYLLABUS_ENCRYPTION_KEYS", "SESSION_COOKIE_SECURE": "SECURE_COOKIES"}
    assert named.get(next(iter(production)), next(iter(production))) in str(refused.value)


def test_a_production_server_with_the_benchmarks_password_hasher_does_not_start():
    """core.E003: FAST_PASSWORD_HASHER (MD5, for the benchmarks' thousands of accounts) on a server others
    reach is refused; on a developer's machine and in the benchmarks it starts.  And without it, an MD5
    hash (one a benchmark database holds) never signs anybody in."""
    from django.conf import settings
    from django.contrib.auth.hashers import check_password, make_password

    production = {**LOCAL_DEFAULTS, "ALLOWED_HOSTS": ["lists.example.edu"], "ENCRYPTION_KEYS": [NEW]}
    with override_settings(DEBUG=False, SECRET_KEY="an-operators-long-random-secret-key-0123456789",
                           FAST_PASSWORD_HASHER=True, **production):
        with pytest.raises(SystemCheckError, match=r"core\.E003\) FAST_PASSWORD_HASHER is set on a production server"):
            call_command("check")
    with override_settings(DEBUG=False, SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY, FAST_PASSWORD_HASHER=True,
                           **LOCAL_DEFAULTS):
        call_command("check")
    md5 = make_password("s3cret-passphrase", hasher="md5")
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.PBKDF2PasswordHasher",
                                             "django.contrib.auth.hashers.MD5PasswordHasher"]):
        assert check_password("s3cret-passphrase", md5)  # what the settings allowed before session 20
    import importlib
    import os

    from syllabus import settings as project_settings
    saved = os.environ.pop("FAST_PASSWORD_HASHER", None)
    try:
        hashers = importlib.reload(project_settings).PASSWORD_HASHERS
    finally:
        if saved is not None:
            os.environ["FAST_PASSWORD_HASHER"] = saved
        importlib.reload(project_settings)
    assert not any("MD5" in h for h in hashers), hashers
    with override_settings(PASSWORD_HASHERS=hashers):
        assert not check_password("s3cret-passphrase", md5)


def test_the_demo_and_development_start_with_the_development_secret_key():
    """``make demo`` (DEBUG off, every other setting at its local default), DEBUG on, and an operator's
    own SECRET_KEY all pass the check."""
    from django.conf import settings

    with override_settings(DEBUG=False, SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY, **LOCAL_DEFAULTS):
        call_command("check")
    with override_settings(DEBUG=True, SECRET_KEY=settings.DEVELOPMENT_SECRET_KEY,
                           **{**LOCAL_DEFAULTS, "ALLOWED_HOSTS": ["lists.example.edu"], "SESSION_COOKIE_SECURE": True}):
        call_command("check")
    with override_settings(DEBUG=False, SECRET_KEY="an-operators-long-random-secret-key-0123456789",
                           **{**LOCAL_DEFAULTS, "ALLOWED_HOSTS": ["lists.example.edu"], "ENCRYPTION_KEYS": [NEW]}):
        call_command("check")


def test_sec_key_the_default_key_is_derived_from_secret_key():
    with override_settings(ENCRYPTION_KEYS=[], SECRET_KEY="one"):
        token = encryption.encrypt("x")
        assert encryption.decrypt(token) == "x"
    with override_settings(ENCRYPTION_KEYS=[], SECRET_KEY="two"), pytest.raises(InvalidToken):
        encryption.decrypt(token)
    with override_settings(ENCRYPTION_KEYS=[encryption.derived_key("one").decode()]):   # the same key, named
        assert encryption.decrypt(token) == "x"


BEFORE = [("sso", "0005_saml_metadata_refresh_authn_context"), ("lti", "0005_launch_storage_and_tickets"),
          ("consortium", "0004_ill_cancel_requested_copy_completed")]


@pytest.mark.django_db(transaction=True)
def test_sec_key_the_migrations_encrypt_existing_rows_and_decrypt_them_when_reversed(inst_a):
    pem = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END PRIVATE KEY-----\n"
    # one round trip (docs/DEVELOPING.md, "How long the suite takes"): the rows are written encrypted
    # first, the way back turns them into the plain text the old code reads, and the way forward
    # encrypts those plain rows as at an upgrade
    provider = IdentityProvider.objects.create(institution=inst_a, slug="okta", name="Okta", kind="oidc",
                                               issuer="https://okta.example", client_id="c", client_secret=SECRET)
    sp = ServiceProvider.objects.create(institution=inst_a, private_key_pem=pem, certificate_pem="cert")
    tool_key = ToolKey.objects.create(kid="k1", private_key_pem=pem, public_jwk={})
    partner = IllPartner.objects.create(institution=inst_a, agency_id="DK-820010", name="KB", endpoint_url="https://ill.example/",
                                        auth_header="Authorization", auth_value=PARTNER_SECRET)
    rows = [(IdentityProvider, "client_secret", provider.pk, SECRET), (ServiceProvider, "private_key_pem", sp.pk, pem),
            (ToolKey, "private_key_pem", tool_key.pk, pem), (IllPartner, "auth_value", partner.pk, PARTNER_SECRET)]
    try:
        migrate(BEFORE)   # reversed: plain text again, as the old code reads it
        assert [_raw(model, name, pk) for model, name, pk, _ in rows] == [plain for *_, plain in rows]
    finally:
        migrate(latest())
    for model, name, pk, plain in rows:
        assert plain not in _raw(model, name, pk) and "PRIVATE KEY" not in _raw(model, name, pk)
        assert getattr(model.objects.get(pk=pk), name) == plain
    assert IdentityProvider.objects.get(slug="okta").client_secret == SECRET

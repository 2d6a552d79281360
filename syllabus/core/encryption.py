"""Secrets at rest (SEC-KEY): the secrets Syllabus stores and must read back — OpenID client
secrets, the SAML and LTI private keys, ILL partners' shared secrets, OpenID ID tokens kept for
sign-out — are encrypted in the database with Fernet (AES in CBC mode with a 128-bit key, and HMAC-SHA256, from the
``cryptography`` package).  Hashes (API tokens, passwords) stay hashes.

- **Keys.** ``SYLLABUS_ENCRYPTION_KEYS``: comma-separated Fernet keys; the first encrypts, every
  one decrypts (``MultiFernet``), so a key is rotated by putting a new one first and running
  ``syllabus rotate-encryption-keys``.  Unset, one key is derived from ``SECRET_KEY`` with HKDF —
  the demo and development need no set-up — but a production server (``DEBUG`` off and
  ``SECRET_KEY`` set) refuses to start without one (:func:`check_keys`).
- **The field.** :class:`EncryptedTextField` is the one way such a value is kept: encrypted when
  saved, decrypted when read.  An empty value stays empty (nothing to hide, and "no secret" must
  stay readable).  A value that none of the keys opens is kept as it is (saving the row again
  writes it back untouched) and reading it raises :class:`SecretUnreadable` — a ``SEC-KEY``
  refusal (503) naming the field and the variable to configure, never a 500.
- **Migrations and rotation** work on the raw column (:func:`encrypt_column`, :func:`rotate`),
  never through the field, so that a half-done state is never read as a secret.
"""
from __future__ import annotations

import base64
import functools
from collections.abc import Callable, Iterator

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.db import models, transaction
from django.db.models.query_utils import DeferredAttribute

from .errors import RuleViolation

RULE = "SEC-KEY"
VARIABLE = "SYLLABUS_ENCRYPTION_KEYS"
_HKDF_INFO = b"syllabus encryption at rest v1"


class SecretUnreadable(RuleViolation):
    """A stored secret that none of the configured keys decrypts (its key is missing)."""

    status = 503

    def __init__(self, where: str):
        super().__init__(RULE, f"{where} cannot be read with the configured encryption keys: the server's operator must "
                               f"add the key it was encrypted with to {VARIABLE} (README, Deployment at scale: encryption keys); "
                               "nothing was sent or changed")
        self.where = where


def derived_key(secret_key: str) -> bytes:
    """The Fernet key derived from Django's ``SECRET_KEY`` (HKDF-SHA256): the embedded default."""
    raw = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HKDF_INFO).derive(secret_key.encode("utf-8"))
    return base64.urlsafe_b64encode(raw)


def configured_keys() -> list[str]:
    """The keys of ``SYLLABUS_ENCRYPTION_KEYS`` (settings ``ENCRYPTION_KEYS``), in order."""
    return [k.strip() for k in getattr(settings, "ENCRYPTION_KEYS", []) if k and k.strip()]


@functools.lru_cache(maxsize=8)
def _fernet(keys: tuple[str, ...], secret_key: str) -> MultiFernet:
    return MultiFernet([Fernet(k) for k in keys] if keys else [Fernet(derived_key(secret_key))])


def fernet() -> MultiFernet:
    """The keys in use: those configured, or the one derived from ``SECRET_KEY``."""
    return _fernet(tuple(configured_keys()), settings.SECRET_KEY)


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def encrypt(plain: str) -> str:
    return fernet().encrypt(plain.encode("utf-8")).decode("ascii")


def decrypt(token: str) -> str:
    """The plain text of ``token``; ``InvalidToken`` when no key opens it."""
    return fernet().decrypt(token.encode("ascii")).decode("utf-8")


def key_problems() -> list[str]:
    """What is wrong with the configured keys (for the start-up check)."""
    problems = []
    for number, key in enumerate(configured_keys(), 1):
        try:
            Fernet(key)
        except (ValueError, TypeError):
            problems.append(f"{VARIABLE}: key {number} is not a Fernet key (32 bytes in URL-safe base64; make one with "
                            "`syllabus rotate-encryption-keys --new-key`)")
    if not configured_keys() and not settings.DEBUG and settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY:
        problems.append(f"{VARIABLE} is not set: a production server (DEBUG off, SECRET_KEY set) keeps the secrets it "
                        "stores (OpenID client secrets, SAML and LTI private keys, ILL partners' shared secrets) encrypted "
                        f"with a key of its own. Make one with `syllabus rotate-encryption-keys --new-key`, set {VARIABLE} "
                        "to it, then run `syllabus migrate` (README, Configuration)")
    return problems


LOCAL_HOSTS = frozenset({"127.0.0.1", "localhost", "testserver", "::1", "[::1]"})


def production_settings() -> list[str]:
    """The settings, besides ``DEBUG`` off, that only a server others reach has: what ``make demo``
    and a developer's machine leave at their defaults."""
    signs = []
    if configured_keys():
        signs.append(VARIABLE)
    hosts = [h for h in settings.ALLOWED_HOSTS if h.strip().lower() not in LOCAL_HOSTS]
    if hosts:
        signs.append(f"ALLOWED_HOSTS ({', '.join(hosts[:3])})")
    if settings.CSRF_TRUSTED_ORIGINS:
        signs.append("CSRF_TRUSTED_ORIGINS")
    if settings.SESSION_COOKIE_SECURE:
        signs.append("SECURE_COOKIES")
    if settings.SECURE_SSL_REDIRECT:
        signs.append("SECURE_SSL_REDIRECT")
    if settings.SECURE_PROXY_SSL_HEADER:
        signs.append("SECURE_PROXY_SSL_HEADER")
    return signs


def secret_key_problems() -> list[str]:
    """A production server (DEBUG off, and a production setting set) whose ``SECRET_KEY`` is the
    development default, known to anyone who reads the source: it could forge sessions, password
    reset links and signed values, and the secrets at rest are encrypted with a key derived from it."""
    signs = production_settings()
    if settings.DEBUG or settings.SECRET_KEY != settings.DEVELOPMENT_SECRET_KEY or not signs:
        return []
    return [f"SECRET_KEY is the development key, which anyone can read in the source, on a production server (DEBUG off, "
            f"{' and '.join(signs)} set): sessions, password-reset links and the secrets Syllabus stores would be open to "
            "anyone. Set SECRET_KEY to a long random value (python -c 'import secrets; print(secrets.token_urlsafe(50))') "
            "before `syllabus serve` (README, Configuration)"]


def hasher_problems() -> list[str]:
    """A production server (DEBUG off, and a production setting set) that hashes passwords with the
    benchmarks' MD5 (``FAST_PASSWORD_HASHER``): a stolen database would give up every password at once."""
    signs = production_settings()
    if settings.DEBUG or not getattr(settings, "FAST_PASSWORD_HASHER", False) or not signs:
        return []
    return [f"FAST_PASSWORD_HASHER is set on a production server (DEBUG off, {' and '.join(signs)} set): passwords "
            "would be stored as MD5 hashes, which a stolen database gives up in minutes. It is for the benchmarks "
            "only: unset it (README, Development)"]


def check_keys(app_configs=None, **kwargs):
    """At start-up (``serve``, ``migrate``, every command): the keys are usable and, in production, set
    (``core.E001``) — a production server has a ``SECRET_KEY`` of its own (``core.E002``) and never
    the benchmarks' password hasher (``core.E003``)."""
    from django.core import checks

    return ([checks.Error(problem, id="core.E001") for problem in key_problems()]
            + [checks.Error(problem, id="core.E002") for problem in secret_key_problems()]
            + [checks.Error(problem, id="core.E003") for problem in hasher_problems()])


class Unreadable:
    """A stored token that no configured key opens: kept as it is, refused when read."""

    __slots__ = ("token",)

    def __init__(self, token: str):
        self.token = token

    def __bool__(self) -> bool:
        return True

    def __eq__(self, other) -> bool:
        return isinstance(other, Unreadable) and other.token == self.token

    def __hash__(self) -> int:
        return hash(self.token)

    def __repr__(self) -> str:
        return "<unreadable secret>"


class _SecretAttribute(DeferredAttribute):
    """The model attribute: the plain text, or :class:`SecretUnreadable` when no key opens it."""

    def __get__(self, instance, cls=None):
        value = super().__get__(instance, cls)
        if isinstance(value, Unreadable):
            raise SecretUnreadable(f"{self.field.model._meta.label}.{self.field.name} of row {instance.pk}")
        return value

    def __set__(self, instance, value):
        instance.__dict__[self.field.attname] = value


class EncryptedTextField(models.TextField):
    """A text kept encrypted in the database (a text column: the token is longer than the text).
    ``max_length`` bounds the plain text (forms, the API's schema, ``refuse_too_long``)."""

    descriptor_class = _SecretAttribute

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        try:
            return decrypt(value)
        except (InvalidToken, ValueError):
            return Unreadable(value)

    def get_prep_value(self, value):
        if isinstance(value, Unreadable):
            return value.token
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt(value)

    def pre_save(self, model_instance, add):
        """The value to write — an unreadable one as it is (saving the row keeps it)."""
        if self.attname in model_instance.__dict__:
            return model_instance.__dict__[self.attname]
        return super().pre_save(model_instance, add)

    def value_from_object(self, obj):
        """For forms and the audit trail: never raises (a form never shows the secret anyway)."""
        value = obj.__dict__.get(self.attname)
        return "" if isinstance(value, Unreadable) else value

    def formfield(self, **kwargs):
        if self.max_length:   # a one-line secret: a text input, as a CharField's
            return super(models.TextField, self).formfield(max_length=self.max_length, **kwargs)
        return super().formfield(**kwargs)


def saved(instance: models.Model, name: str):
    """The value of ``name`` as saved — the plain text, or an :class:`Unreadable` kept as it is
    (a form that keeps the saved secret does not need to read it)."""
    field = instance._meta.get_field(name)
    assert isinstance(field, EncryptedTextField), name
    attname = field.attname
    if instance.pk and attname not in instance.__dict__:
        instance.refresh_from_db(fields=[attname])
    return instance.__dict__.get(attname, "")


class KeepsUnreadable:
    """A ModelForm mixin (the admin forms that edit a secret): a saved secret that no configured
    key opens is not validated — the model's validation would read it — so that the rest of the
    row can still be saved, the secret kept as it is (or replaced by the one typed)."""

    def _get_validation_exclusions(self):
        exclude = super()._get_validation_exclusions()
        for field in self.instance._meta.concrete_fields:
            if isinstance(field, EncryptedTextField) and isinstance(self.instance.__dict__.get(field.attname), Unreadable):
                exclude.add(field.name)
        return exclude


# --- the raw columns: migrations and rotation ---------------------------------------------------

def encrypted_fields() -> Iterator[tuple[type[models.Model], EncryptedTextField]]:
    """Every encrypted field of every installed model."""
    from django.apps import apps

    for model in apps.get_models():
        for field in model._meta.concrete_fields:
            if isinstance(field, EncryptedTextField):
                yield model, field


def _rewrite(connection, model, column: str, change: Callable[[str], str]) -> int:
    """Apply ``change`` to every non-empty value of ``column`` of ``model``'s table, on the raw
    column; returns how many rows changed.  The caller holds the transaction."""
    table, pk = connection.ops.quote_name(model._meta.db_table), connection.ops.quote_name(model._meta.pk.column)
    col = connection.ops.quote_name(column)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {pk}, {col} FROM {table} WHERE {col} IS NOT NULL AND {col} <> ''")  # noqa: S608
        rows = cursor.fetchall()
        count = 0
        for row_id, value in rows:
            new = change(value)
            if new != value:
                cursor.execute(f"UPDATE {table} SET {col} = %s WHERE {pk} = %s", [new, row_id])  # noqa: S608
                count += 1
    return count


def _is_token(value: str) -> bool:
    try:
        fernet().extract_timestamp(value.encode("ascii"))
    except (InvalidToken, ValueError, UnicodeEncodeError):
        return False
    return True


def encrypt_column(app_label: str, model_name: str, *columns: str):
    """A reversible ``RunPython`` of a data migration: encrypt the plain values of ``columns``
    (decrypt them back on reverse).  Values that are already tokens are left alone."""
    from django.db import migrations

    def forward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)
        for column in columns:
            _rewrite(schema_editor.connection, model, column, lambda v: v if _is_token(v) else encrypt(v))

    def backward(apps, schema_editor):
        model = apps.get_model(app_label, model_name)

        def plain(value: str) -> str:
            try:
                return decrypt(value)
            except (InvalidToken, ValueError) as exc:
                raise SecretUnreadable(f"{app_label}.{model_name}.{column}") from exc

        for column in columns:
            _rewrite(schema_editor.connection, model, column, plain)

    return migrations.RunPython(forward, backward, elidable=False)


def rotate(using: str = "default") -> dict[str, int]:
    """Re-encrypt every encrypted value with the first key, in one transaction; returns the count
    per field (``"sso.IdentityProvider.client_secret": 2``).  A value no key opens stops it all
    (nothing changed) with :class:`SecretUnreadable`."""
    from django.db import connections

    connection = connections[using]
    counts: dict[str, int] = {}
    multi = fernet()
    with transaction.atomic(using=using):
        for model, field in encrypted_fields():
            where = f"{model._meta.label}.{field.name}"

            def again(value: str, where: str = where) -> str:
                try:
                    return multi.rotate(value.encode("ascii")).decode("ascii")
                except (InvalidToken, ValueError, UnicodeEncodeError) as exc:
                    raise SecretUnreadable(where) from exc

            counts[where] = _rewrite(connection, model, field.column or field.name, again)
    return counts

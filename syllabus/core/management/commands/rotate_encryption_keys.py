"""``syllabus rotate-encryption-keys`` (SEC-KEY): re-encrypt every stored secret with the first key
of ``SYLLABUS_ENCRYPTION_KEYS``, in one transaction, and print the count per field.

Rotation: put a new key first (``--new-key`` prints one), keep the old ones after it, restart,
run this command, then drop the old keys (README, Deployment at scale).  A secret that none of the keys
opens stops it with nothing changed, naming the field."""
from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from syllabus.core import encryption


class Command(BaseCommand):
    help = ("Re-encrypt every stored secret (OpenID client secrets, SAML and LTI private keys, ILL partners' shared "
            "secrets, OpenID ID tokens) with the first key of SYLLABUS_ENCRYPTION_KEYS, in one transaction. "
            "--new-key prints a fresh key and changes nothing.")
    requires_system_checks: list[str] = []   # runs where the start-up check fails for want of a key (--new-key)

    def add_arguments(self, parser):
        parser.add_argument("--new-key", action="store_true", help="print a new key for SYLLABUS_ENCRYPTION_KEYS and stop")
        parser.add_argument("--derived-key", action="store_true",
                            help="print the key derived from SECRET_KEY (what encrypts while SYLLABUS_ENCRYPTION_KEYS is "
                                 "unset), to name it after a new key when setting the variable, and stop")

    def handle(self, *args, **opts):
        if opts["new_key"]:
            self.stdout.write(encryption.new_key())
            return
        if opts["derived_key"]:
            from django.conf import settings

            self.stdout.write(encryption.derived_key(settings.SECRET_KEY).decode("ascii"))
            return
        for problem in encryption.key_problems():
            if "is not a Fernet key" in problem:
                raise CommandError(problem)
        if not encryption.configured_keys():
            self.stdout.write(f"{encryption.VARIABLE} is not set: the key derived from SECRET_KEY encrypts")
        try:
            counts = encryption.rotate()
        except encryption.SecretUnreadable as exc:
            raise CommandError(f"{exc} — nothing was re-encrypted") from None
        for where, count in counts.items():
            self.stdout.write(f"{where}: {count} re-encrypted")
        self.stdout.write(f"{sum(counts.values())} secrets re-encrypted with the first key")

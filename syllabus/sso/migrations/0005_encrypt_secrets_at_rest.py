"""SEC-KEY: the secrets of this app are kept encrypted (syllabus/core/encryption.py).  The columns
become text columns of the encrypted field, then the rows already there are encrypted with the first key
of SYLLABUS_ENCRYPTION_KEYS (or the one derived from SECRET_KEY); reversed, they are decrypted back."""
import syllabus.core.encryption
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sso', '0004_oidc_verifies_email'),
    ]

    operations = [
        migrations.AlterField(
            model_name='identityprovider',
            name='client_secret',
            field=syllabus.core.encryption.EncryptedTextField(blank=True, max_length=500),
        ),
        migrations.AlterField(
            model_name='serviceprovider',
            name='private_key_pem',
            field=syllabus.core.encryption.EncryptedTextField(editable=False),
        ),
        migrations.AlterField(
            model_name='signin',
            name='id_token',
            field=syllabus.core.encryption.EncryptedTextField(blank=True),
        ),
        syllabus.core.encryption.encrypt_column('sso', 'IdentityProvider', 'client_secret'),
        syllabus.core.encryption.encrypt_column('sso', 'ServiceProvider', 'private_key_pem'),
        syllabus.core.encryption.encrypt_column('sso', 'SignIn', 'id_token'),
    ]

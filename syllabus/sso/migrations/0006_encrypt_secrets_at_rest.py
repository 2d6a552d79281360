"""SEC-KEY: OpenID client secrets, the SAML service providers' private keys and the ID tokens kept
for sign-out are encrypted at rest (syllabus/core/encryption.py): text columns of the encrypted
field, the rows already stored encrypted with the first key; reversed, decrypted back."""
import syllabus.core.encryption
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('sso', '0005_saml_metadata_refresh_authn_context'),
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

"""SEC-KEY: the secrets of this app are kept encrypted (syllabus/core/encryption.py).  The columns
become text columns of the encrypted field, then the rows already there are encrypted with the first key
of SYLLABUS_ENCRYPTION_KEYS (or the one derived from SECRET_KEY); reversed, they are decrypted back."""
import syllabus.core.encryption
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('consortium', '0004_ill_cancel_requested_copy_completed'),
    ]

    operations = [
        migrations.AlterField(
            model_name='illpartner',
            name='auth_value',
            field=syllabus.core.encryption.EncryptedTextField(blank=True, default='', help_text='its value (a shared secret: never shown again)', max_length=500),
        ),
        syllabus.core.encryption.encrypt_column('consortium', 'IllPartner', 'auth_value'),
    ]

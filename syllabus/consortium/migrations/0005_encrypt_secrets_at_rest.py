"""SEC-KEY: ILL partners' shared secrets (CON-2) are encrypted at rest; the column becomes a text
column (a token is longer than the 500 characters of the secret). Reversed: decrypted back."""
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

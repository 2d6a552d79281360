"""SEC-KEY: the LTI tool's private keys (retired ones too, still in the table) are encrypted at
rest with the first key of SYLLABUS_ENCRYPTION_KEYS (or the SECRET_KEY-derived one); reversed,
they are decrypted back."""
import syllabus.core.encryption
from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('lti', '0005_launch_storage_and_tickets'),
    ]

    operations = [
        migrations.AlterField(
            model_name='toolkey',
            name='private_key_pem',
            field=syllabus.core.encryption.EncryptedTextField(),
        ),
        syllabus.core.encryption.encrypt_column('lti', 'ToolKey', 'private_key_pem'),
    ]

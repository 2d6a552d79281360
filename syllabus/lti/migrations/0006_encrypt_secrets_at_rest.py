"""SEC-KEY: the secrets of this app are kept encrypted (syllabus/core/encryption.py).  The columns
become text columns of the encrypted field, then the rows already there are encrypted with the first key
of SYLLABUS_ENCRYPTION_KEYS (or the one derived from SECRET_KEY); reversed, they are decrypted back."""
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

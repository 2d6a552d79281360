"""Configuration parameters of the notifications (ORG-4)."""
from syllabus.org.config import declare

declare("email_attachment_max_mb", int, 10,
        "Largest total size (MB) of the files attached to one e-mail letter; above it the letter "
        "carries a download link instead and says so (OUT-2)")

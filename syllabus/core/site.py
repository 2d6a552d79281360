"""The site's public address (``SITE_URL``): links in letters and SMS, the SSO redirect URI."""
from __future__ import annotations

import os

from django.conf import settings


def site_url() -> str:
    """``SITE_URL`` without its trailing slash, or "" when it is not set (links stay paths)."""
    return (getattr(settings, "SITE_URL", "") or os.environ.get("SITE_URL", "")).rstrip("/")

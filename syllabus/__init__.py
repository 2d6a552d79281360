"""Syllabus: course resource lists and library services."""
__version__ = "0.1.0"

# The Celery app is loaded with Django so that @shared_task binds to it.
from .celery import app as celery_app  # noqa: E402

__all__ = ["celery_app"]

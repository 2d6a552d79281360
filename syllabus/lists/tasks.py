"""The lists' timer sweep: citation files too large for the web request, imported in the
background a slice at a time (LST-9, session 18; ``catalog_link.run_imports``)."""
from __future__ import annotations

from django.conf import settings

from syllabus.core.tasks import periodic


@periodic("list_imports")
def sweep_list_imports(now) -> int:
    from .catalog_link import run_imports

    return run_imports(now, float(settings.LIST_IMPORT_SWEEP_SECONDS))

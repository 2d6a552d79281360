from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry


def _library(u) -> bool:
    from .permissions import sees_library_reports

    return sees_library_reports(u)


# The library's reports (ANL-2); an instructor reaches their list's engagement from the list's header.
entry("back_office", _("Reports"), "analytics:index", when=_library, order=60)
entry("lists", _("What is recorded about me"), "analytics:mine", order=90, group="library")

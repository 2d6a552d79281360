"""Navigation entries of long-term digital loans."""
from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry

from . import permissions

entry("lists", _("Digital loans"), "lending:browse", group="library", order=40)
entry("back_office", _("Digital loan requests"), "lending:monitor", when=permissions.is_lending_staff, order=40)
entry("back_office", _("Digital titles"), "lending:search", when=permissions.is_lending_staff, order=41)
entry("back_office", _("Access rights"), "lending:policies", when=lambda u: permissions.can_configure(u), order=42)

from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry

entry("lists", _("Search the library"), "catalog:search", group="library", order=30)
entry("lists", _("Course reserves"), "catalog:reserves", group="library", order=32)
entry("lists", _("My collection"), "catalog:collection", group="library", order=34)
entry("lists", _("Cite it"), "catalog:cite-it", group="library", order=36)

from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry

from . import permissions


entry("lists", _("My digitization requests"), "fulfillment:mine", group="library", order=40)
entry("back_office", _("Digitization requests"), "fulfillment:work", when=permissions.is_fulfillment_staff_here, order=30)
entry("back_office", _("Digitization configuration"), "fulfillment:config", when=permissions.can_configure_here, order=80)

from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry


def _staff(u):
    from .services import is_fulfillment_staff

    return u.institution_id is not None and is_fulfillment_staff(u, u.institution)


def _admin(u):
    from .services import is_config_admin

    return u.institution_id is not None and is_config_admin(u, u.institution)


entry("lists", _("My digitization requests"), "fulfillment:mine", group="library", order=40)
entry("back_office", _("Digitization requests"), "fulfillment:work", when=_staff, order=30)
entry("back_office", _("Digitization configuration"), "fulfillment:config", when=_admin, order=80)

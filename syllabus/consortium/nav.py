from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry


def _consortium_admin(u):
    from .services import is_consortium_admin

    return is_consortium_admin(u)


entry("back_office", _("Consortium configuration"), "consortium:config", when=_consortium_admin, order=90)
entry("lists", _("Consortium lists"), "consortium:gateway", when=lambda u: bool(u.institution_id), order=15)

from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry


def _consortium_admin(u):
    from .services import is_consortium_admin

    return is_consortium_admin(u)


entry("back_office", _("Consortium configuration"), "consortium:config", when=_consortium_admin, order=90)
entry("lists", _("Consortium lists"), "consortium:gateway", when=lambda u: bool(u.institution_id), group="library", order=31)
entry("lists", _("My requests to other libraries"), "consortium:cross-mine", when=lambda u: bool(u.institution_id), group="library",
      order=41)
entry("lists", _("My inter-library loan requests"), "consortium:ill-mine", when=lambda u: bool(u.institution_id),
      group="library", order=42)


def _ill_staff(u):
    from .permissions import is_ill_staff

    return bool(u.institution_id) and is_ill_staff(u)


def _new_requests(u):
    from .models import IllRequest, IllStatus

    from django.db.models import Q

    # requests to us not answered yet, and our readers' requests no supplier was asked of yet
    return IllRequest.objects.filter(Q(supplying_institution_id=u.institution_id, status=IllStatus.REQUEST_RECEIVED)
                                     | Q(requesting_institution_id=u.institution_id, status=IllStatus.NEW)).count()


entry("back_office", _("Inter-library loans"), "consortium:ill", when=_ill_staff, order=92, badge=_new_requests)
entry("back_office", _("ILL partners"), "consortium:ill-partners", when=_ill_staff, order=93)

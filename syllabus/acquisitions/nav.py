from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry


def _librarian(u):
    from .permissions import can_work_on_acquisitions

    return can_work_on_acquisitions(u)


def _has_requests(u):
    from .permissions import has_purchase_requests

    return has_purchase_requests(u)


def _open_tasks(u):
    from .models import OPEN_TASK, AcquisitionTask

    return AcquisitionTask.objects.filter(institution_id=u.institution_id, status__in=OPEN_TASK, assignee=u).count()


entry("back_office", _("Acquisitions"), "acquisitions:tasks", when=_librarian, order=35, badge=_open_tasks)
# SRV-3/DSV-6: a reader's purchase suggestions and an instructor's purchase requests, beside the
# other requests of the Library menu (My digitization requests, My inter-library loan requests)
entry("lists", _("My purchase requests"), "acquisitions:mine", when=_has_requests, group="library", order=43)

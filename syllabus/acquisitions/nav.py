from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry


def _librarian(u):
    from .permissions import can_work_on_acquisitions

    return can_work_on_acquisitions(u)


def _open_tasks(u):
    from .models import OPEN_TASK, AcquisitionTask

    return AcquisitionTask.objects.filter(institution_id=u.institution_id, status__in=OPEN_TASK, assignee=u).count()


entry("back_office", _("Acquisitions"), "acquisitions:tasks", when=_librarian, order=35, badge=_open_tasks)

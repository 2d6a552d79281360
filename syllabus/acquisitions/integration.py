"""What acquisitions plug into the apps below it (which do not import it): the librarian task
list's item filters "Acquisition open" and "Purchase requested" (LST-7), and the CLA check on
digitization's auto-approval (SRV-2)."""
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def _acquisition_open() -> Q:
    from .models import OPEN_TASK, AcquisitionTask

    return Q(pk__in=AcquisitionTask.objects.filter(status__in=OPEN_TASK).values("citation_id"))


def _purchase_requested() -> Q:
    from .models import PurchaseRequest, PurchaseStatus

    return Q(pk__in=PurchaseRequest.objects.filter(status=PurchaseStatus.LIBRARY_PROCESSING).values("citation_id"))


def register_list_filters() -> None:
    from syllabus.lists.selectors import register_item_filter

    register_item_filter("acquisition_open", _("Acquisition in progress"), _acquisition_open)
    register_item_filter("purchase_requested", _("Purchase requested"), _purchase_requested)


def register_digitization_check() -> None:
    """SRV-2: a CLA answer "not permitted" stops digitization's automatic approval (DIG-9)."""
    from syllabus.fulfillment.auto_approval import register

    from .cla import blocks_digitization

    register(blocks_digitization)

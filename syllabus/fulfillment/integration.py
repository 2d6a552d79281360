"""What digitization and copyright clearance plug into the lists app (which sits below it and
does not import it): the librarian task list's item filters "Digitization requested" and
"Copyright clearance requested" (LST-7), the guard on a citation's file (DIG-3, DIG-4), the
copyright statuses a list's editors may choose (DIG-3) and the items a term rollover marks for
re-check (ROLL-5)."""
from django.db.models import Q
from django.utils.translation import gettext_lazy as _


def _digitization_requested() -> Q:
    from .models import OPEN_STATUSES, DigitizationRequest, Kind

    return Q(pk__in=DigitizationRequest.objects.filter(citation_id__isnull=False, kind=Kind.DIGITIZATION,
                                                       status__in=OPEN_STATUSES).values("citation_id"))


def _copyright_requested() -> Q:
    from .models import OPEN_STATUSES, DigitizationRequest, Kind

    return Q(pk__in=DigitizationRequest.objects.filter(citation_id__isnull=False, kind=Kind.COPYRIGHT,
                                                       status__in=OPEN_STATUSES).values("citation_id"))


def register_list_filters() -> None:
    from syllabus.lists.selectors import register_item_filter

    register_item_filter("digitization_requested", _("Digitization requested"), _digitization_requested)
    register_item_filter("copyright_requested", _("Copyright clearance requested"), _copyright_requested)


def _citation_file_guard(user, citation) -> str:
    from .citations import guard_citation_file

    access = guard_citation_file(user, citation)
    return access.warning if access is not None else ""


def register_file_guard() -> None:
    from syllabus.lists.file_guards import register_file_guard as register
    from syllabus.lists.file_guards import register_file_shown_elsewhere

    from .item_access import files_shown_as_scans

    register(_citation_file_guard)
    # DIG-4: a delivered scan copied into the item's file is offered once, by the item's access
    register_file_shown_elsewhere(files_shown_as_scans)


def register_copyright_policy() -> None:
    from syllabus.lists.copyright_policy import register_editor_statuses

    from .citations import instructor_copyright_statuses

    register_editor_statuses(instructor_copyright_statuses)


def _had_digitization_or_clearance(list_ids: list[int]) -> set[int]:
    """ROLL-5: the citations of these lists that had a digitization or copyright clearance
    request (whatever became of it, except a cancelled one)."""
    from .models import DigitizationRequest, Status

    return set(DigitizationRequest.objects.filter(citation__resource_list_id__in=list_ids)
               .exclude(status=Status.CANCELLED).values_list("citation_id", flat=True))


def register_rollover_recheck() -> None:
    from syllabus.lists.rollover import register_recheck

    register_recheck(_had_digitization_or_clearance)

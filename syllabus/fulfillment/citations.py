"""The instructor's side: digitization and copyright clearance requests from a citation of a
resource list (DIG-1, DIG-2), the auto-triggered clearance form on upload (DIG-3), and the
guard on a citation file's download (DIG-3, DIG-4).

Every precondition is checked and reported by name, in this order:

DIG-1 digitization                          DIG-2 copyright clearance
- requests enabled (``digitization_requests_enabled``)
- the user is an owner/collaborator of the list (else 403)
- the list is linked to a course
- the citation is a physical title           - the citation has an uploaded file
  (catalog record with at least one item;    - its copyright is not Self declared
  electronic-only is named as such)            or Creative Commons
- no other open digitization request         - no other open copyright request
- the form: ≤ 10 page ranges, each from ≤ to and positive; ≤ 3 notes; end ≥ start
"""
from __future__ import annotations

from django.db import transaction

from syllabus.core import audit, clock
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.lists import models as list_models
from syllabus.lists import selectors as list_selectors
from syllabus.org import config

from . import services
from .models import (
    NO_CLEARANCE_REQUEST, OPEN_STATUSES, CopyrightOption, CopyrightStatus, DigitizationRequest, Kind, Status, TaskStatus,
)


def list_of_citation(citation_id: int):
    """The resource list of a citation (``None`` when it is gone)."""
    return list_models.ResourceList.objects.filter(citations__pk=citation_id).first()


def citation_for_instructor(user, citation_id: int):
    """The citation if the user may see its list (else 404), and is its instructor (else 403)."""
    citation, acc = list_selectors.citation_for(user, citation_id)
    if not (acc.owner or acc.collaborator):
        raise PermissionDenied("DIG-1", "only the list's owners and collaborators request digitization or copyright clearance")
    return citation


def _common(citation, rule: str):
    lst = citation.resource_list
    if not config.get("digitization_requests_enabled", institution=lst.institution):
        raise RuleViolation(rule, "digitization and copyright requests are not enabled at this institution", status=403)
    courses = list(lst.courses.all())
    if not courses:
        raise RuleViolation(rule, "the list is not linked to a course: link it to a course first")
    return lst, courses


def check_digitization(citation) -> tuple:
    lst, courses = _common(citation, "DIG-1")
    record = citation.record
    if record is None:
        raise RuleViolation("DIG-1", "the citation is not a physical title of the library's catalog")
    if not record.items.exists():
        if record.eresources.exists() or record.representations.exists():
            raise RuleViolation("DIG-1", "the citation is electronic only: digitization needs a physical title with at least one item")
        raise RuleViolation("DIG-1", "the citation's title has no physical item to digitize")
    if DigitizationRequest.objects.filter(citation_id=citation.pk, kind=Kind.DIGITIZATION, status__in=OPEN_STATUSES).exists():
        raise RuleViolation("DIG-1", "this citation already has an open digitization request", status=409)
    return lst, courses


def check_copyright(citation) -> tuple:
    lst, courses = _common(citation, "DIG-2")
    if not citation.file:
        raise RuleViolation("DIG-2", "a copyright clearance request needs a file uploaded on the citation")
    if citation.copyright_status in NO_CLEARANCE_REQUEST:
        label = CopyrightStatus(citation.copyright_status).label
        raise RuleViolation("DIG-2", f"the file's copyright is already {label}: no clearance is needed")
    if DigitizationRequest.objects.filter(citation_id=citation.pk, kind=Kind.COPYRIGHT, status__in=OPEN_STATUSES).exists():
        raise RuleViolation("DIG-2", "this citation already has an open copyright clearance request", status=409)
    return lst, courses


def request_digitization(user, citation, data: dict) -> DigitizationRequest:
    """DIG-1: the instructor's digitization request for a citation."""
    services.RequestForm.from_data(data).validate("DIG-1")
    _lst, courses = check_digitization(citation)
    return services.request_for_course(user, kind=Kind.DIGITIZATION, institution=citation.resource_list.institution,
                                       record=citation.record, course=courses[0], citation_id=citation.pk,
                                       title=citation.title or citation.record.title, data=data)


def request_copyright(user, citation, data: dict) -> DigitizationRequest:
    """DIG-2: the instructor's copyright clearance request for the file uploaded on a citation."""
    services.RequestForm.from_data(data).validate("DIG-2")
    lst, courses = check_copyright(citation)
    with transaction.atomic():
        req = services.request_for_course(user, kind=Kind.COPYRIGHT, institution=lst.institution, record=citation.record,
                                          course=courses[0], citation_id=citation.pk, title=citation.title or "file",
                                          data=data, library=None)
        status = CopyrightStatus.APPROVED if req.copyright == TaskStatus.APPROVED else CopyrightStatus.WAITING
        set_citation_copyright(user, citation, status)
    return req


def set_citation_copyright(actor, citation, status: str) -> None:
    if citation.copyright_status != status:
        audit.update(actor, citation, copyright_status=status, note="copyright clearance (DIG-2)")


def choose_copyright_option(user, citation, option_code: str) -> dict:
    """DIG-3: the instructor picked a copyright option for the uploaded file.  The citation takes
    the mapped copyright status; when that status is not cleared and the list is course-linked,
    the clearance form is required before students may use the file."""
    citation = citation_for_instructor(user, citation.pk)
    inst = citation.resource_list.institution
    opt = CopyrightOption.objects.filter(institution=inst, code=option_code).first()
    if opt is None:
        raise RuleViolation("DIG-3", f"unknown copyright option {option_code!r}", field="copyright_option")
    if not citation.file:
        raise RuleViolation("DIG-3", "upload a file before choosing its copyright option")
    if citation.copyright_status in (CopyrightStatus.APPROVED, CopyrightStatus.DECLINED) or (
            citation.copyright_status == CopyrightStatus.WAITING and DigitizationRequest.objects.filter(
                citation_id=citation.pk, kind=Kind.COPYRIGHT, status__in=OPEN_STATUSES).exists()):
        label = CopyrightStatus(citation.copyright_status).label
        raise PermissionDenied("DIG-3", f"the library's copyright clearance of this file is {label}: "
                                        "upload a new file to choose its copyright option again")
    with transaction.atomic():
        set_citation_copyright(user, citation, opt.copyright_status)
    required = (opt.requires_clearance and citation.resource_list.courses.exists()
                and config.get("copyright_clearance_auto_trigger", institution=inst))
    return {"copyright_status": opt.copyright_status, "clearance_required": bool(required),
            "form": "copyright-requests" if required else None}


# DIG-3: the statuses a file may be read with by students without the library's clearance
# ("" = no copyright option chosen: nothing requires the clearance form)
FREE_STATUSES = frozenset({"", CopyrightStatus.SELF_DECLARED, CopyrightStatus.FAIR_USE, CopyrightStatus.CREATIVE_COMMONS})
# ...and those only the clearance workflow or the library set
LIBRARY_STATUSES = frozenset({CopyrightStatus.WAITING, CopyrightStatus.APPROVED, CopyrightStatus.DECLINED})


def instructor_copyright_statuses(institution) -> set[str]:
    """DIG-3: the copyright statuses a list's editor may set directly: those of the institution's
    copyright options that need no clearance (Self declared, Fair use, Creative Commons without
    a configured map), and "not determined"."""
    mapped = set(CopyrightOption.objects.filter(institution=institution).values_list("copyright_status", flat=True))
    if not mapped:
        mapped = {CopyrightStatus.SELF_DECLARED, CopyrightStatus.FAIR_USE, CopyrightStatus.CREATIVE_COMMONS}
    return {s for s in mapped if s in FREE_STATUSES} | {""}


def guard_citation_file(user, citation) -> services.Access | None:
    """For the lists app's download of a citation's file.  The list's editors and the library always
    pass; students are refused unless the file's copyright is approved by the library or is a
    status that needs no clearance (DIG-3), and outside an approved clearance's date range
    (DIG-4), whatever the list's visibility says."""
    from syllabus.lists.permissions import access_for

    acc = access_for(user, citation.resource_list)
    if acc.edit or acc.process:
        return None
    status = citation.copyright_status or ""
    if not citation.file or status == CopyrightStatus.APPROVED or status in FREE_STATUSES:
        clearance = services.clearance_for_citation(citation.pk)  # a scan's or the file's approved range
        return services._window_check(clearance, clock.today()) if clearance is not None else None
    if status == CopyrightStatus.DECLINED:
        raise PermissionDenied("DIG-3", "the library declined the copyright clearance of this file")
    raise PermissionDenied("DIG-3", "this file waits for copyright clearance")


def request_status_for(citation_ids) -> dict[int, list[DigitizationRequest]]:
    from .selectors import requests_for_citations

    return requests_for_citations(citation_ids)


def after_copyright_decision(actor, req: DigitizationRequest) -> None:
    """Keep the citation's copyright status in step with its clearance request."""
    if req.citation_id is None or req.kind != Kind.COPYRIGHT:
        return
    citation = list_models.Citation.objects.filter(pk=req.citation_id).first()
    if citation is None:
        return
    if req.copyright == TaskStatus.APPROVED and req.status == Status.COMPLETED:
        set_citation_copyright(actor, citation, CopyrightStatus.APPROVED)
    elif req.copyright == TaskStatus.REJECTED:
        set_citation_copyright(actor, citation, CopyrightStatus.DECLINED)
    # a clearance request never expires (it waits in PENDING_COPYRIGHT, which is the library's
    # work, not the operators', DIG-6): only the manager's decision changes the citation


def after_delivery(actor, req: DigitizationRequest) -> None:
    """A delivered scan of a citation becomes the citation's file when it has none, so that
    students reach it from the list (through the DIG-3/DIG-4 guard on the download)."""
    if req.citation_id is None or req.kind != Kind.DIGITIZATION or req.representation is None:
        return
    citation = list_models.Citation.objects.select_for_update().filter(pk=req.citation_id).first()
    if citation is None or citation.file:
        return
    from django.core.files.storage import default_storage

    rep = req.representation
    display = rep.file.name.rsplit("/", 1)[-1]
    with rep.file.open("rb") as fh:
        name = default_storage.save(f"lists/digitized-{req.pk}-{display}", fh)
    changes = {"file": [citation.file.name or "", name], "file_name": [citation.file_name, display],
               "file_type": [citation.file_type, rep.mime_type], "file_size": [citation.file_size, rep.file.size]}
    citation.file.name, citation.file_name, citation.file_type, citation.file_size = name, display, rep.mime_type, rep.file.size
    citation.save(update_fields=["file", "file_name", "file_type", "file_size", "updated_at"])
    audit.changed(actor, citation, changes, note=f"digitized file of request #{req.pk} (DIG-10)")

"""Consortium API (CON-1..4): consortium configuration, the lists gateway, inter-library loan."""
from __future__ import annotations

from typing import Any

from ninja import Field, Router, Schema, Status

from syllabus.api.fields import Id
from syllabus.core.errors import NotFound
from syllabus.core.pagination import Page, PageQuery, paginate

from . import selectors, services

router = Router(tags=["consortium"])


# --- CON-1 ------------------------------------------------------------------------------------------

class SettingOut(Schema):
    key: str
    type: str
    description: str
    default: Any
    choices: list[Any]
    value: Any
    set: bool
    locked: bool
    overrides: list[str]


class SettingIn(Schema):
    value: Any = None
    locked: bool | None = None


@router.get("/consortium/config", response=Page(SettingOut),
            summary="The consortium's configuration: its values, locks and the members that override them (Consortium Administrators, CON-1)")
def consortium_config(request, page: PageQuery):
    consortium = services.ensure_consortium_admin(request.user)
    return paginate(request, services.consortium_settings(consortium), page)


@router.put("/consortium/config/{key}", response=SettingOut,
            summary="Set the consortium's value of a parameter (null removes it) and whether members may override it (CON-1)")
def set_consortium_config(request, key: str, payload: SettingIn):
    consortium = services.ensure_consortium_admin(request.user)
    services.set_consortium_value(request.user, key, payload.value)
    if payload.locked is not None:
        services.lock_setting(request.user, key, payload.locked)
    return next(r for r in services.consortium_settings(consortium) if r["key"] == key)


# --- CON-3: the lists gateway -------------------------------------------------------------------

class GatewayCourseOut(Schema):
    code: str
    name: str
    term: str


class GatewayListOut(Schema):
    id: int
    title: str
    institution: str
    institution_name: str
    courses: list[GatewayCourseOut]
    instructors: list[str]


class GatewayItemOut(Schema):
    id: int
    section: str
    type: str
    title: str
    metadata: dict
    public_note: str


class GatewayListDetailOut(GatewayListOut):
    description: str
    items: list[GatewayItemOut]


class FacetInstitutionOut(Schema):
    code: str
    name: str
    count: int


class FacetTermOut(Schema):
    term: str
    count: int


class FacetsOut(Schema):
    institutions: list[FacetInstitutionOut]
    terms: list[FacetTermOut]


class CopyIn(Schema):
    citation_ids: list[Id] = Field(..., min_length=1, max_length=200)
    target_list_id: Id
    section_id: Id | None = None


class CopyOut(Schema):
    created: list[int]


class SharingIn(Schema):
    shared: bool


class SharingOut(Schema):
    list_id: int
    shared: bool


def _gateway_out(lst) -> dict:
    return {"id": lst.pk, "title": lst.title, "institution": lst.institution.code, "institution_name": lst.institution.name,
            "courses": [{"code": c.code, "name": c.name, "term": c.term} for c in lst.courses.all()],
            "instructors": [o.get_full_name() or o.username for o in lst.owners.all()]}


@router.get("/consortium/lists", response=Page(GatewayListOut),
            summary="Search the published lists the consortium's members share (title, course, instructor, cited title/ISBN/DOI) (CON-3)")
def gateway_search(request, page: PageQuery, q: str = "", institution: str = "", term: str = ""):
    found = selectors.gateway_search(request.user, q=q[:200], institution=institution[:40], term=term[:40])
    return paginate(request, found, page, _gateway_out)


@router.get("/consortium/lists/facets", response=FacetsOut,
            summary="Counts of the matching shared lists by institution and by term (CON-3)")
def gateway_facets(request, q: str = "", institution: str = "", term: str = ""):
    return selectors.gateway_facets(request.user, q=q[:200], institution=institution[:40], term=term[:40])


@router.get("/consortium/lists/{list_id}", response=GatewayListDetailOut,
            summary="A shared list of the consortium, read-only, with its items (CON-3)")
def gateway_list(request, list_id: Id):
    lst = selectors.gateway_list(request.user, list_id)
    items = [{"id": c.pk, "section": s.title, "type": c.type, "title": c.title, "metadata": c.metadata or {},
              "public_note": c.public_note} for s in lst.section_list for c in s.items]  # type: ignore[attr-defined]
    return {**_gateway_out(lst), "description": lst.description, "items": items}


@router.post("/consortium/lists/{list_id}/copy", response={201: CopyOut},
             summary="Copy items of a shared list into one of your own lists (CON-3)")
def gateway_copy(request, list_id: Id, payload: CopyIn):
    from syllabus.lists.models import Section

    target = selectors.my_editable_lists(request.user).filter(pk=payload.target_list_id).first()
    if target is None:
        raise NotFound("CON-3", "no such list of yours")
    section = None
    if payload.section_id is not None:
        section = Section.objects.filter(pk=payload.section_id, resource_list=target).first()
        if section is None:
            raise NotFound("CON-3", "no such section in that list")
    created = services.copy_items(request.user, list_id, payload.citation_ids, target, section)
    return Status(201, {"created": [c.pk for c in created]})


@router.put("/consortium/lists/{list_id}/sharing", response=SharingOut,
            summary="Show a list of yours in the consortium's lists gateway, or stop (CON-3)")
def set_sharing(request, list_id: Id, payload: SharingIn):
    from syllabus.lists.models import ResourceList

    lst = ResourceList.objects.filter(pk=list_id).first()
    if lst is None:
        raise NotFound("LST-8", "no such list")
    return {"list_id": lst.pk, "shared": services.share_list(request.user, lst, payload.shared)}

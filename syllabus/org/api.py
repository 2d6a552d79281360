"""API: who am I, institutions, libraries, resolved configuration."""
from __future__ import annotations

from typing import Annotated, Any

from ninja import Field, Router, Schema
from pydantic import AfterValidator

from syllabus.core.pagination import Page, PageQuery, paginate
from syllabus.core.errors import NotFound, PermissionDenied, RuleViolation
from syllabus.core.limits import JSON_CHARS, bounded_json, column

from . import config
from .models import ConfigValue, Institution, Library
from .permissions import can_configure, can_configure_consortium, is_superuser

router = Router(tags=["organisation"])

# query and path texts, bounded by their columns (org sits below api: syllabus.api.fields is out of reach)
LibraryCode = Annotated[str, Field(max_length=column(Library, "code"))]
ConfigKey = Annotated[str, Field(max_length=column(ConfigValue, "key"))]


class RoleOut(Schema):
    role: str
    scope: str
    library: str | None = None
    department: str | None = None


class MeOut(Schema):
    username: str
    full_name: str
    email: str
    institution: str | None
    institution_name: str | None
    user_group: str | None
    roles: list[RoleOut]
    back_office: bool


class InstitutionOut(Schema):
    id: int
    code: str
    name: str
    consortium: str
    primary_color: str
    accent_color: str
    logo_url: str


class LibraryOut(Schema):
    id: int
    code: str
    name: str
    institution: str
    open_weekdays: list[str]
    opening_hours: str


class ConfigOut(Schema):
    key: str
    value: Any
    source: str
    type: str
    default: Any
    description: str


class ConfigIn(Schema):
    value: Annotated[Any, Field(json_schema_extra={"x-max-chars": JSON_CHARS}), AfterValidator(bounded_json)]
    level: str = Field("institution", max_length=20)  # institution | library | consortium (CON-1)
    library: str | None = Field(None, max_length=column(Library, "code"))


@router.get("/me", response=MeOut, summary="The signed-in user, their institution, user group and roles")
def me(request):
    u = request.user
    return {
        "username": u.username,
        "full_name": u.get_full_name(),
        "email": u.email,
        "institution": u.institution.code if u.institution_id else None,
        "institution_name": u.institution.name if u.institution_id else None,
        "user_group": u.user_group.code if u.user_group_id else None,
        "roles": [
            {"role": ra.role, "scope": ra.scope, "library": ra.library.code if ra.library_id else None,
             "department": ra.department or None}
            for ra in u.role_assignments_cached()
        ],
        "back_office": u.is_back_office,
    }


def _institution_out(i: Institution) -> dict:
    return {"id": i.pk, "code": i.code, "name": i.name, "consortium": i.consortium.code, "primary_color": i.primary_color,
            "accent_color": i.accent_color, "logo_url": i.logo_url}


@router.get("/institutions", response=Page(InstitutionOut), summary="Institutions of the consortium")
def institutions(request, page: PageQuery):
    return paginate(request, Institution.objects.select_related("consortium").order_by("code"), page, _institution_out)


@router.get("/libraries", response=Page(LibraryOut), summary="Libraries of every member")
def libraries(request, page: PageQuery, institution: LibraryCode | None = None):
    qs = Library.objects.select_related("institution").order_by("code")
    if institution:
        qs = qs.filter(institution__code=institution)
    return paginate(request, qs, page, lambda lib: {
        "id": lib.pk, "code": lib.code, "name": lib.name, "institution": lib.institution.code,
        "open_weekdays": [d for d in lib.open_weekdays.split(",") if d], "opening_hours": lib.opening_hours})


def _own_library(user, code: str) -> Library:
    """A library of the caller's own institution (any for a superuser); another institution's
    libraries are not visible (ORG-4: configuration is read within one's institution)."""
    qs = Library.objects.select_related("institution__consortium").filter(code=code)
    if not is_superuser(user):
        qs = qs.filter(institution_id=user.institution_id)
    lib = qs.first()
    if lib is None:
        raise NotFound("ORG-4", f"no library {code!r} in your institution")
    return lib


def _scope(request, library: str | None):
    if library:
        return {"library": _own_library(request.user, library)}
    if request.user.institution_id is None:
        raise RuleViolation("ORG-4", "the user belongs to no institution; name a library")
    return {"institution": request.user.institution}


@router.get("/config", response=Page(ConfigOut), summary="Resolved configuration (library → institution → consortium → default)")
def resolved_config(request, page: PageQuery, library: LibraryCode | None = None):
    return paginate(request, config.effective(**_scope(request, library)), page)


@router.put("/config/{key}", response=ConfigOut, summary="Set a configuration value at the institution or one of its libraries (administrators), or at the consortium (Consortium Administrators, CON-1)")
def set_config(request, key: ConfigKey, payload: ConfigIn):
    user = request.user
    scope: dict = {}
    if payload.level == "library":
        lib = _own_library(user, payload.library or "")
        scope = {"library": lib}
        institution = lib.institution
    elif payload.level == "institution":
        institution = user.institution
        scope = {"institution": institution}
    elif payload.level == "consortium":
        # CON-1: the consortium of the caller's institution, set by its Consortium Administrator
        institution = user.institution
        if institution is None or not can_configure_consortium(user, institution):
            raise PermissionDenied("CON-1", "only a Consortium Administrator changes the consortium's configuration")
        config.set_value(key, payload.value, actor=user, consortium=institution.consortium)
        return next(r for r in config.effective(consortium=institution.consortium) if r["key"] == key)
    else:
        raise RuleViolation("ORG-4", "level must be institution, library or consortium")
    if not can_configure(user, institution):
        raise PermissionDenied("ORG-4", "only the institution's General System Administrator changes configuration")
    config.set_value(key, payload.value, actor=user, **scope)
    row = next(r for r in config.effective(**scope) if r["key"] == key)
    return row

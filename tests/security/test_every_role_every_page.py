"""Every page and every API operation, for every role and for a second institution (session 11).

The other guard tests each cover one side: tests/web/test_every_page_needs_sign_in.py (anonymous
visitors), tests/api/test_every_endpoint_needs_auth.py (anonymous callers),
tests/web/test_query_sizes.py (hostile queries as a superuser, a librarian, a student),
tests/security/test_admin_institution_guard.py (the admin across institutions).  This one opens
the product as each person it has — a superuser, a holder of each staff role of
``syllabus/org/roles.py`` (ORG-3), an instructor and a student — on a consortium deployment of
two institutions (the demo data: Riverside and Hillcrest), with every path parameter resolved
to a real object of institution A:

- every person of A: every page (GET, then an empty POST) and every API operation (an empty
  body) answers — never a 500;
- a person of institution B holding EVERY staff role there, and a student of B: a page or an
  operation on A's objects is refused (403/404; 405 for the wrong method; 401/403 for the API) —
  never a 200 showing A's data, never a 500 — and nothing is written.

The URL map and the OpenAPI document are walked: a new page or operation is covered the day it is
added, and the test fails until its path parameters resolve to an object (``OBJECTS``).  The few
pages that show another institution's object on purpose are in ``CROSS`` with their rule.
"""
from __future__ import annotations

import io
import json
import re

import pytest
from django.db import transaction
from django.urls import URLPattern, URLResolver, get_resolver

from syllabus.org.roles import Role
from tests.rowcounts import product_row_counts

pytestmark = pytest.mark.django_db

REFUSED_PAGE = {403, 404, 405}
REFUSED_API = {401, 403, 404, 405}
SKIPPED_APPS = ("admin",)  # the admin: tests/security/test_admin_institution_guard.py and test_admin_changelist_fuzz.py

# A page or operation that shows (or acts on) an object of another institution on purpose → why.
CROSS: dict[str, str] = {
    "consortium:gateway-list": "CON-3: a list its institution shares with the consortium is open to the consortium",
    "consortium:gateway-copy": "CON-3: a shared list may be copied by another institution of the consortium",
    "consortium:cross-request": "CON-4: a patron requests a copy of another member's record",
    "consortium:ill-new": "CON-4: an inter-library loan is asked of the member holding the record",
    "consortium:purchase": "CON-2: a librarian raises a purchase of another member's record",
    "consortium:ill-move": "CON-4: an inter-library loan is moved on by its supplying member too",
    "catalog:record": "DSV-2/CON-2: the catalog is searched across the consortium",
    "catalog:record-export": "DSV-2/CON-2: a record found across the consortium is exported",
    "catalog:add-to-list": "DSV-3: a record found across the consortium is added to one's own list",
    "catalog:collect": "DSV-3: a record found across the consortium is added to one's own collection",
    "catalog:representation": "DSV-2: a member's digital representation (a lent one: sent to its loan page)",
    "catalog:representation-extra-file": "DSV-2: catalog.access.ensure_can_read opens a member's representation",
    "GET /api/v1/consortium/lists/{list_id}": "CON-3: a shared list is open to the consortium",
    "POST /api/v1/consortium/lists/{list_id}/copy": "CON-3: a shared list may be copied",
    "GET /api/v1/consortium/ill/{ill_id}": "CON-4: both members of an inter-library loan see it",
    "POST /api/v1/consortium/ill/{ill_id}/moves": "CON-4: both members of an inter-library loan move it on",
    "GET /api/v1/records/{record_id}": "DSV-2/CON-2: the catalog is searched across the consortium",
    "GET /api/v1/records/{record_id}/export": "DSV-2/CON-2: a record found across the consortium is exported",
}
# Path parameters that name no institution's object (a report, a letter, a format, a setting, a
# verb): a page with only these is the person's own institution's.
NOT_OBJECTS = {"code", "fmt", "key", "action", "kind", "slug", "institution", "rule"}
# Pages anyone reaches, signed in or not (tests/web/test_every_page_needs_sign_in.py PUBLIC):
# their parameters are not an institution's objects to guard.
PUBLIC_PAGES = {"healthz", "web:login", "web:logout", "set_language", "lti:login", "lti:launch", "lti:jwks", "lti:register",
                "lti:session", "lti:continue",
                "sso:login", "sso:oidc-callback", "sso:saml-metadata", "sso:saml-acs", "sso:saml-sls",
                "sso:oidc-backchannel-logout", "sso:saml-discovery", "sso:saml-discovery-start",
                "sso:oidc-frontchannel-logout"}
PUBLIC_API = {"GET /api/v1/resolve", "GET /api/v1/problems/{rule}"}


# --- the world: the demo data, loaded once per module and rolled back after it ------------------

def _first(label: str, **filters):
    from django.apps import apps

    from syllabus.org.admin import scope_filter
    from syllabus.org.models import Institution

    model = apps.get_model(label)
    a = Institution.objects.get(code="riverside")
    found = model._base_manager.filter(scope_filter(model, a.pk), **filters).order_by("pk").first()
    assert found is not None, f"the world has no {label} of institution A ({filters}): make one in _more()"
    return found


def _link_token(req) -> str:
    """A delivery link's token for ``req``: only its hash is stored (SEC-KEY) — the plain token is in the
    letter alone — so the world gives the request one it knows."""
    from syllabus.org.models import hash_token

    token = "every-role-every-page-link"
    type(req)._base_manager.filter(pk=req.pk).update(access_token_hash=hash_token(token))
    return token


def _objects() -> dict[str, object]:
    """Path parameter → its value for institution A: by ``url name/parameter`` first, then by parameter."""
    from syllabus.analytics.reports import REPORTS
    from syllabus.circulation.views import HOLD_ACTIONS, PERSONAL_COPY_ACTIONS
    from syllabus.org.models import Institution

    a = Institution.objects.get(code="riverside")
    lst = _first("lists.ResourceList", citations__isnull=False)
    citation = _first("lists.Citation", resource_list=lst)
    rep = _first("catalog.Representation", loan_settings__isnull=False)
    loan = _first("lending.LoanRequest")
    values = {
        # by parameter
        "list_id": lst.pk, "citation_id": citation.pk, "section_id": citation.section_id,
        "course_id": _first("courses.Course", enrollments__isnull=False).pk,
        "username": _first("courses.Enrollment").user.username,
        "record_id": _first("catalog.Record", representations__isnull=False).pk,
        "rep_id": rep.pk, "representation_id": rep.pk, "item_id": _first("catalog.Item").pk,
        "notice_id": _first("acquisitions.EditionNotice").pk, "edition_notice_id": _first("acquisitions.EditionNotice").pk,
        "acquisition_task_id": _first("acquisitions.AcquisitionTask").pk,
        "purchase_request_id": _first("acquisitions.PurchaseRequest").pk,
        "hold_id": _first("circulation.Hold").pk, "ill_id": _first("consortium.IllRequest").pk,
        "ill_request_id": _first("consortium.IllRequest").pk,
        "partner_id": _first("consortium.IllPartner").pk, "ill_partner_id": _first("consortium.IllPartner").pk,
        "run_id": _first("lists.RolloverRun").pk, "rollover_id": _first("lists.RolloverRun").pk,
        "digitization_request_id": _first("fulfillment.DigitizationRequest").pk,
        "department_id": _first("fulfillment.DigitizationDepartment").pk,
        "display_rule_id": _first("fulfillment.DisplayLogicRule").pk, "edd_rule_id": _first("fulfillment.EddRule").pk,
        "rule_id": _first("fulfillment.DigitizationRule").pk,
        "policy_id": _first("lending.AccessRightsPolicy").pk, "loan_request_id": loan.pk,
        "entry_id": _first("catalog.CollectionEntry").pk, "notification_id": _first("notify.Notification").pk,
        "message_id": _first("notify.OutboxMessage").pk, "thread_id": _first("discussion.Thread").pk,
        "task_id": _first("lists.LibrarianTask").pk, "import_id": _first("lists.ListImport", resource_list=lst).pk,
        "registration_link_id": _first("lti.RegistrationLink").pk,
        "key": "max_upload_mb_student", "code": "ldl_available",
        "token": _link_token(_first("fulfillment.DigitizationRequest", status="delivered")),
        "institution": a.code, "slug": "x", "kind": "digitization",
        "fmt": "ris", "action": "cancel",
        # by page
        "acquisitions:request-purchase/citation_id": _first("acquisitions.PurchaseRequest").citation_id,
        "acquisitions:purchase-action/request_id": _first("acquisitions.PurchaseRequest").pk,
        "acquisitions:task/task_id": _first("acquisitions.AcquisitionTask").pk,
        "acquisitions:task-action/task_id": _first("acquisitions.AcquisitionTask").pk,
        "acquisitions:task-action/action": "start", "acquisitions:notice-action/action": "decline",
        "analytics:report/code": next(iter(sorted(REPORTS))),
        "catalog:collection-remove/pk": _first("catalog.CollectionEntry").pk,
        "catalog:collection-to-list/pk": _first("catalog.CollectionEntry").pk,
        "catalog:record/pk": _first("catalog.Record", representations__isnull=False).pk,
        "catalog:add-to-list/pk": _first("catalog.Record").pk, "catalog:collect/pk": _first("catalog.Record").pk,
        "catalog:record-export/pk": _first("catalog.Record").pk, "catalog:record-export/fmt": "ris",
        "catalog:representation-extra-file/pk": _first("catalog.RepresentationFile").pk,
        "catalog:representation/pk": rep.pk, "catalog:representation-file/pk": rep.pk,
        "circulation:accessible-detail/pk": _first("circulation.AccessibleRequest").pk,
        "circulation:accessible-file/pk": _first("circulation.AccessibleRequest").pk,
        "circulation:hold-action/action": next(iter(HOLD_ACTIONS)),
        "circulation:personal-copy-action/action": next(iter(PERSONAL_COPY_ACTIONS)),
        "circulation:personal-copy-action/citation_id": citation.pk,
        "consortium:config-set/key": "max_upload_mb_student",
        "discussion:list-pane/pk": lst.pk,
        "fulfillment:request/request_id": _first("fulfillment.DigitizationRequest").pk,
        "fulfillment:action/request_id": _first("fulfillment.DigitizationRequest").pk,
        "fulfillment:action/action": "approve",
        "fulfillment:file-page/request_id": _first("fulfillment.DigitizationRequest", status="delivered").pk,
        "fulfillment:download/request_id": _first("fulfillment.DigitizationRequest", status="delivered").pk,
        "fulfillment:record/record_id": _first("catalog.Record").pk,
        "lending:policy/pk": _first("lending.AccessRightsPolicy").pk, "notify:read/pk": _first("notify.Notification").pk,
        "notify:outbox-retry/pk": _first("notify.OutboxMessage").pk,
    }
    for name in ("patron-cancel", "content", "finish", "renew", "viewer", "start", "request", "cancel", "edit"):
        values[f"lending:{name}/pk"] = loan.pk
    for name, _route in _named_routes():
        if name.startswith("lists:") or name.startswith("lti:"):
            values.setdefault(f"{name}/pk", lst.pk)
    return values


def _named_routes():
    def walk(resolver, prefix, namespace):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                if str(p.pattern).startswith("api/"):
                    continue
                yield from walk(p, prefix + str(p.pattern), f"{p.namespace}:" if p.namespace else namespace)
            elif isinstance(p, URLPattern):
                yield namespace + (p.name or ""), prefix + str(p.pattern)

    return sorted(set(walk(get_resolver(), "", "")), key=lambda t: t[1])


PAGES = [(name, route) for name, route in _named_routes() if name.split(":")[0] not in SKIPPED_APPS]


def _document() -> dict:
    import django

    django.setup()
    from syllabus.api.api import api

    return api.get_openapi_schema()


DOC = _document()


def _operations() -> list[tuple[str, str]]:
    return sorted((m, p) for p, item in DOC["paths"].items() for m in item if m in {"get", "post", "put", "patch", "delete"})


class World:
    def __init__(self):
        from syllabus.org.models import Institution, User
        from syllabus.org.services import assign_role, create_api_token
        from tests.factories import UserFactory

        self.a = Institution.objects.get(code="riverside")
        self.b = Institution.objects.get(code="hillcrest")
        staff_a = User.objects.get(username="librarian").user_group
        staff_b = User.objects.get(username="librarian2").user_group
        self.people_a: dict[str, User] = {"superuser": UserFactory(username="guard-root", institution=self.a,
                                                                     user_group=staff_a, is_staff=True, is_superuser=True)}
        for role in Role:
            user = UserFactory(username=f"guard-{role.value}"[:150], institution=self.a, user_group=staff_a, is_staff=True)
            assign_role(user, role)
            self.people_a[role.value] = user
        self.people_a["instructor"] = User.objects.get(username="instructor")
        self.people_a["student"] = User.objects.get(username="student")
        every = UserFactory(username="guard-b-every-role", institution=self.b, user_group=staff_b, is_staff=True)
        for role in Role:
            assign_role(every, role)
        self.people_b = {"b-every-role": every, "b-student": User.objects.get(username="student2")}
        self.tokens = {user.pk: create_api_token(user)[1] for user in [*self.people_a.values(), *self.people_b.values()]}
        self.values = _objects()


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory):
    import importlib
    import importlib.util

    from django.apps import apps
    from django.test import override_settings

    media = tmp_path_factory.mktemp("guard-media")
    with django_db_blocker.unblock(), override_settings(MEDIA_ROOT=media):
        outer = transaction.atomic()
        outer.__enter__()
        try:
            out = io.StringIO()
            for config in apps.get_app_configs():
                module_name = f"{config.name}.demo"
                if config.name.startswith("syllabus.") and importlib.util.find_spec(module_name) is not None:
                    module = importlib.import_module(module_name)
                    if config.label == "catalog":
                        module.load(out, generated=40)  # the demo's classics and a few more records
                    else:
                        module.load(out)
            _more()
            world = World()
            world.media = media
            yield world
        finally:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


def _more() -> None:
    """What the demo does not make: a rollover run, a collection entry, a notification of A."""
    from syllabus.catalog.models import CollectionEntry, Record
    from syllabus.lists.models import RolloverRun
    from syllabus.notify.models import Notification
    from syllabus.org.models import Institution, User

    a = Institution.objects.get(code="riverside")
    librarian, student = User.objects.get(username="librarian"), User.objects.get(username="student")
    if not RolloverRun.objects.filter(institution=a).exists():
        RolloverRun.objects.create(institution=a, from_term="2025F", to_term="2026S", actor=librarian)
    if not CollectionEntry.objects.filter(user=student).exists():
        record = Record.objects.filter(institution=a).order_by("pk").first()
        CollectionEntry.objects.create(user=student, record=record, title=record.title, csl={"title": record.title})
    if not Notification.objects.filter(user=student).exists():
        Notification.objects.create(user=student, letter="guard", subject="Guard")
    from syllabus.lists.models import ListImport, ResourceList

    imported_into = ResourceList.objects.filter(institution=a, citations__isnull=False).order_by("pk").first()
    if not ListImport.objects.filter(resource_list=imported_into).exists():  # a background import (LST-9)
        ListImport.objects.create(resource_list=imported_into, actor=imported_into.owners.order_by("pk").first() or librarian,
                                  filename="guard.bib", status=ListImport.DONE, format="bibtex")
    from django.core.files.base import ContentFile

    from syllabus.acquisitions.models import EditionNotice
    from syllabus.catalog.models import Representation, RepresentationFile
    from syllabus.circulation.models import AccessibleRequest
    from syllabus.fulfillment.models import DisplayLogicRule, Service
    from syllabus.lists.models import Citation

    citation = Citation.objects.filter(resource_list__institution=a).order_by("pk").first()
    rep = Representation.objects.filter(record__institution=a).order_by("pk").first()
    extra = RepresentationFile(representation=rep)
    extra.file.save("guard.pdf", ContentFile(b"%PDF-1.4 guard"), save=True)
    EditionNotice.objects.create(institution=a, citation=citation, source="catalog", key="guard-edition", title="Guard edition")
    DisplayLogicRule.objects.create(institution=a, service=Service.values[0])
    AccessibleRequest.objects.create(requester=student, citation=citation, format="large print")
    from syllabus.lti.registration import create_link

    create_link(None, a)   # an LTI Dynamic Registration link of A (LMS-1)


@pytest.fixture(autouse=True)
def _world_media(settings, _media_root, request):
    if "world" in request.fixturenames:
        settings.MEDIA_ROOT = request.getfixturevalue("world").media


def _counts():
    return product_row_counts()


def _parameters(route: str) -> list[str]:
    return re.findall(r"<(?:\w+:)?(\w+)>", route)


def _path(world: World, where: str, route: str) -> str:
    def value(m):
        name = m[1]
        key = f"{where}/{name}"
        found = world.values.get(key, world.values.get(name))
        assert found is not None, f"{where}: add an object of institution A for the path parameter {name!r} (OBJECTS)"
        return str(found)

    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)


def _api_path(world: World, where: str, path: str) -> str:
    def value(m):
        name = m[1]
        if name == "rule":
            return "LDL-5"
        found = world.values.get(f"{where}/{name}", world.values.get(name))
        assert found is not None, f"{where}: add an object of institution A for the path parameter {name!r} (OBJECTS)"
        return str(found)

    return re.sub(r"\{(\w+)\}", value, path)


def test_every_path_parameter_resolves_to_an_object_of_institution_a(world):
    missing = []
    for name, route in PAGES:
        for p in _parameters(route):
            if world.values.get(f"{name}/{p}", world.values.get(p)) is None:
                missing.append(f"{name}/{p}")
    for method, path in OPERATIONS:
        for p in re.findall(r"\{(\w+)\}", path):
            if p != "rule" and world.values.get(p) is None:
                missing.append(f"{method.upper()} {path}/{p}")
    assert missing == []
    assert len(PAGES) > 150 and len(OPERATIONS) > 150


@pytest.mark.parametrize("name, route", PAGES, ids=[r or "/" for _, r in PAGES])
def test_every_page_for_every_role_and_the_other_institution(client, world, name, route):
    path = _path(world, name, route)
    guarded = bool(set(_parameters(route)) - NOT_OBJECTS) and name not in PUBLIC_PAGES and name not in CROSS
    for who, user in world.people_b.items():
        client.force_login(user)
        before = _counts()
        for method in ("get", "post"):
            r = getattr(client, method)(path)
            assert r.status_code < 500, (who, method, path, r.status_code)
            if guarded:
                assert r.status_code in REFUSED_PAGE, f"{who} of institution B: {method.upper()} {path} ({name}) answered {r.status_code}"
        if guarded:
            assert _counts() == before, f"{who} of institution B wrote by {path}"
    for who, user in world.people_a.items():
        client.force_login(user)
        for method in ("get", "post"):
            r = getattr(client, method)(path)
            assert r.status_code < 500, (who, method, path, r.status_code)


OPERATIONS = _operations()


@pytest.mark.parametrize("method, path", OPERATIONS, ids=[f"{m.upper()} {p}" for m, p in OPERATIONS])
def test_every_api_operation_for_every_role_and_the_other_institution(client, world, method, path):
    where = f"{method.upper()} {path}"
    concrete = _api_path(world, where, path)
    guarded = bool(set(re.findall(r"\{(\w+)\}", path)) - NOT_OBJECTS) and where not in PUBLIC_API and where not in CROSS
    body = _sample(DOC, _body_schema(method, path))

    def call(user, data):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {world.tokens[user.pk]}"}
        if method in ("post", "put", "patch"):
            return getattr(client, method)(concrete, data=json.dumps(data), content_type="application/json", **headers)
        return getattr(client, method)(concrete, **headers)

    for who, user in world.people_b.items():
        before = _counts()
        for data in ({}, body):  # an empty body, and one the schema takes (so that the guard, not the schema, answers)
            r = call(user, data)
            assert r.status_code < 500, (who, where, r.status_code)
            if guarded:
                assert r.status_code in REFUSED_API or r.status_code == 422 and method != "get", \
                    f"{who} of institution B: {where} on A's object answered {r.status_code}"
            if method == "get":
                break
        if guarded:
            assert _counts() == before, f"{who} of institution B wrote by {where}"
    for who, user in world.people_a.items():
        r = call(user, {})
        assert r.status_code < 500, (who, where, r.status_code)


def _body_schema(method: str, path: str) -> dict:
    content = DOC["paths"][path][method].get("requestBody", {}).get("content", {})
    return content.get("application/json", {}).get("schema", {})


def _sample(doc: dict, schema: dict, depth: int = 0):
    """A value of ``schema``'s shape: its required members with a plain value of their type."""
    while "$ref" in schema:
        schema = doc["components"]["schemas"][schema["$ref"].split("/")[-1]]
    for key in ("anyOf", "oneOf", "allOf"):
        if schema.get(key):
            return _sample(doc, schema[key][0], depth + 1)
    if "enum" in schema:
        return schema["enum"][0]
    kind = schema.get("type")
    if kind == "object" or "properties" in schema:
        if depth > 4:
            return {}
        return {name: _sample(doc, prop, depth + 1) for name, prop in schema.get("properties", {}).items()
                if name in schema.get("required", [])}
    return {"string": "1", "integer": 1, "number": 1, "boolean": False, "array": []}.get(kind or "", {})


# --- holes the walk found -------------------------------------------------------------------------

@pytest.mark.parametrize("library", ["lib-b1", "no-such-library"])
def test_a_cataloguer_of_b_adding_to_a_record_of_a_is_refused_before_the_library_is_read(
        api, make_user, inst_a, inst_b, library_a, library_b, library):
    """DSV-1: POST /records/{id}/items and /representations read the library code before asking who
    may catalog the record — a cataloguer of institution B, adding to A's record, got a 400
    "unknown library" (or, for B's own library, the service's refusal) where the guard's 403 was
    due: now the permission first, and nothing is written."""
    from syllabus.catalog.models import Item, Record, Representation

    record = Record.objects.create(institution=inst_a, source_id="guard-a", title="A's record")
    other = make_user("b-cataloguer", institution=inst_b, group="staff",
                      roles=[Role.COURSE_RESERVES_OPERATOR, Role.DIGITAL_INVENTORY_OPERATOR])
    client = api(other)
    r = client.post(f"/api/v1/records/{record.pk}/items", {"library": library, "barcode": "GUARD-1"})
    assert r.status_code == 403 and r.json()["rule"] == "DSV-1", r.content
    r = client.post(f"/api/v1/records/{record.pk}/representations", {"library": library}, format="multipart")
    assert r.status_code == 403 and r.json()["rule"] == "DSV-1", r.content
    assert not Item.objects.filter(record=record).exists() and not Representation.objects.filter(record=record).exists()


def test_lms_registration_links_are_for_the_institutions_administrators_only(client, world):
    """LMS-1: the LTI Dynamic Registration links page and its revoke action — a superuser and the
    general system administrator of A only; every other role of A is refused, and B's
    administrator never sees or revokes A's links."""
    from syllabus.lti.models import RegistrationLink
    from syllabus.lti.registration import create_link

    link, _ = create_link(None, world.a)
    for who, user in world.people_a.items():
        client.force_login(user)
        allowed = who in ("superuser", Role.GENERAL_SYSTEM_ADMINISTRATOR.value)
        assert client.get("/lti/registrations/").status_code == (200 if allowed else 403), who
        if not allowed:
            assert client.post(f"/lti/registrations/{link.pk}/revoke/").status_code == 403, who
    client.force_login(world.people_b["b-every-role"])
    page = client.get("/lti/registrations/")
    assert page.status_code == 200 and f"/lti/registrations/{link.pk}/revoke/".encode() not in page.content
    assert client.post(f"/lti/registrations/{link.pk}/revoke/").status_code == 404
    assert RegistrationLink.objects.get(pk=link.pk).status == "open"
    client.force_login(world.people_a[Role.GENERAL_SYSTEM_ADMINISTRATOR.value])
    assert client.post(f"/lti/registrations/{link.pk}/revoke/").status_code == 302
    assert RegistrationLink.objects.get(pk=link.pk).status == "revoked"

"""Issue 18, acceptance 2: schemathesis over the whole OpenAPI document, in `make test`.

Every operation of ``/api/v1/openapi.json`` is called in-process (the WSGI app, on the suite's
database) with data generated from its schema — valid data and data that breaks the schema
(negative mode) — as an authenticated general system administrator and course reserves operator, who may reach nearly every
operation, in a small world (an institution with a library, a course, a list with citations, a
catalog record). Each answer must be: no server error (5xx), a status the operation documents,
a body that matches the documented schema, and the documented content type.

Bounded in time: few examples per operation (``SCHEMATHESIS_MAX_EXAMPLES``, default 4) rather
than few operations, no shrinking, derandomized (the same cases on every run, so CI is stable;
``SCHEMATHESIS_SEED`` picks other ones).
"""
from __future__ import annotations

import os

import hypothesis
import pytest
import schemathesis
from django.core.wsgi import get_wsgi_application
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance, response_schema_conformance, status_code_conformance,
)

MAX_EXAMPLES = int(os.environ.get("SCHEMATHESIS_MAX_EXAMPLES", "4"))
CHECKS = [not_a_server_error, status_code_conformance, response_schema_conformance, content_type_conformance]

schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", get_wsgi_application())
schema.config.phases.update(phases=["examples", "fuzzing"])
schema.config.generation.update(max_examples=MAX_EXAMPLES)

# ids of the objects the ``token`` fixture made: valid (positive) cases use them for the path
# parameters of that name, so they reach real objects instead of answering 404 only
KNOWN: dict[str, object] = {}


@schema.hook
def map_case(context, case):
    mode = getattr(getattr(case.meta, "generation", None), "mode", None)
    if case.path_parameters and str(getattr(mode, "value", mode)) == "positive":
        for name in case.path_parameters:
            if name in KNOWN:
                case.path_parameters[name] = KNOWN[name]
    return case


@pytest.fixture
def in_test_transaction():
    """The WSGI handler closes the database connection around each request (as it should in
    production); inside a test's transaction it must not (Django's test client does the same)."""
    from django.core import signals
    from django.db import close_old_connections

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def token(db, in_test_transaction, make_user, course, instructor):
    """A general system administrator's bearer token, in a world with something in it."""
    from syllabus.catalog.models import Record
    from syllabus.lists import services as lists
    from syllabus.org.roles import Role
    from syllabus.org.services import create_api_token
    from tests.lists.conftest import ARTICLE, BOOK

    admin = make_user("probe-admin", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR, Role.COURSE_RESERVES_OPERATOR],
                      is_staff=True)
    lst = lists.create_list(admin, title="HIST101 readings", courses=[course])  # theirs: they can edit it
    week = lists.add_section(admin, lst, title="Week 1")
    book = lists.add_citation(admin, lst, week, "book", BOOK)
    lists.add_citation(admin, lst, week, "article", ARTICLE)
    record = Record.objects.create(institution=course.institution, source_id="probe-1", title="Middlemarch")
    KNOWN.clear()
    KNOWN.update(list_id=lst.pk, section_id=week.pk, citation_id=book.pk, course_id=course.pk, record_id=record.pk,
                 username=instructor.username)
    _, raw = create_api_token(admin)
    return raw


@schema.parametrize()
@hypothesis.settings(deadline=None, derandomize="SCHEMATHESIS_SEED" not in os.environ,
                     phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                     suppress_health_check=list(hypothesis.HealthCheck), max_examples=MAX_EXAMPLES)
def test_the_api_keeps_its_openapi_promises(case, token):
    r = case.call_and_validate(headers={"Authorization": f"Bearer {token}"}, checks=CHECKS)
    if os.environ.get("SCHEMATHESIS_LOG"):
        with open(os.environ["SCHEMATHESIS_LOG"], "a") as f:
            f.write(f"{case.method} {case.path} {case.meta.generation.mode if case.meta else '?'} {r.status_code}\n")

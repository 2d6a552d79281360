"""Fixtures of digitization: a catalog record with an item, staff with the DIG-10 roles,
an EDD rule that lets everyone receive document delivery, and a way to set the default rule."""
from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from syllabus.catalog.models import Item, Record
from syllabus.org.roles import Role


@pytest.fixture
def record(inst_a, library_a):
    rec = Record.objects.create(institution=inst_a, source_id="r1", title="Middlemarch", creators="George Eliot", year=1871)
    Item.objects.create(record=rec, library=library_a, barcode="B0001", location="Stacks", call_number="PR4662")
    return rec


@pytest.fixture
def bare_record(inst_a):
    return Record.objects.create(institution=inst_a, source_id="r2", title="Local pamphlets 1890")


@pytest.fixture
def dept(inst_a):
    from syllabus.fulfillment.models import DigitizationDepartment

    return DigitizationDepartment.objects.get(institution=inst_a, code="DIGI_DEPT_INST")


@pytest.fixture
def fadmin(make_user):
    return make_user("fadmin", group="staff", roles=[Role.FULFILLMENT_ADMINISTRATOR])


@pytest.fixture
def operator(make_user, dept, fadmin):
    from syllabus.fulfillment import services

    user = make_user("operator", group="staff")
    services.add_operator(fadmin, dept, user)
    return user


@pytest.fixture
def manager(make_user):
    return make_user("manager", group="staff", roles=[Role.FULFILLMENT_SERVICES_MANAGER])


@pytest.fixture
def fso(make_user):
    return make_user("fso", group="staff", roles=[Role.FULFILLMENT_SERVICES_OPERATOR])


@pytest.fixture
def edd_all(inst_a, fadmin):
    from syllabus.fulfillment import services

    return services.save_edd_rule(fadmin, inst_a, name="Everyone", user_groups=[], allowed=True)


@pytest.fixture
def default_rule(inst_a, fadmin):
    """``default_rule(**values)`` changes the institution's default digitization rule."""
    from syllabus.fulfillment import services
    from syllabus.fulfillment.models import DigitizationRule

    def set_rule(**values):
        rule = DigitizationRule.objects.get(institution=inst_a, is_default=True)
        return services.save_digitization_rule(fadmin, inst_a, rule=rule, **values)

    return set_rule


@pytest.fixture
def scan():
    return lambda name="scan.pdf": SimpleUploadedFile(name, b"%PDF-1.4 scanned pages", content_type="application/pdf")


@pytest.fixture
def patron_request(student, record, edd_all):
    from syllabus.fulfillment import services

    return lambda user=None, **data: services.request_from_record(user or student, record, data)

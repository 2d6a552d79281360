"""The shared field groups of core.models: a Timestamped row's ``updated_at`` moves on every save
of a stored row and stays put on creation; the columns are the ones the models had."""
from __future__ import annotations

import datetime as dt

import pytest

from syllabus.core import clock
from syllabus.core.models import Timestamped
from syllabus.courses.models import Course
from tests.factories import CourseFactory

T0 = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.timezone.utc)


@pytest.mark.django_db
def test_updated_at_moves_on_each_save_of_a_stored_row():
    with clock.travel(T0):
        course = CourseFactory()
    assert course.created_at == course.updated_at == T0
    with clock.travel(T0 + dt.timedelta(hours=2)):
        course.name = "Renamed"
        course.save()
    course.refresh_from_db()
    assert course.created_at == T0 and course.updated_at == T0 + dt.timedelta(hours=2)


@pytest.mark.django_db
def test_save_with_update_fields_writes_updated_at_only_when_listed():
    with clock.travel(T0):
        course = CourseFactory()
    with clock.travel(T0 + dt.timedelta(hours=1)):
        course.name = "Renamed"
        course.save(update_fields=["name"])
    course.refresh_from_db()
    assert course.name == "Renamed" and course.updated_at == T0


def test_the_models_on_it_keep_their_columns():
    from syllabus.acquisitions.models import AcquisitionTask, PurchaseRequest
    from syllabus.consortium.models import IllRequest
    from syllabus.fulfillment.models import DigitizationRequest
    from syllabus.lists.models import Citation, ResourceList

    for model in (Course, AcquisitionTask, PurchaseRequest, IllRequest, DigitizationRequest, Citation, ResourceList):
        assert issubclass(model, Timestamped)
        columns = {f.name: f.column for f in model._meta.concrete_fields}
        assert columns["created_at"] == "created_at" and columns["updated_at"] == "updated_at"
        assert model._meta.get_field("updated_at").default is clock.now

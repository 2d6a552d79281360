"""Migration 0005 hides the document-delivery scans of an upgraded database (DIG-9): catalog
0005 added ``Representation.discoverable`` defaulting to True for every existing file; a scan
delivered as an attachment or a link is the requester's copy, only the inventory target
publishes it."""
from __future__ import annotations

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from syllabus.catalog.models import Record, Representation

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("fulfillment", "0004_department_active")
AFTER = ("fulfillment", "0005_delivery_scans_not_discoverable")


def _executor():
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    return executor


def _migrate(target):
    _executor().migrate(target)


def _apps_at(node):
    """Historical models at ``node``, with the catalog as it is (its 0005 added ``discoverable``)."""
    loader = _executor().loader
    return loader.project_state([node, *loader.graph.leaf_nodes("catalog")]).apps


def test_existing_attachment_and_link_scans_stop_being_discoverable(student, inst_a, library_a):
    record = Record.objects.create(institution=inst_a, source_id="r1", title="Middlemarch")
    try:
        _migrate([BEFORE])
        old = _apps_at(BEFORE)
        OldRep = old.get_model("catalog", "Representation")
        OldRequest = old.get_model("fulfillment", "DigitizationRequest")

        def scan(label):
            return OldRep.objects.create(record_id=record.pk, library_id=library_a.pk, label=label).pk

        reps = {t: scan(t) for t in ("attachment", "link", "inventory")}
        catalog_file = scan("catalog's own file")
        for n, (target, rep) in enumerate(reps.items()):
            OldRequest.objects.create(institution_id=inst_a.pk, requester_id=student.pk, record_id=record.pk,
                                      title=target, target=target, representation_id=rep, status="delivered",
                                      access_token=f"t{n}")
        OldRequest.objects.create(institution_id=inst_a.pk, requester_id=student.pk, title="no file yet",
                                  target="attachment", status="in_digitization", access_token="t9")
        assert OldRep.objects.filter(discoverable=True).count() == 4
        _migrate([AFTER])
    finally:
        executor = _executor()
        _migrate(executor.loader.graph.leaf_nodes())  # the rest of the suite runs on the current schema
    hidden = dict(Representation.objects.values_list("pk", "discoverable"))
    assert hidden[reps["attachment"]] is False and hidden[reps["link"]] is False
    assert hidden[reps["inventory"]] is True, "an inventory scan is the catalog's"
    assert hidden[catalog_file] is True, "a representation of no request is untouched"

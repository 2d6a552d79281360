"""CON-2: a librarian starts a purchase from another member's metadata — the record is copied into
the librarian's own catalog, the title joins one of the institution's lists, and an acquisition
task starts for it."""
import pytest

from syllabus.acquisitions.models import AcquisitionTask
from syllabus.catalog.models import Record
from syllabus.lists.models import ResourceList

pytestmark = pytest.mark.django_db


@pytest.fixture
def other_record(inst_b):
    return Record.objects.create(institution=inst_b, source_id="b-42", title="Gödel, Escher, Bach", creators="Hofstadter, Douglas R.",
                                 year=1979, publisher="Basic Books", isbn="9780465026562", identifiers="9780465026562 0465026567",
                                 csl={"type": "book", "title": "Gödel, Escher, Bach", "ISBN": "9780465026562"})


@pytest.fixture
def our_list(inst_a, instructor):
    lst = ResourceList.objects.create(institution=inst_a, title="Philosophy of mind")
    lst.owners.add(instructor)
    return lst


def test_purchase_copies_the_record_and_starts_a_task(api, librarian, inst_a, other_record, our_list):
    r = api(librarian).post("/api/v1/consortium/purchases", {"record_id": other_record.pk, "list_id": our_list.pk})
    assert r.status_code == 201 and r.json()["kind"] == "order" and r.json()["status"] == "requested"
    task = AcquisitionTask.objects.get(pk=r.json()["task_id"])
    copy = task.citation.record
    assert copy.institution == inst_a and copy.pk != other_record.pk and copy.source_id == "consortium:inst-b:b-42"
    assert (copy.title, copy.isbn, copy.publisher, copy.year) == ("Gödel, Escher, Bach", "9780465026562", "Basic Books", 1979)
    assert task.citation.resource_list == our_list and task.institution == inst_a
    again = api(librarian).post("/api/v1/consortium/purchases", {"record_id": other_record.pk, "list_id": our_list.pk, "kind": "license"})
    assert AcquisitionTask.objects.get(pk=again.json()["task_id"]).citation.record == copy   # one copy of the record
    assert Record.objects.filter(institution=inst_a).count() == 1


def test_only_the_librarians_of_the_other_member_buy(api, instructor, librarian, inst_a, other_record, our_list, student):
    assert api(instructor).post("/api/v1/consortium/purchases", {"record_id": other_record.pk, "list_id": our_list.pk}).status_code == 403
    # a student does not even learn that the list exists
    assert api(student).post("/api/v1/consortium/purchases", {"record_id": other_record.pk, "list_id": our_list.pk}).status_code == 404
    own = Record.objects.create(institution=inst_a, source_id="a-1", title="Ours")
    r = api(librarian).post("/api/v1/consortium/purchases", {"record_id": own.pk, "list_id": our_list.pk})
    assert r.status_code == 400 and r.json()["rule"] == "CON-2"
    assert not AcquisitionTask.objects.exists()


def test_the_record_button_and_page(client, librarian, other_record, our_list):
    client.force_login(librarian)
    assert f"/consortium/purchase/{other_record.pk}/" in client.get(f"/catalog/records/{other_record.pk}/").content.decode()
    assert client.get(f"/consortium/purchase/{other_record.pk}/").status_code == 200
    r = client.post(f"/consortium/purchase/{other_record.pk}/", {"list": our_list.pk, "kind": "order"})
    task = AcquisitionTask.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/acquisitions/tasks/{task.pk}/"


def test_a_student_sees_no_button(client, student, other_record):
    client.force_login(student)
    page = client.get(f"/catalog/records/{other_record.pk}/").content.decode()
    assert "/consortium/purchase/" not in page and "/consortium/ill/new/" not in page
    assert client.get(f"/consortium/purchase/{other_record.pk}/").status_code == 403

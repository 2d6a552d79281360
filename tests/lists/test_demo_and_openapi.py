"""Demo lists in every state (20–200 items) and the lists endpoints in the OpenAPI document."""
import io

from django.core.management import call_command

from syllabus.lists.models import Citation, LibrarianTask, ResourceList
from syllabus.lists.workflow import ItemStatus, ListStatus


def test_demo_has_realistic_lists_in_every_state(db):
    call_command("demo", no_migrate=True, stdout=io.StringIO())
    lists = list(ResourceList.objects.all())
    assert len(lists) >= 5
    sizes = [lst.citations.count() for lst in lists]
    assert min(sizes) >= 20 and max(sizes) >= 100
    assert {lst.status for lst in lists} == set(ListStatus.values)
    assert set(Citation.objects.values_list("status", flat=True)) == set(ItemStatus.values)
    assert {lst.assignee.username if lst.assignee else None for lst in lists} >= {None, "librarian", "reserves"}
    assert LibrarianTask.objects.filter(kind="changed", resolved_at__isnull=True).exists()
    assert ResourceList.objects.filter(visibility="published", courses__students__username="student").exists()
    n = Citation.objects.count()
    call_command("demo", no_migrate=True, stdout=io.StringIO())
    assert Citation.objects.count() == n  # idempotent


def test_the_lists_api_is_in_the_openapi_document(client):
    doc = client.get("/api/v1/openapi.json").json()
    paths = doc["paths"]
    for path in ("/api/v1/lists", "/api/v1/lists/{list_id}", "/api/v1/lists/{list_id}/sections", "/api/v1/lists/{list_id}/citations",
                 "/api/v1/citations/{citation_id}", "/api/v1/lists/{list_id}/publish", "/api/v1/lists/{list_id}/send",
                 "/api/v1/citations/{citation_id}/send", "/api/v1/lists/{list_id}/assign", "/api/v1/librarian/lists",
                 "/api/v1/citations/{citation_id}/file"):
        assert path in paths, path
    assert "patch" in paths["/api/v1/lists/{list_id}"] and "patch" in paths["/api/v1/citations/{citation_id}"]

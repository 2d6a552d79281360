"""Issue 19: during a request, the configuration of a set of levels is read once (all keys in one
query) and kept until the request ends; outside a request nothing is kept, and any change of a
value — in the same request or by anyone between two requests — is read at once."""
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from syllabus.org import config
from syllabus.org.models import ConfigValue

pytestmark = pytest.mark.django_db


@pytest.fixture
def in_request():
    """What request_started / request_finished call (sending them would also close the test's
    database connection)."""
    config._start_request()
    yield
    config._end_request()


def test_a_request_reads_its_configuration_once(inst_a, in_request):
    with CaptureQueriesContext(connection) as q:
        config.get("default_language", institution=inst_a)
        config.get_many(["citation_style", "external_links_enabled"], institution=inst_a)
        config.resolve("holds_enabled", institution=inst_a)
    assert len(q) == 1


def test_a_value_set_during_the_request_is_read_back_in_it(inst_a, in_request):
    assert config.get("max_upload_mb_instructor", institution=inst_a) == 20
    config.set_value("max_upload_mb_instructor", 33, institution=inst_a)
    assert config.get("max_upload_mb_instructor", institution=inst_a) == 33
    config.set_value("max_upload_mb_instructor", None, institution=inst_a)
    assert config.resolve("max_upload_mb_instructor", institution=inst_a) == (20, "default")
    ConfigValue.objects.create(key="max_upload_mb_instructor", value=44, institution=inst_a)  # saved directly
    assert config.get("max_upload_mb_instructor", institution=inst_a) == 44


def test_outside_a_request_nothing_is_kept(inst_a):
    config.set_value("max_upload_mb_instructor", 33, institution=inst_a)
    assert config.get("max_upload_mb_instructor", institution=inst_a) == 33
    ConfigValue.objects.filter(key="max_upload_mb_instructor").update(value=34)  # no signal: read again anyway
    assert config.get("max_upload_mb_instructor", institution=inst_a) == 34


def test_a_change_between_two_requests_shows_in_the_next_page(client, student, inst_a, course):
    client.force_login(student)
    assert '<html lang="en">' in client.get(reverse("web:home")).content.decode()
    ConfigValue.objects.create(key="default_language", value="fr", institution=inst_a)
    assert '<html lang="fr">' in client.get(reverse("web:home")).content.decode()
    ConfigValue.objects.filter(key="default_language").update(value="en")  # by another process, no signal
    assert '<html lang="en">' in client.get(reverse("web:home")).content.decode()


def _digest_in_a_request(institution) -> str:
    config._start_request()
    try:
        return config.digest(institution=institution)
    finally:
        config._end_request()


def test_the_digest_of_the_configuration_in_force_changes_with_every_value_at_every_level():
    """lists.views keys the kept student view by config.digest: a value set, changed or removed
    at the institution or at its consortium gives another digest at once; none, the same one."""
    from tests.factories import InstitutionFactory

    inst = InstitutionFactory()
    other = InstitutionFactory(consortium=inst.consortium)
    seen = {_digest_in_a_request(inst)}
    assert _digest_in_a_request(inst) in seen   # nothing changed: the same page is found again
    steps = [("citation_style", "chicago-author-date", {"institution": inst}),
             ("citation_style", "ieee", {"institution": inst}),
             ("max_upload_mb_instructor", 33, {"consortium": inst.consortium}),
             ("citation_style", None, {"institution": inst}),
             ("max_upload_mb_instructor", None, {"consortium": inst.consortium})]
    for key, value, level in steps[:-1]:
        config.set_value(key, value, **level)
        digest = _digest_in_a_request(inst)
        assert digest not in seen, (key, value, level)
        seen.add(digest)
    config.set_value("max_upload_mb_instructor", 44, institution=other)   # another member's own value
    assert _digest_in_a_request(inst) in seen
    key, value, level = steps[-1]
    config.set_value(key, value, **level)
    # back to no value at all: what is in force is the defaults again, as at the start
    assert config.get_many(sorted(config.REGISTRY), institution=inst) == {k: p.default for k, p in config.REGISTRY.items()}
    # outside a request every value is resolved (no memo): it differs with the values too
    assert config.digest(institution=inst) == repr(sorted(config.get_many(sorted(config.REGISTRY), institution=inst).items()))

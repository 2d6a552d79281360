import pytest


@pytest.fixture
def consortium_admin(make_user):
    from syllabus.org.roles import Role

    return make_user("cadmin", group="staff", roles=[Role.CONSORTIUM_ADMINISTRATOR])


@pytest.fixture(autouse=True)
def _local_test_servers(settings):
    """The fake servers of these tests run on 127.0.0.1: the platform operator's allowance of
    syllabus.core.outbound (SSRF), as an intranet deployment would set it."""
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]

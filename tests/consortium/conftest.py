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


@pytest.fixture
def ill_readers(inst_a, inst_b, library_a, library_b, student, clock):
    """A reader of A, and the inter-library loan staff (Requests Operators) of A and of B."""
    from syllabus.org.roles import Role
    from syllabus.org.services import assign_role
    from tests.factories import UserFactory

    staff = UserFactory(username="a-ill", institution=inst_a)
    assign_role(staff, Role.REQUESTS_OPERATOR)
    b_staff = UserFactory(username="b-ill", institution=inst_b)
    assign_role(b_staff, Role.REQUESTS_OPERATOR)
    return {"student": student, "staff": staff, "b_staff": b_staff}


@pytest.fixture
def peer(settings):
    """A partner's ISO 18626 endpoint on 127.0.0.1 (tests/consortium/iso18626_peer.py)."""
    from tests.consortium.iso18626_peer import Peer

    settings.ILL_PARTNERS_ALLOW_HTTP = True   # the local peer speaks plain http
    p = Peer()
    yield p
    p.close()

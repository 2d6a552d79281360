"""An ISO 18626 message from outside (CON-2) names agencies and requests with texts of any length
the schema allows: one longer than its column must not be a 500 on PostgreSQL (the "never a 500"
audit of session 9)."""
from __future__ import annotations

from lxml import etree

from syllabus.consortium.models import IllRequest
from syllabus.org.roles import Role
from tests.consortium.test_ill import NS, OUTSIDE_REQUEST, _post, world  # noqa: F401 - the fixture
from tests.factories import UserFactory


def test_an_agency_or_request_id_longer_than_its_column_is_an_error_confirmation_not_a_500(client, world, inst_b):  # noqa: F811
    from syllabus.org.services import assign_role, create_api_token

    gateway = UserFactory(username="dk-710100", institution=inst_b)
    assign_role(gateway, Role.REQUESTS_OPERATOR)
    token = create_api_token(gateway, name="DK-710100 ILL")[1]
    for old, new in (("DK-710100", "DK-" + "7" * 150), ("OUT-0001", "OUT-" + "1" * 150)):
        r = _post(client, token, OUTSIDE_REQUEST.replace(old, new))
        assert r.status_code == 200, r.content[:300]
        answer = etree.fromstring(r.content)
        assert answer.findtext(".//i:messageStatus", namespaces=NS) == "ERROR"
        assert "longer than 100 characters" in answer.findtext(".//i:errorValue", namespaces=NS)
    assert not IllRequest.objects.exists()

import pytest


@pytest.fixture
def consortium_admin(make_user):
    from syllabus.org.roles import Role

    return make_user("cadmin", group="staff", roles=[Role.CONSORTIUM_ADMINISTRATOR])

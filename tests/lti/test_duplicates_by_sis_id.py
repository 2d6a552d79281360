"""Likely duplicate accounts by the SIS id an LMS sends (ORG-MERGE, LMS-1): a real launch from the
IMS-spec test LMS, shaped as Brightspace sends it, keeps on the LMS account (``Identity.sis_id``)
what the platform says is the person's username — here the Org Defined ID.  When the people file
later loads the person under that id, `people duplicates` and /people/duplicates/ pair the two
accounts and say why."""
import io

import pytest
from django.core.management import call_command

from syllabus.lti import services
from syllabus.lti.models import Identity
from syllabus.org import merging
from syllabus.org.roles import Role
from tests.lti.conftest import LEARNER
from tests.lti.test_brightspace_and_sis_match import TENANT, d2l


@pytest.fixture
def launched(launch, platform, course):
    """A student launched before the institution loaded them: a new account, its LMS account
    carrying the Org Defined ID."""
    services.set_matching(None, platform, username_claim="brightspace_org_defined_id")
    r = launch(d2l(171, username="jdoe", org_defined_id="100777", roles=[LEARNER], nrps=False))
    assert r.status_code == 302, r.content[:400]
    ident = Identity.objects.get(sub=f"{TENANT}_171")
    assert ident.sis_id == "100777" and ident.user.username.startswith("lti-")
    return ident


def test_org_merge_the_lms_sis_id_of_one_account_is_the_username_of_another(launched, make_user, inst_a):
    loaded = make_user("100777", first_name="Jane", last_name="Doe-Loaded")
    found = [d for d in merging.likely_duplicates(inst_a) if d.reason == merging.LMS_SIS_ID]
    assert [(d.detail, sorted(p.username for p in d.people)) for d in found] == [
        ("100777 (Test LMS)", sorted([launched.user.username, loaded.username]))]
    out = io.StringIO()
    call_command("people", "duplicates", inst_a.code, stdout=out)
    assert "LMS SIS id 100777 (Test LMS): " in out.getvalue() and "100777 (Jane Doe-Loaded" in out.getvalue()


def test_org_merge_the_page_says_why_and_offers_the_merge(launched, make_user, client):
    make_user("100777")
    client.force_login(make_user("gsa", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR]))
    html = client.get("/people/duplicates/").content.decode()
    assert "The LMS sent this SIS id (person sourcedId or Org Defined ID) for both: <code>100777 (Test LMS)</code>" in html
    assert f"/people/merge/?source={launched.user.username}&amp;target=100777" in html


def test_org_merge_a_later_launch_keeps_the_sis_id_up_to_date(launched, launch, make_user, inst_a):
    launch(d2l(171, username="jdoe", org_defined_id="100778", roles=[LEARNER], nrps=False))
    launched.refresh_from_db()
    assert launched.sis_id == "100778"
    make_user("100777")   # the old id pairs no one any more
    assert not [d for d in merging.likely_duplicates(inst_a) if d.reason == merging.LMS_SIS_ID]

"""LMS-1/LMS-2 after a merge of two accounts of one person (ORG-MERGE): a launch or a roster member
that names the merged account — its LMS account, or its username as the Org Defined ID — is the
account it was merged into; an e-mail match never picks the merged account."""
from __future__ import annotations

import pytest

from syllabus.lti.models import Identity, Platform, UsernameClaim
from syllabus.lti.services import BRIGHTSPACE, person_for
from syllabus.org.merging import merge_people
from syllabus.org.roles import Role

pytestmark = pytest.mark.django_db


@pytest.fixture
def brightspace(inst_a):
    return Platform.objects.create(institution=inst_a, issuer="https://school.brightspace.example", client_id="c",
                                   auth_login_url="https://school.brightspace.example/auth",
                                   auth_token_url="https://school.brightspace.example/token",
                                   keyset_url="https://school.brightspace.example/jwks",
                                   username_claim=UsernameClaim.BRIGHTSPACE_ORG_DEFINED_ID)


@pytest.fixture
def gsa(make_user):
    return make_user("gsa", group="staff", roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR])


def test_a_launch_naming_the_merged_account_lands_on_the_target(brightspace, make_user, gsa):
    """The roster sync loaded 100234567 (Org Defined ID) with the LMS's address; SSO made jsmith with
    the campus one. Merged, the next launch with the Org Defined ID is jsmith."""
    loaded = make_user("100234567", email="jsmith@lms.example.edu")
    sso = make_user("jsmith", email="jsmith@uni.example.edu")
    merge_people(loaded, sso, by=gsa)
    claims = {"sub": "169", "email": "jsmith@lms.example.edu", BRIGHTSPACE: {"org_defined_id": "100234567"}}
    user, created = person_for(brightspace, claims)
    assert (user, created) == (sso, False)
    assert Identity.objects.get(sub="169").user == sso


def test_an_email_match_to_the_merged_account_is_the_target(brightspace, make_user, gsa):
    """The address the people file vouched for on the merged account names the same person: the
    target — never the inactive account, and never "two people with that address"."""
    loaded = make_user("lti-old", email="ana@lms.example.edu")
    target = make_user("ana", email="ANA@lms.example.edu")
    merge_people(loaded, target, by=gsa)
    assert person_for(brightspace, {"sub": "170", "email": "ana@lms.example.edu"}) == (target, False)


def test_an_identity_of_the_source_launches_the_target(brightspace, make_user, gsa):
    source, target = make_user("lti-src"), make_user("lti-tgt")
    Identity.objects.create(issuer=brightspace.issuer, sub="171", user=source)
    merge_people(source, target, by=gsa)
    assert person_for(brightspace, {"sub": "171"}) == (target, False)

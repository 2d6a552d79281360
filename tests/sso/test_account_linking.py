"""LMS-3: one person, one account — SSO, a password account and an LMS launch (docs/sso.md *One
person, one account*).

A provider names people by its username attribute.  When that names nobody here, the sign-in lands
on the one person of the institution whose e-mail address is the provider's — only when **both**
sides vouch for the address: the provider (``email_verified: true``, or its *e-mail addresses are
verified* setting) and Syllabus (the address came from the people file, an LMS or a provider that
verifies addresses: ``User.email_verified``).  The link is remembered; a person with back-office
rights is linked only by a provider trusted for staff e-mail addresses; never otherwise — then the
sign-in makes a new account whose address matches no LMS launch.

Against tests/sso/op_server.py (the OpenID provider) and tests/lti/platform.py (the LMS)."""
from __future__ import annotations

import pytest

from syllabus.core.audit import trail
from syllabus.lti.models import Identity
from syllabus.org.models import User
from syllabus.sso.models import IdentityProvider, LinkedAccount
from tests.lti.conftest import context, launch, lms, platform  # noqa: F401 (fixtures)
from tests.lti.conftest import LEARNER

from .conftest import oidc_round_trip
from .test_oidc import _page_text, _signed_in_user

pytestmark = pytest.mark.django_db
ADA = "ada@uni.example"   # what the OpenID provider sends for Ada (preferred_username "ada")


def _vouching(provider) -> IdentityProvider:
    IdentityProvider.objects.filter(pk=provider.pk).update(verifies_email=True)
    provider.refresh_from_db()
    return provider


def _sso(client, provider) -> User | None:
    client.logout()
    response, _ = oidc_round_trip(client, provider)
    return _signed_in_user(client) if response.status_code == 302 else None


def test_lms3_a_password_account_is_the_one_a_vouching_provider_signs_in_by_the_same_address(client, oidc_idp, op,
                                                                                            make_user):
    local = make_user("alovelace", email=ADA, first_name="Ada")
    assert local.email_verified   # the people file's (the factory's) address
    provider = _vouching(oidc_idp)
    assert _sso(client, provider) == local
    assert not User.objects.filter(username="ada").exists()
    link = LinkedAccount.objects.get(provider=provider)
    assert (link.subject, link.user, link.linked_by) == ("ada", local, "email")
    assert any(e.action == "linked" and "found by the e-mail address ada@uni.example" in e.note for e in trail(local))
    assert local.has_usable_password()   # the password still signs in too
    # later sign-ins land there by the link, whatever the address becomes
    op.control(user={"sub": "u-1001", "preferred_username": "ada", "email": "ada.l@uni.example", "email_verified": True})
    assert _sso(client, provider) == local


def test_lms3_an_email_verified_claim_vouches_for_the_address_without_the_provider_setting(client, oidc_idp, op,
                                                                                          make_user):
    local = make_user("alovelace", email=ADA)
    op.control(user={"sub": "u-1001", "preferred_username": "ada", "email": ADA, "email_verified": True})
    assert _sso(client, oidc_idp) == local


def test_lms3_never_by_an_address_the_provider_does_not_vouch_for(client, oidc_idp, op, make_user, launch):  # noqa: F811
    """The provider is not marked as verifying addresses and sends no email_verified: a new account,
    whose address is stored unverified — so an LMS launch with that address still finds the password
    account, never the SSO one."""
    local = make_user("alovelace", email=ADA)
    new = _sso(client, oidc_idp)
    assert new.username == "ada" and new != local and not new.email_verified
    assert not LinkedAccount.objects.filter(linked_by="email").exists()
    client.logout()
    launch({"sub": "lms-ada", "email": ADA, "roles": [LEARNER], "context": context()})
    assert Identity.objects.get(sub="lms-ada").user == local


def test_lms3_an_address_marked_unverified_links_nobody(client, oidc_idp, op, make_user):
    local = make_user("alovelace", email=ADA)
    _vouching(oidc_idp)
    op.control(user={"sub": "u-1001", "preferred_username": "ada", "email": ADA, "email_verified": False})
    assert _sso(client, oidc_idp).username == "ada"
    assert User.objects.get(pk=local.pk).email == ADA


def test_lms3_an_address_held_unverified_here_links_nobody(client, oidc_idp, make_user):
    """The password account's address was typed by its owner (unverified): no provider reaches it by it."""
    make_user("alovelace", email=ADA, email_verified=False)
    assert _sso(client, _vouching(oidc_idp)).username == "ada"


def test_lms3_sso_and_lti_land_on_one_account_either_way(client, oidc_idp, op, launch):  # noqa: F811
    provider = _vouching(oidc_idp)
    # the LMS first: its account is found by the SSO sign-in
    launch({"sub": "lms-ada", "email": ADA, "roles": [LEARNER], "context": context()})
    from_lms = Identity.objects.get(sub="lms-ada").user
    assert _sso(client, provider) == from_lms
    # SSO first: the LMS launch finds the SSO account
    op.control(user={"sub": "u-2002", "preferred_username": "grace", "email": "grace@uni.example"})
    grace = _sso(client, provider)
    assert grace.username == "grace" and grace.email_verified
    client.logout()
    launch({"sub": "lms-grace", "email": "grace@uni.example", "roles": [LEARNER], "context": context()})
    assert Identity.objects.get(sub="lms-grace").user == grace
    assert User.objects.filter(email__iexact=ADA).count() == 1 and User.objects.filter(email="grace@uni.example").count() == 1


def test_lms3_a_staff_account_is_linked_by_address_only_by_a_provider_trusted_for_staff(client, oidc_idp, make_user):
    librarian = make_user("mlibrarian", email=ADA, roles=["course_reserves_operator"])
    provider = _vouching(oidc_idp)
    client.logout()
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 403
    assert ("the account 'mlibrarian' with that address has back-office rights: this provider is not trusted to match "
            "staff accounts by e-mail") in _page_text(response)
    assert _signed_in_user(client) is None and not LinkedAccount.objects.exists() and not User.objects.filter(username="ada").exists()
    IdentityProvider.objects.filter(pk=provider.pk).update(trust_email_for_staff=True)
    provider.refresh_from_db()
    assert _sso(client, provider) == librarian


def test_lms3_an_account_answers_one_identity_per_provider(client, oidc_idp, op, make_user):
    local = make_user("alovelace", email=ADA)
    provider = _vouching(oidc_idp)
    assert _sso(client, provider) == local
    op.control(user={"sub": "u-9999", "preferred_username": "ada2", "email": ADA})   # another identity, same address
    client.logout()
    response, _ = oidc_round_trip(client, provider)
    assert response.status_code == 403
    assert "already signs in through it as 'ada'" in _page_text(response)
    assert not User.objects.filter(username="ada2").exists()


def test_lms3_two_people_with_the_address_link_nobody(client, oidc_idp, make_user, inst_a):
    make_user("alovelace", email=ADA)
    make_user("ada-twin", email=ADA.upper())
    assert _sso(client, _vouching(oidc_idp)).username == "ada"


def test_lms3_a_superuser_is_never_linked(client, oidc_idp, make_user):
    make_user("root2", email=ADA, is_superuser=True)
    client.logout()
    response, _ = oidc_round_trip(client, _vouching(oidc_idp))
    assert response.status_code == 403 and "is a platform superuser" in _page_text(response)


def test_lms3_an_lms_that_does_not_verify_addresses_links_nobody_by_them(client, oidc_idp, op, make_user, launch,  # noqa: F811
                                                                         platform):  # noqa: F811
    """A platform set as not verifying e-mail addresses (an LMS where a student may set another's
    address unconfirmed): the launch's address finds nobody — not the password account that holds it
    — and the account it makes holds it unverified, so the campus sign-in of the address's owner makes
    their own account instead of landing on (and giving its roles to) the one the LMS user controls."""
    from syllabus.lti import services as lti

    local = make_user("alovelace", email=ADA)
    lti.set_verifies_email(None, platform, False)
    launch({"sub": "lms-mallory", "email": ADA, "roles": [LEARNER], "context": context()})
    from_lms = Identity.objects.get(sub="lms-mallory").user
    assert from_lms != local and from_lms.email == ADA and not from_lms.email_verified
    User.objects.filter(pk=local.pk).delete()   # the address's owner has no password account here
    owner = _sso(client, _vouching(oidc_idp))
    assert owner.username == "ada" and owner != from_lms
    assert not LinkedAccount.objects.filter(linked_by="email").exists()
    # the default (verifies): the same launch finds the one person holding the address
    lti.set_verifies_email(None, platform, True)
    client.logout()
    launch({"sub": "lms-ada", "email": "grace@uni.example", "roles": [LEARNER], "context": context()})
    assert Identity.objects.get(sub="lms-ada").user.email_verified

"""Migration sso 0004 (LMS-3, session 16): OpenID Connect providers that exist at the upgrade keep
trusting an address sent without ``email_verified`` (as they did), so the upgrade stops nobody's
sign-in; SAML providers keep their own setting; a provider added afterwards starts off."""
from __future__ import annotations

import pytest

from syllabus.sso.models import IdentityProvider
from tests.migrating import latest, migrate

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = ("sso", "0003_identityprovider_verifies_email_order_bound")


def test_existing_oidc_providers_keep_trusting_absent_email_verified_new_ones_do_not(inst_a, capsys):
    try:
        old = migrate([BEFORE])
        Provider = old.get_model("sso", "IdentityProvider")
        Provider.objects.create(institution_id=inst_a.pk, slug="entra", name="Entra", kind="oidc",
                                issuer="https://login.example/t/v2.0", client_id="c")
        Provider.objects.create(institution_id=inst_a.pk, slug="shib", name="Shibboleth", kind="saml", entity_id="https://idp")
    finally:
        migrate(latest())
    assert IdentityProvider.objects.get(slug="entra").verifies_email
    assert not IdentityProvider.objects.get(slug="shib").verifies_email
    assert "inst-a/entra keeps trusting addresses it sends without email_verified" in capsys.readouterr().out
    fresh = IdentityProvider.objects.create(institution=inst_a, slug="okta", name="Okta", kind="oidc",
                                            issuer="https://okta.example", client_id="c")
    assert not fresh.verifies_email

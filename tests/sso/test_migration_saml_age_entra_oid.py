"""Migration sso 0011 (LMS-3, session 22): SAML providers that exist at the upgrade keep no maximum
metadata age (off: nobody locked out by the upgrade; new ones get 7 days), and multi-tenant Microsoft
Entra ID providers naming people by preferred_username name them by oid from then on (re-keyed at each
person's next sign-in, tests/sso/test_oidc_entra_oid_key.py); single-tenant ones are left as they are."""
from __future__ import annotations

import pytest

from syllabus.sso.models import IdentityProvider
from tests.migrating import latest, migrate

pytestmark = pytest.mark.django_db(transaction=True)

TENANT = "11111111-2222-4333-8444-555555555555"


# One round trip back to 0010 for both migrations (docs/DEVELOPING.md, "How long the suite takes"):
# 0011 and 0012 are checked on the rows made before each of them.
def test_lms3_0011_moves_multi_tenant_entra_providers_to_oid_and_leaves_saml_ages_off_and_0012_marks_them(inst_a, capsys):
    """0011: existing SAML providers keep no maximum metadata age, multi-tenant Entra providers name
    people by oid.  0012: providers that existed when 0011 added the age (left off) are marked never
    chosen, and take the default at their next good read (tests/sso/test_saml_metadata_max_age.py);
    one added after 0011 with the age off chose it and is left alone."""
    saml = {"institution_id": inst_a.pk, "kind": "saml", "metadata_url": "https://idp/md"}
    try:
        old = migrate([("sso", "0010_oidc_refresh_entra_v1_links")])
        Provider = old.get_model("sso", "IdentityProvider")
        common = {"institution_id": inst_a.pk, "kind": "oidc", "client_id": "c", "username_attribute": "preferred_username"}
        Provider.objects.create(slug="multi", name="M", issuer="https://login.microsoftonline.com/organizations/v2.0",
                                allowed_tenants=TENANT, **common)
        Provider.objects.create(slug="single", name="S", issuer=f"https://login.microsoftonline.com/{TENANT}/v2.0", **common)
        Provider.objects.create(slug="okta", name="O", issuer="https://uni.okta.com", allowed_tenants="", **common)
        Provider.objects.create(institution_id=inst_a.pk, slug="shib", name="Shib", kind="saml", entity_id="https://idp",
                                metadata_url="https://idp/md")
        Provider.objects.create(slug="before", name="B", entity_id="https://b", **saml)
        mid = migrate([("sso", "0011_saml_metadata_max_age_entra_oid")])
        mid.get_model("sso", "IdentityProvider").objects.create(slug="chose-off", name="C", entity_id="https://c",
                                                                metadata_max_age=None, **saml)
    finally:
        migrate(latest())
    rows = {p.slug: p for p in IdentityProvider.objects.all()}
    assert (rows["multi"].username_attribute, rows["multi"].previous_username_attribute) == ("oid", "preferred_username")
    assert (rows["single"].username_attribute, rows["single"].previous_username_attribute) == ("preferred_username", "")
    assert rows["okta"].username_attribute == "preferred_username"
    assert rows["shib"].metadata_max_age is None                 # existing SAML providers: off, nobody locked out
    assert "inst-a/multi names people by oid" in capsys.readouterr().out
    assert (rows["before"].metadata_max_age, rows["before"].metadata_max_age_chosen) == (None, False)
    assert (rows["chose-off"].metadata_max_age, rows["chose-off"].metadata_max_age_chosen) == (None, True)
    fresh = IdentityProvider.objects.create(institution=inst_a, slug="new", name="N", kind="saml", entity_id="https://n")
    assert fresh.metadata_max_age == 7

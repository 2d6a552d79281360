"""LMS-3, acceptance 2 of issue 11: SAML 2.0 sign-in against a real IdP process
(tests/sso/idp_server.py, pysaml2's IdP with xmlsec1).  Every refusal is its own test: a clear
page naming LMS-3, never a 500, nobody signed in (let alone as someone else), nobody created."""
from __future__ import annotations

import re

import html

import base64

import pytest
from lxml import etree

from syllabus.org.models import User
from syllabus.sso.models import SignIn, UsedAssertion

from .conftest import post_answer, saml_answer, signed_out_onward

NS = {"saml": "urn:oasis:names:tc:SAML:2.0:assertion", "samlp": "urn:oasis:names:tc:SAML:2.0:protocol",
      "ds": "http://www.w3.org/2000/09/xmldsig#"}



def _page_text(response) -> str:
    """The page as a reader sees it: tags dropped, entities decoded."""
    return html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))

def _signed_in_user(client):
    from django.contrib.auth import get_user

    user = get_user(client)
    return user if user.is_authenticated else None


def _assert_refused(response, client, text: str):
    assert response.status_code in (400, 403), (response.status_code, response.content[:500])
    body = _page_text(response)
    assert "LMS-3:" in body and text in body, body[:3000]
    assert _signed_in_user(client) is None
    assert not User.objects.exclude(username__in=["admin"]).filter(username__contains="@").exists()
    assert not SignIn.objects.exists()


def test_a_signed_assertion_signs_in_and_creates_the_person(client, saml_idp, idp):
    response = post_answer(client, saml_idp, saml_answer(client, saml_idp, next_url="/courses/"))
    assert response.status_code == 302 and response["Location"] == "/courses/"
    grace = User.objects.get(username="grace@uni.example")
    assert (grace.first_name, grace.last_name, grace.email) == ("Grace", "Hopper", "grace@uni.example")
    assert grace.user_group.code == "staff" and grace.institution == saml_idp.institution
    assert _signed_in_user(client) == grace
    record = SignIn.objects.get()
    assert record.subject == "p-2002" and record.session_index
    assert UsedAssertion.objects.count() == 1


def test_the_sp_metadata_is_published_at_a_fixed_address(client, saml_idp):
    xml = client.get("/sso/inst-a/saml/metadata/")
    assert xml.status_code == 200 and xml["Content-Type"] == "application/samlmetadata+xml"
    root = etree.fromstring(xml.content)
    assert root.get("entityID") == "http://testserver/sso/inst-a/saml/metadata/"
    acs = root.find(".//{urn:oasis:names:tc:SAML:2.0:metadata}AssertionConsumerService")
    assert acs.get("Location") == "http://testserver/sso/inst-a/saml/acs/"
    sp = root.find("{urn:oasis:names:tc:SAML:2.0:metadata}SPSSODescriptor")
    assert sp.get("AuthnRequestsSigned") == "true" and sp.get("WantAssertionsSigned") == "true"
    assert {k.get("use") for k in sp.iterfind("{urn:oasis:names:tc:SAML:2.0:metadata}KeyDescriptor")} >= {"signing", "encryption"}
    assert client.get("/sso/nope/saml/metadata/").status_code == 404


def test_an_encrypted_assertion_is_accepted(client, saml_idp, idp):
    idp.control(mode="encrypt")
    answer = saml_answer(client, saml_idp)
    assert b"EncryptedAssertion" in base64.b64decode(answer)
    response = post_answer(client, saml_idp, answer)
    assert response.status_code == 302, response.content[:2000]
    assert _signed_in_user(client).username == "grace@uni.example"


@pytest.mark.parametrize("form", ["both_signed", "both_signed_encrypted"])
def test_a_signed_assertion_inside_a_signed_response_is_accepted(client, saml_idp, idp, form):
    """The accepted forms (docs/sso.md): the assertion signed by the IdP — alone (the tests above),
    encrypted, or inside a Response the IdP signed too (both signatures are checked)."""
    idp.control(mode=form)
    answer = base64.b64decode(saml_answer(client, saml_idp))
    root = etree.fromstring(answer)
    assert root.find("ds:Signature", NS) is not None   # the Response is signed
    response = post_answer(client, saml_idp, base64.b64encode(answer).decode())
    assert response.status_code == 302, response.content[:2000]
    assert _signed_in_user(client).username == "grace@uni.example"


@pytest.mark.parametrize("form", ["response_signed", "shibboleth_default"])
def test_a_signed_response_around_an_unsigned_assertion_is_refused_saying_what_to_configure(client, saml_idp, idp, form):
    """A Shibboleth IdP signs the Response, not the assertion, unless told to: refused, and the
    page says the IdP must sign assertions."""
    idp.control(mode=form)
    answer = saml_answer(client, saml_idp)
    assert etree.fromstring(base64.b64decode(answer)).find("ds:Signature", NS) is not None
    _assert_refused(post_answer(client, saml_idp, answer), client, "the identity provider must sign assertions")


def test_an_unsigned_assertion_is_refused(client, saml_idp, idp):
    idp.control(mode="unsigned")
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client, "signed")


def test_an_assertion_signed_by_another_key_is_refused(client, saml_idp, idp):
    idp.control(mode="wrong_key")
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client, "signature")


def test_a_wrong_audience_is_refused(client, saml_idp, idp):
    idp.control(mode="audience")
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client, "(Audience)")


def test_a_wrong_recipient_is_refused(client, saml_idp, idp):
    idp.control(mode="recipient")
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client, "(Recipient)")


def test_a_wrong_in_response_to_is_refused(client, saml_idp, idp):
    idp.control(mode="in_response_to")
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client, "InResponseTo")


def test_an_answer_for_another_browser_is_refused(client, saml_idp):
    from django.test import Client

    answer = saml_answer(client, saml_idp)
    other = Client()
    _assert_refused(post_answer(other, saml_idp, answer), other, "InResponseTo")


def test_an_expired_assertion_is_refused(client, saml_idp, idp):
    idp.control(mode="expired")
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client, "expired")


def test_a_not_yet_valid_assertion_is_refused(client, saml_idp, idp):
    idp.control(mode="not_yet_valid")
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client, "not valid yet")


def test_an_assertion_kept_too_long_is_refused_by_our_clock(client, saml_idp, clock):
    import datetime as dt

    clock.set_now(None)
    answer = saml_answer(client, saml_idp)
    clock.set_now(clock.now() + dt.timedelta(hours=1))  # the real time (unfrozen above), an hour on
    response = post_answer(client, saml_idp, answer)
    assert response.status_code == 400 and "LMS-3:" in _page_text(response)
    assert _signed_in_user(client) is None and not SignIn.objects.exists()


def test_a_replayed_response_is_refused(client, saml_idp):
    answer = saml_answer(client, saml_idp)
    assert post_answer(client, saml_idp, answer).status_code == 302
    client.logout()
    User.objects.filter(username="grace@uni.example").delete()
    SignIn.objects.all().delete()
    _assert_refused(post_answer(client, saml_idp, answer), client, "InResponseTo")


def test_a_replayed_assertion_is_refused_even_when_its_request_is_still_outstanding(client, saml_idp):
    """The record of used assertions: whatever lets a response in twice, its assertion is used once."""
    answer = saml_answer(client, saml_idp)
    pending = dict(client.session["sso_saml_requests"])
    assert post_answer(client, saml_idp, answer).status_code == 302
    client.logout()
    User.objects.filter(username="grace@uni.example").delete()
    SignIn.objects.all().delete()
    session = client.session
    session["sso_saml_requests"] = pending
    session.save()
    _assert_refused(post_answer(client, saml_idp, answer), client, "already used (a replay)")


# --- XML signature wrapping (the classic XSW variants) -----------------------------------------

def _signed_xml(client, saml_idp, idp) -> etree._Element:
    """A genuinely signed response for Eve (an ordinary account), that an attacker then rewraps."""
    idp.control(user={"name_id": "p-eve", "attributes": {
        "eduPersonPrincipalName": ["eve@uni.example"], "givenName": ["Eve"], "sn": ["Attacker"],
        "mail": ["eve@uni.example"], "eduPersonAffiliation": ["student"]}})
    return etree.fromstring(base64.b64decode(saml_answer(client, saml_idp)))


def _evil(assertion: etree._Element, *, drop_signature: bool = True) -> etree._Element:
    import copy

    evil = copy.deepcopy(assertion)
    evil.set("ID", "_evil_assertion")
    if drop_signature:
        for sig in evil.findall("ds:Signature", NS):
            evil.remove(sig)
    for value in evil.iterfind(".//saml:AttributeValue", NS):
        if value.text == "eve@uni.example":
            value.text = "admin@uni.example"
    evil.find(".//saml:NameID", NS).text = "p-admin"
    return evil


def _post_xml(client, saml_idp, root) -> object:
    return post_answer(client, saml_idp, base64.b64encode(etree.tostring(root)).decode())


def _assert_nobody_else(response, client):
    assert response.status_code < 500
    user = _signed_in_user(client)
    assert user is None or user.username == "eve@uni.example"
    assert not User.objects.filter(username="admin@uni.example").exists()
    if user is None:
        assert "LMS-3:" in _page_text(response)


def _xsw_variants():
    """Each takes the signed response's root and returns the wrapped one (names from Somorovsky
    et al., "On Breaking SAML: Be Whoever You Want to Be", USENIX Security 2012)."""

    def xsw3(root):  # evil assertion before the signed one, as a sibling
        original = root.find("saml:Assertion", NS)
        root.insert(list(root).index(original), _evil(original))
        return root

    def xsw4(root):  # evil assertion wraps the signed one
        original = root.find("saml:Assertion", NS)
        evil = _evil(original)
        root.replace(original, evil)
        evil.append(original)
        return root

    def xsw5(root):  # evil assertion keeps the signature; the original moves to the end
        original = root.find("saml:Assertion", NS)
        evil = _evil(original, drop_signature=False)
        root.replace(original, evil)
        import copy
        stripped = copy.deepcopy(original)
        for sig in stripped.findall("ds:Signature", NS):
            stripped.remove(sig)
        root.append(stripped)
        return root

    def xsw6(root):  # the original hides inside the copied signature's Object
        original = root.find("saml:Assertion", NS)
        evil = _evil(original, drop_signature=False)
        root.replace(original, evil)
        sig = evil.find("ds:Signature", NS)
        obj = etree.SubElement(sig, f"{{{NS['ds']}}}Object")
        obj.append(original)
        return root

    def xsw7(root):  # the original hides in an Extensions element, the evil one takes its place
        original = root.find("saml:Assertion", NS)
        evil = _evil(original)
        ext = etree.Element(f"{{{NS['samlp']}}}Extensions")
        root.replace(original, evil)
        root.insert(1, ext)
        ext.append(original)
        return root

    def xsw8(root):  # the original (signature stripped) inside the evil one's Signature/Object
        import copy
        original = root.find("saml:Assertion", NS)
        evil = _evil(original, drop_signature=False)
        root.replace(original, evil)
        stripped = copy.deepcopy(original)
        for sig in stripped.findall("ds:Signature", NS):
            stripped.remove(sig)
        obj = etree.SubElement(evil.find("ds:Signature", NS), f"{{{NS['ds']}}}Object")
        obj.append(stripped)
        return root

    return {"xsw3": xsw3, "xsw4": xsw4, "xsw5": xsw5, "xsw6": xsw6, "xsw7": xsw7, "xsw8": xsw8}


@pytest.mark.parametrize("variant", sorted(_xsw_variants()))
def test_signature_wrapping_never_signs_in_someone_else(client, saml_idp, idp, variant):
    root = _xsw_variants()[variant](_signed_xml(client, saml_idp, idp))
    _assert_nobody_else(_post_xml(client, saml_idp, root), client)


def test_a_name_split_by_an_xml_comment_is_read_whole_or_refused(client, saml_idp, idp):
    """The 2018 comment attack: Eve registers admin@uni.example.evil.test, gets it signed, and
    splits it with a comment (ignored by the canonicalisation the signature covers)."""
    idp.control(user={"name_id": "admin@uni.example.evil.test", "attributes": {
        "eduPersonPrincipalName": ["admin@uni.example.evil.test"], "givenName": ["Eve"], "sn": ["Attacker"],
        "mail": ["eve@uni.example"], "eduPersonAffiliation": ["student"]}})
    xml = base64.b64decode(saml_answer(client, saml_idp)).decode()
    assert xml.count("admin@uni.example.evil.test") >= 2
    split = xml.replace("admin@uni.example.evil.test", "admin@uni.example<!---->.evil.test")
    response = post_answer(client, saml_idp, base64.b64encode(split.encode()).decode())
    assert response.status_code < 500
    assert not User.objects.filter(username="admin@uni.example").exists()
    user = _signed_in_user(client)
    assert user is None or user.username == "admin@uni.example.evil.test"


# --- people, logout -------------------------------------------------------------------------------

def test_a_full_width_username_from_the_idp_is_the_same_person(client, saml_idp, idp, make_user):
    """eduPersonPrincipalName "ｇｒａｃｅ＠ｕｎｉ．ｅｘａｍｐｌｅ" (full-width) is, in NFKC, the person
    "grace@uni.example" — no look-alike second account."""
    grace = make_user("grace@uni.example", group="staff")
    idp.control(user={"name_id": "p-2002", "attributes": {
        "eduPersonPrincipalName": ["ｇｒａｃｅ＠ｕｎｉ．ｅｘａｍｐｌｅ"], "givenName": ["Grace"], "sn": ["Hopper"],
        "mail": ["grace@uni.example"], "eduPersonAffiliation": ["staff"]}})
    people = User.objects.count()
    response = post_answer(client, saml_idp, saml_answer(client, saml_idp))
    assert response.status_code == 302, response.content[:2000]
    assert _signed_in_user(client) == grace
    assert User.objects.count() == people


def test_existing_people_only_refuses_an_unknown_person(client, saml_idp):
    saml_idp.existing_only = True
    saml_idp.save()
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client, "existing people only")


def test_an_inactive_person_is_refused(client, saml_idp, make_user):
    make_user("grace@uni.example", is_active=False)
    response = post_answer(client, saml_idp, saml_answer(client, saml_idp))
    assert response.status_code == 403 and "is inactive" in response.content.decode()
    assert _signed_in_user(client) is None


def test_sign_out_sends_a_signed_logout_request_to_the_idp(client, saml_idp, idp):
    import requests

    post_answer(client, saml_idp, saml_answer(client, saml_idp))
    onward = signed_out_onward(client.post("/logout/"))
    assert onward.startswith(f"{idp.url}/slo/redirect?SAMLRequest=")
    assert "Signature=" in onward and "SigAlg=http%3A%2F%2Fwww.w3.org%2F2001%2F04%2Fxmldsig-more%23rsa-sha256" in onward
    assert _signed_in_user(client) is None
    back = requests.get(onward, allow_redirects=False, timeout=10)
    assert back.status_code == 302, back.text[-3000:]
    logged = [e for e in idp.log() if e["event"] == "logout_request"]
    assert logged and logged[0]["name_id"] == "p-2002" and logged[0]["session_index"]
    from .conftest import local

    final = client.get(local(back.headers["Location"]))
    assert final.status_code == 302 and final["Location"] == "/login/?institution=inst-a"


def test_an_unsigned_logout_request_from_outside_is_refused(client, saml_idp):
    post_answer(client, saml_idp, saml_answer(client, saml_idp))
    from saml2 import BINDING_HTTP_REDIRECT  # noqa: F401

    forged = base64.b64encode(b"<samlp:LogoutRequest xmlns:samlp='urn:oasis:names:tc:SAML:2.0:protocol'/>").decode()
    response = client.get("/sso/inst-a/saml/sls/", {"SAMLRequest": forged})
    assert response.status_code == 400 and "LMS-3: a logout request from the identity provider must be signed" in _page_text(response)
    assert _signed_in_user(client) is not None


def test_lms3_an_answer_posted_without_the_session_cookie_is_posted_again_from_this_site(client, saml_idp):
    """LMS-3 (found against samlify in Chromium): the IdP's page posts from its own site, so the
    browser withholds the SameSite=Lax session cookie; the assertion consumer answers with a page
    that posts the same answer again from this site (script, or its Continue button), and that
    post — with the cookie — signs the person in.  Nothing is decided on the cookie-less post."""
    import html as html_module

    from django.test import Client

    answer = saml_answer(client, saml_idp)
    cross_site = Client()  # the same browser, as the IdP's cross-site form post reaches us: no cookie
    page = cross_site.post("/sso/inst-a/saml/acs/", {"SAMLResponse": answer, "RelayState": ""})
    assert page.status_code == 200 and page.headers["Cache-Control"].startswith("max-age=0")
    body = page.content.decode()
    assert 'data-testid="saml-repost"' in body and 'action="/sso/inst-a/saml/acs/"' in body
    fields = dict(re.findall(r'name="([^"]+)" value="([^"]*)"', body))
    assert html_module.unescape(fields["SAMLResponse"]) == answer and fields["syllabus_same_site"] == "1"
    # the page's one inline script (the automatic re-post) carries the nonce the page's CSP allows
    nonce = re.search(r'<script nonce="([^"]+)">document.getElementById\("saml-repost"\).submit\(\);</script>', body).group(1)
    assert f"'nonce-{nonce}'" in page.headers["Content-Security-Policy"]
    assert not User.objects.filter(email="grace@uni.example").exists()

    response = client.post("/sso/inst-a/saml/acs/", {k: html_module.unescape(v) for k, v in fields.items()
                                                      if k != "csrfmiddlewaretoken"})
    assert response.status_code == 302
    assert _signed_in_user(client).email == "grace@uni.example"


def test_lms3_a_reposted_answer_without_the_session_is_refused_not_reposted_again(saml_idp, client):
    from django.test import Client

    answer = saml_answer(client, saml_idp)
    stranger = Client()
    response = stranger.post("/sso/inst-a/saml/acs/", {"SAMLResponse": answer, "RelayState": "", "syllabus_same_site": "1"})
    assert response.status_code == 400 and b"LMS-3" in response.content and b"InResponseTo" in response.content


def test_a_saml_sign_in_rotates_the_session_key(client, saml_idp, idp):
    """Session fixation: a session planted before the sign-in started is worthless after the assertion consumer."""
    from tests.conftest import assert_session_rotated, plant_session

    planted = plant_session(client)
    response = post_answer(client, saml_idp, saml_answer(client, saml_idp))
    assert response.status_code == 302 and _signed_in_user(client) is not None
    assert_session_rotated(client, planted)


# --- e-mail addresses: SAML says nothing of their verification (LMS-3, session 16) ----------------

def test_lms3_a_saml_address_is_stored_for_letters_but_matches_nobody_unless_the_idp_verifies_addresses(
        client, saml_idp, idp, inst_a):
    """Before: the IdP's mail attribute was stored as if verified, so a person whose IdP lets them
    set it (self-service directory, social login bridge) could claim a professor's address and be
    matched to the professor's first LMS launch.  Now it is stored for letters, marked unverified,
    and an LTI launch with that address does not find this person — until the provider is marked
    as verifying addresses (``verifies_email``)."""
    from syllabus.lti.models import Platform
    from syllabus.lti.services import person_for

    assert post_answer(client, saml_idp, saml_answer(client, saml_idp)).status_code == 302
    grace = User.objects.get(username="grace@uni.example")
    assert grace.email == "grace@uni.example" and not grace.email_verified
    platform = Platform.objects.create(institution=inst_a, issuer="https://lms.uni.example", client_id="c",
                                       auth_login_url="https://lms.uni.example/auth",
                                       auth_token_url="https://lms.uni.example/token",
                                       keyset_url="https://lms.uni.example/keys")
    other, created = person_for(platform, {"sub": "lms-1", "email": "grace@uni.example"})
    assert created and other != grace

    saml_idp.verifies_email = True
    saml_idp.save()
    client.logout()
    assert post_answer(client, saml_idp, saml_answer(client, saml_idp)).status_code == 302
    grace.refresh_from_db()
    assert grace.email_verified
    other.email = ""   # the first launch's account no longer shares the address
    other.save()
    assert person_for(platform, {"sub": "lms-2", "email": "grace@uni.example"}) == (grace, False)


def test_lms3_a_saml_provider_naming_people_by_mail_signs_nobody_in_unless_it_verifies_addresses(
        client, saml_idp, idp, make_user):
    """Before: with ``mail`` as the username attribute, anybody whose IdP lets them set ``mail``
    signed in as whoever held that address here (only staff accounts were protected).  Now such a
    provider signs nobody in until it is marked as verifying addresses; nothing is written."""
    grace = make_user("grace@uni.example")
    saml_idp.username_attribute = "mail"
    saml_idp.save()
    response = post_answer(client, saml_idp, saml_answer(client, saml_idp))
    assert response.status_code == 403
    body = _page_text(response)
    assert "LMS-3:" in body and "not marked as verifying e-mail addresses" in body, body[:2000]
    assert _signed_in_user(client) is None and not SignIn.objects.exists() and not UsedAssertion.objects.exists()
    saml_idp.verifies_email = True
    saml_idp.save()
    assert post_answer(client, saml_idp, saml_answer(client, saml_idp)).status_code == 302
    assert _signed_in_user(client) == grace


# --- IdP metadata: validUntil and cacheDuration (SAML metadata 2.0 §2.3.1) ----------------------

def _metadata_with(xml: str, **attributes: str) -> str:
    """The IdP's metadata with attributes added on its EntityDescriptor (as a publisher signs them)."""
    extra = " ".join(f'{name}="{value}"' for name, value in attributes.items())
    return re.sub(r"<((?:\w+:)?EntityDescriptor) ", rf"<\1 {extra} ", xml, count=1)


def test_expired_idp_metadata_is_refused_when_added(idp, inst_a, groups, clock):
    import requests

    from syllabus.core.errors import RuleViolation
    from syllabus.sso import services

    metadata = _metadata_with(requests.get(f"{idp.url}/idp/metadata", timeout=10).text, validUntil="2026-03-01T00:00:00Z")
    with pytest.raises(RuleViolation, match=r"LMS-3: the IdP metadata of .* expired on 2026-03-01 00:00 UTC \(validUntil\)"):
        services.add_saml_provider(inst_a, name="Campus login", metadata_xml=metadata)


def test_sign_in_is_refused_once_the_idp_metadata_expires_and_works_again_after_the_tick_reads_it(
        idp, inst_a, groups, client, clock):
    import datetime as dt

    import requests

    from syllabus.core.tasks import run_tick
    from syllabus.sso import services

    url = f"{idp.url}/idp/metadata"
    metadata = _metadata_with(requests.get(url, timeout=10).text, validUntil="2030-01-01T00:00:00Z", cacheDuration="PT1H")
    # the maximum metadata age off (as for providers added before session 22): validUntil alone ends the copy
    provider = services.add_saml_provider(inst_a, name="Campus login", slug="campus", metadata_xml=metadata, metadata_url=url,
                                          metadata_max_age=None)
    assert provider.metadata_refresh_due == clock.now() + dt.timedelta(hours=1)   # cacheDuration honoured

    clock.set_now(dt.datetime(2030, 1, 2, 9, 0, tzinfo=dt.timezone.utc))
    provider.metadata_refresh_due = clock.now() + dt.timedelta(hours=1)   # say the URL could not be read meanwhile
    provider.save()
    refused = client.get("/sso/inst-a/campus/login/")
    assert refused.status_code == 400
    body = _page_text(refused)
    assert "LMS-3: Campus login's SAML metadata expired on 2030-01-01 00:00 UTC (validUntil)" in body, body[:2000]

    run_tick(clock.now() + dt.timedelta(hours=2))   # the IdP publishes metadata without validUntil now
    provider.refresh_from_db()
    assert "validUntil" not in provider.metadata_xml
    assert client.get("/sso/inst-a/campus/login/").status_code == 302


def test_a_transient_name_id_never_names_a_person(client, saml_idp, idp):
    """A Shibboleth IdP sends a transient NameID by default — a new value at every sign-in: a
    provider told to name people by NameID would make a new person each time."""
    saml_idp.username_attribute = "NameID"
    saml_idp.save()
    idp.control(user={"name_id": "_a5c1f0e2b7d94", "name_id_format": "urn:oasis:names:tc:SAML:2.0:nameid-format:transient",
                      "attributes": {"givenName": ["Grace"], "sn": ["Hopper"]}})
    _assert_refused(post_answer(client, saml_idp, saml_answer(client, saml_idp)), client,
                    "Campus login names people by NameID, and the identity provider sent a transient NameID")
    assert not User.objects.filter(username="_a5c1f0e2b7d94").exists()


@pytest.fixture
def private_tempdir(tmp_path, monkeypatch):
    """The process's temporary directory is this test's own (listed first, so the SP's key is first
    used after it is set): whatever pysaml2, xmlsec1 or we leave behind there is seen."""
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    return tmp_path


def _files_holding(directory, secret: str) -> list[str]:
    return [str(path) for path in directory.rglob("*") if path.is_file() and secret in path.read_text(errors="replace")]


def test_sec_key_the_sp_private_key_is_left_on_disk_by_no_sign_in_metadata_or_logout(private_tempdir, client, saml_idp, idp):
    """SEC-KEY: pysaml2 hands the SP's key to xmlsec1 as a file; that decrypted copy exists only while
    one operation runs — after a sign-in (here with an encrypted assertion, decrypted by xmlsec1 with
    the key), a metadata request and a sign-out, no file in the temporary directory holds it."""
    from syllabus.sso import services

    key = services.service_provider(saml_idp.institution).private_key_pem
    body_line = key.splitlines()[1]   # a line of the base64 key body
    idp.control(mode="encrypt")
    response = post_answer(client, saml_idp, saml_answer(client, saml_idp))
    assert response.status_code == 302 and _signed_in_user(client).username == "grace@uni.example"
    assert client.get("/sso/inst-a/saml/metadata/").status_code == 200
    assert signed_out_onward(client.post("/logout/")).startswith(f"{idp.url}/slo/redirect?")
    assert _files_holding(private_tempdir, body_line) == []
    assert _files_holding(private_tempdir, "PRIVATE KEY") == []


def test_sec_key_an_sp_key_no_configured_key_opens_is_a_clear_page_at_the_saml_button(client, saml_idp):
    """SEC-KEY: the SP's private key is read (and written for xmlsec1) only inside a SAML operation; a
    server started without the key it was encrypted with answers the provider's button with the
    SEC-KEY page naming the variable — not LMS-3's "offers no single sign-on" — and signs nobody in."""
    from cryptography.fernet import Fernet
    from django.test import override_settings

    with override_settings(ENCRYPTION_KEYS=[Fernet.generate_key().decode()]):   # the key was lost
        response = client.get(f"/sso/inst-a/{saml_idp.slug}/login/")
    text = _page_text(response)
    assert response.status_code == 503 and "SEC-KEY:" in text and "SYLLABUS_ENCRYPTION_KEYS" in text, text[:2000]
    assert "single sign-on" not in text and _signed_in_user(client) is None

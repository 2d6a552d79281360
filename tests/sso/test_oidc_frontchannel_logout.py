"""LMS-3: OpenID Connect Front-Channel Logout 1.0.  The provider's logout page loads
``/sso/CODE/SLUG/frontchannel-logout/?iss=…&sid=…`` in an iframe; the Syllabus sessions of that
``sid`` end (without ``sid``: this browser's sessions through the provider).  The answer may be
framed by the provider's origin only and is never cached.  The sign-ins and their ``sid`` come from
tests/sso/op_server.py (its ID tokens carry ``sid``, §3); the browser side is
tests/sso/test_browser_frontchannel_logout.py."""
from __future__ import annotations

import pytest
from django.test import Client

from syllabus.sso.models import SignIn

from .conftest import oidc_round_trip, signed_out_onward
from .test_oidc import _signed_in_user

pytestmark = pytest.mark.django_db
URL = "/sso/inst-a/uni/frontchannel-logout/"


def _sign_in(provider) -> Client:
    browser = Client()
    response, _ = oidc_round_trip(browser, provider)
    assert response.status_code == 302 and _signed_in_user(browser).username == "ada"
    return browser


def _frame_ancestors(response) -> str:
    return next(d.strip() for d in response["Content-Security-Policy"].split(";") if d.strip().startswith("frame-ancestors"))


def test_lms3_the_providers_frame_ends_the_session_of_that_sid(oidc_idp, op):
    browser = _sign_in(oidc_idp)
    record = SignIn.objects.get()
    assert record.sid   # the ID token's sid, kept with the sign-in
    # the provider's page, another site: the frame carries no Syllabus cookie, only iss and sid
    response = Client().get(URL, {"iss": op.url, "sid": record.sid}, HTTP_REFERER=f"{op.url}/logout")
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] and "no-cache" in response["Cache-Control"]
    assert response["Pragma"] == "no-cache"
    assert _frame_ancestors(response) == f"frame-ancestors {op.url}"   # the provider only, not even our own pages
    assert "X-Frame-Options" not in response
    assert not SignIn.objects.exists() and _signed_in_user(browser) is None


def test_lms3_another_sid_ends_nothing_and_a_second_session_of_the_same_person_stays(oidc_idp, op):
    first = _sign_in(oidc_idp)
    op.control(reset=True)   # a new session at the provider (new sid) for the same person
    op.control(client={"redirect_uris": ["http://testserver/sso/inst-a/uni/callback/"]})
    second = _sign_in(oidc_idp)
    sids = list(SignIn.objects.order_by("pk").values_list("sid", flat=True))
    assert len(set(sids)) == 2
    assert Client().get(URL, {"iss": op.url, "sid": "not-a-session"}).status_code == 200
    assert SignIn.objects.count() == 2
    Client().get(URL, {"iss": op.url, "sid": sids[0]})
    assert _signed_in_user(first) is None and _signed_in_user(second).username == "ada"


@pytest.mark.parametrize("params, referer, reason", [
    ({"iss": "https://idp.elsewhere.example", "sid": "SID"}, None, "names the issuer 'https://idp.elsewhere.example'"),
    ({"sid": "SID"}, None, "must name its issuer (iss) too"),
    ({"iss": "OP", "sid": "SID"}, "https://attacker.example/page", "came from another site"),
])
def test_lms3_a_mismatched_or_foreign_front_channel_logout_ends_nothing(oidc_idp, op, params, referer, reason):
    browser = _sign_in(oidc_idp)
    sid = SignIn.objects.get().sid
    params = {k: (op.url if v == "OP" else sid if v == "SID" else v) for k, v in params.items()}
    response = Client().get(URL, params, **({"HTTP_REFERER": referer} if referer else {}))
    assert response.status_code == 400 and "no-store" in response["Cache-Control"]
    assert response.content.decode().startswith("LMS-3: ") and reason in response.content.decode()
    assert SignIn.objects.count() == 1 and _signed_in_user(browser).username == "ada"


def test_lms3_without_sid_the_browsers_own_sessions_through_the_provider_end(oidc_idp, op, make_user):
    """A provider that does not require the session (no iss, no sid) frames the URI in the browser
    that signed in; its cookie names the person, whose sessions through the provider all end."""
    browser, other_device = _sign_in(oidc_idp), _sign_in(oidc_idp)
    response = browser.get(URL, HTTP_REFERER=f"{op.url}/logout", HTTP_SEC_FETCH_DEST="iframe")
    assert response.status_code == 200
    assert not SignIn.objects.exists()
    assert _signed_in_user(browser) is None and _signed_in_user(other_device) is None


def test_lms3_without_sid_nor_cookie_nothing_ends(oidc_idp, op):
    browser = _sign_in(oidc_idp)
    assert Client().get(URL).status_code == 200
    assert _signed_in_user(browser).username == "ada"


def test_lms3_our_sign_out_still_uses_rp_initiated_logout_when_the_provider_offers_front_channel(client, oidc_idp, op):
    """The provider advertises frontchannel_logout_supported: Syllabus's own sign-out still sends the
    browser to its end_session_endpoint (with the hint), whose page then frames the RPs' URIs."""
    import requests

    meta = requests.get(f"{op.url}/.well-known/openid-configuration", timeout=10).json()
    assert meta["frontchannel_logout_supported"] is True
    oidc_round_trip(client, oidc_idp)
    id_token = SignIn.objects.get().id_token
    assert signed_out_onward(client.post("/logout/")).startswith(f"{op.url}/logout?id_token_hint={id_token}")
    assert _signed_in_user(client) is None


def test_lms3_an_lms_launched_session_does_not_widen_who_frames_the_logout(oidc_idp, op):
    """A session that came through an LTI launch lets its LMS frame Syllabus's pages (LMS-1), not
    this one: its frame-ancestors stay the provider's."""
    browser = _sign_in(oidc_idp)
    session = browser.session
    session["lti"] = {"origins": ["https://lms.example.edu"]}
    session.save()
    response = browser.get(URL)
    assert _frame_ancestors(response) == f"frame-ancestors {op.url}" and "X-Frame-Options" not in response


def test_lms3_an_unknown_provider_is_404(client, oidc_idp):
    assert client.get("/sso/inst-a/nope/frontchannel-logout/").status_code == 404


# --- session 20 security review: logout CSRF --------------------------------------------------

def test_lms3_a_page_opened_from_another_site_without_referer_ends_no_session(oidc_idp, op):
    """Logout CSRF: any site can send a signed-in browser to the URI as a page (a link, a script's
    navigation) with ``Referrer-Policy: no-referrer`` — a top-level GET carries the SameSite=Lax
    session cookie and no Referer, so the Referer check did not apply and, without sid, the
    browser's sessions through the provider ended.  The front-channel logout is framed by the
    provider's page: a request the browser says is a page (``Sec-Fetch-Dest: document``), an image
    or a script's fetch ends nothing; without sid, only the provider's own page (its Referer) ends
    the session the cookie names."""
    browser = _sign_in(oidc_idp)
    for headers in ({"HTTP_SEC_FETCH_DEST": "document", "HTTP_SEC_FETCH_SITE": "cross-site"},
                    {"HTTP_SEC_FETCH_DEST": "image", "HTTP_SEC_FETCH_SITE": "same-site"},
                    {"HTTP_SEC_FETCH_DEST": "iframe", "HTTP_SEC_FETCH_SITE": "same-site"},   # a same-site page, no Referer
                    {}):                                                                      # a browser without Fetch Metadata
        response = browser.get(URL, **headers)
        assert response.status_code == 400 and response.content.decode().startswith("LMS-3: "), (headers, response.content)
        assert SignIn.objects.count() == 1 and _signed_in_user(browser).username == "ada"
    sid = SignIn.objects.get().sid
    response = browser.get(URL, {"iss": op.url, "sid": sid}, HTTP_SEC_FETCH_DEST="document")
    assert response.status_code == 400 and "opened as a page" in response.content.decode()
    assert _signed_in_user(browser).username == "ada"
    # the provider's page framing it still ends the session, with or without sid
    response = browser.get(URL, HTTP_SEC_FETCH_DEST="iframe", HTTP_SEC_FETCH_SITE="same-site", HTTP_REFERER=f"{op.url}/")
    assert response.status_code == 200 and _signed_in_user(browser) is None

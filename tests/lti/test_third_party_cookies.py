"""LMS-1: launches in browsers that keep no cookie in the LMS frame, at the HTTP level.

- ``Partitioned`` (CHIPS) on the session, CSRF and state cookies of the framed LTI context in
  a secure context (one middleware), never elsewhere;
- OIDC login with LTI Client Side postMessages: ``lti_storage_target`` → a page that stores the
  state and nonce in the platform's frame (strict CSP: an external script, JSON configuration);
  the launch without the state cookie → a page that reads them back; the launch posted again
  ``verified`` from this tool's page (Sec-Fetch-Site) is accepted once; anything else refused;
- "Open in a new window": a one-time, two-minute ticket, posted, bound to the launch's person.
"""
import datetime as dt
import json
import re
from urllib.parse import urlsplit

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from syllabus.core import clock
from syllabus.lti.middleware import LtiFrameMiddleware
from syllabus.lti.models import LaunchTicket, LoginState
from tests.lti.conftest import LEARNER, context, parse_form

SAME = {"HTTP_SEC_FETCH_SITE": "same-origin"}
STUDENT = {"sub": "cookieless-1", "email": "cookieless.one@uni.edu", "given_name": "Cleo", "roles": [LEARNER],
           "context": context(), "nrps": False}


# --- Partitioned cookies ---------------------------------------------------------------------

def _through_middleware(path="/lists/1/", *, secure=True, host="testserver", lti=True, cookies=("sessionid", "csrftoken")):
    request = RequestFactory().get(path, secure=secure, HTTP_HOST=host)
    request.session = {"lti": {"platform": 1, "origins": ["https://lms.example.edu"]}} if lti else {}

    def view(_request):
        response = HttpResponse("ok")
        for name in cookies:
            response.set_cookie(name, "v", samesite="Lax", httponly=True)
        return response

    return LtiFrameMiddleware(view)(request)


def _header(response, name):
    return response.cookies[name].output(header="").strip()


def test_framed_lti_session_cookies_over_https_are_samesite_none_secure_partitioned():
    response = _through_middleware()
    for name in ("sessionid", "csrftoken"):
        line = _header(response, name)
        assert "SameSite=None" in line and "Secure" in line and line.endswith("; Partitioned"), line
        assert "HttpOnly" in line and line.startswith(f"{name}=v")


def test_http_localhost_is_a_secure_context_but_plain_http_elsewhere_gets_no_partitioned_cookie():
    assert "Partitioned" in _header(_through_middleware(secure=False, host="localhost:8000"), "sessionid")
    line = _header(_through_middleware(secure=False, host="testserver"), "sessionid")
    assert "Partitioned" not in line and "SameSite=Lax" in line


def test_a_session_that_did_not_come_through_a_launch_keeps_its_cookies_unpartitioned():
    line = _header(_through_middleware(lti=False), "sessionid")
    assert "Partitioned" not in line and "SameSite=Lax" in line


def test_the_administration_never_gets_partitioned_cookies():
    line = _header(_through_middleware("/admin/"), "sessionid")
    assert "Partitioned" not in line


def test_the_login_state_cookie_is_partitioned_and_a_deleted_cookie_too(db):
    response = _through_middleware("/lti/login/", lti=False, cookies=("lti1p3-state-abc",))
    assert _header(response, "lti1p3-state-abc").endswith("SameSite=None; Secure; Partitioned")
    request = RequestFactory().get("/lists/1/", secure=True)
    request.session = {"lti": {"origins": []}}

    def logout(_request):
        response = HttpResponse("bye")
        response.delete_cookie("sessionid")
        return response

    line = _header(LtiFrameMiddleware(logout)(request), "sessionid")
    assert "Max-Age=0" in line and line.endswith("; Partitioned")


def test_an_https_login_sets_a_partitioned_state_cookie(client, platform):
    lms = platform.issuer
    answer = client.post("/lti/login/", {"iss": lms, "login_hint": "x", "target_link_uri": "https://testserver/lti/launch/",
                                         "client_id": "syllabus-tool-1"}, secure=True)
    assert answer.status_code == 302
    state = [n for n in answer.cookies if n.startswith("lti1p3-")]
    assert state and _header(answer, state[0]).endswith("SameSite=None; Secure; Partitioned")


# --- OIDC login with LTI Client Side postMessages ---------------------------------------------

def _login(client, lms, spec=STUDENT, target="post_message_forwarding"):
    spec = {"target_link_uri": "http://testserver/lti/launch/", **spec}
    launch = lms.control("launch", spec)
    params = {"iss": launch["issuer"], "login_hint": spec["sub"], "target_link_uri": spec["target_link_uri"],
              "lti_message_hint": launch["id"], "client_id": launch["client_id"]}
    if target is not None:
        params["lti_storage_target"] = target
    return client.post("/lti/login/", params)


def _config(response):
    m = re.search(r'<script id="lti-storage" type="application/json">(.*?)</script>', response.content.decode(), re.S)
    assert m, response.content.decode()[:800]
    return json.loads(m.group(1))


def _platform_answer(lms, auth_url):
    """The platform's form post (id_token, state) for the tool's authentication request."""
    answer = lms.http.get(auth_url, timeout=10)
    assert answer.status_code == 200, answer.text
    return parse_form(answer.text)[1]


def test_a_login_with_lti_storage_target_stores_state_and_nonce_in_the_platform_frame_first(client, lms, platform):
    answer = _login(client, lms)
    assert answer.status_code == 200
    config = _config(answer)
    login = LoginState.objects.get()
    assert login.storage_target == "post_message_forwarding"
    assert config["mode"] == "put" and config["target"] == "post_message_forwarding"
    assert config["state"] == login.state and config["nonce"] == login.nonce
    # messages go to the origin of the platform's OIDC authorization URL, and nowhere else
    assert config["origin"] == "{0.scheme}://{0.netloc}".format(urlsplit(platform.auth_login_url))
    assert config["next"].startswith(platform.auth_login_url + "?") and f"state={login.state}" in config["next"]
    assert f"lti1p3-{login.state}" in answer.cookies            # the cookie is still set: it may well work
    text = answer.content.decode()
    assert '<script src="/static/lti/storage.js" defer></script>' in text
    policy = answer["Content-Security-Policy"]
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
    assert "frame-ancestors 'self' " + config["origin"] in policy
    assert answer["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize("target", ["a b", "x" * 65, "<script>"])
def test_a_malformed_lti_storage_target_is_refused(client, lms, platform, target):
    answer = _login(client, lms, target=target)
    assert answer.status_code == 400 and "LMS-1" in answer.content.decode() and "lti_storage_target" in answer.content.decode()
    assert not LoginState.objects.exists()


def _cookieless_launch(client, lms, **extra):
    login = _login(client, lms)
    fields = _platform_answer(lms, _config(login)["next"])
    client.cookies.clear()                    # the browser kept no cookie in the frame
    return fields, client.post("/lti/launch/", {**fields, **extra}, **({} if extra else {}))


def test_a_launch_without_the_state_cookie_reads_the_state_back_from_the_platform_frame(client, lms, platform, course):
    fields, answer = _cookieless_launch(client, lms)
    assert answer.status_code == 200
    config = _config(answer)
    login = LoginState.objects.get()
    assert config["mode"] == "get" and config["state"] == login.state and config["nonce"] == login.nonce
    assert config["origin"] == "{0.scheme}://{0.netloc}".format(urlsplit(platform.auth_login_url))
    opening = '<form method="post" action="/lti/launch/"'
    action, form = parse_form(opening + answer.content.decode().split(opening, 1)[1])
    assert action == "/lti/launch/" and form["id_token"] == fields["id_token"] and form["lti_storage"] == ""
    assert login.used_at is None and "_auth_user_id" not in client.session


def test_the_launch_confirmed_by_this_tool_page_signs_in_once_then_offers_the_new_window(client, lms, platform, course,
                                                                                        reading_list):
    fields, _page = _cookieless_launch(client, lms)
    answer = client.post("/lti/launch/", {**fields, "lti_storage": "verified"}, **SAME)
    assert answer.status_code == 200, answer.content[:500]
    assert answer["Referrer-Policy"] == "no-referrer"
    config = _config(answer)
    assert config["mode"] == "land" and config["next"] == f"/lists/{reading_list.pk}/"
    assert client.session["_auth_user_id"]
    kept = client.get(config["check"]).json()
    assert kept == {"kept": True}
    assert client.get("/lti/session/?probe=guess").json() == {"kept": False}
    # replayed: the same state again
    again = client.post("/lti/launch/", {**fields, "lti_storage": "verified"}, **SAME)
    assert again.status_code == 400 and "replayed launch" in again.content.decode()


def test_a_storage_confirmation_not_from_this_tool_page_or_a_failed_one_is_refused(client, lms, platform, course):
    fields, _page = _cookieless_launch(client, lms)
    forged = client.post("/lti/launch/", {**fields, "lti_storage": "verified"}, HTTP_SEC_FETCH_SITE="cross-site")
    assert forged.status_code == 400 and "did not come from this tool" in forged.content.decode()
    failed = client.post("/lti/launch/", {**fields, "lti_storage": "timeout"}, **SAME)
    text = failed.content.decode()
    assert failed.status_code == 400 and "LMS-1" in text and "storage frame did not confirm this launch" in text
    assert "(timeout)" in text
    assert LoginState.objects.get().used_at is None and "_auth_user_id" not in client.session


def test_without_storage_a_cookieless_launch_is_refused_and_told_about_the_new_window_option(client, lms, platform):
    login = _login(client, lms, target=None)
    assert login.status_code == 302
    fields = _platform_answer(lms, login["Location"])
    client.cookies.clear()
    answer = client.post("/lti/launch/", fields)
    text = answer.content.decode()
    assert answer.status_code == 400 and "state mismatch" in text and "open in a new window" in text


# --- "Open in a new window" --------------------------------------------------------------------

def _ticket(client, lms):
    fields, _page = _cookieless_launch(client, lms)
    answer = client.post("/lti/launch/", {**fields, "lti_storage": "verified"}, **SAME)
    _action, form = parse_form(answer.content.decode().split('id="lti-new-window"', 1)[1])
    assert 'target="_blank"' in answer.content.decode() and 'rel="noopener noreferrer"' in answer.content.decode()
    return form["ticket"], _config(answer)["next"]


def test_the_new_window_ticket_signs_the_launch_person_in_once(client, lms, platform, course, reading_list):
    from django.test import Client

    ticket, destination = _ticket(client, lms)
    assert ticket not in destination
    user_id = client.session["_auth_user_id"]
    window = Client()                                   # the top-level window: none of the frame's cookies
    assert window.get("/lti/continue/").status_code == 405   # never a link
    answer = window.post("/lti/continue/", {"ticket": ticket}, **SAME)
    assert answer.status_code == 302 and answer["Location"] == destination
    assert answer["Referrer-Policy"] == "no-referrer"
    assert window.session["_auth_user_id"] == user_id
    assert window.get(destination).status_code == 200
    again = Client().post("/lti/continue/", {"ticket": ticket}, **SAME)
    assert again.status_code == 400 and "already used" in again.content.decode()
    assert LaunchTicket.objects.get().used_at is not None
    assert LaunchTicket.objects.get().token_hash != ticket      # only its hash is stored


def test_the_new_window_ticket_expires_after_two_minutes_and_only_this_tool_page_may_post_it(client, lms, platform, course,
                                                                                               reading_list):
    from django.test import Client

    ticket, _destination = _ticket(client, lms)
    cross = Client().post("/lti/continue/", {"ticket": ticket}, HTTP_SEC_FETCH_SITE="cross-site")
    assert cross.status_code == 400 and "did not come from Syllabus" in cross.content.decode()
    clock.set_now(clock.now() + dt.timedelta(minutes=2, seconds=1))
    late = Client().post("/lti/continue/", {"ticket": ticket}, **SAME)
    assert late.status_code == 400 and "expired" in late.content.decode()
    assert "_auth_user_id" not in Client().session
    unknown = Client().post("/lti/continue/", {"ticket": "guess"}, **SAME)
    assert unknown.status_code == 400 and "not valid" in unknown.content.decode()

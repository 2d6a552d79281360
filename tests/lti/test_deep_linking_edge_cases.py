"""LMS-1, Deep Linking 2.0 edge cases against the IMS-spec test LMS (tests/lti/platform.py), which
checks the tool's LtiDeepLinkingResponse as §4.5 writes it: the request's ``data`` returned unchanged
(or absent when the request had none), ``accept_multiple``, ``accept_types``, the presentation
targets, the response JWT's claims.  Every case posts the tool's answer to the LMS as the browser
would and looks at what the LMS added."""
from __future__ import annotations

import jwt
import pytest
from jwt.algorithms import RSAAlgorithm

from syllabus.lti import services
from syllabus.lti.services import CLAIM, DL_CLAIM
from tests.lti.conftest import INSTRUCTOR, context, parse_form

pytestmark = pytest.mark.django_db

DLS = DL_CLAIM + "deep_linking_settings"


def _pick(client, launch, lms, post: dict, settings: dict | None = None):
    """An instructor's deep-linking launch (``settings``: fields of deep_linking_settings replaced,
    None removes one), the picker's answer to ``post``, and the LMS's answer to the form it returns."""
    r = launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(),
                "message_type": "LtiDeepLinkingRequest", "nrps": False,
                "tamper": {"set_in": {f"{DLS}/{k}": v for k, v in (settings or {}).items()}}})
    assert r.status_code == 302 and r["Location"] == "/lti/deep-link/", r.content[:500]
    answer = client.post("/lti/deep-link/", post)
    assert answer.status_code == 200, answer.content[:500]
    html = answer.content.decode()
    action, fields = parse_form(html[html.rindex("<form", 0, html.index('data-testid="dl-return"')):])
    assert action.startswith(lms.base + "/deep_link_return?request=")  # the return URL exactly as the LMS gave it
    back = lms.http.post(action, data={"JWT": fields["JWT"]}, timeout=10)
    return html, fields["JWT"], back


def test_the_requests_data_comes_back_unchanged_and_the_response_has_every_required_claim(client, launch, lms, course,
                                                                                          reading_list):
    html, token, back = _pick(client, launch, lms, {"target": f"list:{reading_list.pk}"})
    assert back.status_code == 200, back.text   # the LMS found its own data, unchanged (accents, + / = and all)
    added = lms.get("/control/deep_links").json()[-1]
    assert added["data"].startswith("req=") and "ÉCHO «unchanged» +/= " in added["data"]
    assert [i["title"] for i in added["items"]] == ["History readings"]
    # Deep Linking 2.0 §4.5 / Security Framework §5.2: signed with the tool's key named by kid; iss the
    # client id, aud the platform, iat, exp (ten minutes), nonce, deployment, type and version
    kid = jwt.get_unverified_header(token)["kid"]
    key = next(k for k in client.get("/lti/jwks/").json()["keys"] if k["kid"] == kid)
    claims = jwt.decode(token, RSAAlgorithm.from_jwk(key), algorithms=["RS256"], audience=lms.base)
    assert claims["iss"] == "syllabus-tool-1" and claims["nonce"] and claims["exp"] - claims["iat"] == 600
    assert claims[CLAIM + "deployment_id"] == "deployment-A"
    assert (claims[CLAIM + "message_type"], claims[CLAIM + "version"]) == ("LtiDeepLinkingResponse", "1.3.0")


def test_the_browser_may_send_the_answer_to_the_lms(client, launch, lms, course, reading_list):
    """Every page's Content-Security-Policy says ``form-action 'self'``: the answer's page adds the
    LMS's return URL origin, or the browser would refuse to post it and nothing would be added."""
    launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(),
            "message_type": "LtiDeepLinkingRequest", "nrps": False})
    picker = client.get("/lti/deep-link/")
    assert "form-action 'self';" in picker["Content-Security-Policy"]   # the picker posts to Syllabus only
    answer = client.post("/lti/deep-link/", {"target": f"list:{reading_list.pk}"})
    assert f"form-action 'self' {lms.base};" in answer["Content-Security-Policy"]


@pytest.mark.parametrize("url", ["javascript:alert(1)", "ftp://lms.example/return", "/relative/return"])
def test_a_return_url_that_is_no_web_address_is_refused_at_the_launch(client, launch, course, reading_list, url):
    r = launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(),
                "message_type": "LtiDeepLinkingRequest", "nrps": False,
                "tamper": {"set_in": {f"{DLS}/deep_link_return_url": url}}})
    assert r.status_code == 400 and b"LMS-1" in r.content and b"deep_link_return_url is not a web address" in r.content
    assert "lti_deep_link" not in client.session


def test_data_that_is_an_object_comes_back_as_the_same_object(client, launch, lms, course, reading_list):
    data = {"placement": "editor_button", "ids": [3, 1, 2], "nested": {"é": None, "n": 1.5}}
    _, token, back = _pick(client, launch, lms, {"target": f"section:{reading_list.week2.pk}"}, {"data": data})
    assert back.status_code == 200, back.text
    assert lms.get("/control/deep_links").json()[-1]["data"] == data


def test_a_request_without_data_gets_a_response_without_data(client, launch, lms, course, reading_list):
    # pylti1p3 alone answered "data": null — not the opaque string the specification names
    _, token, back = _pick(client, launch, lms, {"target": f"list:{reading_list.pk}"}, {"data": None})
    assert back.status_code == 200, back.text
    assert DL_CLAIM + "data" not in jwt.decode(token, options={"verify_signature": False})
    assert lms.get("/control/deep_links").json()[-1]["data"] == "(absent)"


@pytest.mark.parametrize("dl_settings", [
    {"accept_presentation_document_targets": None},   # required, but some platforms leave it out (pylti1p3 refused it)
    {"accept_types": None},                           # required too; taken as accepting LTI links (pylti1p3 refused it)
    {"accept_multiple": None},                        # optional: one item is always right
    {"accept_multiple": True},
    {"accept_types": ["link", "ltiResourceLink", "html"], "accept_presentation_document_targets": ["window"]},
], ids=["no-presentation-targets", "no-accept-types", "no-accept-multiple", "accept-multiple", "window-only"])
def test_placements_the_specification_allows_all_get_one_lti_link(client, launch, lms, course, reading_list, dl_settings):
    _, token, back = _pick(client, launch, lms, {"target": f"section:{reading_list.week2.pk}"}, dl_settings)
    assert back.status_code == 200, back.text
    items = lms.get("/control/deep_links").json()[-1]["items"]
    assert len(items) == 1 and items[0]["type"] == "ltiResourceLink"
    assert items[0]["custom"] == {"syllabus_target": f"section:{reading_list.week2.pk}"}


def test_add_nothing_answers_an_empty_response_and_the_lms_adds_nothing(client, launch, lms, course, reading_list):
    r = launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(),
                "message_type": "LtiDeepLinkingRequest", "nrps": False})
    picker_page = client.get(r["Location"]).content.decode()
    assert 'data-testid="dl-nothing"' in picker_page and "Add nothing and go back to the LMS" in picker_page
    answer = client.post("/lti/deep-link/", {"nothing": "1"})
    html = answer.content.decode()
    assert "Nothing will be added to your LMS course." in html and "Back to the LMS" in html
    action, fields = parse_form(html[html.rindex("<form", 0, html.index('data-testid="dl-return"')):])
    back = lms.http.post(action, data={"JWT": fields["JWT"]}, timeout=10)
    assert back.status_code == 200 and "Nothing was added" in back.text
    assert lms.get("/control/deep_links").json()[-1]["items"] == []
    assert client.get("/lti/deep-link/").status_code == 404   # answered once: the picker is closed


def test_a_long_title_is_cut_to_what_lmss_keep(client, launch, lms, course, reading_list, instructor):
    from syllabus.lists import services as lists
    long = lists.add_section(instructor, reading_list, title="S" * 200)
    lists.update_list(instructor, reading_list, title="H" * 300)
    _, _, back = _pick(client, launch, lms, {"target": f"section:{long.pk}"})
    assert back.status_code == 200, back.text
    title = lms.get("/control/deep_links").json()[-1]["items"][0]["title"]
    assert title.startswith("HHH") and len(title) == 250   # Moodle and Canvas keep 255


def test_the_test_lms_refuses_answers_the_specification_forbids(client, launch, lms, course, reading_list, platform):
    """The test LMS is as strict as §4.5: altered data, two items for accept_multiple false, an item
    type it did not ask for — so that the tool's conformance above means something."""
    from pylti1p3.deep_link_resource import DeepLinkResource

    def request():
        launch({"sub": "lms-teacher-1", "sourcedid": "instructor", "roles": [INSTRUCTOR], "context": context(),
                "message_type": "LtiDeepLinkingRequest", "nrps": False})
        return client.session["lti_deep_link"]["settings"]

    link = DeepLinkResource().set_title("x").set_url("http://testserver/lti/launch/")
    for settings, items, refusal in [
        (lambda s: {**s, "data": s["data"] + "!"}, [link], "data not returned unchanged"),
        (lambda s: s, [link, link], "2 items, but accept_multiple is false"),
        (lambda s: s, [DeepLinkResource().set_type("html").set_title("x")], "item type 'html' not in accept_types"),
    ]:
        sent = request()
        token = services.deep_link_response(platform, "deployment-A", settings(sent), items)
        back = lms.http.post(sent["deep_link_return_url"], data={"JWT": token}, timeout=10)
        assert back.status_code == 400 and refusal in back.text, back.text

"""The LTI tests' platform: tests/lti/platform.py run as a separate process (the IMS-spec LMS),
and helpers that walk the real flow — login initiation at the tool, the platform's
authentication answer, the form POST of the id_token to the tool."""
from __future__ import annotations

import os
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest
import requests

from syllabus.lists import services as lists

ROOT = Path(__file__).resolve().parents[2]
LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
INSTRUCTOR = "http://purl.imsglobal.org/vocab/lis/v2/membership#Instructor"
TA = "http://purl.imsglobal.org/vocab/lis/v2/membership/Instructor#TeachingAssistant"
ADMIN = "http://purl.imsglobal.org/vocab/lis/v2/institution/person#Administrator"


class Lms:
    def __init__(self, base: str):
        self.base = base
        self.http = requests.Session()

    def control(self, what: str, body: dict) -> dict:
        r = self.http.post(f"{self.base}/control/{what}", json=body, timeout=10)
        r.raise_for_status()
        return r.json()

    def get(self, path: str):
        return self.http.get(self.base + path, timeout=10)


def start_platform(host: str = "127.0.0.1", module: str = "tests.lti.platform"):
    """Start tests/lti/platform.py (or ``module``: tests/lti/registration_platform.py) as its own process; returns (process, Lms)."""
    proc = subprocess.Popen([sys.executable, "-m", module, "--port", "0", "--public-host", host], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ, "PYTHONPATH": str(ROOT)})
    line = proc.stdout.readline()
    if not line.startswith("PORT "):
        proc.kill()
        pytest.fail(f"the test platform did not start: {line!r}")
    return proc, Lms(f"http://{host}:{int(line.split()[1])}")


@pytest.fixture(scope="session")
def lms():
    """The platform process, started once for the session and stopped at the end."""
    proc, platform = start_platform()
    yield platform
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture
def framing_lms():
    """The platform on "localhost" like the live server: same site, as an LMS and its tools on one
    domain would be (the browser tests that embed Syllabus in the LMS's course page)."""
    proc, platform = start_platform("localhost")
    yield platform
    proc.terminate()
    proc.wait(timeout=10)


class _Form(HTMLParser):
    def __init__(self):
        super().__init__()
        self.action, self.fields = None, {}

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "form" and self.action is None:
            self.action = a.get("action")
        if tag == "input" and a.get("name"):
            self.fields[a["name"]] = a.get("value", "")


def parse_form(html: str) -> tuple[str, dict]:
    f = _Form()
    f.feed(html)
    return f.action, f.fields


@pytest.fixture
def platform(lms, inst_a, client):
    """The test LMS registered for institution A (course match by label), and the tool
    registered in the LMS (its redirect URI and its public keys)."""
    from syllabus.lti import services

    p = services.register_platform(None, inst_a, issuer=lms.base, client_id="syllabus-tool-1", deployment_ids=["deployment-A"],
                                   auth_login_url=lms.base + "/auth", auth_token_url=lms.base + "/token",
                                   keyset_url=lms.base + "/jwks", name="Test LMS")
    lms.control("tool", {"redirect_uris": ["http://testserver/lti/launch/"], "jwks": client.get("/lti/jwks/").json()})
    return p


class Launcher:
    """Drives one launch through the tool (Django test client) and the platform (HTTP)."""

    def __init__(self, client, lms):
        self.client, self.lms = client, lms
        self.last = None

    def start(self, spec: dict, *, target="http://testserver/lti/launch/"):
        spec = {"target_link_uri": target, **spec}
        launch = self.lms.control("launch", spec)
        login = self.client.post("/lti/login/", {"iss": launch["issuer"], "login_hint": spec["sub"], "target_link_uri": target,
                                                 "lti_message_hint": launch["id"], "client_id": launch["client_id"],
                                                 "lti_deployment_id": launch["deployment_id"]})
        return login

    def authenticate(self, login_response):
        assert login_response.status_code == 302, login_response.content[:500]
        answer = self.lms.http.get(login_response["Location"], timeout=10)
        assert answer.status_code == 200, answer.text
        action, fields = parse_form(answer.text)
        return action, fields

    def __call__(self, spec: dict, **kw):
        action, fields = self.authenticate(self.start(spec, **kw))
        self.last = (action, fields)
        return self.client.post(urlsplit(action).path, fields)


@pytest.fixture
def launch(client, lms, platform):
    return Launcher(client, lms)


@pytest.fixture
def reading_list(course, instructor):
    """A published list of the course with two sections; ``.week2`` is the second (deep-linking targets)."""
    lst = lists.create_list(instructor, title="History readings", courses=[course])
    lists.add_section(instructor, lst, title="Week 1")
    week2 = lists.add_section(instructor, lst, title="Week 2")
    lists.add_citation(instructor, lst, week2, "book", {"title": "The Making of the English Working Class"})
    lists.publish_list(instructor, lst)
    lst.week2 = week2
    return lst


def context(cid="ctx-hist", label="HIST101", title="Modern History"):
    return {"id": cid, "label": label, "title": title, "type": ["http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"]}


def login_url(base: str, launch: dict, sub: str, target: str) -> str:
    return base + "?" + urlencode({"iss": launch["issuer"], "login_hint": sub, "target_link_uri": target,
                                   "lti_message_hint": launch["id"], "client_id": launch["client_id"]})


@pytest.fixture(autouse=True)
def _local_test_servers(settings):
    """The fake servers of these tests run on 127.0.0.1: the platform operator's allowance of
    syllabus.core.outbound (SSRF), as an intranet deployment would set it."""
    settings.OUTBOUND_PRIVATE_HOSTS = ["127.0.0.1", "localhost"]


def framed_launch(lms, tool: str, inst_a, course, instructor, spec: dict) -> tuple:
    """For the browser tests: the LMS registered for institution A, the tool (at ``tool``, its
    base URL) registered in the LMS, a published list of the course, and a student's launch
    (``spec``) waiting in the LMS.  Returns (list, launch id)."""
    from syllabus.lti import services

    services.register_platform(None, inst_a, issuer=lms.base, client_id="syllabus-tool-1", deployment_ids=["deployment-A"],
                               auth_login_url=lms.base + "/auth", auth_token_url=lms.base + "/token",
                               keyset_url=lms.base + "/jwks")
    lst = lists.create_list(instructor, title="History readings", courses=[course])
    week = lists.add_section(instructor, lst, title="Week 1")
    lists.add_citation(instructor, lst, week, "book", {"title": "The Age of Revolution", "author": [{"family": "Hobsbawm"}]})
    lists.publish_list(instructor, lst)
    launch_url = tool + "/lti/launch/"
    lms.control("tool", {"redirect_uris": [launch_url], "jwks": lms.http.get(tool + "/lti/jwks/").json()})
    spec = {"roles": [LEARNER], "context": context(), "nrps": False, "target_link_uri": launch_url,
            "login_url": tool + "/lti/login/", **spec}
    return lst, lms.control("launch", spec)["id"]

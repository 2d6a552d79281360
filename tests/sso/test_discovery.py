"""LMS-3: choosing one of many identity providers on the sign-in page.  An institution (or a
consortium's deployment) with several SAML IdPs taken from one federation aggregate gets a
searchable list named from the IdPs' ``<mdui:UIInfo>`` (the reader's language, with fallback), the
IdP chosen last in this browser first (a cookie), bounded in size and query length; and the SAML
IdP Discovery Protocol's return (``?entityID=``) so that an external discovery service
(SeamlessAccess, a WAYF) can choose instead.  The aggregate is signed by the real xmlsec1."""
from __future__ import annotations

import html
import re
from urllib.parse import parse_qs, urlsplit

import pytest

from syllabus.sso import saml, selectors, services
from syllabus.sso.models import ServiceProvider

from .test_saml_aggregate import _aggregate, _idp, _signed, in_days

NAMES = [("riverside", "Riverside University", "Université de Riverside", "https://idp.riverside.example/logo-16.png"),
         ("lakeside", "Lakeside College", None, "http://idp.lakeside.example/logo.png"),
         ("hill", "Hill Institute of Technology", None, None),
         ("northfield", "Northfield University", "Université de Northfield", None),
         ("southbank", "Southbank School of Art", None, None),
         ("eastgate", "Eastgate Medical School", None, None),
         ("westmoor", "Westmoor Polytechnic", None, None)]


def entity_id(key: str) -> str:
    return f"https://idp.{key}.example/idp/shibboleth"


def _with_ui(xml: str, en: str, fr: str | None, logo: str | None) -> str:
    ui = (f'<mdui:UIInfo><mdui:DisplayName xml:lang="en">{en}</mdui:DisplayName>'
          + (f'<mdui:DisplayName xml:lang="fr">{fr}</mdui:DisplayName>' if fr else "")
          + (f'<mdui:Logo height="16" width="16">{logo}</mdui:Logo>' if logo else "") + "</mdui:UIInfo>")
    return xml.replace('protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">',
                       f'protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"><md:Extensions>{ui}</md:Extensions>', 1)


def federation(tmp_path, keys, names=NAMES):
    entities = [_with_ui(_idp(entity_id(key), keys["idp"][1]), en, fr, logo) for key, en, fr, logo in names]
    xml = _aggregate(entities, valid_until=in_days(14)).replace(
        'xmlns:ds=', 'xmlns:mdui="urn:oasis:names:tc:SAML:metadata:ui" xmlns:ds=', 1)
    return _signed(tmp_path / "federation.xml", xml, keys["federation"])


@pytest.fixture
def many_idps(inst_a, tmp_path, keys):
    """Seven IdPs of one signed aggregate, each its own provider of Institution A (more than
    DISCOVERY_FROM: the sign-in page lists them instead of showing buttons)."""
    path = federation(tmp_path, keys)
    cert = open(keys["federation"][1]).read()
    providers = []
    for key, en, _fr, _logo in NAMES:
        xml, _url = saml.read_metadata(str(path), entity_id=entity_id(key), signing_cert=cert)
        providers.append(services.add_saml_provider(inst_a, name=f"{en} login", slug=key, metadata_xml=xml,
                                                    metadata_signing_cert=cert))
    assert len(providers) >= selectors.DISCOVERY_FROM
    return providers


def _listed(response) -> list[str]:
    block = response.content.decode().split('id="sso-idp-list"', 1)[1].split("</ul>", 1)[0]
    return [html.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in re.findall(r"<li[^>]*>(.*?)</li>", block, re.S)]


def test_lms3_many_idps_are_a_list_named_from_their_mdui_display_names(client, many_idps):
    response = client.get("/login/?institution=inst-a")
    assert response.status_code == 200 and b'data-testid="sso-discovery"' in response.content
    assert _listed(response) == sorted(en for _key, en, _fr, _logo in NAMES)   # by name, as the reader reads them
    page = response.content.decode()
    assert 'src="https://idp.riverside.example/logo-16.png"' in page   # an https logo is shown
    assert "http://idp.lakeside.example/logo.png" not in page           # a plain-http one is not
    assert "7 organisations found." in html.unescape(page)
    assert 'href="/sso/inst-a/riverside/login/"' in page


def test_lms3_display_names_follow_the_readers_language_with_fallback(client, many_idps):
    response = client.get("/login/?institution=inst-a", HTTP_ACCEPT_LANGUAGE="fr")
    listed = _listed(response)
    assert "Université de Riverside" in listed and "Université de Northfield" in listed
    assert "Lakeside College" in listed    # no French name: the English one
    assert listed == sorted(listed, key=str.casefold)


def test_lms3_the_search_filters_on_the_server_without_script(client, many_idps):
    response = client.get("/login/?institution=inst-a&idp_q=UNIVERSITY+north")
    assert _listed(response) == ["Northfield University"]
    assert "1 organisation found." in html.unescape(response.content.decode())
    assert _listed(client.get("/login/?institution=inst-a&idp_q=idp.eastgate")) == ["Eastgate Medical School"]  # entity ID
    assert _listed(client.get("/login/?institution=inst-a&idp_q=nowhere")) == []


def test_lms3_the_list_and_the_query_are_bounded(client, many_idps, monkeypatch):
    monkeypatch.setattr(selectors, "DISCOVERY_LIST_MAX", 3)
    response = client.get("/login/?institution=inst-a")
    page = html.unescape(response.content.decode())
    assert len(_listed(response)) == 3 and "7 organisations found. The first 3 are listed" in page
    response = client.get("/login/?institution=inst-a&idp_q=" + "a" * 150)
    page = html.unescape(response.content.decode())
    assert response.status_code == 200 and "LMS-3: a search reads at most 100 characters" in page
    search = re.search(r'<input type="search" id="sso-idp-q"[^>]*>', response.content.decode()).group(0)
    assert 'value="' + "a" * 100 + '"' in search and 'maxlength="100"' in search


def test_lms3_the_idp_chosen_last_is_remembered_in_a_cookie(client, many_idps):
    response = client.get("/sso/inst-a/northfield/login/")
    assert response.status_code == 302 and response["Location"].startswith("https://idp.northfield.example/")
    cookie = response.cookies[selectors.LAST_IDP_COOKIE]
    assert cookie.value == "inst-a/northfield" and cookie["httponly"] and cookie["samesite"] == "Lax"
    page = client.get("/login/?institution=inst-a").content.decode()
    last = page.split('data-testid="sso-last"', 1)[1].split("</p>", 1)[0]
    assert "Northfield University" in last and 'href="/sso/inst-a/northfield/login/"' in last
    client.cookies[selectors.LAST_IDP_COOKIE] = "inst-a/<script>"   # not a provider key: ignored
    assert 'data-testid="sso-last"' not in client.get("/login/?institution=inst-a").content.decode()


def test_lms3_few_providers_stay_buttons(client, inst_a, tmp_path, keys):
    path = federation(tmp_path, keys, NAMES[:2])
    for key, en, _fr, _logo in NAMES[:2]:
        xml, _url = saml.read_metadata(str(path), entity_id=entity_id(key))
        services.add_saml_provider(inst_a, name=f"{en} login", slug=key, metadata_xml=xml)
    page = client.get("/login/?institution=inst-a").content.decode()
    assert 'data-testid="sso-discovery"' not in page and ">Riverside University login</a>" in page


def test_lms3_an_external_discovery_service_answers_with_the_idp_discovery_protocol(client, many_idps):
    ServiceProvider.objects.filter(institution__code="inst-a").update(discovery_url="https://service.seamlessaccess.org/ds/")
    page = client.get("/login/?institution=inst-a").content.decode()
    assert 'href="/sso/inst-a/saml/discovery/start/"' in page
    response = client.get("/sso/inst-a/saml/discovery/start/?next=/courses/")
    assert response.status_code == 302
    went = urlsplit(response["Location"])
    assert (went.scheme, went.netloc, went.path) == ("https", "service.seamlessaccess.org", "/ds/")
    asked = parse_qs(went.query)
    assert asked["entityID"] == ["http://testserver/sso/inst-a/saml/metadata/"] and asked["returnIDParam"] == ["entityID"]
    back = asked["return"][0]
    assert back == "http://testserver/sso/inst-a/saml/discovery/?next=%2Fcourses%2F"
    # the SP metadata publishes that return address (idpdisc:DiscoveryResponse), which discovery services check
    metadata = client.get("/sso/inst-a/saml/metadata/").content.decode()
    assert 'DiscoveryResponse' in metadata and 'Location="http://testserver/sso/inst-a/saml/discovery/"' in metadata

    # the service appends the chosen IdP (§2.4.2): the sign-in starts there, keeping where to go after
    response = client.get(urlsplit(back).path + "?" + urlsplit(back).query + "&entityID=" + entity_id("hill"))
    assert response.status_code == 302 and response["Location"] == "/sso/inst-a/hill/login/?next=%2Fcourses%2F"
    # none chosen: back to the sign-in page
    response = client.get("/sso/inst-a/saml/discovery/?next=/courses/")
    assert response.status_code == 302 and response["Location"] == "/login/?institution=inst-a"
    # an IdP that is not the institution's is refused naming it
    response = client.get("/sso/inst-a/saml/discovery/?entityID=https://idp.elsewhere.example/idp")
    body = html.unescape(re.sub(r"<[^>]+>", "", response.content.decode()))
    assert response.status_code == 400 and "LMS-3: the discovery service chose the identity provider " \
        "'https://idp.elsewhere.example/idp', which is not one of Institution A's" in body
    response = client.get("/sso/inst-a/saml/discovery/?entityID=" + "x" * 600)
    assert response.status_code == 400 and "longer than 500 characters" in response.content.decode()
    # an outside address as "next" is not followed (a safe target on this site only)
    response = client.get("/sso/inst-a/saml/discovery/?next=https://evil.example/&entityID=" + entity_id("hill"))
    assert response["Location"] == "/sso/inst-a/hill/login/?next=%2F"


def test_lms3_without_a_discovery_service_its_start_is_not_found(client, many_idps):
    assert client.get("/sso/inst-a/saml/discovery/start/").status_code == 404

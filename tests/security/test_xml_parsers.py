"""Attack class: XML entity expansion (billion laughs), external entities (XXE) and external DTDs
in every XML the product reads — MARCXML imports (DSV-1), ISO 18626 messages and confirmations
(CON-2), SAML IdP metadata and SAML responses (LMS-3).  Each is read with defusedxml or with the
hardened lxml parser (no entities resolved, no network, no huge trees): the hostile document is
refused with the rule's message, the file named by an entity is never read into a record, and
nothing expands."""
import re
from pathlib import Path

import pytest

import syllabus
from syllabus.core.errors import RuleViolation

pytestmark = pytest.mark.django_db

MARC_NS = "http://www.loc.gov/MARC21/slim"


def _laughs(depth: int = 9) -> str:
    lines = ['<!ENTITY lol0 "lol">'] + [f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10}">' for n in range(1, depth + 1)]
    return f"<!DOCTYPE x [{''.join(lines)}]>", f"&lol{depth};"


@pytest.fixture
def secret(tmp_path):
    path = tmp_path / "secret.txt"
    path.write_text("TOP-SECRET-42")
    dtd = tmp_path / "evil.dtd"
    dtd.write_text('<!ENTITY leak "TOP-SECRET-42">')
    return path, dtd


def _marcxml(doctype: str, title: str) -> bytes:
    return (f'<?xml version="1.0"?>{doctype}<collection xmlns="{MARC_NS}"><record><leader>00000nam a2200000 a 4500</leader>'
            f'<controlfield tag="001">x1</controlfield><datafield tag="245" ind1="0" ind2="0"><subfield code="a">'
            f"Title {title}</subfield></datafield></record></collection>").encode()


def _hostile(secret) -> dict[str, tuple[str, str]]:
    path, dtd = secret
    doctype, ref = _laughs()
    return {"billion laughs": (doctype, ref),
            "external entity (XXE)": (f'<!DOCTYPE x [<!ENTITY leak SYSTEM "{path.as_uri()}">]>', "&leak;"),
            "external DTD": (f'<!DOCTYPE collection SYSTEM "{dtd.as_uri()}">', "&leak;")}


@pytest.mark.parametrize("attack", ["billion laughs", "external entity (XXE)", "external DTD"])
def test_marcxml_import_refuses_entities_and_never_reads_what_they_name(library_a, secret, attack):
    from syllabus.catalog.marc import import_marc
    from syllabus.catalog.models import Record

    doctype, ref = _hostile(secret)[attack]
    report = import_marc(_marcxml(doctype, ref), library_a, fmt="xml")
    assert not Record.objects.filter(title__contains="SECRET").exists()
    assert not Record.objects.filter(title__contains="lollol").exists()
    if attack != "external DTD":   # an external DTD is simply not fetched; its entity stays undefined
        assert report.created == 0 and "entity" in report.stopped, report.summary()


def test_plain_marcxml_still_loads(library_a):
    from syllabus.catalog.marc import import_marc

    report = import_marc(_marcxml("", "plain"), library_a, fmt="xml")
    assert report.created == 1 and not report.stopped, report.summary()


@pytest.mark.parametrize("attack", ["billion laughs", "external entity (XXE)", "external DTD"])
def test_iso18626_messages_and_confirmations_refuse_entities(secret, attack):
    from syllabus.consortium import iso18626
    from syllabus.consortium.services import _confirmed

    doctype, ref = _hostile(secret)[attack]
    message = (f'<?xml version="1.0"?>{doctype}<ISO18626Message xmlns="{iso18626.NS}" ns1:version="1.2" '
               f'xmlns:ns1="{iso18626.NS}"><requestConfirmation><confirmationHeader><messageStatus>ERROR</messageStatus>'
               f"</confirmationHeader><errorData><errorType>BadlyFormedMessage</errorType><errorValue>{ref}</errorValue>"
               "</errorData></requestConfirmation></ISO18626Message>").encode()
    with pytest.raises(RuleViolation) as refused:
        iso18626.parse(message)
    assert refused.value.rule == "CON-2" and "SECRET" not in str(refused.value)
    with pytest.raises(RuleViolation) as refused:
        _confirmed(message)
    assert refused.value.rule == "CON-2" and "SECRET" not in str(refused.value) and "lollol" not in str(refused.value)


@pytest.mark.parametrize("attack", ["billion laughs", "external entity (XXE)", "external DTD"])
def test_saml_metadata_and_responses_refuse_entities(secret, attack):
    from syllabus.sso import saml

    doctype, ref = _hostile(secret)[attack]
    metadata = (f'<?xml version="1.0"?>{doctype}<md:EntityDescriptor xmlns:md="{saml.MD_NS}" entityID="https://idp/{ref}">'
                "</md:EntityDescriptor>")
    with pytest.raises(RuleViolation, match="not valid XML"):   # SAML has no DTD: any DOCTYPE is refused
        saml.idp_entity_id(metadata)
    with pytest.raises(RuleViolation, match="not valid XML"):   # an aggregate, read by the streaming parser
        saml.select_idp(metadata.replace("<md:EntityDescriptor", f'<md:EntitiesDescriptor xmlns:md="{saml.MD_NS}">'
                                         "<md:EntityDescriptor") + "</md:EntitiesDescriptor>")
    response = (f'<?xml version="1.0"?>{doctype}<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
                'xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" InResponseTo="x">'
                f"<saml:Issuer>{ref}</saml:Issuer><saml:Assertion/></samlp:Response>").encode()
    with pytest.raises(RuleViolation, match="not valid XML"):
        saml._preflight(response)


PARSE = re.compile(r"\b(?:etree\.(?:fromstring|parse|XML|iterparse)|xml\.sax\.(?:make_parser|parse|parseString)|"
                   r"minidom\.parse\w*|pymarc\.parse_xml|ElementTree\.(?:fromstring|parse))\(")


def test_every_xml_parse_uses_defusedxml_or_the_hardened_parser():
    """The sibling guard: an lxml parse passes ``_parser()`` (through ``iso18626.read``) (or reads our own bundled schema); nothing
    parses XML with the standard library or pymarc's default SAX parser."""
    root = Path(syllabus.__file__).parent
    offenders = []
    for path in root.rglob("*.py"):
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if PARSE.search(line) and "SafeET." not in line and "_parser()" not in line and "SCHEMA_PATH" not in line:
                offenders.append(f"{path.relative_to(root)}:{n}: {line.strip()}")
    assert not offenders, "XML parsed without defusedxml or iso18626._parser():\n" + "\n".join(offenders)


def test_the_iso18626_endpoint_answers_a_hostile_message_with_a_clear_refusal(client, librarian, secret):
    """Before: an external DTD or entity reached the schema validator, whose "internal error" was a 500."""
    from syllabus.consortium import iso18626

    client.force_login(librarian)
    for attack, (doctype, ref) in _hostile(secret).items():
        body = (f'<?xml version="1.0"?>{doctype}<ISO18626Message xmlns="{iso18626.NS}" ns1:version="1.2" '
                f'xmlns:ns1="{iso18626.NS}"><request>{ref}</request></ISO18626Message>')
        r = client.post("/api/v1/iso18626", body, content_type="application/xml")
        assert 400 <= r.status_code < 500 and b"CON-2" in r.content and b"SECRET" not in r.content, (attack, r.content[:300])

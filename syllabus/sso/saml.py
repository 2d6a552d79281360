"""SAML 2.0 service provider (LMS-3) on pysaml2 and Debian's xmlsec1.

One SP per institution: its entity ID is its metadata address (``/sso/<code>/saml/metadata/``),
with an assertion consumer (HTTP-POST) and a single-logout service (HTTP-Redirect and POST).
Requests are signed; assertions must be signed by the IdP's key from its metadata (encrypted
ones are accepted and decrypted with the SP key).  Beyond what pysaml2 checks, this module
closes its gaps:

- the ``Recipient`` of the bearer confirmation must be our assertion consumer (pysaml2 only
  checks it when given the conversation info, which djangosaml2 never passes — we pass it, and
  compare the address ourselves too);
- ``InResponseTo`` must name a request this browser session started (kept in the session,
  used once), on the response and on the subject confirmation;
- exactly one assertion, whose issuer is the provider the sign-in was started with;
- the audience is our entity ID; NotBefore/NotOnOrAfter are checked against
  :mod:`syllabus.core.clock` as well as by pysaml2 against the system time;
- the assertion ID is recorded (``UsedAssertion``) in the sign-in's transaction: a replayed
  response is refused (see :func:`syllabus.sso.services.record_assertion`).
"""
from __future__ import annotations

import base64
import datetime as dt
import io
import logging
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.http import HttpResponseRedirect
from django.shortcuts import resolve_url

from syllabus.core import clock
from syllabus.core.errors import RuleViolation
from syllabus.org.models import Institution

from . import selectors, services
from .models import IdentityProvider, Kind, SignIn

logger = logging.getLogger(__name__)
RULE = "LMS-3"
SESSION_KEY = "sso_saml_requests"
REQUESTS_KEPT = 5
REQUEST_MAX_AGE = 15 * 60        # seconds between our AuthnRequest and the IdP's answer
CLOCK_SKEW = 90                  # seconds of skew tolerated on NotBefore / NotOnOrAfter
MESSAGE_MAX = 1_000_000          # characters of a base64 SAML message we read
METADATA_MAX = 5_000_000         # characters of IdP metadata we keep
XMLSEC1 = os.environ.get("XMLSEC1_PATH") or shutil.which("xmlsec1") or "/usr/bin/xmlsec1"

MD_NS = "urn:oasis:names:tc:SAML:2.0:metadata"


# --- xmlsec1 follows no reference out of the document (SSRF, session 19) -----------------------

SIGNATURE_AND_ENCRYPTION_NS = frozenset({"http://www.w3.org/2000/09/xmldsig#", "http://www.w3.org/2001/04/xmlenc#",
                                         "http://www.w3.org/2009/xmldsig11#", "http://www.w3.org/2009/xmlenc11#"})
_CONTAINMENT = {   # xmlsec1 action -> its own options keeping it in the document (where this xmlsec1 has them)
    "--decrypt": ["--enabled-cipher-reference-uris", "empty,same-doc"],
    "--verify": [],   # pysaml2 passes --enabled-reference-uris empty,same-doc itself
}


def outside_reference(path: str) -> str | None:
    """The first URI of an XML-Signature or XML-Encryption element of the file at ``path`` that
    points out of the document (anything but ``""`` and ``#…``), else None.  A streaming read
    (a federation's aggregate is large); nothing fetched, no entity resolved."""
    from lxml import etree

    try:
        for event, element in etree.iterparse(path, events=("start", "end"), **_parser()):
            if event == "end":   # read: drop it and its finished elder siblings (an aggregate is ~10^6 elements)
                element.clear(keep_tail=False)
                parent = element.getparent()
                while parent is not None and element.getprevious() is not None:
                    del parent[0]
                continue
            uri = element.get("URI")
            if (uri is not None and uri != "" and not uri.startswith("#") and isinstance(element.tag, str)
                    and etree.QName(element).namespace in SIGNATURE_AND_ENCRYPTION_NS):
                return uri
    except etree.XMLSyntaxError:
        return None   # xmlsec1 refuses it itself
    return None


def contain_xmlsec1():
    """Make every xmlsec1 run of pysaml2 stay inside the document it is given, and return the
    back-end class.

    xmlsec1 fetches, by default, any URI an XML-Encryption or XML-Signature element names: an
    ``<xenc:CipherReference URI="http://169.254.169.254/…">`` in an encrypted assertion, or a
    ``<ds:RetrievalMethod>`` in its key information — and pysaml2 decrypts an assertion *before*
    any signature is checked, so anybody who posts to the assertion consumer made the server
    fetch an address of their choice (or read a ``file:`` path) outside
    :mod:`syllabus.core.outbound`'s checks.  pysaml2 restricts only the signature's
    ``<ds:Reference>`` (verify), and Debian's xmlsec1 1.2 does not take its documented
    ``--enabled-retrieval-uris`` option.  So before xmlsec1 decrypts or verifies a document, the
    document is read and refused when one of its signature or encryption elements points
    elsewhere (:func:`outside_reference`); decryption also runs with
    ``--enabled-cipher-reference-uris empty,same-doc``.  Every pysaml2 back end is made through
    the module's ``CryptoBackendXmlSec1`` name (``security_context``), so the subclass put there
    covers the client, its metadata store and the metadata signature check alike.  Idempotent."""
    from saml2 import sigver

    current = sigver.CryptoBackendXmlSec1
    if getattr(current, "contained", False):
        return current

    class ContainedXmlSec1(current):
        contained = True

        def _run_xmlsec(self, com_list, extra_args):
            action = com_list[1] if len(com_list) > 1 else ""
            if action in _CONTAINMENT:
                for path in extra_args:
                    uri = outside_reference(path)
                    if uri is not None:
                        logger.warning("SAML: xmlsec1 %s refused: a reference out of the document (%.200s)", action, uri)
                        raise sigver.XmlsecError(f"{RULE}: a signature or encryption element refers out of the "
                                                 f"document ({uri[:200]}): refused, nothing fetched")
                com_list = [*com_list[:2], *_CONTAINMENT[action], *com_list[2:]]
            return super()._run_xmlsec(com_list, extra_args)

    sigver.CryptoBackendXmlSec1 = ContainedXmlSec1
    return ContainedXmlSec1

# --- IdP metadata ------------------------------------------------------------------------------

AGGREGATE_MAX = 100_000_000     # bytes of a metadata document we read: a federation's aggregate (InCommon's
                                # is about 60 MB, eduGAIN's about 80 MB) is read to a temporary file, its
                                # signature checked by xmlsec1 and the one IdP taken out by a streaming parse
AGGREGATE_DEADLINE = 300.0      # seconds to read it from its URL
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
SIGNATURE_TRANSFORMS = {"http://www.w3.org/2000/09/xmldsig#enveloped-signature",
                        "http://www.w3.org/2001/10/xml-exc-c14n#", "http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
                        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315",
                        "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"}


def read_metadata(source: str, entity_id: str = "", signing_cert: str = "") -> tuple[str, str]:
    """``source`` is a URL or a file holding one IdP's metadata or a federation's aggregate
    (EntitiesDescriptor): returns ``(xml, url)``, ``xml`` the EntityDescriptor of the IdP
    ``entity_id`` (the only IdP when not given).  With ``signing_cert`` (PEM) the document's
    signature must verify against it before anything in it is read (LMS-3)."""
    import requests

    from syllabus.core import outbound

    with tempfile.TemporaryFile() as spool:
        if source.startswith(("https://", "http://")):
            try:
                response = outbound.session(rule=RULE, field="metadata_url", max_bytes=AGGREGATE_MAX,
                                            deadline=AGGREGATE_DEADLINE).get(
                    source, timeout=20, stream=True,   # an MDQ service answers the SAML metadata media type
                    headers={"Accept": "application/samlmetadata+xml, application/xml;q=0.9, */*;q=0.1"})
                response.raise_for_status()
                size = 0
                try:
                    for chunk in response.iter_content(1 << 20):
                        size += len(chunk)
                        if size > AGGREGATE_MAX:
                            raise RuleViolation(RULE, f"the metadata at {source} is larger than {AGGREGATE_MAX:,} bytes")
                        spool.write(chunk)
                finally:
                    response.close()
            except requests.RequestException as exc:
                raise RuleViolation(RULE, f"the metadata at {source} could not be read ({exc.__class__.__name__})") from None
            url, where = source, f"the metadata at {source}"
        else:
            path = Path(source)
            if not path.is_file():
                raise RuleViolation(RULE, f"no metadata file {source}")
            if path.stat().st_size > AGGREGATE_MAX:
                raise RuleViolation(RULE, f"the metadata file {source} is larger than {AGGREGATE_MAX:,} bytes")
            with path.open("rb") as f:
                shutil.copyfileobj(f, spool)
            url, where = "", f"the metadata file {source}"
        spool.seek(0)
        data = spool.read()
    return select_idp(data, entity_id=entity_id, signing_cert=signing_cert, where=where), url


def mdq_url(base: str, entity_id: str) -> str:
    """The Metadata Query Protocol's address of one entity (draft-young-md-query §2.7, as InCommon's
    and eduGAIN's MDQ services answer it): ``BASE/entities/{URL-encoded entityID}``.  What it answers
    is one signed EntityDescriptor, read, checked and refreshed (by its cacheDuration) as any
    metadata URL is."""
    from urllib.parse import quote

    base = (base or "").strip()
    if not base.startswith(("https://", "http://")) or len(base) > 300:
        raise RuleViolation(RULE, "the MDQ base is an http(s) URL (e.g. https://mdq.incommon.org), at most 300 characters")
    if not (entity_id or "").strip():
        raise RuleViolation(RULE, "an MDQ query names the IdP: give its entity ID (--entity-id)")
    url = f"{base.rstrip('/')}/entities/{quote(entity_id.strip(), safe='')}"
    if len(url) > 500:
        raise RuleViolation(RULE, "the MDQ address of this entity is longer than 500 characters")
    return url


def _parser() -> dict:
    """lxml's streaming parser for metadata (an aggregate is too large for defusedxml's tree):
    no entities resolved, no DTD loaded, nothing fetched, libxml2's limits on depth and node size
    kept (``huge_tree`` off); a DOCTYPE is refused before (:func:`select_idp`)."""
    return {"resolve_entities": False, "no_network": True, "load_dtd": False, "huge_tree": False}


def check_signing_cert(pem: str) -> str:
    """The federation's metadata signing certificate (PEM), as stored; refused when it is not one."""
    from cryptography import x509

    pem = (pem or "").strip()
    if not pem:
        return ""
    try:
        x509.load_pem_x509_certificate(pem.encode())
    except Exception:
        raise RuleViolation(RULE, "the metadata signing certificate is not a PEM X.509 certificate "
                                  "(-----BEGIN CERTIFICATE-----)") from None
    return pem + "\n"


def _cert_label(pem: str) -> str:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    cert = x509.load_pem_x509_certificate(pem.encode())
    return f"{cert.subject.rfc4514_string()[:120]}, SHA-256 {cert.fingerprint(hashes.SHA256()).hex()[:16]}…"


def verify_metadata_signature(data: bytes, signing_cert: str, where: str) -> None:
    """The root of ``data`` carries an enveloped signature over itself (Reference to its ID or the
    whole document, only canonicalisation transforms), it is the first signature in the document
    (the one xmlsec1 checks), and xmlsec1 — through pysaml2's security context, as its
    MetadataStore checks an aggregate — verifies it with ``signing_cert``.  Otherwise refused."""
    from lxml import etree
    from saml2.sigver import SecurityContext, SignatureError

    root = signature = None
    inside = False   # the first signature is not on the root
    depth = 0
    try:
        for event, element in etree.iterparse(io.BytesIO(data), events=("start", "end"), **_parser()):
            if event == "start":
                if root is None:
                    root = element
                if element.tag == f"{{{DS_NS}}}Signature" and signature is None and not inside:
                    if depth == 1:
                        signature = element
                    else:
                        inside = True
                depth += 1
                continue
            depth -= 1
            if signature is not None and element is signature:
                break   # the root's signature read whole; nothing after it is needed here
            if inside:
                break
            if depth == 1 and element.tag != f"{{{DS_NS}}}Signature":
                element.clear()
    except etree.XMLSyntaxError as exc:
        raise RuleViolation(RULE, f"{where} is not valid XML ({str(exc)[:120]})") from None
    if signature is None or root is None:
        what = "a signature inside it, not on its root" if inside else "no signature"
        raise RuleViolation(RULE, f"{where} is not signed ({what}): a metadata signing certificate is configured, so "
                                  "only metadata signed with it is trusted")
    references = signature.findall(f"{{{DS_NS}}}SignedInfo/{{{DS_NS}}}Reference")
    root_id = root.get("ID") or ""
    if len(references) != 1 or references[0].get("URI") not in ("", f"#{root_id}" if root_id else ""):
        raise RuleViolation(RULE, f"{where}'s signature does not cover the whole document (its Reference names "
                                  "something else): refused")
    transforms = {t.get("Algorithm") for t in references[0].iter(f"{{{DS_NS}}}Transform")}
    if transforms - SIGNATURE_TRANSFORMS:
        raise RuleViolation(RULE, f"{where}'s signature uses a transform that may leave parts of it unsigned "
                                  f"({', '.join(sorted(transforms - SIGNATURE_TRANSFORMS))[:200]}): refused")
    with tempfile.NamedTemporaryFile("w", suffix=".pem") as cert_file:
        cert_file.write(signing_cert)
        cert_file.flush()
        context = SecurityContext(contain_xmlsec1()(XMLSEC1))
        try:
            context.verify_signature(data, cert_file=cert_file.name, cert_type="pem",
                                     node_name=etree.QName(root).text.replace("}", ":").lstrip("{"))
        except SignatureError:
            raise RuleViolation(RULE, f"{where}'s signature does not verify against the metadata signing certificate "
                                      f"({_cert_label(signing_cert)}): altered after signing, or signed with another "
                                      "key; the metadata held is kept") from None


def select_idp(data: bytes | str, *, entity_id: str = "", signing_cert: str = "", where: str = "the metadata") -> str:
    """The EntityDescriptor of the IdP ``entity_id`` in ``data`` (one IdP's metadata or an
    aggregate), its signature checked first when ``signing_cert`` is set, with the aggregate's
    validUntil and cacheDuration carried onto it when they are stricter than its own, so that
    the copy kept (kilobytes, not the aggregate's megabytes) expires and is read again as the
    aggregate would be.  Refused (LMS-3) naming what failed."""
    from lxml import etree

    if isinstance(data, str):
        data = data.encode("utf-8")
    entity_id = (entity_id or "").strip()
    if re.match(rb"(\xef\xbb\xbf)?\s*(<\?xml[^>]*\?>)?(\s|<!--.*?-->)*<!DOCTYPE", data[:65536], re.S):
        raise RuleViolation(RULE, f"{where} is not valid XML (it has a DTD; SAML metadata has none)")
    if signing_cert:
        verify_metadata_signature(data, signing_cert, where)
    idps: list[str] = []
    chosen = None
    try:
        for _event, element in etree.iterparse(io.BytesIO(data), events=("end",), **_parser()):
            if element.tag != f"{{{MD_NS}}}EntityDescriptor":
                continue
            if element.find(f"{{{MD_NS}}}IDPSSODescriptor") is not None:
                eid = element.get("entityID") or ""
                idps.append(eid)
                if (eid == entity_id and chosen is None) or (not entity_id and len(idps) == 1):
                    # one IdP's own metadata is kept as published; out of an aggregate, its entity alone
                    chosen = data.decode("utf-8", "replace") if element.getparent() is None else _standalone(element)
            parent = element.getparent()
            element.clear()
            while parent is not None and element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise RuleViolation(RULE, f"{where} is not valid XML ({str(exc)[:120]})") from None
    if not entity_id and len(idps) != 1:
        raise RuleViolation(RULE, f"the metadata must describe exactly one SAML IdP (it describes {len(idps)})"
                                  + (": from a federation's aggregate, name the one to use by its entity ID (--entity-id, "
                                     "e.g. https://idp.example.edu/idp/shibboleth)" if idps else ""))
    if chosen is None:
        raise RuleViolation(RULE, f"{where} describes no SAML IdP with entity ID {entity_id[:300]!r} (it describes "
                                  f"{len(idps)} IdP{'s' if len(idps) != 1 else ''}"
                                  + (f": {', '.join(repr(i[:200]) for i in idps)}" if 0 < len(idps) <= 3 else "")
                                  + "): check the IdP's entity ID")
    xml = chosen
    if len(xml) > METADATA_MAX:
        raise RuleViolation(RULE, f"the metadata of {entity_id or idps[0]} is larger than {METADATA_MAX} characters")
    idp_entity_id(xml)
    return xml


def _standalone(element) -> str:
    """One EntityDescriptor as a document of its own, with the strictest validUntil and
    cacheDuration of the EntitiesDescriptors around it."""
    import copy as copying

    from lxml import etree

    copy = copying.deepcopy(element)
    for ancestor in element.iterancestors(f"{{{MD_NS}}}EntitiesDescriptor"):
        outer = ancestor.get("validUntil")
        if outer:
            mine, theirs = _instant(copy.get("validUntil")), _instant(outer)
            if mine is None or (theirs is not None and theirs < mine):
                copy.set("validUntil", outer)
        outer = ancestor.get("cacheDuration")
        if outer:
            mine = copy.get("cacheDuration")
            if not mine or _duration_seconds(outer) < _duration_seconds(mine):
                copy.set("cacheDuration", outer)
    return etree.tostring(copy, encoding="unicode")


def _duration_seconds(raw: str) -> int:
    from saml2.time_util import parse_duration

    try:
        sign, parts = parse_duration(raw.strip())
    except Exception:
        raise RuleViolation(RULE, f"the IdP metadata's cacheDuration {raw[:40]!r} is not a duration "
                                  "(xs:duration, e.g. PT6H)") from None
    seconds = (((parts["tm_year"] * 365 + parts["tm_mon"] * 30 + parts["tm_mday"]) * 24 + parts["tm_hour"]) * 60
               + parts["tm_min"]) * 60 + int(parts["tm_sec"])
    return seconds if sign == "+" else -seconds


def idp_entity_id(metadata_xml: str) -> str:
    """The entityID of the one IdP in ``metadata_xml``, which must offer single sign-on and a signing key."""
    from defusedxml import ElementTree as SafeET

    try:
        root = SafeET.fromstring(metadata_xml.encode() if isinstance(metadata_xml, str) else metadata_xml, forbid_dtd=True)
    except Exception as exc:  # defusedxml refuses entities, external references and (asked) any DTD; ParseError for broken XML
        raise RuleViolation(RULE, f"the IdP metadata is not valid XML ({exc.__class__.__name__})") from None
    descriptors = [root] if root.tag == f"{{{MD_NS}}}EntityDescriptor" else root.findall(f".//{{{MD_NS}}}EntityDescriptor")
    idps = [d for d in descriptors if d.find(f"{{{MD_NS}}}IDPSSODescriptor") is not None]
    if len(idps) != 1:
        raise RuleViolation(RULE, f"the metadata must describe exactly one SAML IdP (it describes {len(idps)})")
    idp = idps[0].find(f"{{{MD_NS}}}IDPSSODescriptor")
    if idp.find(f"{{{MD_NS}}}SingleSignOnService") is None:
        raise RuleViolation(RULE, "the IdP metadata has no SingleSignOnService")
    if idp.find(f"{{{MD_NS}}}KeyDescriptor") is None:
        raise RuleViolation(RULE, "the IdP metadata has no signing key (KeyDescriptor): signed assertions could not be checked")
    entity_id = idps[0].get("entityID") or ""
    if not entity_id:
        raise RuleViolation(RULE, "the IdP metadata has no entityID")
    valid_until, _cache = metadata_times(metadata_xml)
    if valid_until is not None and valid_until <= clock.now():
        raise RuleViolation(RULE, f"the IdP metadata of {entity_id} expired on {valid_until:%Y-%m-%d %H:%M} UTC (validUntil): "
                                  "its publisher must sign a fresh copy; an expired one is never trusted")
    return entity_id


REFRESH_DEFAULT = 4 * 3600       # seconds between two reads of an IdP's metadata URL without cacheDuration
REFRESH_MIN = 10 * 60            # a cacheDuration shorter than this is read as this
REFRESH_MAX = 24 * 3600          # and a longer one as this (an IdP's key rollover is seen within a day)
REFRESH_RETRY = 15 * 60          # after a failed read, try again this much later


def metadata_times(metadata_xml: str) -> tuple[dt.datetime | None, int | None]:
    """``(validUntil, cacheDuration in seconds)`` of a metadata document (SAML metadata 2.0 §2.3.1):
    the earliest validUntil and the shortest cacheDuration on the root and any EntityDescriptor
    with an IdP, so that an aggregate's own limits count as well as its entities'."""
    from defusedxml import ElementTree as SafeET
    try:
        root = SafeET.fromstring(metadata_xml.encode() if isinstance(metadata_xml, str) else metadata_xml, forbid_dtd=True)
    except Exception:
        return None, None
    elements = [root] + [d for d in root.iter(f"{{{MD_NS}}}EntityDescriptor")
                         if d is not root and d.find(f"{{{MD_NS}}}IDPSSODescriptor") is not None]
    until: dt.datetime | None = None
    cache: int | None = None
    for element in elements:
        try:
            instant = _instant(element.get("validUntil"))
        except Exception:  # pysaml2's time parser raises its own errors too
            raise RuleViolation(RULE, f"the IdP metadata's validUntil {element.get('validUntil')[:40]!r} is not a "
                                      "date and time (xs:dateTime)") from None
        if instant is not None:
            until = instant if until is None else min(until, instant)
        raw = element.get("cacheDuration")
        if raw:
            seconds = _duration_seconds(raw)
            if seconds >= 0:
                cache = seconds if cache is None else min(cache, seconds)
    return until, cache


def next_refresh(metadata_xml: str, now: dt.datetime, max_age_days: int | None = None) -> dt.datetime:
    """When metadata read at ``now`` is read again: after its cacheDuration (between REFRESH_MIN
    and REFRESH_MAX), else REFRESH_DEFAULT — and before its validUntil runs out, and before half
    of the provider's maximum metadata age is spent."""
    until, cache = metadata_times(metadata_xml)
    seconds = min(max(cache, REFRESH_MIN), REFRESH_MAX) if cache is not None else REFRESH_DEFAULT
    due = now + dt.timedelta(seconds=seconds)
    if until is not None and until > now:
        due = min(due, now + (until - now) / 2)   # refresh while the copy we hold is still valid
    if max_age_days:
        due = min(due, now + dt.timedelta(days=max_age_days) / 2)
    return due


SIGNED_VALIDITY_MAX = 28 * 24 * 3600   # seconds: how far ahead a signed document's validUntil may be (eduGAIN's 28 days)


def check_signed_validity(metadata_xml: str, *, signing_cert: str, max_age_days: int | None, where: str) -> None:
    """With a metadata signing certificate and a maximum metadata age, the document must say until
    when it is valid (validUntil), at most SIGNED_VALIDITY_MAX ahead: a signature proves who
    published it, not when, so without validUntil a copy signed long ago (with a key since retired)
    could be replayed at every refresh and never grow old (LMS-3; the Shibboleth SP's
    RequiredValidUntil)."""
    if not signing_cert or not max_age_days:
        return
    until, _cache = metadata_times(metadata_xml)
    if until is None:
        raise RuleViolation(RULE, f"{where} is signed but says no validUntil: a copy signed long ago could be replayed and "
                                  "would never expire; a provider with a maximum metadata age takes signed metadata only "
                                  "with a validUntil (as InCommon's and eduGAIN's carry) — or set its maximum metadata age "
                                  "to empty (off)")
    ahead = (until - clock.now()).total_seconds()
    if ahead > SIGNED_VALIDITY_MAX:
        raise RuleViolation(RULE, f"{where} is signed with a validUntil {until:%Y-%m-%d %H:%M} UTC, more than "
                                  f"{SIGNED_VALIDITY_MAX // 86400} days ahead: a copy replayed would be trusted that long; "
                                  "refused (ask its publisher for a shorter validity)")


def metadata_expiry(provider: IdentityProvider) -> tuple[dt.datetime | None, str]:
    """When the copy held stops being trusted, and why: ``(validUntil, "validUntil")``, or — metadata
    read from a URL, with a maximum metadata age — ``(last read + age, "max-age")`` when earlier;
    ``(None, "")`` for never."""
    until, _cache = metadata_times(provider.metadata_xml)
    expiry, why = (until, "validUntil") if until is not None else (None, "")
    if provider.metadata_max_age and provider.metadata_url and provider.metadata_fetched_at:
        aged = provider.metadata_fetched_at + dt.timedelta(days=provider.metadata_max_age)
        if expiry is None or aged < expiry:
            expiry, why = aged, "max-age"
    return expiry, why


def metadata_state(provider: IdentityProvider) -> str:
    """What the provider page says of the metadata held: current until when, or the refusal that
    sign-in through it meets (LMS-3)."""
    if provider.kind != Kind.SAML or not provider.metadata_xml:
        return ""
    try:
        check_metadata_current(provider)
    except RuleViolation as exc:
        return str(exc)
    expiry, why = metadata_expiry(provider)
    if expiry is None:
        state = ("current, no end (no validUntil; pasted or read from a file, or the maximum metadata age is off)"
                 if not provider.metadata_max_age or not provider.metadata_url else "current, until it is read again")
    else:
        rule = "validUntil" if why == "validUntil" else f"maximum metadata age, {provider.metadata_max_age} days"
        state = f"current until {expiry:%Y-%m-%d %H:%M} UTC ({rule})"
    return state + upgrade_age_note(provider)


def upgrade_age_note(provider: IdentityProvider) -> str:
    """For a provider whose maximum metadata age the session-22 upgrade left off (never chosen
    since): what happens to it — the default taken at the next good read, or why it cannot be (LMS-3)."""
    from .services import METADATA_MAX_AGE_DEFAULT, default_age_pending

    if provider.metadata_max_age_chosen or provider.metadata_max_age is not None or not provider.metadata_url:
        return ""
    why = default_age_pending(provider)
    if why:
        return (f"; maximum metadata age off since the upgrade (session 22), and the default {METADATA_MAX_AGE_DEFAULT} "
                f"days cannot be taken: {why} — set an age once the metadata allows it, or save the provider with it "
                "empty to keep it off")
    return (f"; maximum metadata age off since the upgrade (session 22): the default {METADATA_MAX_AGE_DEFAULT} days is "
            "taken at the next good read of its metadata — or save the provider with the age empty to keep it off")


def check_metadata_current(provider: IdentityProvider) -> None:
    """Sign-in through a provider whose metadata's validUntil has passed — or, read from a URL, whose
    last read is older than the provider's maximum metadata age — is refused: the keys in it are no
    longer vouched for (a refresh from its URL, on the tick or ``syllabus sso refresh``, replaces it)."""
    expiry, why = metadata_expiry(provider)
    if expiry is None or expiry > clock.now():
        return
    if why == "validUntil":
        where = (f"could not be read again from {provider.metadata_url}" if provider.metadata_url
                 else "has no URL to be read again from")
        raise RuleViolation(RULE, f"{provider.name}'s SAML metadata expired on {expiry:%Y-%m-%d %H:%M} UTC (validUntil) and "
                                  f"{where}: sign-in through it is refused until the institution's administrator loads "
                                  "fresh metadata (syllabus sso refresh, or the admin)")
    failure = f" (last failure: {provider.refresh_error[:300]})" if provider.refresh_error else ""
    raise RuleViolation(RULE, f"{provider.name}'s SAML metadata was last read from {provider.metadata_url} on "
                              f"{provider.metadata_fetched_at:%Y-%m-%d %H:%M} UTC, more than its maximum metadata age of "
                              f"{provider.metadata_max_age} days ago{failure}: sign-in through it is refused until it is "
                              "read again (the timer tries every 15 minutes; syllabus sso refresh, or the admin)")


# --- shibmd:Scope (scoped attributes) -----------------------------------------------------------

SHIBMD_NS = "urn:mace:shibboleth:metadata:1.0"
MDUI_NS = "urn:oasis:names:tc:SAML:metadata:ui"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# attributes whose values are "value@scope" (eduPerson 202208, SAML V2.0 Subject Identifier Attributes):
# names and friendly names, as an IdP may send either
SCOPED_NAMES = {"urn:oid:1.3.6.1.4.1.5923.1.1.1.6": "eduPersonPrincipalName",
                "urn:oid:1.3.6.1.4.1.5923.1.1.1.9": "eduPersonScopedAffiliation",
                "urn:oid:1.3.6.1.4.1.5923.1.1.1.13": "eduPersonUniqueId",
                "urn:oasis:names:tc:SAML:attribute:subject-id": "subject-id",
                "urn:oasis:names:tc:SAML:attribute:pairwise-id": "pairwise-id"}
SCOPED_ATTRIBUTES = frozenset(a.lower() for pair in SCOPED_NAMES.items() for a in pair)
SCOPES_MAX = 50            # shibmd:Scope elements of one IdP looked at
SCOPE_MAX = 255            # characters of one scope (a DNS name), of a metadata regexp too
SCOPED_VALUES_MAX = 1000   # values of scoped attributes in one assertion (more: refused, never some left unchecked)


@dataclass(frozen=True)
class Scope:
    value: str
    regexp: bool = False

    def admits(self, scope: str) -> bool:
        """Whether ``scope`` (the part after ``@``) is this one: literally (case aside, DNS names), or
        matched whole by a ``regexp="true"`` pattern, as the Shibboleth SP's ScopeMatchesShibMDScope does."""
        if not self.regexp:
            return scope.lower() == self.value.lower()
        try:
            return re.fullmatch(self.value, scope) is not None or re.fullmatch(self.value, scope.lower()) is not None
        except re.error:
            return False


def metadata_scopes(metadata_xml: str) -> tuple[Scope, ...]:
    """The ``<shibmd:Scope>`` of the IdP in ``metadata_xml``: in its IDPSSODescriptor's Extensions
    and its EntityDescriptor's (both count, as for the Shibboleth SP).  They are read from the
    metadata held, so they come with it from an aggregate and change with every refresh."""
    from defusedxml import ElementTree as SafeET

    try:
        root = SafeET.fromstring(metadata_xml.encode() if isinstance(metadata_xml, str) else metadata_xml, forbid_dtd=True)
    except Exception:
        return ()
    entity = root if root.tag == f"{{{MD_NS}}}EntityDescriptor" else next(
        (d for d in root.iter(f"{{{MD_NS}}}EntityDescriptor") if d.find(f"{{{MD_NS}}}IDPSSODescriptor") is not None), None)
    if entity is None:
        return ()
    found: list[Scope] = []
    for holder in (entity, entity.find(f"{{{MD_NS}}}IDPSSODescriptor")):
        extensions = holder.find(f"{{{MD_NS}}}Extensions") if holder is not None else None
        for element in extensions.findall(f"{{{SHIBMD_NS}}}Scope") if extensions is not None else ():
            text = (element.text or "").strip()
            if text and len(text) <= SCOPE_MAX:
                found.append(Scope(text, (element.get("regexp") or "false").strip().lower() in ("true", "1")))
    return tuple(dict.fromkeys(found))[:SCOPES_MAX]


def provider_scopes(provider: IdentityProvider) -> tuple[Scope, ...]:
    """The scopes a provider may assert: its metadata's, and those its administrator vouches for
    (``IdentityProvider.scopes``, for an IdP whose metadata declares none: Entra ID, Okta, Keycloak)."""
    local = tuple(Scope(s) for s in provider.local_scopes)
    return tuple(dict.fromkeys(metadata_scopes(provider.metadata_xml) + local))


def scoped_values(attributes: list[tuple[set[str], list[str]]], username_attribute: str, name_id: str) -> list[tuple[str, str]]:
    """``(attribute, value)`` of every value that must carry a declared scope: every value of a
    scoped attribute (``attributes`` is ``[({name, friendly name}, values)]``), and the values of the
    attribute that names the person when they read ``user@scope`` (NameID included)."""
    import unicodedata

    username = username_attribute.strip().lower()
    out: list[tuple[str, str]] = []
    if username == "nameid" and "@" in unicodedata.normalize("NFKC", name_id):
        out.append(("NameID", name_id))
    for names, values in attributes:
        lowered = {n.lower() for n in names}
        scoped = bool(lowered & SCOPED_ATTRIBUTES)
        label = next((SCOPED_NAMES.get(n, n) for n in sorted(names)), "?")
        for value in values:
            if scoped or (username in lowered and "@" in unicodedata.normalize("NFKC", value)):
                out.append((label, value))
    return out


def check_scopes(provider: IdentityProvider, values: list[tuple[str, str]]) -> None:
    """Every scoped value the IdP asserted carries a scope its metadata declares (``shibmd:Scope``),
    as the Shibboleth SP's attribute filter demands — else an IdP of a federation could assert
    ``admin@another-university.edu`` and be taken for that university's person.  An IdP whose
    metadata declares no scope asserts no scoped value (the Shibboleth SP drops them all); the
    institution's administrator may declare its scopes on the provider.  Refused before anything
    is written (LMS-3, 403)."""
    import unicodedata

    from syllabus.core.errors import PermissionDenied

    if not provider.check_scopes or not values:
        return
    if len(values) > SCOPED_VALUES_MAX:
        raise RuleViolation(RULE, f"{provider.name} asserted more than {SCOPED_VALUES_MAX} scoped attribute values: refused")
    scopes = provider_scopes(provider)
    for attribute, raw in values:
        value = unicodedata.normalize("NFKC", raw).strip()
        local, at, scope = value.rpartition("@")
        if not at or not local or "@" in local or not scope:
            problem = f"{attribute} value {raw[:100]!r} is not of the form value@scope"
        elif not scopes:
            problem = (f"{attribute} is scoped ({scope[:100]!r}) and the identity provider's metadata declares no "
                       "scope (shibmd:Scope), so it may assert none")
        elif not any(s.admits(scope) for s in scopes):
            problem = (f"{attribute} has the scope {scope[:100]!r}, which the identity provider's metadata does not "
                       f"declare (it declares {', '.join(repr(s.value[:60]) for s in scopes[:5])}"
                       f"{', …' if len(scopes) > 5 else ''})")
        else:
            continue
        message = (f"{provider.name} ({provider.entity_id[:200]}) asserted an attribute outside its scope: {problem}; "
                   "nobody is signed in — an identity provider speaks only for the domains its metadata declares. "
                   "Ask the institution's administrator")
        services.record_refusal(provider, f"{RULE}: {message}")
        raise PermissionDenied(RULE, message)


# --- mdui:UIInfo (how the IdP names itself on a discovery page) -----------------------------------

UI_TEXT_MAX = 200           # characters of a DisplayName shown
LOGO_URL_MAX = 500          # characters of a logo's address


@dataclass(frozen=True)
class UIInfo:
    names: tuple[tuple[str, str], ...] = ()          # (xml:lang, DisplayName), in the metadata's order
    logos: tuple[tuple[str, int, int], ...] = ()     # (https URL, width, height)

    def name(self, language: str, fallback: str) -> str:
        """The DisplayName in ``language`` (``fr-CA`` finds ``fr``), else English, else the first, else ``fallback``."""
        wanted = (language or "").lower()
        by_lang = {lang.lower(): text for lang, text in self.names}
        for key in (wanted, wanted.split("-")[0], "en"):
            if key in by_lang:
                return by_lang[key]
        return self.names[0][1] if self.names else fallback

    @property
    def logo(self) -> str:
        """The smallest logo at least 16 pixels high (an icon for a list), else the first."""
        fitting = sorted((h, url) for url, _w, h in self.logos if h >= 16)
        return fitting[0][1] if fitting else (self.logos[0][0] if self.logos else "")


_UI_READ: dict[str, UIInfo] = {}   # SHA-256 of the metadata → what it says (never the megabytes themselves)
UI_READ_KEPT = 512


def metadata_ui(metadata_xml: str) -> UIInfo:
    """The ``<mdui:UIInfo>`` of the IdP in ``metadata_xml`` (its IDPSSODescriptor's Extensions):
    display names by language and logos served over https (others are not shown: the sign-in page
    loads nothing over plain http).  Read once per metadata version and process."""
    import hashlib

    digest = hashlib.sha256(metadata_xml.encode()).hexdigest()
    if digest not in _UI_READ:
        if len(_UI_READ) >= UI_READ_KEPT:
            _UI_READ.clear()
        _UI_READ[digest] = _read_ui(metadata_xml)
    return _UI_READ[digest]


def _read_ui(metadata_xml: str) -> UIInfo:
    from defusedxml import ElementTree as SafeET

    try:
        root = SafeET.fromstring(metadata_xml.encode(), forbid_dtd=True)
    except Exception:
        return UIInfo()
    idp = root.find(f".//{{{MD_NS}}}IDPSSODescriptor") if root.tag != f"{{{MD_NS}}}IDPSSODescriptor" else root
    info = idp.find(f"{{{MD_NS}}}Extensions/{{{MDUI_NS}}}UIInfo") if idp is not None else None
    if info is None:
        return UIInfo()
    names = tuple((el.get(XML_LANG) or "en", " ".join((el.text or "").split())[:UI_TEXT_MAX])
                  for el in info.findall(f"{{{MDUI_NS}}}DisplayName") if (el.text or "").strip())[:20]
    logos = []
    for el in info.findall(f"{{{MDUI_NS}}}Logo")[:20]:
        url = (el.text or "").strip()
        if url.startswith("https://") and len(url) <= LOGO_URL_MAX and not any(c.isspace() for c in url):
            try:
                logos.append((url, int(el.get("width") or 0), int(el.get("height") or 0)))
            except ValueError:
                continue
    return UIInfo(names=names, logos=tuple(logos))


# --- the SP's configuration --------------------------------------------------------------------

@contextmanager
def _key_files(institution: Institution, *, with_key: bool = True) -> Iterator[tuple[str | None, str]]:
    """pysaml2 hands the SP's keys to xmlsec1 as files (its xmlsec1 back end takes no key in memory):
    the institution's decrypted private key is written to a fresh private directory (0700, the
    file 0600) for one SAML operation only, and removed in ``finally`` — it is never left on disk
    after a request, so the encryption at rest of ``ServiceProvider.private_key_pem`` (SEC-KEY)
    holds on disk too.  ``with_key=False`` (the SP metadata) writes the public certificate only."""
    sp = services.service_provider(institution)
    directory = tempfile.mkdtemp(prefix="syllabus-sso-")
    try:
        key_file = os.path.join(directory, "sp.key") if with_key else None
        cert_file = os.path.join(directory, "sp.crt")
        for path, text in ((key_file, sp.private_key_pem), (cert_file, sp.certificate_pem)):
            if path is not None:
                with os.fdopen(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "w") as handle:
                    handle.write(text)
        yield key_file, cert_file
    finally:
        shutil.rmtree(directory, ignore_errors=True)


def endpoints(request, institution: Institution) -> dict[str, str]:
    code = institution.code
    return {"entity_id": selectors.absolute_url(request, "sso:saml-metadata", institution=code),
            "acs": selectors.absolute_url(request, "sso:saml-acs", institution=code),
            "sls": selectors.absolute_url(request, "sso:saml-sls", institution=code),
            "discovery": selectors.absolute_url(request, "sso:saml-discovery", institution=code)}


def _config(request, institution: Institution, providers: list[IdentityProvider], key_file: str | None, cert_file: str):
    """The SP's pysaml2 configuration, with the key files of :func:`_key_files` (valid only inside it)."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
    from saml2.config import SPConfig
    from saml2.extension.idpdisc import NAMESPACE as BINDING_DISCO
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    contain_xmlsec1()   # before pysaml2 makes its security contexts (SSRF through xmlsec1)
    urls = endpoints(request, institution)
    conf = {
        "entityid": urls["entity_id"],
        "xmlsec_binary": XMLSEC1,
        "metadata": {"inline": [p.metadata_xml for p in providers]} if providers else {},
        "service": {"sp": {
            "name": f"Syllabus — {institution.name}",
            "endpoints": {
                "assertion_consumer_service": [(urls["acs"], BINDING_HTTP_POST)],
                "single_logout_service": [(urls["sls"], BINDING_HTTP_REDIRECT), (urls["sls"], BINDING_HTTP_POST)],
                # where an external discovery service (SeamlessAccess, a WAYF) may send the choice back
                "discovery_response": [(urls["discovery"], BINDING_DISCO)],
            },
            "allow_unsolicited": False,
            "authn_requests_signed": True,
            "logout_requests_signed": True,
            "logout_responses_signed": True,
            "want_assertions_signed": True,
            "want_response_signed": False,
            "want_assertions_or_response_signed": False,
            "name_id_format_allow_create": True,
        }},
        "cert_file": cert_file,
        **({"key_file": key_file, "encryption_keypairs": [{"key_file": key_file, "cert_file": cert_file}]}
           if key_file else {"encryption_keypairs": [{"cert_file": cert_file}]}),
        "allow_unknown_attributes": True,
        "accepted_time_diff": CLOCK_SKEW,
        "signing_algorithm": SIG_RSA_SHA256,
        "digest_algorithm": DIGEST_SHA256,
        "organization": {"name": [(institution.name, "en")], "display_name": [(institution.name, "en")],
                         "url": [(selectors.base_url(request, institution), "en")]},
    }
    config = SPConfig()
    config.load(conf)
    return config


@contextmanager
def _client(request, institution, providers) -> Iterator:
    """A pysaml2 client for one operation: use it only inside the ``with`` (its key file goes after)."""
    from saml2.client import Saml2Client

    with _key_files(institution) as (key_file, cert_file):
        yield Saml2Client(config=_config(request, institution, providers, key_file, cert_file))


def sp_metadata(request, institution: Institution) -> str:
    from saml2.metadata import entity_descriptor
    from saml2.validate import valid_instance

    with _key_files(institution, with_key=False) as (_no_key, cert_file):   # the metadata needs no private key
        descriptor = entity_descriptor(_config(request, institution, [], None, cert_file))
    valid_instance(descriptor)
    return str(descriptor)


# --- sign-in -----------------------------------------------------------------------------------

def begin(request, provider: IdentityProvider, next_url: str) -> HttpResponseRedirect:
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256

    check_metadata_current(provider)
    extra = {}
    if provider.authn_context:   # e.g. REFEDS MFA: the IdP must sign the person in this way (checked in _checked)
        from saml2.saml import AuthnContextClassRef
        from saml2.samlp import RequestedAuthnContext

        extra["requested_authn_context"] = RequestedAuthnContext(
            authn_context_class_ref=[AuthnContextClassRef(text=provider.authn_context)], comparison="exact")
    try:
        with _client(request, provider.institution, [provider]) as client:
            request_id, info = client.prepare_for_authenticate(entityid=provider.entity_id, relay_state="",
                                                               binding=BINDING_HTTP_REDIRECT, sign=True,
                                                               sigalg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256, **extra)
    except RuleViolation:   # e.g. SEC-KEY: the SP's key cannot be read with the configured keys
        raise
    except Exception as exc:
        logger.exception("SAML: no AuthnRequest for %s", provider)
        raise RuleViolation(RULE, f"{provider.name} offers no single sign-on by HTTP redirect ({exc.__class__.__name__})") from None
    pending = dict(request.session.get(SESSION_KEY) or {})
    pending[request_id] = {"provider": provider.pk, "next": next_url, "started": clock.now().timestamp()}
    request.session[SESSION_KEY] = dict(sorted(pending.items(), key=lambda kv: kv[1]["started"])[-REQUESTS_KEPT:])
    location = dict(info["headers"])["Location"]
    return HttpResponseRedirect(location)


@dataclass
class Result:
    name_id: str
    name_id_xml: str
    session_index: str
    assertion_id: str
    keep_until: dt.datetime | None
    attributes: dict = field(default_factory=dict)


def _preflight(xml: bytes) -> tuple[str, str]:
    """Before any signature is looked at: one Response holding exactly one assertion (plain or
    encrypted) as its direct child and no other assertion anywhere (signature-wrapping attacks
    hide a second one in Extensions, Signature/Object or inside the first).  Returns
    ``(InResponseTo, Issuer)``."""
    from defusedxml import ElementTree as SafeET

    try:
        root = SafeET.fromstring(xml, forbid_dtd=True)   # SAML messages carry no DTD (SAML core 1.3)
    except Exception:
        raise RuleViolation(RULE, "the SAML response is not valid XML") from None
    if root.tag != "{urn:oasis:names:tc:SAML:2.0:protocol}Response":
        raise RuleViolation(RULE, "the message is not a SAML response")
    assertion_tags = {"{urn:oasis:names:tc:SAML:2.0:assertion}Assertion",
                      "{urn:oasis:names:tc:SAML:2.0:assertion}EncryptedAssertion"}
    everywhere = [el for el in root.iter() if el.tag in assertion_tags]
    direct = [el for el in root if el.tag in assertion_tags]
    if len(everywhere) != 1 or len(direct) != 1:
        raise RuleViolation(RULE, "a SAML response must hold exactly one assertion")
    issuer = root.find("{urn:oasis:names:tc:SAML:2.0:assertion}Issuer")
    return root.get("InResponseTo") or "", (issuer.text or "").strip() if issuer is not None else ""


def _pysaml2_refusal(exc: Exception) -> str:
    from saml2.response import (DecryptionFailed, IncorrectlySigned, StatusError, UnsolicitedResponse,
                                VerificationError)
    from saml2.sigver import SignatureError
    from saml2.validate import NotValid, ToEarly, ResponseLifetimeExceed

    text = str(exc)
    if isinstance(exc, StatusError) and "NoAuthnContext" in text:
        return ("the identity provider could not sign you in the way this service requires (NoAuthnContext: e.g. "
                "multi-factor sign-in is not set up for your account there)")
    if isinstance(exc, StatusError):
        return f"the identity provider did not sign you in ({text[:200]})"
    if isinstance(exc, SignatureError) and "missing" in text.lower():
        # e.g. a Shibboleth IdP out of the box: signResponses=true, signAssertions=false (docs/sso.md)
        return ("the SAML assertion is not signed: the identity provider must sign assertions "
                "(a signed Response around an unsigned assertion is not accepted)")
    if isinstance(exc, (SignatureError, IncorrectlySigned)):
        return "the SAML assertion's signature does not verify against the provider's key (altered, or not signed by it)"
    if isinstance(exc, DecryptionFailed):
        return "the encrypted SAML assertion could not be decrypted with this institution's key"
    if isinstance(exc, UnsolicitedResponse):
        return "the SAML response does not answer a sign-in started in this browser (InResponseTo)"
    if isinstance(exc, ToEarly):
        return "the SAML assertion is not valid yet (NotBefore)"
    if isinstance(exc, ResponseLifetimeExceed):
        return "the SAML assertion has expired (NotOnOrAfter)"
    if isinstance(exc, VerificationError):
        if "recipient" in text.lower():
            return "the SAML assertion is meant for another address (Recipient)"
        return f"the SAML assertion did not check out ({text[:200]})"
    if "AudienceRestrictions" in text:
        return "the SAML assertion is meant for another service provider (Audience)"
    if "don't recall" in text or "session id" in text:
        return "the SAML assertion does not answer a sign-in started in this browser (InResponseTo)"
    if "signed" in text.lower() or "signature" in text.lower():
        return "the SAML assertion is not signed, or not by the provider's key: signed assertions are required"
    if isinstance(exc, NotValid):
        return f"the SAML response is not valid ({text[:200]})"
    return f"the SAML response was refused ({exc.__class__.__name__}: {text[:200]})"


def _instant(value: str | None) -> dt.datetime | None:
    if not value:
        return None
    from saml2.time_util import str_to_time

    import calendar

    return dt.datetime.fromtimestamp(calendar.timegm(str_to_time(value)), tz=dt.timezone.utc)


REPOSTED = "syllabus_same_site"   # marks the assertion consumer's own re-post of the IdP's answer


def needs_same_site_repost(request) -> bool:
    """The IdP's page posts its answer from its own site (HTTP-POST binding): the browser then
    withholds this site's session cookie (SameSite=Lax, the default), so the sign-in this browser
    started cannot be found (found against samlify in Chromium; so with Entra ID, Okta or an IdP
    on another domain).  Such a post is answered with a page that posts it again from this site —
    same-site, with the cookie — instead of relaxing the session cookie for every site."""
    from django.conf import settings

    encoded = request.POST.get("SAMLResponse", "")
    return (bool(encoded) and len(encoded) <= MESSAGE_MAX and not request.POST.get(REPOSTED)
            and settings.SESSION_COOKIE_NAME not in request.COOKIES)


def consume(request, institution: Institution) -> tuple[IdentityProvider, Result, str]:
    from saml2 import BINDING_HTTP_POST

    encoded = request.POST.get("SAMLResponse", "")
    if not encoded:
        raise RuleViolation(RULE, "no SAML response was posted")
    if len(encoded) > MESSAGE_MAX:
        raise RuleViolation(RULE, "the SAML response is too large")
    try:
        xml = base64.b64decode(encoded, validate=False)
    except ValueError:
        raise RuleViolation(RULE, "the SAML response is not base64") from None
    in_response_to, issuer = _preflight(xml)

    pending = dict(request.session.get(SESSION_KEY) or {})
    started = pending.pop(in_response_to, None) if in_response_to else None
    request.session[SESSION_KEY] = pending  # used once, whatever happens next
    if started is None:
        raise RuleViolation(RULE, "the SAML response does not answer a sign-in started in this browser "
                                  "(InResponseTo unknown, already used, or missing)")
    provider = IdentityProvider.objects.select_related("institution").filter(
        pk=started["provider"], institution=institution, kind=Kind.SAML).first()
    if provider is None or not provider.enabled:
        raise RuleViolation(RULE, "the sign-in was started with a provider this institution no longer has")
    if clock.now().timestamp() - started["started"] > REQUEST_MAX_AGE:
        raise RuleViolation(RULE, "the sign-in took too long; please start again")
    check_metadata_current(provider)
    if issuer and issuer != provider.entity_id:
        raise RuleViolation(RULE, f"the SAML response was issued by {issuer[:200]!r}, not by {provider.name} ({provider.entity_id})")

    urls = endpoints(request, institution)
    try:
        with _client(request, institution, [provider]) as client:   # decrypts an encrypted assertion with the SP key
            response = client.parse_authn_request_response(
                encoded, BINDING_HTTP_POST, outstanding={in_response_to: started["next"]},
                conv_info={"entity_id": urls["entity_id"]})
    except RuleViolation:
        raise
    except Exception as exc:
        logger.info("SAML response refused by pysaml2: %r", exc)
        raise RuleViolation(RULE, _pysaml2_refusal(exc)) from None
    if response is None or response.assertion is None:
        raise RuleViolation(RULE, "the SAML response holds no assertion that could be read")
    result = _checked(response, provider, urls, in_response_to)
    return provider, result, started["next"]


def _checked(response, provider: IdentityProvider, urls: dict, in_response_to: str) -> Result:
    """Our own checks on the assertion pysaml2 accepted (see the module's docstring)."""
    from saml2.saml import SCM_BEARER

    outer = response.response
    assertion = response.assertion
    if assertion.issuer is None or (assertion.issuer.text or "").strip() != provider.entity_id:
        raise RuleViolation(RULE, f"the SAML assertion was not issued by {provider.name}")
    if outer.in_response_to != in_response_to:
        raise RuleViolation(RULE, "the SAML response does not answer this sign-in (InResponseTo)")
    if outer.destination and outer.destination != urls["acs"]:
        raise RuleViolation(RULE, "the SAML response is addressed to another service (Destination)")
    if not response.name_id or not (response.name_id.text or "").strip():
        raise RuleViolation(RULE, "the SAML assertion names nobody (no NameID)")

    now = clock.now()
    skew = dt.timedelta(seconds=CLOCK_SKEW)
    conditions = assertion.conditions
    if conditions is None:
        raise RuleViolation(RULE, "the SAML assertion has no Conditions (audience and validity)")
    audiences = [(a.text or "").strip() for r in conditions.audience_restriction for a in r.audience]
    if urls["entity_id"] not in audiences:
        raise RuleViolation(RULE, "the SAML assertion is meant for another service provider (Audience)")
    not_before, not_after = _instant(conditions.not_before), _instant(conditions.not_on_or_after)
    if not_before and now + skew < not_before:
        raise RuleViolation(RULE, "the SAML assertion is not valid yet (NotBefore)")
    if not_after and now - skew >= not_after:
        raise RuleViolation(RULE, "the SAML assertion has expired (NotOnOrAfter)")

    bearer = [sc for sc in assertion.subject.subject_confirmation if sc.method == SCM_BEARER]
    if not bearer:
        raise RuleViolation(RULE, "the SAML assertion has no bearer subject confirmation")
    keep_until = not_after
    for sc in bearer:
        data = sc.subject_confirmation_data
        if data is None or data.recipient != urls["acs"]:
            raise RuleViolation(RULE, "the SAML assertion is meant for another address (Recipient)")
        if data.in_response_to != in_response_to:
            raise RuleViolation(RULE, "the SAML assertion does not answer this sign-in (InResponseTo)")
        until = _instant(data.not_on_or_after)
        if until is None:
            raise RuleViolation(RULE, "the SAML assertion's subject confirmation has no NotOnOrAfter")
        if now - skew >= until:
            raise RuleViolation(RULE, "the SAML assertion has expired (NotOnOrAfter)")
        keep_until = max(keep_until or until, until)

    name_id = response.name_id.text.strip()
    if (provider.attribute("username").strip().lower() == "nameid"
            and response.name_id.format == "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"):
        # a Shibboleth IdP's default NameID: a new value at every sign-in, so every sign-in would be a new person
        raise RuleViolation(RULE, f"{provider.name} names people by NameID, and the identity provider sent a transient "
                                  "NameID (a new value at every sign-in, which names nobody for long): name people by "
                                  "eduPersonPrincipalName or subject-id (--username-attribute), or have the IdP send a "
                                  "persistent NameID")
    attributes: dict[str, list] = {"NameID": [name_id]}
    for statement in assertion.attribute_statement:
        for attribute in statement.attribute:
            values = [v.text.strip() for v in attribute.attribute_value if v.text and v.text.strip()]
            for key in {attribute.name, attribute.friendly_name} - {None, ""}:
                attributes.setdefault(key, []).extend(values)
    for key, values in (response.ava or {}).items():  # pysaml2's friendly names for OIDs it knows
        attributes.setdefault(key, list(values))
    check_scopes(provider, scoped_values([({key}, values) for key, values in attributes.items() if key != "NameID"],
                                         provider.attribute("username"), name_id))
    if provider.authn_context:
        used = [(st.authn_context.authn_context_class_ref.text or "").strip() for st in assertion.authn_statement
                if st.authn_context is not None and st.authn_context.authn_context_class_ref is not None]
        if provider.authn_context not in used:
            raise RuleViolation(RULE, authn_context_refusal(provider, used[0] if used else None), status=403)
    session_index = ""
    if assertion.authn_statement and assertion.authn_statement[0].session_index:
        session_index = assertion.authn_statement[0].session_index
    return Result(name_id=name_id, name_id_xml=str(response.name_id), session_index=session_index,
                  assertion_id=assertion.id, keep_until=(keep_until or now) + skew, attributes=attributes)


def authn_context_refusal(provider: IdentityProvider, used: str | None) -> str:
    """The refusal of a sign-in made otherwise than the provider requires (SAML AuthnContextClassRef,
    OpenID Connect acr) — shared by both kinds of provider."""
    from .models import REFEDS_MFA

    how = "multi-factor sign-in (REFEDS MFA)" if provider.authn_context == REFEDS_MFA else "sign-in"
    said = f"says you signed in by {used[:200]!r}" if used else "does not say how you signed in"
    return (f"{provider.name} requires {how} by {provider.authn_context!r}, and the identity provider {said}: "
            "nobody is signed in; sign in again with your second factor, or ask the institution's IT service")


# --- single logout -----------------------------------------------------------------------------

def logout_url(request, provider: IdentityProvider, record: SignIn) -> str | None:
    """A signed LogoutRequest to the IdP (HTTP-Redirect), when its metadata offers single logout."""
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.saml import name_id_from_string
    from saml2.xmldsig import SIG_RSA_SHA256

    with _client(request, provider.institution, [provider]) as client:
        try:
            destinations = client.metadata.single_logout_service(provider.entity_id, BINDING_HTTP_REDIRECT, "idpsso")
        except Exception:
            destinations = []
        if not destinations or not record.name_id_xml:
            return None
        destination = destinations[0]["location"]
        _id, logout_request = client.create_logout_request(
            destination, provider.entity_id, name_id=name_id_from_string(record.name_id_xml),
            session_indexes=[record.session_index] if record.session_index else None, sign=False)
        info = client.apply_binding(BINDING_HTTP_REDIRECT, str(logout_request), destination, relay_state="", sign=True,
                                    sigalg=SIG_RSA_SHA256)
    return dict(info["headers"])["Location"]


def single_logout(request, institution: Institution):
    """Our logout's answer from the IdP (then: to the sign-in page), or the IdP's own logout
    request (then: end the sessions signed in as that NameID, answer with a signed response)."""
    from saml2 import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT

    data = request.GET if request.method == "GET" else request.POST
    binding = BINDING_HTTP_REDIRECT if request.method == "GET" else BINDING_HTTP_POST
    providers = [p for p in selectors.saml_providers(institution) if p.enabled]
    if not providers:
        raise RuleViolation(RULE, f"{institution.code} has no SAML identity provider")
    with _client(request, institution, providers) as client:
        return _single_logout(request, institution, client, providers, data, binding)


def _single_logout(request, institution, client, providers, data, binding):
    from saml2 import BINDING_HTTP_REDIRECT
    from saml2.xmldsig import SIG_RSA_SHA256

    login_page = resolve_url("web:login") + f"?institution={institution.code}"
    if data.get("SAMLResponse"):
        try:
            client.parse_logout_request_response(data["SAMLResponse"][:MESSAGE_MAX], binding)
        except Exception as exc:
            logger.info("SAML logout response not accepted: %r", exc)
        return HttpResponseRedirect(login_page)
    if not data.get("SAMLRequest"):
        raise RuleViolation(RULE, "no SAML logout message")
    if binding == BINDING_HTTP_REDIRECT and not data.get("Signature"):
        raise RuleViolation(RULE, "a logout request from the identity provider must be signed")
    try:
        parsed = client.parse_logout_request(data["SAMLRequest"][:MESSAGE_MAX], binding,
                                             relay_state=data.get("RelayState"), sigalg=data.get("SigAlg"),
                                             signature=data.get("Signature"))
    except Exception as exc:
        logger.info("SAML logout request refused: %r", exc)
        raise RuleViolation(RULE, "the logout request from the identity provider did not check out") from None
    if parsed is None:
        raise RuleViolation(RULE, "the logout request from the identity provider did not check out")
    message = parsed.message
    issuer = (message.issuer.text or "").strip() if message.issuer is not None else ""
    provider = next((p for p in providers if p.entity_id == issuer), None)
    if provider is None or message.name_id is None:
        raise RuleViolation(RULE, "the logout request names no known provider or person")
    services.end_sessions(provider, (message.name_id.text or "").strip(),
                          [si.text for si in message.session_index if si.text] or None)
    destinations = client.metadata.single_logout_service(provider.entity_id, BINDING_HTTP_REDIRECT, "idpsso")
    if not destinations:
        return HttpResponseRedirect(login_page)
    response = client.create_logout_response(message, [BINDING_HTTP_REDIRECT], sign=False)
    destination = destinations[0].get("response_location") or destinations[0]["location"]
    info = client.apply_binding(BINDING_HTTP_REDIRECT, str(response), destination,
                                relay_state=data.get("RelayState", ""), response=True, sign=True, sigalg=SIG_RSA_SHA256)
    return HttpResponseRedirect(dict(info["headers"])["Location"])

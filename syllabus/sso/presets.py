"""Attribute-mapping presets (LMS-3): what the identity providers campuses run send, by name, so
that an administrator chooses "ADFS" rather than typing claim URIs.  A preset fills the username,
name, e-mail and group attributes a provider leaves empty when it is added (``--preset``, the
admin's *Preset*); the value maps (which group or role a value gives) stay the institution's.

Sources: Microsoft's claim types (AD FS, Entra ID SAML tokens), AD FS and Entra ID ID tokens (``upn``,
``unique_name``, ``preferred_username``), Okta's and Keycloak's default OpenID Connect claims and
Keycloak's predefined SAML mappers (X500 email/givenName/surname), the eduPerson and inetOrgPerson
OIDs a Shibboleth IdP releases (``urn:oid:…``, SAML V2.0 X.500/LDAP Attribute Profile)."""
from __future__ import annotations

from dataclasses import dataclass

from syllabus.core.errors import RuleViolation

from .models import Kind

WS = "http://schemas.xmlsoap.org/ws/2005/05/identity/claims/"
MS = "http://schemas.microsoft.com/ws/2008/06/identity/claims/"


@dataclass(frozen=True)
class Preset:
    label: str
    username: str
    first_name: str
    last_name: str
    email: str
    group: str = ""
    role: str = ""
    previous_username: str = ""   # what the preset named people by before (re-keyed once: services.account_for)

    def values(self) -> dict[str, str]:
        return {f"{what}_attribute": getattr(self, what)
                for what in ("username", "first_name", "last_name", "email", "group", "role")}


PRESETS: dict[str, dict[str, Preset]] = {
    Kind.OIDC: {
        # oid, the person's immutable object id (v2.0 and v1 ID tokens): Microsoft advises keying accounts on it,
        # not on preferred_username (the UPN, which a tenant's administrators can change and which a guest's tenant
        # does not verify); people first found by preferred_username are re-keyed on oid (session 22)
        "entra": Preset("Microsoft Entra ID", "oid", "given_name", "family_name", "email", "groups",
                        previous_username="preferred_username"),
        "adfs": Preset("AD FS (Windows Server)", "upn", "given_name", "family_name", "email", "group"),
        "okta": Preset("Okta", "preferred_username", "given_name", "family_name", "email", "groups"),
        "keycloak": Preset("Keycloak", "preferred_username", "given_name", "family_name", "email", "groups"),
        "google": Preset("Google Workspace", "email", "given_name", "family_name", "email"),
    },
    Kind.SAML: {
        "shibboleth": Preset("Shibboleth IdP (eduPerson, urn:oid names)", "urn:oid:1.3.6.1.4.1.5923.1.1.1.6",
                             "urn:oid:2.5.4.42", "urn:oid:2.5.4.4", "urn:oid:0.9.2342.19200300.100.1.3",
                             "urn:oid:1.3.6.1.4.1.5923.1.1.1.1", "urn:oid:1.3.6.1.4.1.5923.1.1.1.7"),
        "adfs": Preset("AD FS (Windows Server)", f"{WS}upn", f"{WS}givenname", f"{WS}surname", f"{WS}emailaddress",
                       "http://schemas.xmlsoap.org/claims/Group", f"{MS}role"),
        "entra": Preset("Microsoft Entra ID", f"{WS}name", f"{WS}givenname", f"{WS}surname", f"{WS}emailaddress",
                        "http://schemas.microsoft.com/ws/2008/06/identity/claims/groups", f"{MS}role"),
        "okta": Preset("Okta (attribute statements firstName, lastName, email, groups)", "NameID", "firstName",
                       "lastName", "email", "groups"),
        "keycloak": Preset("Keycloak (NameID username; X500 mappers; role list)", "NameID", "urn:oid:2.5.4.42",
                           "urn:oid:2.5.4.4", "urn:oid:1.2.840.113549.1.9.1", "", "Role"),
    },
}


def choices(kind: str | None = None) -> list[tuple[str, str]]:
    """``[(code, label)]`` for a form: ``oidc:adfs`` … (both kinds without ``kind``)."""
    kinds = [Kind(kind)] if kind else [Kind.OIDC, Kind.SAML]
    return [(f"{k.value}:{code}", f"{preset.label} ({k.label})") for k in kinds for code, preset in PRESETS[k].items()]


def preset(kind: str, code: str) -> Preset:
    """The preset ``code`` (``adfs``, or ``saml:adfs``) of a provider of ``kind``; refuses an unknown one."""
    code = (code or "").strip().lower()
    if ":" in code:
        named_kind, code = code.split(":", 1)
        if named_kind != kind:
            raise RuleViolation("LMS-3", f"the preset {named_kind}:{code} is for {named_kind.upper()} providers, not {kind.upper()} ones")
    found = PRESETS[Kind(kind)].get(code)
    if found is None:
        raise RuleViolation("LMS-3", f"no attribute preset {code[:40]!r} for {Kind(kind).label} (presets: "
                                     f"{', '.join(PRESETS[Kind(kind)])})")
    return found


def fill(kind: str, code: str, values: dict[str, str]) -> dict[str, str]:
    """``values`` (attribute fields, ``""`` when not given) with the preset's names where left empty."""
    if not code:
        return values
    found = preset(kind, code)
    chosen = found.values()
    filled = {**values, **{k: v for k, v in chosen.items() if not values.get(k)}}
    if found.previous_username and not values.get("username_attribute") and not values.get("previous_username_attribute"):
        filled["previous_username_attribute"] = found.previous_username   # the preset's own key replaced an older one
    return filled


def hint(kind: str, attributes: dict) -> str:
    """For a refusal "sent no <username attribute>": what the provider did send (names only, at most
    ten) and the presets that would name the person by one of them (LMS-3)."""
    names = sorted(k for k in attributes if k != "NameID")
    sent = {k.lower() for k in attributes}
    fits = [code for code, p in PRESETS[Kind(kind)].items() if p.username.lower() in sent and p.username != "NameID"]
    said = f" (it sent {', '.join(n[:100] for n in names[:10])}{' …' if len(names) > 10 else ''}" if names else " (it sent no attribute"
    return said + (f"; the attribute preset {' or '.join(fits)} names people by one of them)" if fits else ")")

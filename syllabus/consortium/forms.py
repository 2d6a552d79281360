"""Forms of the consortium's pages (a POST is read by a form, never by hand)."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import Checked, DateText, RuleForm, Sent, id_field, text
from syllabus.core.limits import column

from .models import IllPartner, IllRequest
from .reader_requests import KINDS, NOTE_MAX


class IllAskForm(RuleForm):
    """A reader's inter-library loan request (CON-2): the citation as the reader confirmed it."""

    rule = "CON-2"
    kind = forms.ChoiceField(choices=[(k, k) for k in KINDS], required=False)  # none: a book
    title = text(column(IllRequest, "title"))
    author = text(column(IllRequest, "author"))
    container_title = text(column(IllRequest, "container_title"))
    volume = text(column(IllRequest, "volume"))
    issue = text(column(IllRequest, "issue"))
    pages = text(column(IllRequest, "pages"))
    year = text(column(IllRequest, "year"))
    isbn = text(40)   # as typed: hyphens and spaces; the identifier helpers normalise
    issn = text(40)
    doi = text(column(IllRequest, "doi"))
    needed_by = DateText(required=False)
    note = text(NOTE_MAX)
    pickup_library = id_field(required=False)


class IllPartnerForm(RuleForm):
    """A partner of the ILL directory outside the consortium (CON-2), as the back office's add and
    edit forms post it: each text bounded by its column; what is required, the address's checks and
    the shared secret's keeping (``core.secrets.kept_secret``) are the service's
    (:func:`syllabus.consortium.partners.save_partner`), shared with the API and the admin."""

    rule = "CON-2"
    agency_id = text(column(IllPartner, "agency_id"))
    name = text(column(IllPartner, "name"))
    endpoint_url = text(column(IllPartner, "endpoint_url"))
    auth_header = text(column(IllPartner, "auth_header"))
    auth_value = text(column(IllPartner, "auth_value"))
    active = Checked()
    delete = Sent()   # the edit page's Remove button

    FIELDS = ("agency_id", "name", "endpoint_url", "auth_header", "auth_value", "active")  # what save_partner takes

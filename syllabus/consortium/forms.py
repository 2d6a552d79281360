"""Forms of the consortium's pages (a POST is read by a form, never by hand)."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import Checked, DateText, IdList, RuleForm, Sent, id_field, text
from syllabus.core.limits import JSON_CHARS, column

from .models import CrossRequest, IllPartner, IllRequest
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


class GatewayCopyForm(RuleForm):
    """Items of another member's shared list copied into one of the instructor's own lists (CON-3)."""

    rule = "CON-3"
    target = id_field(required=False)          # none or not theirs: "choose one of your own lists"
    citation = IdList(max_items=200)


class IllMoveForm(RuleForm):
    """A step of an inter-library loan request from the ILL queue (CON-2); the loan period is bounded
    as in the API (1..365 days) — the page used to take any number up to 10,000."""

    rule = "CON-2"
    action = text(40)
    note = text(2000)
    reason = text(200)
    agency = text(100)
    due_days = forms.IntegerField(min_value=1, max_value=365, required=False)
    side = forms.ChoiceField(choices=(("supplier", "supplier"), ("requester", "requester")), required=False)   # the queue's tab


class ShareForm(RuleForm):
    """A list shown in the consortium's lists gateway, or no longer (CON-3)."""

    rule = "CON-3"
    shared = Checked()


class ConfigSetForm(RuleForm):
    """A consortium-level setting (CON-1): its value as typed (empty removes it; a list as JSON)
    and whether members may override it."""

    rule = "CON-1"
    value = text(JSON_CHARS)
    locked = Checked()


class PurchaseFromRecordForm(RuleForm):
    """A purchase of another member's title for one of the institution's lists (CON-2)."""

    rule = "CON-2"
    list = id_field(required=False)            # none or not the institution's: "choose one of your institution's lists"
    kind = text(20)
    notes = text(2000)


class IllNewForm(RuleForm):
    """Staff's inter-library loan request of another member's record (CON-2): a loan or a copy."""

    rule = "CON-2"
    service_type = forms.ChoiceField(choices=(("Loan", "Loan"), ("Copy", "Copy")), required=False)   # none: a loan
    note = text(2000)


#: the highest page a cross-member request names (as the form's number inputs)
MAX_PAGE = 100_000


class CrossRequestForm(RuleForm):
    """A reader's request of another member's item (CON-4): a scan of part of it, or a loan."""

    rule = "CON-4"
    kind = forms.ChoiceField(choices=((CrossRequest.DIGITIZATION, "digitization"), (CrossRequest.LOAN, "loan")),
                             required=False)   # none: the service's "ask for a digitization or a loan"
    chapters = text(500)
    page_from = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    page_to = forms.IntegerField(min_value=1, max_value=MAX_PAGE, required=False)
    note = text(2000)

    @classmethod
    def request_data(cls, post) -> tuple[str, dict]:
        """The kind, and the request's data as the services take it (one page range, the note)."""
        form = cls.parse(post)
        data: dict = {"chapters": form["chapters"], "note": form["note"]}
        if form["page_from"] is not None or form["page_to"] is not None:
            data["page_ranges"] = [{"from": form["page_from"], "to": form["page_to"]}]
        if form["note"]:
            data["notes"] = [form["note"]]
        return form["kind"], data

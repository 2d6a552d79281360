"""Consortium (CON-1..4): settings the consortium locks, lists its members share through the
gateway, inter-library loans in ISO 18626 terms and cross-member fulfillment requests."""
from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from syllabus.core import clock
from syllabus.core.encryption import EncryptedTextField
from syllabus.core.errors import RuleViolation
from syllabus.core.models import Timestamped

from .workflow import IllStatus


class SettingLock(models.Model):
    """CON-1: a consortium-level value its members may not override."""

    consortium = models.ForeignKey("org.Consortium", on_delete=models.CASCADE, related_name="setting_locks")
    key = models.CharField(max_length=100)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["consortium", "key"], name="uniq_setting_lock")]

    def __str__(self) -> str:
        return f"{self.key} locked @ {self.consortium}"


class SharedList(models.Model):
    """CON-3: a list its owners show in the consortium's lists gateway (while it is published)."""

    resource_list = models.OneToOneField("lists.ResourceList", on_delete=models.CASCADE, related_name="consortium_share")
    shared_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    shared_at = models.DateTimeField(default=clock.now)

    def __str__(self) -> str:
        return f"shared: {self.resource_list}"


class IllRequest(Timestamped):
    """CON-2: an inter-library loan between two agencies (ISO 18626).  Either side may be an
    outside system: its agency id is kept and its institution is empty."""

    requesting_institution = models.ForeignKey("org.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                               related_name="ill_requests_made")
    supplying_institution = models.ForeignKey("org.Institution", null=True, blank=True, on_delete=models.PROTECT,
                                              related_name="ill_requests_received")
    requesting_agency = models.CharField(max_length=100, help_text="ISO 18626 agencyIdValue of the requester (ISIL)")
    supplying_agency = models.CharField(max_length=100, help_text="ISO 18626 agencyIdValue of the supplier (ISIL)")
    requesting_agency_request_id = models.CharField(max_length=100)
    supplying_agency_request_id = models.CharField(max_length=100, blank=True)
    record = models.ForeignKey("catalog.Record", null=True, blank=True, on_delete=models.SET_NULL, related_name="ill_requests",
                               help_text="the supplier's record")
    title = models.CharField(max_length=1000)
    author = models.CharField(max_length=1000, blank=True)
    isbn = models.CharField(max_length=13, blank=True)
    service_type = models.CharField(max_length=10, default="Loan")
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    status = models.CharField(max_length=20, choices=IllStatus.choices, default=IllStatus.REQUEST_RECEIVED)
    received = models.BooleanField(default=False, help_text="the requester said Received")
    shipped_return = models.BooleanField(default=False, help_text="the requester said ShippedReturn")
    due_date = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)
    reason_unfilled = models.CharField(max_length=200, blank=True)
    # a reader's own request from Find it (CON-2): the citation they confirmed, when they need it,
    # where they collect it and the list item they came from; the reader hears of its progress
    reader_request = models.BooleanField(default=False, help_text="asked by the reader (Find it), who gets its letters")
    container_title = models.CharField(max_length=1000, blank=True, help_text="the journal (or book) of an article or chapter")
    volume = models.CharField(max_length=50, blank=True)
    issue = models.CharField(max_length=50, blank=True)
    pages = models.CharField(max_length=50, blank=True)
    year = models.CharField(max_length=20, blank=True)
    issn = models.CharField(max_length=9, blank=True)
    doi = models.CharField(max_length=200, blank=True)
    needed_by = models.DateField(null=True, blank=True)
    pickup_library = models.ForeignKey("org.Library", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    citation = models.ForeignKey("lists.Citation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                 help_text="the list item Find it was opened from")

    class Meta:
        ordering = ["-created_at", "-id"]
        # the ILL queue's two tabs, newest first a page at a time (CON-2; session 22: at 10,000
        # requests the page was a scan of the institution's requests and a sort)
        indexes = [models.Index(fields=["requester", "reader_request", "status"], name="ill_reader_status"),
                   models.Index(fields=["supplying_institution", "-created_at", "-id"], name="ill_supplier_newest"),
                   models.Index(fields=["requesting_institution", "-created_at", "-id"], name="ill_requester_newest")]
        constraints = [models.UniqueConstraint(fields=["requesting_agency", "requesting_agency_request_id"],
                                               name="uniq_ill_requesting_id")]

    def __str__(self) -> str:
        return f"ILL {self.requesting_agency_request_id}: {self.title} ({self.status})"


class IllPartner(models.Model):
    """CON-2: an inter-library loan system outside the consortium that an institution's staff send
    ISO 18626 requests to (its directory of partners): the agency id (ISIL) the request names, and
    the address the messages are posted to, with the header its deployment asks for."""

    institution = models.ForeignKey("org.Institution", on_delete=models.CASCADE, related_name="ill_partners")
    agency_id = models.CharField(max_length=100, help_text="the supplier's ISO 18626 agencyIdValue (ISIL), e.g. DE-101")
    name = models.CharField(max_length=200)
    endpoint_url = models.URLField(max_length=500, help_text="where its ISO 18626 messages are posted (https)")
    auth_header = models.CharField(max_length=100, blank=True, default="",
                                   help_text="a header the partner asks for (e.g. Authorization), or empty")
    auth_value = EncryptedTextField(max_length=500, blank=True, default="",   # SEC-KEY
                                  help_text="its value (a shared secret: never shown again)")
    active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=clock.now)
    updated_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["agency_id", "id"]
        constraints = [models.UniqueConstraint(fields=["institution", "agency_id"], name="uniq_ill_partner_agency")]

    def __str__(self) -> str:
        return f"{self.agency_id} ({self.name})"

    def clean(self):
        from django.core.exceptions import ValidationError

        try:
            check_auth_header(self.auth_header)
        except RuleViolation as exc:
            raise ValidationError({"auth_header": str(exc)}) from None


#: RFC 9110 ``token`` characters (a field name is a token)
_TCHAR = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")


def check_auth_header(name: str) -> None:
    """CON-2: the header a partner's secret goes in is ``Authorization`` or an ``X-…`` header of its
    own (an RFC 9110 token): never one that frames the request or speaks for the client — ``Host``,
    ``Content-Length``, ``Transfer-Encoding``, ``Connection``, ``Cookie`` — which the outbound
    client would otherwise send as given.  Empty: no header."""
    if not name or name.lower() == "authorization":
        return
    if not (name[:2].lower() == "x-" and len(name) > 2 and set(name) <= _TCHAR):
        raise RuleViolation("CON-2", "header: Authorization, or a header of the partner's own named X-… (RFC 9110 "
                                     "token characters: no colon, space or line break)", field="auth_header")


class Delivery(models.TextChoices):
    """How far a message posted to an outside partner got (empty: handled in-process, or received)."""

    PENDING = "pending", _("Waiting to be sent")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", pgettext_lazy("message", "Delivered")
    REFUSED = "refused", _("Refused by the partner")
    FAILED = "failed", _("Not delivered")


class IllMessage(models.Model):
    """Every ISO 18626 message sent or received for a request, as XML (the conversation's log).
    A message to a partner outside the consortium is also its outbox row: posted by the
    ``consortium.ill_deliver`` job, retried with a backoff, its confirmation kept in ``answer``."""

    request = models.ForeignKey(IllRequest, null=True, blank=True, on_delete=models.CASCADE, related_name="messages")
    direction = models.CharField(max_length=3, choices=[("out", "sent"), ("in", "received")])
    kind = models.CharField(max_length=50)
    xml = models.TextField()
    created_at = models.DateTimeField(default=clock.now)
    delivery = models.CharField(max_length=20, choices=Delivery.choices, blank=True, default="")
    attempts = models.PositiveIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    claimed_until = models.DateTimeField(null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, default="", help_text="who holds the lease")
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True, default="")
    error_type = models.CharField(max_length=100, blank=True, default="", help_text="the partner's errorType")
    error_value = models.CharField(max_length=500, blank=True, default="", help_text="the partner's errorValue")
    answer = models.TextField(blank=True, default="", help_text="the partner's confirmation")

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["delivery", "next_attempt_at"], name="ill_message_due")]

    def __str__(self) -> str:
        return f"{self.direction} {self.kind}"


class CrossRequest(models.Model):
    """CON-4: a member's patron asks another member for digitization or a loan of its item; the
    owner's own workflow does the work (its digitization request, or an inter-library loan
    answered by its staff) and the result goes to the requester."""

    DIGITIZATION, LOAN = "digitization", "loan"
    kind = models.CharField(max_length=20, choices=[(DIGITIZATION, _("Digitization")), (LOAN, _("Loan"))])
    requester = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    requesting_institution = models.ForeignKey("org.Institution", on_delete=models.PROTECT, related_name="+")
    owning_institution = models.ForeignKey("org.Institution", on_delete=models.PROTECT, related_name="+")
    record = models.ForeignKey("catalog.Record", on_delete=models.PROTECT, related_name="+")
    digitization = models.OneToOneField("fulfillment.DigitizationRequest", null=True, blank=True, on_delete=models.SET_NULL,
                                        related_name="cross_request")
    ill = models.OneToOneField(IllRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="cross_request")
    created_at = models.DateTimeField(default=clock.now)

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.kind} of {self.record} for {self.requester}"

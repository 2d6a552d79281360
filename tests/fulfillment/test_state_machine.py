"""The request's state machine under random sequences of staff actions (hypothesis, stateful):
whatever the order, a refused action changes nothing, and the DIG-9 invariants hold — nothing is
delivered before its approvals, a file is active only when cleared, a rejected request's file is
gone, a closed request has no due time, and every state is one of the transition table's."""
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, rule

from syllabus.catalog.models import Representation
from syllabus.core.errors import RuleViolation
from syllabus.fulfillment import services, workflow
from syllabus.fulfillment.models import DigitizationRequest, DigitizationRule, Status, TaskStatus

pytestmark = pytest.mark.django_db

CLOSED = {Status.COMPLETED, Status.REJECTED, Status.CANCELLED, Status.EXPIRED}


def test_random_action_sequences_keep_the_invariants(student, record, edd_all, operator, manager, fadmin, inst_a):
    default = DigitizationRule.objects.get(institution=inst_a, is_default=True)

    class Machine(RuleBasedStateMachine):
        @initialize(mode=st.sampled_from(["parallel", "blocking", "automatic"]), approval=st.booleans(), copyright=st.booleans())
        def place(self, mode, approval, copyright):
            services.save_digitization_rule(fadmin, inst_a, rule=default, approval_mode=mode, approval_required=approval,
                                            copyright_required=copyright, approval_reason="auto" if mode == "automatic" else "")
            DigitizationRequest.objects.filter(requester=student).update(status=Status.CANCELLED)
            self.req = services.request_from_record(student, record, {})
            self.mode = mode

        def _do(self, fn, *args, **kw):
            before = DigitizationRequest.objects.get(pk=self.req.pk)
            try:
                fn(*args, **kw)
            except RuleViolation:
                after = DigitizationRequest.objects.get(pk=self.req.pk)
                assert (after.status, after.approval, after.copyright, after.representation_id) == \
                    (before.status, before.approval, before.copyright, before.representation_id)
            self.req = DigitizationRequest.objects.select_related("representation").get(pk=self.req.pk)

        def _work(self):
            """The operator's next step, whatever the state (so that sequences reach delivery)."""
            step = {Status.PICK_FROM_SHELF: lambda: services.pick(operator, self.req),
                    Status.IN_DIGITIZATION: lambda: services.attach_file(
                        operator, self.req, SimpleUploadedFile("s.pdf", b"%PDF-1.4", content_type="application/pdf")),
                    Status.FILE_ATTACHED: lambda: services.deliver(operator, self.req),
                    Status.DELIVERED: lambda: services.complete(operator, self.req)}.get(self.req.status,
                                                                                      lambda: services.pick(operator, self.req))
            self._do(step)

        @rule()
        def work(self):
            self._work()

        @rule()
        def more_work(self):
            self._work()

        @rule()
        def deliver_now(self):
            self._do(services.deliver, operator, self.req)

        @rule(copyright=st.booleans())
        def approve(self, copyright):
            self._do(services.approve, manager, self.req, copyright=copyright)

        @rule(copyright=st.booleans())
        def reject(self, copyright):
            self._do(services.reject, manager, self.req, copyright=copyright, reason="no")

        @rule()
        def deliver(self):
            self._do(services.deliver, operator, self.req)

        @rule()
        def cancel(self):
            self._do(services.cancel, operator, self.req, reason="x")

        @invariant()
        def holds(self):
            req = getattr(self, "req", None)
            if req is None:
                return
            assert req.status in workflow.WORKFLOW.states()
            cleared = services._cleared(req)
            if req.status in (Status.DELIVERED, Status.COMPLETED):
                assert cleared and req.representation is not None and req.representation.active
            if req.representation is not None and req.status not in CLOSED:
                assert req.representation.active == cleared
            if req.status == Status.PENDING_APPROVAL:
                assert self.mode == "blocking" and TaskStatus.PENDING in (req.approval, req.copyright)
            if req.status == Status.REJECTED:
                assert req.representation is None
            if req.status in CLOSED:
                assert req.due_at is None
            if self.mode == "automatic":
                assert TaskStatus.PENDING not in (req.approval, req.copyright)

    Machine.TestCase.settings = settings(max_examples=40, stateful_step_count=10, deadline=None,
                                         suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
    Machine.TestCase().runTest()
    assert Representation.objects.filter(active=False, pk__in=DigitizationRequest.objects.filter(
        status=Status.REJECTED).values("representation_id")).count() == 0

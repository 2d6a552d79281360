"""Demo data: digital titles under long-term loan with 1–3 concurrent users and a queue."""
import io

from django.core.management import call_command

from syllabus.lending import selectors
from syllabus.lending.models import AccessRightsPolicy, LoanRequest, LoanSettings, Status
from syllabus.org.models import User


def test_demo_has_titles_with_1_to_3_copies_active_loans_and_waitlists(db):
    call_command("demo", no_migrate=True, stdout=io.StringIO())
    assert AccessRightsPolicy.objects.filter(institution__code="riverside", long_term_loan=True).count() == 2
    copies = sorted(LoanSettings.objects.filter(policy__long_term_loan=True).values_list("concurrent_users", flat=True))
    assert set(copies) == {1, 2, 3}
    for st in LoanSettings.objects.all():
        assert LoanRequest.objects.filter(representation=st.representation, status=Status.ACTIVE).count() <= st.concurrent_users
    assert LoanRequest.objects.filter(status=Status.READY).count() >= 8
    student = User.objects.get(username="student")
    card = selectors.library_card(student)
    assert sorted((r.step, r.place) for r in card["current"]) == [("in_waitlist", 2), ("is_being_viewed", 0)]
    n = LoanRequest.objects.count()
    call_command("demo", no_migrate=True, stdout=io.StringIO())
    assert LoanRequest.objects.count() == n

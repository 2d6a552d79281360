"""Fixtures for long-term digital loans: staff with the lending roles, a policy with a
default rule, and representations configured with N copies."""
from __future__ import annotations

import itertools

import pytest

from syllabus.org.roles import Role

_seq = itertools.count(1)

DEFAULT_RULE = dict(request_priority=0, session_period=3, session_period_unit="days", grace_period=2, grace_period_unit="days",
                    grace_included_in_session=False, renewable=True, max_renewal_days=10, open_for_renewal_days=1,
                    renewable_when_others_wait=False, limit_reloan=False, reloan_limit_days=0)


@pytest.fixture
def lending_staff(make_user):
    """Requests Operator and Digital Inventory Operator at the institution (monitoring, set-up)."""
    return make_user("lender", group="staff", roles=[Role.REQUESTS_OPERATOR, Role.DIGITAL_INVENTORY_OPERATOR],
                     first_name="Lena", last_name="Lender")


@pytest.fixture
def make_policy(inst_a, lending_staff):
    from syllabus.lending import services

    def make(name: str | None = None, *, rules=None, limit_note="All copies are on loan: join the waitlist.", **rule):
        rules = rules if rules is not None else [DEFAULT_RULE | rule]
        return services.create_policy(lending_staff, inst_a, name=name or f"CDL policy {next(_seq)}", long_term_loan=True,
                                      limit_note=limit_note, rules=rules)

    return make


@pytest.fixture
def policy(make_policy):
    return make_policy("Controlled digital lending")


@pytest.fixture
def make_rep(inst_a, library_a, lending_staff, policy):
    from syllabus.catalog.models import Record, Representation
    from syllabus.lending import services

    def make(copies: int = 1, *, title: str | None = None, pol=None, library=None):
        n = next(_seq)
        record = Record.objects.create(institution=inst_a, source_id=f"ldl-test-{n}", title=title or f"Middlemarch {n}")
        rep = Representation.objects.create(record=record, library=library or library_a, label=f"Scan {n}")
        services.configure_representation(lending_staff, rep, policy=pol or policy, concurrent_users=copies)
        rep.refresh_from_db()
        return rep

    return make


@pytest.fixture
def rep(make_rep):
    return make_rep(1, title="Middlemarch")


@pytest.fixture
def patrons(make_user):
    """Five registered students p1..p5 with e-mail and phone."""
    return [make_user(f"p{i}", first_name=f"Pat{i}", last_name="Reader", phone=f"+1555000{i}") for i in range(1, 6)]

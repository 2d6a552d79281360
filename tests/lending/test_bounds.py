"""Issue 18, item 3: one request could stall the service — PATCH a representation with 1.5
million concurrent users built that many rows in one write transaction.  The schema refuses
any number above its ceiling before the database is touched."""
from __future__ import annotations

from tests.problem import problem


def test_a_huge_concurrent_users_is_refused_at_the_schema(api, lending_staff, rep):
    from syllabus.lending.models import LoanSettings

    before = LoanSettings.objects.get(representation=rep).concurrent_users
    r = api(lending_staff).patch(f"/api/v1/representations/{rep.pk}", {"concurrent_users": 1_500_000})
    assert r.status_code == 422
    assert problem(r)["field"] == "concurrent_users"
    assert LoanSettings.objects.get(representation=rep).concurrent_users == before


def test_the_ceiling_itself_is_documented(client, db):
    doc = client.get("/api/v1/openapi.json").json()
    prop = doc["components"]["schemas"]["RepresentationPatch"]["properties"]["concurrent_users"]
    assert prop["maximum"] == 10_000 and prop["minimum"] == 0


def test_the_schema_accepts_no_priority_the_rule_refuses(api, lending_staff, policy):
    """Found by `make bench BENCH_ARGS=limits`: the schema took priorities up to 1000 that LDL-1
    then refused; the schema's ceiling is now the rule's (99)."""
    me = api(lending_staff)
    top = me.patch(f"/api/v1/access-rights-policies/{policy.pk}", {"rules": [{"request_priority": 99}]})
    assert top.status_code == 200 and top.json()["rules"][0]["request_priority"] == 99
    above = me.patch(f"/api/v1/access-rights-policies/{policy.pk}", {"rules": [{"request_priority": 100}]})
    assert above.status_code == 422 and problem(above)["field"] == "rules.0.request_priority"

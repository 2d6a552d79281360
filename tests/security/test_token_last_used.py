"""Issue 18 item 3 (the token part): a token-authenticated call writes the token's last-used time
at most once a minute per token, so that read-only API calls do not each take the write lock."""
import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.org.models import ApiToken

pytestmark = pytest.mark.django_db


def _token_writes(queries) -> int:
    return sum(1 for q in queries if q["sql"].lstrip().upper().startswith("UPDATE") and "org_apitoken" in q["sql"].lower())


def test_many_calls_in_a_minute_write_the_last_used_time_once(api, clock, student):
    client = api(student)
    with CaptureQueriesContext(connection) as queries:
        for _ in range(30):
            assert client.get("/api/v1/me").status_code == 200
            clock.advance(dt.timedelta(seconds=1))
    assert _token_writes(queries.captured_queries) == 1
    first = ApiToken.objects.get(user=student).last_used_at

    clock.advance(dt.timedelta(seconds=31))  # a minute after the first write
    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/me")
        client.get("/api/v1/me")
    assert _token_writes(queries.captured_queries) == 1
    assert ApiToken.objects.get(user=student).last_used_at == first + dt.timedelta(seconds=61)


def test_a_call_within_the_minute_of_the_last_write_does_not_write(clock, student):
    from syllabus.org.services import create_api_token, user_for_token

    _, raw = create_api_token(student)
    assert user_for_token(raw) == student
    stamped = ApiToken.objects.get(user=student).last_used_at
    ApiToken.objects.filter(user=student).update(last_used_at=clock.now() - dt.timedelta(seconds=30))
    with CaptureQueriesContext(connection) as queries:
        user_for_token(raw)
    assert _token_writes(queries.captured_queries) == 0
    assert stamped is not None

"""What a launch costs at term start (LMS-1, LMS-2; issue 19, session 21): every student of a course
launches within minutes, so a launch must not grow with the course — it reads the launching
person's own membership, never the course's roster — and a returning student's launch writes
nothing but the login's use, the identity's last launch and the session."""
from http.cookies import SimpleCookie
from urllib.parse import urlsplit

from django.db import connection
from django.test.utils import CaptureQueriesContext

from syllabus.courses.models import Enrollment
from syllabus.lti import config
from syllabus.org.models import User
from tests.lti.conftest import LEARNER, context

# a returning learner's launch: login state, deployment, key set, nonce, tool key, login used, identity
# and its last launch, the context link, the person's membership (2), session and sign-in, the landing's
# one list query — 21 on SQLite (BEGINs counted), a few more statements on PostgreSQL
RETURNING_LAUNCH_MAX = 24


def _launch_queries(client, launch, sub: str):
    """Launch ``sub`` as a new browser; (response, the launch request's statements)."""
    client.cookies = SimpleCookie()
    action, fields = launch.authenticate(launch.start({"sub": sub, "roles": [LEARNER], "context": context(label="HIST101"),
                                                       "nrps": False, "given_name": "Sam", "family_name": sub}))
    with CaptureQueriesContext(connection) as queries:
        response = client.post(urlsplit(action).path, fields)
    return response, [q["sql"] for q in queries.captured_queries]


def _enrol_many(course, n: int) -> None:
    people = User.objects.bulk_create([User(username=f"roster-{i}", institution=course.institution) for i in range(n)])
    Enrollment.objects.bulk_create([Enrollment(course=course, user=u) for u in people])


def test_a_returning_students_launch_does_not_grow_with_the_course_and_reads_no_roster(client, launch, course, reading_list):
    first, _ = _launch_queries(client, launch, "lms-s1")
    assert first.status_code == 302 and first["Location"] == f"/lists/{reading_list.pk}/"
    small, small_sql = _launch_queries(client, launch, "lms-s1")
    _enrol_many(course, 150)
    big, big_sql = _launch_queries(client, launch, "lms-s1")
    assert small["Location"] == big["Location"] == f"/lists/{reading_list.pk}/"
    assert len(big_sql) == len(small_sql) <= RETURNING_LAUNCH_MAX, "\n".join(big_sql)
    # the course's memberships are read for the launching person only (LMS-2: enrol by role)
    roster = [sql for sql in big_sql if "courses_enrollment" in sql or "courses_course_instructors" in sql]
    assert roster and all('"user_id" IN' in sql or '"user_id" =' in sql for sql in roster), roster
    # nothing to enrol: no audit entry, no course touched
    assert not any(sql.startswith(('INSERT INTO "core_auditentry"', 'UPDATE "courses_course"')) for sql in big_sql), big_sql


def test_a_first_launch_enrols_in_the_same_number_of_statements_whatever_the_course_size(client, launch, course, reading_list):
    _launch_queries(client, launch, "lms-new-0")   # the context's first launch links it to the course
    first, first_sql = _launch_queries(client, launch, "lms-new-1")
    _enrol_many(course, 150)
    second, second_sql = _launch_queries(client, launch, "lms-new-2")
    assert first.status_code == second.status_code == 302
    assert len(first_sql) == len(second_sql), "\n".join(second_sql)
    assert Enrollment.objects.filter(course=course, user__lti_identities__sub__in=["lms-new-1", "lms-new-2"]).count() == 2


def test_the_tools_public_key_is_its_published_key(client, launch, course, reading_list):
    """The registration's public key is made from the published JWK, not from the private key:
    the same PEM, and the same kid pylti1p3 derives from it (what a platform checks a deep link
    response or a service token against)."""
    from jwcrypto.jwk import JWK
    from pylti1p3.registration import Registration

    from syllabus.lti import keys

    key = keys.signing_key()
    pem = config._public_pem(key)
    assert pem == JWK.from_pem(key.private_key_pem.encode()).export_to_pem().decode()
    assert Registration.get_jwk(pem)["kid"] == key.kid
    rotated = keys.rotate()
    assert config._public_pem(rotated) != pem and Registration.get_jwk(config._public_pem(rotated))["kid"] == rotated.kid

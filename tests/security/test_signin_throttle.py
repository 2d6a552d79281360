"""Issue 18 item 5 (§12): sign-in is throttled by account and by address — 40 wrong passwords
then the right one must not get in — with a clear message naming the rule, a lock that ends by
itself or that an administrator lifts, on the site's and the admin's sign-in alike; API token
creation on a person's own request is throttled too."""
import datetime as dt

import pytest

from syllabus.core.errors import RuleViolation
from syllabus.org.models import SignInThrottle
from syllabus.org.services import create_api_token

pytestmark = pytest.mark.django_db


def _sign_in(client, username, password, url="/login/", address="203.0.113.7"):
    return client.post(url, {"username": username, "password": password}, REMOTE_ADDR=address)


def test_forty_wrong_passwords_then_the_right_one_is_refused_with_a_clear_message(client, clock, student):
    for _ in range(40):
        _sign_in(client, "student", "guess")
    r = _sign_in(client, "student", "pw")
    assert r.status_code == 429 and "_auth_user_id" not in client.session
    assert "AUTH-THROTTLE" in r.content.decode() and "too many failed sign-ins for this account" in r.content.decode()
    assert int(r["Retry-After"]) > 0
    # the lock ends by itself
    clock.advance(dt.timedelta(minutes=16))
    r = _sign_in(client, "student", "pw")
    assert r.status_code == 302 and client.session["_auth_user_id"] == str(student.pk)


def test_the_account_lock_holds_from_another_address_and_without_a_request(client, clock, student):
    for n in range(5):
        _sign_in(client, "Student", "guess", address=f"198.51.100.{n}")
    assert _sign_in(client, "student", "pw", address="192.0.2.99").status_code == 429
    assert client.login(username="student", password="pw") is False


def test_an_address_is_locked_after_failures_across_many_accounts(client, clock, make_user):
    make_user("victim")
    for n in range(20):
        _sign_in(client, f"nobody{n}", "guess", address="203.0.113.50")
    r = _sign_in(client, "victim", "pw", address="203.0.113.50")
    assert r.status_code == 429 and "from your network address" in r.content.decode()
    assert _sign_in(client, "victim", "pw", address="203.0.113.51").status_code == 302


def test_a_right_password_clears_the_count(client, clock, student):
    for _ in range(4):
        _sign_in(client, "student", "guess")
    assert _sign_in(client, "student", "pw").status_code == 302
    client.logout()
    for _ in range(4):
        _sign_in(client, "student", "guess")
    assert _sign_in(client, "student", "pw").status_code == 302


def test_the_admin_sign_in_is_throttled_and_an_administrator_unlocks_an_account(client, clock, student, admin_user):
    for _ in range(6):
        _sign_in(client, "student", "guess", url="/admin/login/")
    r = _sign_in(client, "admin", "pw", url="/admin/login/?next=/admin/")
    assert r.status_code == 302, "another account is not locked"
    assert SignInThrottle.objects.get(kind="account", key="student").is_locked
    # the institution's administrator lifts the lock from the user list
    r = client.post("/admin/org/user/", {"action": "unlock_sign_in", "_selected_action": [student.pk]})
    assert r.status_code == 302
    assert not SignInThrottle.objects.filter(kind="account", key="student").exists()
    client.logout()
    assert _sign_in(client, "student", "pw", address="203.0.113.8").status_code == 302


def test_an_administrator_of_another_institution_cannot_unlock_or_see_locks(client, clock, student, make_user, inst_b):
    from syllabus.org.roles import Role

    other_admin = make_user("admin_b", institution=inst_b, roles=[Role.GENERAL_SYSTEM_ADMINISTRATOR], is_staff=True)
    for _ in range(5):
        _sign_in(client, "student", "guess")
    client.force_login(other_admin)
    client.post("/admin/org/user/", {"action": "unlock_sign_in", "_selected_action": [student.pk]})
    assert SignInThrottle.objects.get(kind="account", key="student").is_locked
    assert client.get("/admin/org/signinthrottle/").status_code == 403


def test_token_creation_on_a_persons_request_is_throttled(student, clock):
    for _ in range(10):
        create_api_token(student, throttled=True)
    with pytest.raises(RuleViolation) as refused:
        create_api_token(student, throttled=True)
    assert refused.value.rule == "AUTH-THROTTLE" and refused.value.status == 429
    clock.advance(dt.timedelta(hours=1, seconds=1))
    create_api_token(student, throttled=True)


def test_a_full_width_name_counts_against_the_same_account(clock, student):
    """The account a failure counts against is read like the sign-in form reads names (NFKC)."""
    from syllabus.org import throttle
    from tests.conftest import full_width

    for _ in range(5):
        throttle.record_failure(full_width("STUDENT"), "")
    with pytest.raises(throttle.SignInLocked):
        throttle.check("student", "")


def test_the_timer_sweep_forgets_failures_that_no_longer_count_but_keeps_locks(client, clock, student, settings):
    """Bounded: every name typed gets a row; the sweep removes the ones whose window is over and
    that are not locked, so random names do not grow the table for ever."""
    from syllabus.core.tasks import run_tick

    settings.SIGNIN_LOCKOUT_SECONDS = 3600
    _sign_in(client, "nobody-1", "x", address="203.0.113.8")
    for _ in range(5):
        _sign_in(client, "student", "wrong", address="203.0.113.9")
    clock.advance(dt.timedelta(minutes=16))  # past the 15-minute window; the account is locked for an hour
    assert run_tick()["org_forget_signin_failures"] == 3          # nobody-1, its address, and the student's address
    assert list(SignInThrottle.objects.values_list("key", flat=True)) == ["student"]
    assert _sign_in(client, "student", "pw").status_code == 429   # the lock still holds


def _behind_proxy(client, username, password, forwarded, proxy="10.0.0.2"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=proxy,
                       HTTP_X_FORWARDED_FOR=forwarded)


def test_auth_throttle_behind_a_proxy_a_forged_forwarded_for_is_not_a_new_address(client, clock, make_user, settings):
    """Session 19: a proxy (nginx's ``$proxy_add_x_forwarded_for``, HAProxy, a cloud balancer) appends
    the address it saw to the ``X-Forwarded-For`` the client sent; only the right-hand entries are
    the proxies' word.  Before, the *first* entry counted: a guesser sending a new made-up address
    with every attempt was never locked by address — password spraying across accounts, and an ILL
    partner's secret (its lock is per partner and address, CON-2), guessed without end."""
    settings.SIGNIN_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    make_user("victim")
    for n in range(20):
        _behind_proxy(client, f"nobody{n}", "guess", f"192.0.2.{n}, 203.0.113.50")
    r = _behind_proxy(client, "victim", "pw", "192.0.2.250, 203.0.113.50")
    assert r.status_code == 429 and "from your network address" in r.content.decode()
    assert _behind_proxy(client, "victim", "pw", "203.0.113.51").status_code == 302


def test_auth_throttle_behind_two_proxies_the_address_the_first_one_saw_counts(client, clock, make_user, settings):
    """``SIGNIN_TRUSTED_PROXIES`` = 2 (a CDN in front of the load balancer): the second entry from the right."""
    settings.SIGNIN_CLIENT_IP_HEADER = "HTTP_X_FORWARDED_FOR"
    settings.SIGNIN_TRUSTED_PROXIES = 2
    from syllabus.org.throttle import client_address
    from django.test import RequestFactory

    def seen(value):
        return client_address(RequestFactory().get("/", HTTP_X_FORWARDED_FOR=value, REMOTE_ADDR="10.0.0.2"))

    assert seen("1.1.1.1, 203.0.113.50, 198.51.100.9") == "203.0.113.50"
    assert seen("203.0.113.50, 198.51.100.9") == "203.0.113.50"
    assert seen("198.51.100.9") == "198.51.100.9"   # fewer entries than proxies: the leftmost there is
    assert seen(" , ") == "10.0.0.2"                # nothing usable: the connection's address

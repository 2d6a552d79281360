"""The CSRF token a kept student page is filled with (syllabus.web.csrf, issue 19 session 12):
a token Django's CSRF check accepts, new on every response, from the reader's cookie secret."""
from collections import Counter

from django.middleware import csrf as django_csrf
from django.test import RequestFactory

from syllabus.web.csrf import get_token


def test_the_token_is_the_cookie_secret_masked_as_django_masks_it():
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = secret = django_csrf._get_new_csrf_string()
    tokens = {get_token(request) for _ in range(200)}
    assert len(tokens) == 200   # a new mask on every response
    for token in tokens:
        django_csrf._check_token_format(token)   # 64 allowed characters
        assert django_csrf._unmask_cipher_token(token) == secret
        assert django_csrf._does_token_match(token, secret)
    assert request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True   # the cookie is sent again, as Django does


def test_a_request_without_a_cookie_gets_a_new_secret_and_its_cookie():
    request = RequestFactory().get("/")
    token = get_token(request)
    secret = request.META["CSRF_COOKIE"]
    assert len(secret) == 32 and request.META["CSRF_COOKIE_NEEDS_UPDATE"] is True
    assert django_csrf._unmask_cipher_token(token) == secret


def test_every_character_can_be_drawn_for_the_mask():
    request = RequestFactory().get("/")
    request.META["CSRF_COOKIE"] = django_csrf._get_new_csrf_string()
    drawn = Counter("".join(get_token(request)[:32] for _ in range(2000)))
    assert set(drawn) == set(django_csrf.CSRF_ALLOWED_CHARS)

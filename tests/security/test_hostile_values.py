"""Attack class: numbers beyond what the database holds, NUL characters and Unicode look-alikes.

- every page given a NUL character in each query value it reads: a ``WEB-QUERY`` refusal (400)
  naming the parameter before the view runs (PostgreSQL stores no NUL: it was a DataError);
- ids beyond 2^63 in a page, the API and the admin: 404 (or the admin's "does not exist"), never
  PostgreSQL's "integer out of range" (the full walk: tests/web/test_query_sizes.py,
  tests/api/test_input_sizes.py);
- a username is read in NFKC, as the sign-in form reads what is typed: a full-width
  "ａｎｎａ" in a people file is the account "anna", not a look-alike second account.
"""
from urllib.parse import urlencode

import pytest

from tests.web.test_query_sizes import PAGES, _route, people  # noqa: F401  (the walk and its people)

pytestmark = pytest.mark.django_db

BEYOND = ["9223372036854775808", "99999999999999999999"]


def test_a_nul_character_in_any_page_query_is_refused_naming_the_parameter(client, people):  # noqa: F811
    client.force_login(people["superuser"])
    for param in PAGES:
        _name, route, names, _ceiling = param.values
        r = client.get(_route(route) + "?" + urlencode({n: "a\x00b" for n in names}))
        assert r.status_code == 400 and "WEB-QUERY" in r.content.decode() and "NUL" in r.content.decode(), \
            (route, r.status_code)


def test_ids_beyond_a_bigint_are_not_found(client, api, librarian, admin_user):
    me = api(librarian)
    for n in BEYOND:
        assert me.get(f"/api/v1/lists/{n}").status_code in (404, 422)
        client.force_login(librarian)
        assert client.get(f"/lists/{n}/").status_code == 404
        client.force_login(admin_user)
        r = client.get(f"/admin/lists/resourcelist/{n}/change/")
        assert r.status_code in (302, 404), r.status_code


def test_a_full_width_username_is_the_same_account(inst_a):
    from syllabus.org.models import User
    from syllabus.org.services import import_users

    report = import_users("username,first_name\nanna,Anna\nａｎｎａ,Impostor\n", inst_a)
    assert report.created == 1 and len(report.rejected) == 1, report.lines
    assert "duplicate of line 2" in " ".join(report.lines)
    assert list(User.objects.filter(first_name__in=["Anna", "Impostor"]).values_list("username", flat=True)) == ["anna"]

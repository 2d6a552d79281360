"""Letters: declared in code, edited per institution by the Letter Administrator (LTR-1), checked
at save time (LTR-2, acceptance 5), previewed from the sample context, switched off (LTR-3)."""
from __future__ import annotations

import pytest

from syllabus.core.audit import trail
from syllabus.core.errors import PermissionDenied, RuleViolation
from syllabus.notify.letters import LETTERS
from syllabus.notify.models import LetterConfig, OutboxMessage
from syllabus.notify.services import (
    preview_letter, queue_letter, render_letter, reset_letter, save_letter, template_errors,
)
from syllabus.notify import templating
from syllabus.org.roles import Role
from tests.problem import problem

pytestmark = pytest.mark.django_db


# --- acceptance 5: a template error is caught at save time with a clear message -----------------

@pytest.mark.parametrize("body, message", [
    ("Dear {{ patron }},\n{% if due %}\nDue {{ due }}\n{% endfi %}", "Body, line 4: Invalid block tag on line 4: 'endfi', expected 'elif', 'else' or 'endif'."),
    ("Dear {{ patrn }}", "Body, line 1: unknown variable “patrn”; this letter receives: patron, title, due, link, recipient_name, institution_name"),
    ("Dear {{ patron|shout }}", "Body, line 1: Invalid filter: 'shout'"),
    ("{% load static %}{{ patron }}", "Body, line 1: the tag {% load %} is not allowed in letters"),
    ("{% debug %}", "Body, line 1: the tag {% debug %} is not allowed in letters"),
    ("Hello\n\n{{ title", "Body, line 3: “{{” is never closed with “}}”"),
    ("{% for b in books %}{{ b }}{% endfor %}", "Body, line 1: unknown variable “books”"),
    # variables used as filter arguments (they render as "" instead of failing, so only the check sees them)
    ("Dear {{ patron|default:patorn }}", "Body, line 1: unknown variable “patorn”"),
    ("Hi\n{% if title|default:ttle %}{{ title }}{% endif %}", "Body, line 2: unknown variable “ttle”"),
    ("{% for b in title|slice:lenght %}{{ b }}{% endfor %}", "Body, line 1: unknown variable “lenght”"),
    ("{% with t=title|default:titel %}{{ t }}{% endwith %}", "Body, line 1: unknown variable “titel”"),
    ("{% with t=titel %}{{ t }}{% endwith %}", "Body, line 1: unknown variable “titel”"),
])
def test_acceptance_5_a_template_error_is_caught_at_save_time_with_a_clear_message(due_letter, letter_admin, inst_a, body, message):
    with pytest.raises(RuleViolation) as caught:
        save_letter(letter_admin, inst_a, "test_due_soon", body=body)
    assert caught.value.rule == "LTR-2"
    assert caught.value.field == "body"
    assert caught.value.detail.startswith(message)
    assert not LetterConfig.objects.exists(), "nothing half-written"


@pytest.mark.parametrize("body", [
    "Dear {{ patron|default:recipient_name }}",
    "{{ title|default:\"a book\" }} due {{ due|date:\"j F\"|default:due }}",
    "{% for b in title|slice:\":3\" %}{{ b|default:forloop.counter }}{% endfor %}",
    "{% with t=title %}{{ patron|default:t }}{% endwith %}",
])
def test_known_variables_and_literals_as_filter_arguments_are_accepted(due_letter, letter_admin, inst_a, body):
    assert save_letter(letter_admin, inst_a, "test_due_soon", body=body).body == body


def test_acceptance_5_through_the_api_the_error_is_a_400_with_rule_and_nothing_is_saved(api, due_letter, letter_admin):
    r = api(letter_admin).put("/api/v1/letters/test_due_soon", {"subject": "{{ title } is due", "body": "ok {{ patron }}"})
    assert r.status_code == 400
    assert problem(r) == {"rule": "LTR-2", "detail": "Subject, line 1: “{{” is never closed with “}}”", "field": "subject"}
    r = api(letter_admin).put("/api/v1/letters/test_due_soon", {"subject": "{{ title }} is due", "body": "ok {{ patron }}"})
    assert r.status_code == 200 and r.json()["subject"] == "{{ title }} is due"
    r = api(letter_admin).put("/api/v1/letters/test_due_soon", {"subject": "{% if title %}{{ title }}", "body": "ok"})
    assert r.status_code == 400
    assert r.json()["rule"] == "LTR-2"
    assert r.json()["detail"].startswith("Subject, line 1: Unclosed tag on line 1: 'if'")
    assert LetterConfig.objects.get().subject == "{{ title }} is due"


def test_acceptance_5_on_the_editor_page_the_error_is_shown_next_to_the_field(client, due_letter, letter_admin):
    client.force_login(letter_admin)
    r = client.post("/notifications/letters/test_due_soon/", {
        "enabled": "on", "channel_email": "on", "subject": "{{ title }}", "body": "Dear {{ patrn }}", "sms": ""})
    assert r.status_code == 400
    html = r.content.decode()
    assert "The letter is not saved" in html
    assert "unknown variable “patrn”" in html
    assert 'id="letter-body" name="body" rows="12" cols="70" aria-invalid="true"' in html
    assert "Dear {{ patrn }}" in html, "what the administrator typed is kept"
    assert not LetterConfig.objects.exists()


def test_every_declared_letter_compiles_with_its_own_variables():
    """The code's own letters obey LTR-2 too (every app's letters.py)."""
    for letter in LETTERS.values():
        assert template_errors(letter, {"subject": letter.subject, "body": letter.body, "sms": letter.sms or None}) == {}, letter.code


# --- editing, preview, reset ----------------------------------------------------------------------

def test_an_edited_template_is_what_queue_letter_renders_for_that_institution_only(due_letter, letter_admin, inst_a, inst_b, patron, make_user):
    save_letter(letter_admin, inst_a, "test_due_soon", subject="Please return {{ title }}", sms="Return {{ title }}!")
    rows = {r.channel: r for r in queue_letter("test_due_soon", patron, {"title": "Emma", "due": "Friday", "patron": "Pat"}, key="k1")}
    assert rows["email"].subject == "Please return Emma"
    assert rows["email"].body.startswith("Dear Pat,")
    assert rows["sms"].body == "Return Emma!"
    other = make_user("b-patron", institution=inst_b, email="b@b.example")
    assert queue_letter("test_due_soon", other, {"title": "Emma", "due": "Friday"}, key="k2")[0].subject == "Emma is due on Friday"
    assert render_letter("test_due_soon", {"title": "X"}, institution=inst_a)[0] == "Please return X"


def test_saving_the_default_text_keeps_the_letter_following_the_code(due_letter, letter_admin, inst_a):
    config = save_letter(letter_admin, inst_a, "test_due_soon", subject=due_letter.subject, body="Hi {{ patron }}")
    assert config.subject is None and config.body == "Hi {{ patron }}"
    reset_letter(letter_admin, inst_a, "test_due_soon")
    config.refresh_from_db()
    assert config.body is None
    assert [e.action for e in trail(config)][:2] == ["updated", "created"]


def test_the_preview_renders_the_sample_context(due_letter, inst_a):
    preview = preview_letter(due_letter, {"subject": "{{ title|upper }} / {{ institution_name }}"}, institution=inst_a)
    assert preview["errors"] == {}
    assert preview["subject"] == "MIDDLEMARCH / Institution A"
    assert preview["body"].startswith("Dear Ada Lovelace,")
    assert preview["sms"] == "Middlemarch due 2026-03-09"
    assert preview_letter(due_letter, {"body": "{{ nope }}"})["errors"]["body"].startswith("line 1: unknown variable")


def test_the_preview_api_and_htmx_fragment(api, client, due_letter, letter_admin):
    r = api(letter_admin).post("/api/v1/letters/test_due_soon/preview", {"subject": "Due: {{ due }}"})
    assert r.status_code == 200 and r.json()["subject"] == "Due: 2026-03-09"
    client.force_login(letter_admin)
    r = client.post("/notifications/letters/test_due_soon/preview/", {"subject": "Due: {{ due }}", "body": "{{ title }}"},
                    HTTP_HX_REQUEST="true")
    assert 'data-testid="preview-subject">Due: 2026-03-09<' in r.content.decode()
    r = client.post("/notifications/letters/test_due_soon/preview/", {"subject": "{% if %}", "body": "x"}, HTTP_HX_REQUEST="true")
    assert 'data-testid="preview-errors"' in r.content.decode()


def test_switches_through_the_api(api, due_letter, letter_admin):
    r = api(letter_admin).put("/api/v1/letters/test_due_soon", {"channels": {"sms": False}})
    assert r.status_code == 200
    assert {c["channel"]: c["enabled"] for c in r.json()["channels"]} == {"email": True, "sms": False, "inapp": True}
    r = api(letter_admin).put("/api/v1/letters/test_due_soon", {"channels": {"fax": True}})
    assert r.status_code == 400 and r.json()["rule"] == "LTR-3"
    r = api(letter_admin).put("/api/v1/letters/test_due_soon", {"enabled": False})
    assert r.json()["enabled"] is False
    listing = api(letter_admin).get("/api/v1/letters").json()["items"]
    assert {"code": "test_due_soon", "enabled": False} .items() <= next(row for row in listing if row["code"] == "test_due_soon").items()


def test_the_letters_page_switches_a_letter_with_htmx(client, due_letter, letter_admin, patron):
    client.force_login(letter_admin)
    page = client.get("/notifications/letters/")
    assert page.status_code == 200 and 'data-letter="test_due_soon"' in page.content.decode()
    r = client.post("/notifications/letters/test_due_soon/switch/", {"enabled": "0"}, HTTP_HX_REQUEST="true")
    assert r.status_code == 200
    assert 'aria-pressed="false" data-testid="letter-switch"' in r.content.decode()
    assert queue_letter("test_due_soon", patron, {"title": "T"}, key="x")[0].status == OutboxMessage.Status.SUPPRESSED
    r = client.post("/notifications/letters/test_due_soon/switch/", {"channel": "sms", "enabled": "0"}, HTTP_HX_REQUEST="true")
    assert 'aria-pressed="false" data-channel="sms"' in r.content.decode()


def test_a_switch_of_a_channel_no_letter_has_is_refused_naming_ltr3(client, due_letter, letter_admin):
    """LTR-3: the switch is read by a form — an unknown channel is the refusal page naming the rule, and
    changes nothing (it used to answer a bare text line)."""
    client.force_login(letter_admin)
    r = client.post("/notifications/letters/test_due_soon/switch/", {"channel": "fax", "enabled": "0"})
    assert r.status_code == 400
    html = r.content.decode()
    assert "<strong>LTR-3:</strong>" in html and "fax" in html and 'href="/notifications/letters/"' in html
    r = client.post("/notifications/letters/test_due_soon/switch/", {"enabled": "maybe"})
    assert r.status_code == 400 and "<strong>LTR-3:</strong>" in r.content.decode()
    page = client.get("/notifications/letters/").content.decode()
    assert 'aria-pressed="true" data-testid="letter-switch"' in page and 'aria-pressed="true" data-channel="sms"' in page


def test_the_editor_saves_and_shows_the_preview(client, due_letter, letter_admin, inst_a):
    client.force_login(letter_admin)
    r = client.get("/notifications/letters/test_due_soon/")
    assert r.status_code == 200 and "Dear Ada Lovelace," in r.content.decode()
    r = client.post("/notifications/letters/test_due_soon/", {
        "enabled": "on", "channel_email": "on", "channel_inapp": "on",
        "subject": "Due: {{ title }}", "body": "{{ patron }}: {{ title }}", "sms": ""})
    assert r.status_code == 302
    config = LetterConfig.objects.get(institution=inst_a)
    assert (config.subject, config.body, config.sms, config.disabled_channels) == ("Due: {{ title }}", "{{ patron }}: {{ title }}", "", ["sms"])
    assert config.updated_by == letter_admin


def test_send_me_a_test_queues_the_sample_to_the_administrator(client, due_letter, letter_admin):
    client.force_login(letter_admin)
    r = client.post("/notifications/letters/test_due_soon/test/")
    assert r.status_code == 302
    row = OutboxMessage.objects.get(recipient=letter_admin, channel="email")
    assert row.subject == "Middlemarch is due on 2026-03-09" and row.idempotency_key.startswith("test:test_due_soon:")


# --- who may edit letters (LTR-1) ---------------------------------------------------------------

def test_only_the_letter_administrator_edits_letters(due_letter, inst_a, make_user, librarian, admin_user):
    with pytest.raises(PermissionDenied) as caught:
        save_letter(librarian, inst_a, "test_due_soon", subject="x")
    assert caught.value.rule == "LTR-1"
    assert save_letter(admin_user, inst_a, "test_due_soon", subject="By the system administrator").subject


def test_a_letter_administrator_of_another_institution_cannot_edit_ours(due_letter, inst_a, inst_b, make_user):
    other = make_user("other-letters", institution=inst_b, roles=[Role.LETTER_ADMINISTRATOR])
    with pytest.raises(PermissionDenied):
        save_letter(other, inst_a, "test_due_soon", subject="x")


@pytest.mark.parametrize("path", ["/notifications/letters/", "/notifications/letters/test_due_soon/", "/notifications/outbox/"])
def test_letter_pages_need_a_login_and_the_role(client, due_letter, path, student, librarian, letter_admin):
    r = client.get(path)
    assert r.status_code == 302 and "/login/" in r["Location"]
    client.force_login(student)
    assert client.get(path).status_code == 403
    client.force_login(librarian)
    assert client.get(path).status_code == 403
    client.force_login(letter_admin)
    assert client.get(path).status_code == 200


@pytest.mark.parametrize("method, path", [("get", "/api/v1/letters"), ("get", "/api/v1/letters/test_due_soon"),
                                          ("put", "/api/v1/letters/test_due_soon"), ("post", "/api/v1/letters/test_due_soon/preview")])
def test_letter_api_answers_401_403_for_the_wrong_people(api, due_letter, student, method, path):
    assert getattr(api(), method)(path).status_code == 401
    r = getattr(api(student), method)(path)
    assert r.status_code == 403 and r.json()["rule"] == "LTR-1"


def test_an_unknown_letter_is_404(api, client, letter_admin):
    assert api(letter_admin).get("/api/v1/letters/nope").status_code == 404
    client.force_login(letter_admin)
    assert client.get("/notifications/letters/nope/").status_code == 404


def test_a_template_that_breaks_at_run_time_falls_back_to_the_default(due_letter, letter_admin, inst_a, patron, monkeypatch):
    save_letter(letter_admin, inst_a, "test_due_soon", subject="{{ title }} soon")
    real = templating.render

    def broken(source, context):
        if source == "{{ title }} soon":
            raise ValueError("boom")
        return real(source, context)

    monkeypatch.setattr(templating, "render", broken)
    row = queue_letter("test_due_soon", patron, {"title": "Emma", "due": "Friday"}, key="rt", channels=("email",))[0]
    assert row.subject == "Emma is due on Friday"


def test_links_are_absolute_in_email_and_sms_and_relative_in_app(due_letter, patron, settings):
    settings.SITE_URL = "https://syllabus.example.edu/"
    due_letter_body = "{{ link }}"
    from syllabus.notify import letters

    letters.declare_letter("test_link", "Link", channels=("email", "sms", "inapp"), variables=("link",),
                           sample={"link": "/x/"}, subject="s", body=due_letter_body)
    rows = {r.channel: r for r in queue_letter("test_link", patron, {"link": "/lists/4/"}, key="lnk")}
    assert rows["email"].body == rows["sms"].body == "https://syllabus.example.edu/lists/4/"
    assert rows["inapp"].body == "/lists/4/" and rows["inapp"].context["link"] == "/lists/4/"
    del letters.LETTERS["test_link"]


# --- letters declared in an app's letters.toml ----------------------------------------------------

def test_a_letter_from_an_apps_letters_toml_is_edited_and_reset_per_institution(letter_admin, inst_a, inst_b):
    ctx = {"patron": "Pat", "title": "Emma", "library": "Main Library", "reason": "not picked up in time", "link": "/card/"}
    default = render_letter("hold_expired", ctx, institution=inst_a)
    assert default[0] == "Your hold on Emma has expired"
    assert default[1].startswith("Dear Pat,\n\nYour hold on Emma at Main Library has expired: not picked up in time.")
    save_letter(letter_admin, inst_a, "hold_expired", subject="Hold over: {{ title }}")
    assert render_letter("hold_expired", ctx, institution=inst_a)[0] == "Hold over: Emma"
    assert render_letter("hold_expired", ctx, institution=inst_b) == default
    reset_letter(letter_admin, inst_a, "hold_expired")
    assert render_letter("hold_expired", ctx, institution=inst_a) == default


def test_letters_toml_and_letters_py_must_name_the_same_letters(tmp_path, monkeypatch):
    from django.core.exceptions import ImproperlyConfigured

    from syllabus.notify.letters import declare_letters

    package = tmp_path / "letterpkg"
    package.mkdir()
    (package / "__init__.py").write_text("")
    (package / "letters.toml").write_text(
        '[defaults]\nchannels = ["email", "inapp"]\nsample = {x = "Ada"}\n\n'
        "[greeting]\nvariables = [\"x\"]\nsubject = \"Hello {{ x }}\"\nbody = '''\nDear {{ x }},\n\nhello.'''\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    before = dict(LETTERS)
    try:
        with pytest.raises(ImproperlyConfigured):
            declare_letters("letterpkg", {"greeting": "Greeting", "farewell": "Farewell"})
        (package / "letters.toml").write_text((package / "letters.toml").read_text() + 'bdy = "typo"\n')
        with pytest.raises(ImproperlyConfigured, match="unknown keys"):
            declare_letters("letterpkg", {"greeting": "Greeting"})
        (package / "letters.toml").write_text((package / "letters.toml").read_text().replace('bdy = "typo"\n', ""))
        [letter] = declare_letters("letterpkg", {"greeting": "Greeting"})
        assert (letter.channels, letter.variables, letter.sample) == (("email", "inapp"), ("x",), {"x": "Ada"})
        assert (letter.subject, letter.body) == ("Hello {{ x }}", "Dear {{ x }},\n\nhello.")
    finally:
        LETTERS.clear()
        LETTERS.update(before)


# --- issue 19, session 15: letters of text and bare variables rendered without the engine ---------

def _engine(source: str, context: dict) -> str:
    from django.template import Context

    return templating._compiled(source).render(Context(context, autoescape=False)).strip()


def test_every_declared_letter_renders_as_the_engine_renders_it():
    """Every template of every declared letter, with its sample (and with a number where a
    name is expected, a number where text is, a variable missing): the same text as the
    template engine's — whether the template is rendered by joining its parts or not."""
    from syllabus.notify.letters import all_letters

    plain = 0
    for letter in all_letters():
        for source in (letter.subject, letter.body, letter.sms):
            if not source:
                continue
            plain += templating._plain_parts(source) is not None
            sample = letter.full_sample
            variants = [sample, {k: 12345 for k in sample}, {k: f"  {v}\n" for k, v in sample.items()},
                        dict(list(sample.items())[1:])]
            for context in variants:
                assert templating.render(source, context) == _engine(source, context), (letter.code, context)
    assert plain >= 10, "the declared letters are mostly text and bare variables"


@pytest.mark.parametrize("source, plain", [
    ("Dear {{ patron }}, number {{ place }}.", True),
    ("{{ patron }}", True),
    ("no variable at all", True),
    ("Dear {{ patron|upper }}", False),
    ("{{ patron.username }}", False),
    ("{% if place %}{{ place }}{% endif %}", False),
    ('{{ "literal" }}', False),
    ("{{ 3 }}", False),
    ('{{ _("Hello") }}', False),
])
def test_only_text_and_bare_names_skip_the_engine(source, plain):
    assert (templating._plain_parts(source) is not None) is plain
    for context in ({"patron": "Ada", "place": 3}, {"patron": "Ada", "place": 0}, {}, {"patron": lambda: "called"},
                    {"patron": None, "place": 2.5}):
        assert templating.render(source, context) == _engine(source, context)

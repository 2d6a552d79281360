"""Seams of the sign-in and sign-out pages, so that higher apps (single sign-on) add their part
without the shell importing them:

    # syllabus/sso/signin.py
    from syllabus.web.signin import register_login_block, register_logout_hook
    register_login_block(lambda request: render_to_string("sso/_buttons.html", {...}, request))
    register_logout_hook(lambda request: "https://idp.example/logout?...")   # or None

A login block returns HTML placed on the sign-in page above the local form.  A logout hook is
asked *before* the local session ends (it still sees the session) and may return a URL to send
the browser to afterwards, e.g. the identity provider's own sign-out; the first URL wins.
"""
from __future__ import annotations

from collections.abc import Callable

from django.utils.safestring import mark_safe

from syllabus.core.registry import Hooks

LOGIN_BLOCKS: Hooks[Callable] = Hooks()
LOGOUT_HOOKS: Hooks[Callable] = Hooks()
register_login_block = LOGIN_BLOCKS.register
register_logout_hook = LOGOUT_HOOKS.register


def login_blocks(request) -> list[str]:
    return [mark_safe(html) for html in (block(request) for block in LOGIN_BLOCKS) if html]


def logout_redirect(request) -> str | None:
    for hook in LOGOUT_HOOKS:
        url = hook(request)
        if url:
            return url
    return None

"""The one way to read JSON that comes from outside — a request's body or field, an uploaded
file, another server's answer (session 20).

``json.loads`` of ``[[[[…]]]]`` nested past Python's recursion limit raises ``RecursionError``,
which no ``except ValueError`` catches: two kilobytes were a 500 (and a stack trace in the log)
on the API without an account, the OpenID back-channel logout, a CSL-JSON import and the
citation forms.  :func:`loads` reads the same JSON, and a value nested deeper than
``JSON_MAX_DEPTH`` levels is :class:`TooDeep`, a ``ValueError`` — so each caller's own refusal
of malformed JSON answers it.  CSL-JSON needs 5 levels, a JWKS 3, an NRPS roster 4.
Guard: tests/security/test_json_nesting.py (any other ``json.loads``/``.json()`` of outside data fails)."""
from __future__ import annotations

import json
from typing import Any

JSON_MAX_DEPTH = 64


class TooDeep(ValueError):
    """JSON nested deeper than the bound: malformed for every reader here."""

    def __init__(self, max_depth: int):
        super().__init__(f"the JSON is nested deeper than {max_depth} levels")


def loads(data: str | bytes | bytearray, *, max_depth: int = JSON_MAX_DEPTH) -> Any:
    """``json.loads(data)``; ``ValueError`` for malformed JSON, :class:`TooDeep` past ``max_depth``."""
    try:
        value = json.loads(data)
    except RecursionError:
        raise TooDeep(max_depth) from None
    if isinstance(value, (list, dict)):
        _check_depth(value, max_depth)
    return value


def _check_depth(value: list | dict, max_depth: int) -> None:
    """Walk the containers without recursion (the bound is lower than what parses)."""
    stack: list[tuple[list | dict, int]] = [(value, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > max_depth:
            raise TooDeep(max_depth)
        for child in (node.values() if isinstance(node, dict) else node):
            if isinstance(child, (list, dict)):
                stack.append((child, depth + 1))

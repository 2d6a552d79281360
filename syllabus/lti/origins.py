"""Web origins an LMS shows Syllabus from (LMS-1): read from a URL a signed launch names, or from
the "LMS web addresses" an administrator typed on the platform.  Every value here ends up in a
``Content-Security-Policy: frame-ancestors`` directive, so only ``scheme://host[:port]`` made of
host characters is ever returned — never a path, a user part, a space or a semicolon."""
from __future__ import annotations

import re
from urllib.parse import urlsplit

_NETLOC = re.compile(r"[A-Za-z0-9.\-:\[\]]+")
_WILDCARD_NETLOC = re.compile(r"\*\.[A-Za-z0-9\-]+(\.[A-Za-z0-9\-]+)+(:\d{1,5})?")
MAX_ADMIN_ORIGINS = 20


def origin_of(url, schemes=("https",), *, wildcard: bool = False) -> str | None:
    """``scheme://host[:port]`` (lower-case) of ``url``, or None when it is not a web address of
    one of ``schemes`` with a host and no user part (``wildcard``: ``https://*.school.edu`` too,
    as CSP allows)."""
    if not isinstance(url, str) or len(url) > 2048:
        return None
    try:
        parts = urlsplit(url.strip())
        if wildcard and parts.netloc.startswith("*."):
            return f"{parts.scheme}://{parts.netloc.lower()}" if parts.scheme in schemes and \
                _WILDCARD_NETLOC.fullmatch(parts.netloc) else None
        parts.port  # noqa: B018 — a malformed port raises here
    except ValueError:
        return None
    if parts.scheme in schemes and parts.hostname and "@" not in parts.netloc and _NETLOC.fullmatch(parts.netloc):
        return f"{parts.scheme}://{parts.netloc.lower()}"
    return None


def parse_admin_origins(text: str) -> tuple[list[str], list[str]]:
    """The "LMS web addresses" field, one a line: (origins, problems).  A pasted page address
    counts for its origin; blank lines are skipped; at most MAX_ADMIN_ORIGINS."""
    origins: list[str] = []
    problems: list[str] = []
    for number, line in enumerate((text or "").splitlines(), 1):
        line = line.strip()
        if not line:
            continue
        origin = origin_of(line, ("https", "http"), wildcard=True)
        if origin is None:
            problems.append(f"line {number}: {line[:80]!r} is not a web address such as https://canvas.school.edu "
                            "or https://*.school.edu")
        elif origin not in origins:
            origins.append(origin)
    if len(origins) > MAX_ADMIN_ORIGINS:
        problems.append(f"at most {MAX_ADMIN_ORIGINS} addresses")
    return origins, problems

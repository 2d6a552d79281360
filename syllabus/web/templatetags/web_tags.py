"""Template tags of the page shell."""
from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from django import template

register = template.Library()


@register.inclusion_tag("web/_pager.html")
def pager(page, *queries: str | Mapping, **params) -> dict:
    """The Previous / "Page n of m" / Next links of a Django ``Page``.  Each link keeps the search
    the page shows — ``params``, then ``queries`` (mappings, or query strings already encoded);
    empty values left out — and changes only ``page``: ``{% pager page q=q term=term %}``."""
    parts = [_encoded(params), *(_encoded(q) if isinstance(q, Mapping) else q for q in queries)]
    keep = "&".join(p for p in parts if p)
    return {"page": page, "keep": f"{keep}&" if keep else ""}


def _encoded(values: Mapping) -> str:
    return urlencode({k: v for k, v in values.items() if v not in (None, "")})

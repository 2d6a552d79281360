"""The next step on the link resolver's Find it page when no library of the consortium holds the
title (DSV-6): suggest that the library buy it — a purchase request without a list item (SRV-3)."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from syllabus.catalog.actions import register_next_step
from syllabus.catalog.resolver import ARTICLE_TYPES, context_query


def _may_suggest(result, user) -> bool:
    """A title a library buys: not a journal article, which a library gets a copy of (document
    delivery, inter-library loan) — the Find it page says so instead."""
    from syllabus.org import config

    return (bool(getattr(user, "institution_id", None)) and bool(result.citation.get("title"))
            and result.citation.get("type") not in ARTICLE_TYPES
            and bool(config.get("purchase_suggestions_enabled", institution=user.institution)))


register_next_step("suggest", _("Suggest the library buy it"),
                   lambda result, user: f"{reverse('acquisitions:suggest')}?{result.kev}{context_query(result.from_item)}",
                   hint=_("the library decides and tells you by e-mail"), when=_may_suggest, order=10)

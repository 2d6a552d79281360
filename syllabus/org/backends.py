"""Authentication backend: Django's, plus LMS-3's rule that an expired person no longer signs in
(their open sessions end too, since Django asks the backend again on every request)."""
from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.db.models import Exists, Expression, OuterRef, QuerySet

from syllabus.core.prepared import Prepared

#: What every page of a signed-in person reads about them (the shell's menu and its badges),
#: loaded in the same query as the person (issue 19): ``key → factory() -> expression`` over the
#: user row (``OuterRef("pk")``). The value lands in the request's navigation memo
#: (``user._nav_memo[key]``, see notify.nav.per_request), where the entry that needs it finds it;
#: anything that changes it during the request drops that memo. Higher apps register from
#: their ``AppConfig.ready``.
SIGNED_IN_READS: dict[str, Callable[[], Expression]] = {}


def read_with_user(key: str, factory: Callable[[], Expression]) -> None:
    SIGNED_IN_READS[key] = factory


class SyllabusBackend(ModelBackend):
    def user_can_authenticate(self, user) -> bool:
        return super().user_can_authenticate(user) and not getattr(user, "is_expired", False)

    def get_user(self, user_id):
        """The signed-in person of a session, read on every request with their institution and
        its consortium in the same query: every page reads them (language, time zone, branding,
        configuration), which cost two more queries per request (issue 19). Whether they hold
        any role (most people hold none: their role list is then known without a query) and the
        registered :data:`SIGNED_IN_READS` come in the same query too."""
        model = get_user_model()
        try:
            pk = int(user_id)
        except (TypeError, ValueError):
            return None
        keys = tuple(SIGNED_IN_READS)
        # compiled once per process and prepared once per PostgreSQL connection (core.prepared):
        # compiling it cost the ORM more than running it (issue 19)
        found = _SIGNED_IN.fetch(model._default_manager.db, (model, keys), {"user_id": pk, "model": model, "keys": keys})
        if not found:
            return None
        user = found[0]
        if not user.__dict__.pop("_signed_in_has_roles"):
            user._role_cache = []
        memo = user.__dict__.setdefault("_nav_memo", {})
        for key in SIGNED_IN_READS:
            memo[key] = user.__dict__.pop(f"_signed_in_{key}")
        return user if self.user_can_authenticate(user) else None


_QUERIES: dict[tuple, QuerySet] = {}


def _signed_in_build(values: dict) -> QuerySet:
    return _signed_in_query(values["model"], values["keys"]).filter(pk=values["user_id"])


_SIGNED_IN = Prepared(_signed_in_build, prefix="usr")


def _signed_in_query(model, keys: tuple[str, ...]) -> QuerySet:
    """The signed-in person's query, its expressions resolved once per process (a queryset is
    cloned by ``get``, never changed)."""
    mark = (model, keys)
    if mark not in _QUERIES:
        from .models import RoleAssignment

        reads = {f"_signed_in_{key}": SIGNED_IN_READS[key]() for key in keys}
        _QUERIES[mark] = (model._default_manager.select_related("institution__consortium")
                          .annotate(_signed_in_has_roles=Exists(RoleAssignment.objects.filter(user=OuterRef("pk"))), **reads))
    return _QUERIES[mark]

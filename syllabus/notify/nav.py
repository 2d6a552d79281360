"""Navigation: the bell (unread in-app notifications) for everyone; letters and the outbox
monitor for the Letter Administrator."""
from django.utils.functional import lazy
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext, gettext_lazy as _

from syllabus.web.nav import entry, nav_memo


def per_request(user, key: str, compute):
    """Compute a navigation value once per request: the shell's context processor runs for every
    template rendered with the request (list pages render one per item), the user object is the
    request's."""
    memo = nav_memo(user)
    if key not in memo:
        memo[key] = compute()
    return memo[key]


def forget(user) -> None:
    """Drop what the request computed for the navigation (after a change that shows in it)."""
    if user is not None and getattr(user, "_nav_memo", None):
        user._nav_memo = {}


def unread_expression():
    """The person's unread notifications as an expression over their row (read with the user)."""
    from django.db.models import Count, OuterRef, Subquery, Value
    from django.db.models.functions import Coalesce

    from .models import Notification

    return Coalesce(Subquery(Notification.objects.filter(user=OuterRef("pk"), read_at__isnull=True).order_by()
                             .values("user").annotate(n=Count("pk")).values("n")[:1]), Value(0))


def _letter_admin(user) -> bool:
    from .services import can_administer_letters

    return per_request(user, "letter_admin", lambda: can_administer_letters(user, user.institution))


def _unread(user) -> int:
    from .selectors import unread_notifications

    return per_request(user, "unread_notifications", lambda: unread_notifications(user))


# The bell (a decorative icon; the link's text and its badge say what it is).
BELL = ('<svg class="bell" aria-hidden="true" focusable="false" width="1em" height="1em" viewBox="0 0 24 24" '
        'style="vertical-align:-0.125em"><path fill="currentColor" d="M12 22c1.1 0 2-.9 2-2h-4c0 1.1.9 2 2 2zm6-6v-5c0-3.07'
        '-1.64-5.64-4.5-6.32V4c0-.83-.67-1.5-1.5-1.5s-1.5.67-1.5 1.5v.68C7.63 5.36 6 7.92 6 11v5l-2 2v1h16v-1l-2-2z"/></svg>')


def _bell_label() -> SafeString:
    return format_html("{} {}", SafeString(BELL), gettext("Notifications"))


entry("lists", lazy(_bell_label, SafeString)(), "notify:list", order=95, badge=_unread)
entry("back_office", _("Letters"), "notify:letters", when=_letter_admin, order=80)
entry("back_office", _("Outbox"), "notify:outbox", when=_letter_admin, order=81)

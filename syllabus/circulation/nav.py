"""Navigation of circulation: the library card for everyone, hold requests and reserves work
for the staff who act on them (badges count only what waits for them)."""
from django.utils.translation import gettext_lazy as _

from syllabus.web.nav import entry


def _per_request(user, key, compute):
    from syllabus.notify.nav import per_request

    return per_request(user, key, compute)


def _hold_staff(user) -> bool:
    from .permissions import is_hold_staff

    return _per_request(user, "circulation_hold_staff", lambda: is_hold_staff(user))


def _reserves_staff(user) -> bool:
    from .permissions import is_reserves_staff

    return bool(user.institution_id) and _per_request(user, "circulation_reserves", lambda: is_reserves_staff(user, user.institution))


def _waiting_holds(user) -> int:
    from .selectors import open_hold_count

    return _per_request(user, "circulation_waiting_holds", lambda: open_hold_count(user))


def _reserves_work(user) -> int:
    from .selectors import reserves_work_count

    return _per_request(user, "circulation_reserves_work", lambda: reserves_work_count(user))


entry("lists", _("My library card"), "circulation:card", group="library", order=29)
entry("back_office", _("Hold requests"), "circulation:holds", when=_hold_staff, order=35, badge=_waiting_holds)
entry("back_office", _("Accessible files"), "circulation:accessible", when=_reserves_staff, order=36, badge=_reserves_work)
entry("back_office", _("Personal copies"), "circulation:personal-copies", when=_reserves_staff, order=37)

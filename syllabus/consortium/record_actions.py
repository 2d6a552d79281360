"""Buttons on another member's catalog record (CON-2, CON-4), through the catalog's seam."""
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from syllabus.catalog.actions import register, register_next_step


def _other_member_staff(record, user) -> bool:
    from .permissions import is_ill_staff

    return (bool(getattr(user, "institution_id", None)) and record.institution_id != user.institution_id
            and record.institution.consortium_id == user.institution.consortium_id and is_ill_staff(user))


register("ill", _("Request an inter-library loan"), lambda record, user: reverse("consortium:ill-new", args=[record.pk]),
         when=_other_member_staff, order=60)


def _other_member_librarian(record, user) -> bool:
    from syllabus.org.permissions import is_librarian_for

    return (bool(getattr(user, "institution_id", None)) and record.institution_id != user.institution_id
            and record.institution.consortium_id == user.institution.consortium_id
            and is_librarian_for(user, user.institution_id))


register("purchase", _("Purchase for our library"), lambda record, user: reverse("consortium:purchase", args=[record.pk]),
         when=_other_member_librarian, order=61)


def _other_member_patron(record, user) -> bool:
    return (bool(getattr(user, "institution_id", None)) and record.institution_id != user.institution_id
            and record.institution.consortium_id == user.institution.consortium_id)


register("cross_member", _("Request from the owning library"),
         lambda record, user: reverse("consortium:cross-request", args=[record.pk]), when=_other_member_patron, order=62)


# --- Find it (DSV-6): a reader's inter-library loan request (CON-2) ----------------------------------

def _ill_url(result, user) -> str:
    from syllabus.catalog.resolver import context_query

    return f"{reverse('consortium:ill-ask')}?{result.kev}{context_query(result.from_item)}"


def _may_ask(result, user) -> bool:
    from .reader_requests import may_ask

    return may_ask(result, user)


register_next_step("ill", _("Request through inter-library loan"), _ill_url, when=_may_ask, when_held=True, advice=True,
                   hint=_("a loan of a book, a copy of an article or chapter; your library tells you by e-mail"), order=20)

"""The one role helper (ORG-3).  Every app says who may do what in its own ``permissions.py``, as
verb-named predicates (``can_catalog``, ``can_manage_courses``, ``is_librarian_for`` ...) and
``ensure_*`` refusals built on these functions — never by reading role assignments or
``is_superuser`` itself.

- :func:`signed_in`: a signed-in, active person (anonymous users and deactivated accounts hold no role);
- :func:`is_superuser`: a signed-in superuser (every institution);
- :func:`holds`: a signed-in person who holds one of ``roles`` with a scope covering the target
  (``library=``, ``institution=``, ``department=``; neither: anywhere in their own institution),
  a superuser holding every role (unless ``superuser=False``);
- :func:`is_librarian_for`: a Course Reserves Operator of the institution (any scope in it).
"""
from __future__ import annotations

from .roles import Role


def signed_in(user) -> bool:
    return bool(user is not None and getattr(user, "is_authenticated", False) and user.is_active)


def is_superuser(user) -> bool:
    """Sees and does everything, in every institution."""
    return signed_in(user) and user.is_superuser


def holds(user, *roles: str, superuser: bool = True, **scope) -> bool:
    """True when ``user`` is a superuser or holds one of ``roles`` covering ``scope`` (see
    ``User.has_role``).  ``superuser=False``: a step taken in a role's name (a manager's decision,
    an operator's work) needs the role itself, superuser or not."""
    if not signed_in(user):
        return False
    return (superuser and user.is_superuser) or user.has_any_role(*roles, **scope)


def is_librarian_for(user, institution_id: int | None) -> bool:
    """A Course Reserves Operator of institution ``institution_id`` (library, department or
    institution scope), or a superuser: the library's side of lists (LST-7), discussions,
    acquisitions and the other back-office pages of the lists' library."""
    if not signed_in(user):
        return False
    if user.is_superuser:
        return True
    return any(ra.role == Role.COURSE_RESERVES_OPERATOR and ra.institution_id == institution_id
               for ra in user.role_assignments_cached())


def can_configure(user, institution) -> bool:
    """ORG-4: the institution's General System Administrator (or a superuser) changes its
    configuration and its libraries'."""
    return is_superuser(user) or (institution is not None
                                  and holds(user, Role.GENERAL_SYSTEM_ADMINISTRATOR, institution=institution))


def can_configure_consortium(user, institution) -> bool:
    """CON-1: a Consortium Administrator of a member ``institution`` (or a superuser) changes the
    consortium-wide configuration."""
    return institution is not None and holds(user, Role.CONSORTIUM_ADMINISTRATOR, institution=institution)

"""Merge two accounts of one person (ORG-MERGE): the institution's General System Administrator
names the two accounts, sees what will move (the merge run and rolled back), then confirms."""
from __future__ import annotations

import functools

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from syllabus.core.errors import PermissionDenied, RuleViolation

from . import forms, merging
from .models import USERNAME_MAX


def _ensure_admin(request) -> None:
    if not merging.may_merge(request.user):
        # the refusal page names the rule (a bare "403 Forbidden" said nothing)
        raise PermissionDenied(merging.RULE, "only a General System Administrator merges accounts")


def _names(data) -> tuple[str, str]:
    return (str(data.get("source", "")).strip()[:USERNAME_MAX], str(data.get("target", "")).strip()[:USERNAME_MAX])


def _refused(view):
    """The shell's refusal page (``web/refused.html``: the rule and the detail) for a person who may
    not merge — a bare "403 Forbidden" said nothing.  org sits below web: the template, not its helper."""
    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        try:
            _ensure_admin(request)
        except PermissionDenied as exc:
            return render(request, "web/refused.html", {"error": exc, "refused_status": exc.status}, status=exc.status)
        return view(request, *args, **kwargs)

    return wrapper


@login_required
@_refused
def merge(request):
    """GET: the form (``?source=&target=`` fill it in, from the duplicates page).  POST ``preview``:
    what the merge moves, with the confirmation; POST ``apply``: the merge."""
    source_name, target_name = _names(request.POST if request.method == "POST" else request.GET)   # shown again
    context: dict = {"source": source_name, "target": target_name, "report": None, "error": None}
    status = 200
    if request.method == "POST":
        institution_id = None if request.user.is_superuser else request.user.institution_id
        try:
            data = forms.MergeForm.parse(request.POST)
            source_name, target_name, apply = data["source"], data["target"], data["action"] == "apply"
            if not source_name or not target_name:
                raise RuleViolation(merging.RULE, "name both accounts: the one that goes away and the one that stays")
            source = merging.find_account(institution_id, source_name)
            target = merging.find_account(institution_id, target_name)
            report = merging.merge_people(source, target, by=request.user, apply=apply)
        except RuleViolation as exc:
            context["error"] = exc
            status = exc.status
        else:
            if apply:
                messages.success(request, _("%(source)s was merged into %(target)s and deactivated.")
                                 % {"source": report.source, "target": report.target})
                for excess in report.excesses:
                    messages.warning(request, _(
                        "%(rule)s: %(target)s now has %(count)s %(what)s, over the limit of %(limit)s. All are kept; "
                        "new ones are refused until fewer than %(limit)s are open.")
                        % {"rule": excess.rule, "target": report.target, "count": excess.count, "what": _(excess.what),
                           "limit": excess.limit})
                return redirect("org:merge")
            context.update(report=report, source_user=source, target_user=target)
    return render(request, "org/merge.html", context, status=status)


#: why two accounts are likely one person (``merging.likely_duplicates``), as the page says it
REASONS = {
    merging.SAME_EXTERNAL_ID: gettext_lazy("Same external (SIS) id"),
    merging.EXTERNAL_ID_IS_USERNAME: gettext_lazy("One's external (SIS) id is the other's username"),
    merging.LMS_SIS_ID: gettext_lazy("The LMS sent this SIS id (person sourcedId or Org Defined ID) for both"),
    merging.SAME_NAME: gettext_lazy("Same name"),
    merging.SAME_EMAIL_LOCAL_PART: gettext_lazy("Same e-mail before the @"),
}


@login_required
@_refused
def duplicates(request):
    """Likely duplicate accounts of the administrator's institution, each with a link to merge."""
    institution = request.user.institution
    found = merging.likely_duplicates(institution) if institution is not None else []
    groups = [{"why": REASONS.get(d.reason, d.reason), "detail": d.detail, "people": d.people} for d in found]
    return render(request, "org/duplicates.html", {"groups": groups, "institution": institution})

"""What analytics adds to the list pages (found by the lists' slot registry):

* ``list_reader`` (the reader's own part of the student view): the tiny script that reports a
  followed access link or "Find it" (ANL-1 ``item_open``, ``findit_click``);
* ``list_aside`` of the editor: "Often used with" — suggestions from other lists (ANL-3).
"""
from syllabus.lists.slots import register_slot

# (lists.slots ``key``: what each shows a reader — the beacon nothing but a URL and the CSRF
# token; the engagement link the list to its editors and library staff)
register_slot("list_reader", "analytics/_usage_beacon.html", order=90, key=lambda request, context: ("beacon",))


def _engagement_key(request, context):
    access, lst = context.get("access"), context.get("lst")
    if access is None or lst is None:
        return None
    shown = bool(access.owner or access.collaborator or access.process)
    return (shown, lst.pk, lst.title) if shown else (shown,)


register_slot("list_actions", "analytics/_list_actions.html", order=80, key=_engagement_key)


def _editor(request, context) -> bool:
    match = getattr(request, "resolver_match", None)
    access = context.get("access")
    return bool(match and match.view_name == "lists:edit" and access is not None and access.edit)


def _prepare_suggestions(request, lists):
    from .suggestions import often_used_with

    match = getattr(request, "resolver_match", None)
    if not (match and match.view_name == "lists:edit"):
        return
    for lst in lists:
        setattr(lst, "often_used_with", often_used_with(lst))  # noqa: B010


register_slot("list_aside", "analytics/_often_used_with.html", order=60, when=_editor, prepare=_prepare_suggestions)

"""Demo library discussions on the demo lists (loaded after the lists' demo): an answered
item thread, an item thread and a list thread waiting for the library, on lists of the demo
instructor of each institution.  Posted through the services, so the alerts, counts and
letters are real (the letters wait in the outbox until the runner delivers them)."""
from __future__ import annotations

from django.db.models import Count, Q

from syllabus.lists.models import ResourceList
from syllabus.org.permissions import is_librarian_for
from syllabus.org.models import User

from . import services
from .models import Message

CONVERSATIONS = [
    # (level, [(side, text), ...]) — side "i" instructor, "l" librarian
    ("item", [("i", "Could the library buy a second copy of this one? 180 students are enrolled this term."),
              ("l", "We have ordered two more copies; they should be on the shelf next week.")]),
    ("item", [("i", "Is an e-book version available? Several students study at a distance.")]),
    ("list", [("i", "I have added week 5. Could you check the chapter scans before the term starts?")]),
]


def _pick_lists(instructor):
    return list(ResourceList.objects.filter(Q(owners=instructor) | Q(collaborators=instructor))
                .annotate(n=Count("citations")).filter(n__gt=0).order_by("-n", "pk")[:2])


def load(stdout) -> None:
    if Message.objects.exists():
        return
    posted = 0
    for inst_suffix in ("", "2"):
        instructor = User.objects.filter(username=f"instructor{inst_suffix}").first()
        librarian = User.objects.filter(username=f"librarian{inst_suffix}").first()
        if instructor is None or librarian is None or not is_librarian_for(librarian, librarian.institution_id):
            continue
        lists = _pick_lists(instructor)
        if not lists:
            continue
        for n, (level, turns) in enumerate(CONVERSATIONS):
            lst = lists[min(n // 2, len(lists) - 1)]
            citation = None
            if level == "item":
                citation = lst.citations.order_by("position", "id")[n % max(lst.citations.count(), 1)]
            if level not in services.enabled_levels(lst.institution):
                continue
            for side, text in turns:
                services.post_message(instructor if side == "i" else librarian, lst, text, citation=citation)
                posted += 1
    if posted:
        stdout.write(f"  library discussion: {posted} messages on the demo lists")
    else:
        stdout.write("  library discussion: no demo list to discuss (load the lists' demo first)")

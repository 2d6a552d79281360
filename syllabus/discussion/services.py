"""Library discussion (DSC-1..2): post a message, read a thread.

Rules:
- DSC-1 threads exist at list level and at item level, as the institution's configuration
  ``library_discussion`` allows (``list`` / ``item`` / ``both`` / ``off``);
- DSC-2 the discussion is between the list's instructors (owners, collaborators) and the
  library (the institution's Course Reserves Operators); an instructor's message raises an
  alert (a ``discussion`` task on the librarians' task list, ``Thread.awaiting_library``), a
  librarian's answer clears it; each side's unread counts clear when that person reads the
  thread; every new message also goes to the other side as a letter (through the outbox).
Students who see a published list do not see its discussion (403); people who do not see the
list at all get 404.
"""
from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse

from syllabus.core import audit, clock
from syllabus.core.errors import NotFound, RuleViolation
from syllabus.lists.models import Citation, LibrarianTask, ResourceList
from syllabus.lists.selectors import librarians
from syllabus.lists.services import raise_task
from syllabus.lists.task_details import Said
from syllabus.notify.services import mark_notifications_read_about, queue_letter
from syllabus.org import config
from syllabus.org.models import User

from .models import Message, ReadState, Thread
from .permissions import can_discuss, ensure_discuss, speaks_for_library  # noqa: F401  (re-exported)

TASK_KIND = "discussion"
LETTERS = ("discussion_to_library", "discussion_to_instructor")
MAX_BODY = 5000
LEVELS = {"list": {"list"}, "item": {"item"}, "both": {"list", "item"}, "off": set()}


# --- configuration (DSC-1) ---------------------------------------------------------------------

def enabled_levels(institution) -> set[str]:
    """The levels at which the institution allows threads (``library_discussion``)."""
    return set(LEVELS.get(config.get("library_discussion", institution=institution), set()))


def ensure_level(institution, level: str) -> None:
    if level not in enabled_levels(institution):
        setting = config.get("library_discussion", institution=institution)
        raise RuleViolation("DSC-1", f"the library discussion at {level} level is switched off here "
                                     f"(library_discussion = {setting})")


# --- who takes part (DSC-2) --------------------------------------------------------------------

def thread_of(lst: ResourceList, citation: Citation | None = None) -> Thread | None:
    return Thread.objects.filter(resource_list=lst, citation=citation).first()


def _check_citation(lst: ResourceList, citation: Citation | None) -> None:
    if citation is not None and citation.resource_list_id != lst.pk:
        raise NotFound("LST-8", "no such item")


# --- links and letters ---------------------------------------------------------------------------

def link_for(lst: ResourceList, citation: Citation | None, *, library: bool) -> str:
    """Where the other side answers — the librarian's list page, or the instructor's — with the
    thread's pane open (``?discussion=item-<id>`` / ``?discussion=list``)."""
    base = reverse("lists:library" if library else "lists:view", args=[lst.pk])
    if citation is not None:
        anchor = f"litem-{citation.pk}" if library else f"item-{citation.pk}"  # the row ids of the lists' pages
        return f"{base}?discussion=item-{citation.pk}#{anchor}"
    return f"{base}?discussion=list#library-discussion"


def _recipients(lst: ResourceList, author, to_library: bool) -> list:
    if to_library:
        assignee = ResourceList.objects.filter(pk=lst.pk).values_list("assignee", flat=True).first()
        people = [lst.assignee if lst.assignee_id == assignee else User.objects.get(pk=assignee)] if assignee \
            else list(librarians(lst.institution_id))
    else:
        people = list(lst.owners.all()) + list(lst.collaborators.all())
    seen, out = set(), []
    for person in people:
        if person is not None and person.pk != getattr(author, "pk", None) and person.pk not in seen and person.is_active:
            seen.add(person.pk)
            out.append(person)
    return out


def _queue_letters(msg: Message, lst: ResourceList, citation: Citation | None, author) -> None:
    to_library = not msg.from_library
    code = "discussion_to_library" if to_library else "discussion_to_instructor"
    context = {"author": author.get_full_name() or author.username, "list_title": lst.title,
               "item_title": citation.title if citation is not None else "", "message": msg.body,
               "link": link_for(lst, citation, library=to_library), "thread": msg.thread_id}
    for person in _recipients(lst, author, to_library):
        queue_letter(code, person, context, key=f"dsc:{msg.pk}:{person.pk}", institution=lst.institution)


# --- changes ---------------------------------------------------------------------------------------

def _thread_for_update(lst: ResourceList, citation: Citation | None) -> Thread:
    level = Thread.Level.ITEM if citation is not None else Thread.Level.LIST
    thread = Thread.objects.select_for_update().filter(resource_list=lst, citation=citation).first()
    if thread is not None:
        return thread
    try:
        with transaction.atomic():
            return Thread.objects.create(institution_id=lst.institution_id, resource_list=lst, citation=citation, level=level)
    except IntegrityError:  # somebody opened it at the same moment
        return Thread.objects.select_for_update().get(resource_list=lst, citation=citation)


def _advance_read(user, thread: Thread, up_to: int) -> ReadState:
    state, created = ReadState.objects.get_or_create(thread=thread, user=user, defaults={"last_read_id": up_to})
    if not created and state.last_read_id < up_to:
        ReadState.objects.filter(pk=state.pk, last_read_id__lt=up_to).update(last_read_id=up_to, read_at=clock.now())
        state.last_read_id = up_to
    return state


def post_message(actor, lst: ResourceList, body: str, *, citation: Citation | None = None) -> Message:
    """Write in the list's (or the item's) thread; raise or clear the librarians' alert; send
    the other side a letter.  One transaction."""
    acc = ensure_discuss(actor, lst)
    _check_citation(lst, citation)
    ensure_level(lst.institution, Thread.Level.ITEM if citation is not None else Thread.Level.LIST)
    body = (body or "").strip()
    if not body:
        raise RuleViolation("DSC-2", "a message needs some text", field="body")
    if len(body) > MAX_BODY:
        raise RuleViolation("DSC-2", f"a message has at most {MAX_BODY} characters", field="body")
    from_library = speaks_for_library(acc)
    now = clock.now()
    with transaction.atomic():
        thread = _thread_for_update(lst, citation)
        msg = Message.objects.create(thread=thread, author=actor, from_library=from_library, body=body, created_at=now)
        Thread.objects.filter(pk=thread.pk).update(last_message_at=now, awaiting_library=not from_library)
        thread.last_message_at, thread.awaiting_library = now, not from_library
        _advance_read(actor, thread, msg.pk)
        open_alerts = LibrarianTask.objects.filter(resource_list=lst, citation=citation, kind=TASK_KIND, resolved_at__isnull=True)
        if from_library:
            open_alerts.update(resolved_at=now, resolved_by=actor)
        else:
            raise_task(lst, TASK_KIND, actor=actor, citation=citation, detail=Said("message", text=body[:200]))
        audit.event(actor, lst, "discussion message",
                    note=(f"item {citation.pk}: " if citation is not None else "") + body[:200])
        _queue_letters(msg, lst, citation, actor)
    return msg


def mark_read(user, thread: Thread) -> ReadState:
    """The person has seen every message of the thread: their count for it goes to 0."""
    ensure_discuss(user, thread.resource_list)
    last = thread.messages.aggregate(last=Max("id"))["last"] or 0
    with transaction.atomic():
        state = _advance_read(user, thread, last)
        # the bell's notifications of this thread are read too
        mark_notifications_read_about(user, LETTERS, thread=thread.pk)
        return state


def thread_by_id(user, thread_id: int) -> Thread:
    thread = Thread.objects.select_related("resource_list__institution", "citation").filter(pk=thread_id).first()
    if thread is None:
        raise NotFound("DSC-2", "no such thread")
    ensure_discuss(user, thread.resource_list)
    return thread

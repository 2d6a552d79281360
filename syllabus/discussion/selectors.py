"""Reads of the library discussion: threads a person takes part in, unread counts per thread,
per list and in total (DSC-2), with a fixed number of queries whatever the number of threads."""
from __future__ import annotations

from django.db.models import Case, Count, IntegerField, OuterRef, Q, QuerySet, Subquery, Sum, Value, When
from django.db.models.functions import Coalesce

from syllabus.lists.models import ResourceList

from .models import Message, ReadState, Thread
from .permissions import can_see_alerts
from .services import enabled_levels


def _last_read(user, thread_ref: str):
    return Subquery(ReadState.objects.filter(thread=OuterRef(thread_ref), user=user).values("last_read_id")[:1])


def unread_messages(user) -> QuerySet[Message]:
    """Messages by others after the person's read mark, in threads they take part in."""
    return (Message.objects.filter(thread__in=visible_threads(user).values("pk"))
            .exclude(author=user)
            .filter(id__gt=Coalesce(_last_read(user, "thread"), Value(0))))


def visible_threads(user) -> QuerySet[Thread]:
    """Threads of the lists the person owns or collaborates on, and — for the library's
    Course Reserves Operators — every thread of their institution; at the levels the
    institution has switched on (DSC-1)."""
    if user is None or not user.is_authenticated:
        return Thread.objects.none()
    mine = ResourceList.objects.filter(Q(owners=user) | Q(collaborators=user)).values("pk")
    q = Q(resource_list__in=mine)
    if can_see_alerts(user):
        q |= Q(institution_id=user.institution_id)
    levels = enabled_levels(user.institution) if user.institution_id else set()
    return Thread.objects.filter(q, level__in=levels)


def with_unread(threads: QuerySet[Thread], user) -> QuerySet[Thread]:
    """Annotate ``unread`` (the person's unread messages) and ``n_messages`` on each thread."""
    unread = (Message.objects.filter(thread=OuterRef("pk")).exclude(author=user)
              .filter(id__gt=Coalesce(_last_read(user, "thread"), Value(0)))
              .order_by().values("thread").annotate(n=Count("id")).values("n"))
    total = Message.objects.filter(thread=OuterRef("pk")).order_by().values("thread").annotate(n=Count("id")).values("n")
    return threads.annotate(unread=Coalesce(Subquery(unread, output_field=IntegerField()), Value(0)),
                            n_messages=Coalesce(Subquery(total, output_field=IntegerField()), Value(0)))


def unread_total(user, *, from_library: bool | None = None) -> int:
    """Unread messages; ``from_library`` keeps only the library's (True) or the instructors' (False)
    side — what the person has to act on in the navigation (DSC-2)."""
    if user is None or not user.is_authenticated:
        return 0
    qs = unread_messages(user)
    if from_library is not None:
        qs = qs.filter(from_library=from_library)
    return qs.count()


def unread_by_thread(user) -> list[dict]:
    """``[{thread_id, list_id, citation_id, level, unread}]`` for threads with unread messages."""
    rows = (unread_messages(user).order_by().values("thread", "thread__resource_list", "thread__citation", "thread__level")
            .annotate(n=Count("id")))
    return [{"thread_id": r["thread"], "list_id": r["thread__resource_list"], "citation_id": r["thread__citation"],
             "level": r["thread__level"], "unread": r["n"]} for r in sorted(rows, key=lambda r: r["thread"])]


def unread_by_list(user, list_ids=None) -> dict[int, int]:
    qs = unread_messages(user)
    if list_ids is not None:
        qs = qs.filter(thread__resource_list_id__in=list(list_ids))
    rows = qs.order_by().values("thread__resource_list").annotate(n=Count("id"))
    return {r["thread__resource_list"]: r["n"] for r in rows}


def unread_by_list_and_level(user, list_ids) -> dict[tuple[int, str], int]:
    rows = (unread_messages(user).filter(thread__resource_list_id__in=list(list_ids)).order_by()
            .values("thread__resource_list", "thread__level").annotate(n=Count("id")))
    return {(r["thread__resource_list"], r["thread__level"]): r["n"] for r in rows}


def threads_for_citations(user, citation_ids) -> dict[int, Thread]:
    """The item threads of these citations, annotated with the person's counts (one query)."""
    qs = with_unread(Thread.objects.filter(citation_id__in=list(citation_ids)), user)
    return {t.citation_id: t for t in qs}


def awaiting_by_list(list_ids) -> dict[int, int]:
    """Threads waiting for a librarian's answer, per list (the alert on the task list row)."""
    rows = (Thread.objects.filter(resource_list_id__in=list(list_ids), awaiting_library=True)
            .order_by().values("resource_list").annotate(n=Count("id")))
    return {r["resource_list"]: r["n"] for r in rows}


def messages_of(thread: Thread | None) -> list[Message]:
    if thread is None:
        return []
    return list(thread.messages.select_related("author").order_by("id"))


def last_read_id(user, thread: Thread | None) -> int:
    if thread is None:
        return 0
    return ReadState.objects.filter(thread=thread, user=user).values_list("last_read_id", flat=True).first() or 0


def inbox_counts(user) -> dict[str, int]:
    """How many threads each tab of the inbox holds — awaiting an answer, unread, all (DSC-2):
    one aggregate query."""
    # the unread flag as an annotation summed, not a filter on the ``unread`` annotation: PostgreSQL
    # aggregates over a subquery there, where a FILTER cannot name the annotation
    qs = with_unread(visible_threads(user), user).order_by().annotate(
        has_unread=Case(When(unread__gt=0, then=Value(1)), default=Value(0), output_field=IntegerField()),
        is_awaiting=Case(When(awaiting_library=True, then=Value(1)), default=Value(0), output_field=IntegerField()))
    counts = qs.aggregate(awaiting=Sum("is_awaiting"), unread=Sum("has_unread"), all=Count("id"))
    return {k: v or 0 for k, v in counts.items()}


def inbox(user, *, awaiting_only: bool = False, unread_only: bool = False) -> QuerySet[Thread]:
    """The person's threads, unread and awaiting first, newest message first (alerts view)."""
    qs = with_unread(visible_threads(user), user).select_related("resource_list", "citation")
    if awaiting_only:
        qs = qs.filter(awaiting_library=True)
    if unread_only:
        qs = qs.filter(unread__gt=0)
    last_message = Message.objects.filter(thread=OuterRef("pk")).order_by("-id")
    qs = qs.annotate(last_body=Subquery(last_message.values("body")[:1]),
                     last_from_library=Subquery(last_message.values("from_library")[:1]))
    return qs.order_by("-awaiting_library", "-last_message_at", "-id")

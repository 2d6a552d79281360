"""API of the library discussion (DSC-1..2): messages of a list's and of an item's thread, read
marks, and the caller's unread counts."""
from __future__ import annotations

import datetime as dt

from ninja import Field, Router, Schema, Status

from syllabus.api.fields import Id, column
from syllabus.api.schemas import Error
from syllabus.lists.selectors import citation_for, list_for

from . import selectors, services
from .models import Message, Thread

router = Router(tags=["library discussion"])


class MessageOut(Schema):
    id: int
    thread_id: int
    author: str | None
    author_name: str
    from_library: bool
    body: str
    created_at: dt.datetime
    unread: bool


class ThreadOut(Schema):
    thread_id: int | None
    messages: list[MessageOut]


class MessageIn(Schema):
    body: str = Field(..., max_length=column(Message, "body"))


class ReadOut(Schema):
    thread_id: int
    unread: int
    total_unread: int


class ThreadUnread(Schema):
    thread_id: Id
    list_id: Id
    citation_id: Id | None
    level: str
    unread: int


class ListUnread(Schema):
    list_id: Id
    unread: int


class UnreadOut(Schema):
    total: int
    threads: list[ThreadUnread]
    lists: list[ListUnread]


def _message_out(m: Message, user, last_read: int) -> dict:
    author = m.author
    return {"id": m.pk, "thread_id": m.thread_id, "author": author.username if author else None,
            "author_name": (author.get_full_name() or author.username) if author else "",
            "from_library": m.from_library, "body": m.body, "created_at": m.created_at,
            "unread": m.pk > last_read and m.author_id != user.pk}


def _thread_out(user, thread: Thread | None) -> dict:
    last = selectors.last_read_id(user, thread)
    return {"thread_id": thread.pk if thread else None,
            "messages": [_message_out(m, user, last) for m in selectors.messages_of(thread)]}


def _list(request, list_id: Id):
    lst, _acc = list_for(request.user, list_id)
    services.ensure_discuss(request.user, lst)
    services.ensure_level(lst.institution, Thread.Level.LIST)
    return lst


def _citation(request, citation_id: Id):
    citation, _acc = citation_for(request.user, citation_id)
    lst = citation.resource_list
    services.ensure_discuss(request.user, lst)
    services.ensure_level(lst.institution, Thread.Level.ITEM)
    return lst, citation


@router.get("/lists/{list_id}/messages", response={200: ThreadOut, 400: Error, 403: Error, 404: Error},
            summary="The list's library discussion (DSC-1): its thread id (null before the first message) and messages")
def list_messages(request, list_id: Id):
    lst = _list(request, list_id)
    return _thread_out(request.user, services.thread_of(lst))


@router.post("/lists/{list_id}/messages", response={201: MessageOut, 400: Error, 403: Error, 404: Error},
             summary="Write in the list's library discussion; an instructor's message alerts the librarians (DSC-2)")
def post_list_message(request, list_id: Id, payload: MessageIn):
    lst, _acc = list_for(request.user, list_id)
    msg = services.post_message(request.user, lst, payload.body)
    return Status(201, _message_out(msg, request.user, msg.pk))


@router.get("/citations/{citation_id}/messages", response={200: ThreadOut, 400: Error, 403: Error, 404: Error},
            summary="An item's library discussion (DSC-1): its thread id (null before the first message) and messages")
def citation_messages(request, citation_id: Id):
    lst, citation = _citation(request, citation_id)
    return _thread_out(request.user, services.thread_of(lst, citation))


@router.post("/citations/{citation_id}/messages", response={201: MessageOut, 400: Error, 403: Error, 404: Error},
             summary="Write in an item's library discussion; an instructor's message alerts the librarians (DSC-2)")
def post_citation_message(request, citation_id: Id, payload: MessageIn):
    citation, _acc = citation_for(request.user, citation_id)
    msg = services.post_message(request.user, citation.resource_list, payload.body, citation=citation)
    return Status(201, _message_out(msg, request.user, msg.pk))


@router.post("/threads/{thread_id}/read", response={200: ReadOut, 403: Error, 404: Error},
             summary="Mark a thread read for me: its unread count goes to 0 (DSC-2)")
def read_thread(request, thread_id: Id):
    thread = services.thread_by_id(request.user, thread_id)
    services.mark_read(request.user, thread)
    return {"thread_id": thread.pk, "unread": 0, "total_unread": selectors.unread_total(request.user)}


@router.get("/me/unread", response=UnreadOut, summary="My unread library-discussion messages: per thread, per list, total (DSC-2)")
def my_unread(request):
    threads = selectors.unread_by_thread(request.user)
    per_list: dict[int, int] = {}
    for row in threads:
        per_list[row["list_id"]] = per_list.get(row["list_id"], 0) + row["unread"]
    return {"total": sum(r["unread"] for r in threads), "threads": threads,
            "lists": [{"list_id": k, "unread": v} for k, v in sorted(per_list.items())]}

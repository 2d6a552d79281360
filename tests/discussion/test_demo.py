"""Demo data of the discussion and of notifications: loaded through the services, once."""
import io

import pytest

from syllabus.discussion.demo import load
from syllabus.discussion.models import Message, Thread
from syllabus.notify import demo as notify_demo
from syllabus.notify.models import OutboxMessage

pytestmark = pytest.mark.django_db


def test_the_discussion_demo_posts_real_conversations_once(reading_list, instructor, librarian):
    out = io.StringIO()
    load(out)
    assert "library discussion: 4 messages" in out.getvalue()
    assert Thread.objects.count() == 3
    assert Thread.objects.filter(awaiting_library=True).count() == 2
    assert Message.objects.filter(from_library=True).count() == 1
    assert OutboxMessage.objects.filter(letter__startswith="discussion_").exists()
    load(io.StringIO())
    assert Message.objects.count() == 4


def test_the_notify_demo_leaves_one_bounced_letter(student, librarian):
    out = io.StringIO()
    notify_demo.load(out)
    row = OutboxMessage.objects.get()
    assert row.status == "failed" and "User unknown" in row.last_error and row.recipient == student
    notify_demo.load(io.StringIO())
    assert OutboxMessage.objects.count() == 1

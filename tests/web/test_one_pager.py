"""One way to page a page (issue 17, "one way per concern: paging"): every paged page reads its page
number through ``syllabus.core.paging`` and shows its links with ``{% pager %}``, which keeps the
page's filters — the ILL queue's hand-written links dropped "show all" (``all=1``) on the next page.
The catalog search (``catalog/_results.html``) pages the search API's answer, not a Django page."""
from __future__ import annotations

import pathlib
import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory

from syllabus.core import paging

ROOT = pathlib.Path(__file__).resolve().parents[2] / "syllabus"


def test_no_template_writes_its_own_page_links():
    own = [str(p.relative_to(ROOT)) for p in ROOT.glob("*/templates/**/*.html")
           if re.search(r"previous_page_number|next_page_number|prev_offset|next_offset", p.read_text())
           and p.name != "_pager.html"]
    assert own == []


def test_no_view_reads_a_page_number_by_hand():
    own = [str(p.relative_to(ROOT)) for p in ROOT.glob("*/views.py")
           if re.search(r"Paginator\(|GET\.get\(\"(page|offset)\"", p.read_text())]
    assert own == []


def test_the_ill_queue_keeps_show_all_on_the_next_page():
    page = paging.page_of(RequestFactory().get("/", {"page": "1"}), list(range(30)), 25)
    html = Template('{% load web_tags %}{% pager page side="supplier" all="1" %}').render(Context({"page": page}))
    assert 'href="?side=supplier&amp;all=1&amp;page=2"' in html


@pytest.mark.parametrize("raw, n", [(None, 1), ("", 1), ("x", 1), ("2", 2), ("-1", 1), (str(10**30), paging.MAX_PAGE)])
def test_page_numbers_are_bounded(raw, n):
    request = RequestFactory().get("/", {} if raw is None else {"page": raw})
    assert paging.number(request) == n

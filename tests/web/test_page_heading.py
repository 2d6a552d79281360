"""A page's heading and its window title are written once (docs/DEVELOPING.md, "add pages"):
``{% page_heading %}`` renders the page's ``{% block title %}`` as its ``<h1>`` (WCAG 2.4.2), and
no template writes an ``<h1>`` that only repeats its title block."""
from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.template import Context, Template, TemplateSyntaxError

import syllabus

TEMPLATES = sorted(Path(syllabus.__file__).parent.glob("*/templates/**/*.html"))
TITLE = re.compile(r"\{% block title %\}(.*?)\{% endblock %\}", re.S)
H1 = re.compile(r"<h1>(.*?)</h1>", re.S)


def _page(body: str, title: str = "{% block title %}{{ name }} report{% endblock %}") -> str:
    return Template('{% extends "web/base.html" %}{% load web_tags %}' + title
                    + "{% block content %}" + body + "{% endblock %}").render(Context({"name": "<Reserves>"}))


def test_the_heading_is_the_title_block_escaped_once():
    html = _page("{% page_heading %}<p>text</p>")
    assert "<h1>&lt;Reserves&gt; report</h1><p>text</p>" in html
    assert "<title>&lt;Reserves&gt; report · Syllabus</title>" in html


@pytest.mark.parametrize("title", ["", "{% block title %} {% endblock %}"])
def test_a_page_without_a_title_is_told_so_rather_than_given_an_empty_heading(title):
    with pytest.raises(TemplateSyntaxError, match="block title"):
        _page("{% page_heading %}", title=title)


def test_no_template_repeats_its_title_as_a_hand_written_h1():
    repeated = []
    for path in TEMPLATES:
        text = path.read_text()
        title = TITLE.search(text)
        if title and any(h1.strip() == title.group(1).strip() for h1 in H1.findall(text)):
            repeated.append(str(path.relative_to(Path(syllabus.__file__).parent)))
    assert repeated == [], f"write {{% page_heading %}} instead of the <h1> that repeats the title: {repeated}"


def test_the_pages_that_use_it_load_the_tag_and_declare_a_title():
    users = [p for p in TEMPLATES if "{% page_heading %}" in p.read_text()]
    assert len(users) >= 40
    for path in users:
        text = path.read_text()
        assert "web_tags" in text.split("{% block", 1)[0] and TITLE.search(text), path

"""What the API says about itself: the problem types its errors point at."""
from __future__ import annotations

from typing import Annotated

from django.http import Http404
from ninja import Field, Router, Schema

from syllabus.core import rules
from . import problems

router = Router(tags=["api"])


class ProblemTypeOut(Schema):
    type: str
    rule: str
    description: str


@router.get("/problems/{rule}", response={200: ProblemTypeOut}, auth=None,
            summary="What a problem type (the `type` of an error) means")
def problem_type(request, rule: Annotated[str, Field(max_length=40)]):
    if rule in problems.GENERIC_RULES:
        description = problems.GENERIC_RULES[rule]
    elif (text := rules.describe(rule)) is not None:
        description = (f"{rule}: {text} — the error's `detail` says which condition failed and `field`, "
                       "when present, which input.")
    else:
        raise Http404("no such problem type")
    return {"type": problems.type_for(rule), "rule": rule, "description": description}

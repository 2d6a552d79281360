"""What the API says about itself: the problem types its errors point at."""
from __future__ import annotations

import re

from typing import Annotated

from ninja import Field, Router, Schema

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
    elif re.fullmatch(r"[A-Z]{2,5}-\d{1,3}", rule):
        description = (f"The request broke product rule {rule} (see the rule tables in the documentation); "
                       "`detail` says which condition failed and `field`, when present, which input.")
    else:
        from django.http import Http404

        raise Http404("no such problem type")
    return {"type": problems.type_for(rule), "rule": rule, "description": description}

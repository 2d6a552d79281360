"""One shape for every state machine of Syllabus (ARCHITECTURE: "State machines are explicit").

A workflow is kept in the app's ``workflow.py``: its states, declared once as a ``TextChoices``
class (the model's field takes its ``choices`` from it, the table its labels, and a row naming
an undeclared state fails at import), and one table of :class:`Transition` rows — (state,
action) → (next state, who may do it, side effect). The services that move the state ask
the table (:meth:`StateMachine.step`, :meth:`StateMachine.move`); pages and the API read the
moves open to a user from it; and the docs' workflow tables are generated from it
(``syllabus workflows --write``, checked by ``tests/test_workflow_docs.py``), so the code, the
pages and the docs cannot drift apart.
"""
from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

from django.db.models import TextChoices

from syllabus.core.errors import RuleViolation


@dataclass(frozen=True)
class Transition:
    source: str        # the state the action starts from
    action: str        # the verb (what the button / API says)
    target: str        # the state it leads to (an app may use markers, e.g. "=" for "stays")
    permission: str    # who may do it: a side or role named by the app ("instructor", "librarian", ...)
    effect: str = ""   # the side effect besides the move, in words (tasks, letters, timers)


class StateMachine:
    """The transitions of one workflow, in table order (the order the docs and pages show)."""

    def __init__(self, name: str, rule: str, transitions: Iterable[Transition], *,
                 states: type[TextChoices] | None = None, labels: Callable[[str], str] | None = None,
                 target_labels: dict[str, str] | None = None, rules: dict[str, str] | None = None,
                 verbs: dict[str, str] | None = None):
        self.name = name                  # "list", "item", "digitization request", ...
        self.rule = rule                  # the rule id of a refused move ("LST-4", "DIG-10")
        self.rules = dict(rules or {})    # a refused action's own rule, where it has one (LDL-9 renew)
        self.verbs = dict(verbs or {})    # what a refusal says after "cannot" ("be handed over")
        self.transitions: tuple[Transition, ...] = tuple(transitions)
        self.state_choices = states       # the states and their labels (the model field's choices)
        self.labels = labels              # state -> label, for states that are no choices (composite ones)
        self.target_labels = dict(target_labels or {})   # how the docs show a marker target
        seen: set[tuple[str, str]] = set()
        for t in self.transitions:
            key = (t.source, t.action)
            if key in seen:
                raise ValueError(f"{name}: two transitions for {key}")
            seen.add(key)
        if states is not None:
            undeclared = [s for s in self.states() if s not in states.values and s not in self.target_labels]
            if undeclared:
                raise ValueError(f"{name}: states not declared in {states.__name__}: {undeclared}")

    # --- reading the table -------------------------------------------------------------------

    def get(self, source: str, action: str) -> Transition | None:
        for t in self.transitions:
            if t.source == source and t.action == action:
                return t
        return None

    def moves(self, source: str, permission: str | None = None) -> list[Transition]:
        """The transitions open from ``source`` (to ``permission`` when given)."""
        return [t for t in self.transitions if t.source == source and (permission is None or t.permission == permission)]

    def actions(self, source: str, permission: str | None = None) -> list[str]:
        return [t.action for t in self.moves(source, permission)]

    def targets(self, source: str, permission: str | None = None) -> list[str]:
        """The states reachable from ``source`` in one move, without repeats, in table order."""
        return list(dict.fromkeys(t.target for t in self.moves(source, permission)))

    def between(self, source: str, target: str) -> Transition | None:
        """The transition from ``source`` to ``target`` (the first, when several actions lead there)."""
        for t in self.transitions:
            if t.source == source and t.target == target:
                return t
        return None

    def states(self) -> list[str]:
        return list(dict.fromkeys([t.source for t in self.transitions] + [t.target for t in self.transitions]))

    # --- checking a move -----------------------------------------------------------------------

    def label(self, state: str) -> str:
        if self.state_choices is not None:
            return str(self.state_choices(state).label)
        return str(self.labels(state)) if self.labels is not None else state

    def step(self, source: str, action: str, *, verb: str | None = None) -> Transition:
        """The transition of ``action`` from ``source``, or a 409 refusal naming the rule."""
        t = self.get(source, action)
        if t is None:
            what = self.verbs.get(action) or f"be asked to {verb or action.replace('_', ' ')}"
            raise RuleViolation(self.rules.get(action, self.rule),
                                f"a {self.name} that is {self.label(source).lower()} cannot {what}", status=409)
        return t

    # --- the docs ------------------------------------------------------------------------------

    def markdown(self) -> str:
        """The table as Markdown: action, from, to, who, side effect."""
        rows = ["| action | from | to | who | side effect |", "|---|---|---|---|---|"]
        for t in self.transitions:
            target = self.target_labels.get(t.target, f"`{str(t.target)}`")
            rows.append(f"| `{t.action}` | `{str(t.source)}` | {target} | {t.permission} | {t.effect or '—'} |")
        return "\n".join(rows)

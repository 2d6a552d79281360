"""Every state machine has one shape (syllabus.core.workflow) and the docs' workflow tables are
generated from the code's tables (issue 17 acceptance 4): a table edited by hand, or a code
table that changed without `syllabus workflows --write`, fails here."""
from __future__ import annotations

import pytest
from django.core.management import CommandError, call_command
from django.db.models import TextChoices

from syllabus.core import workflow_docs
from syllabus.core.errors import RuleViolation
from syllabus.core.workflow import StateMachine, Transition


def test_the_docs_tables_are_the_code_tables():
    assert workflow_docs.stale() == [], "run `syllabus workflows --write` and commit docs/"
    call_command("workflows")  # the command agrees


def test_every_workflow_of_the_code_is_in_the_docs():
    documented = workflow_docs.documented()
    missing = sorted(set(workflow_docs.machines()) - set(documented))
    assert not missing, f"give these workflows a <!-- workflow: NAME --> block in docs/: {missing}"
    unknown = sorted(set(documented) - set(workflow_docs.machines()))
    assert not unknown, f"docs/ shows workflows the code does not have: {unknown}"


def test_a_table_edited_by_hand_is_found(tmp_path, monkeypatch):
    name = "syllabus.lists.workflow.LIST_WORKFLOW"
    doc = tmp_path / "lists.md"
    doc.write_text(f"<!-- workflow: {name} -->\n| made up |\n<!-- /workflow -->\n")
    monkeypatch.setattr(workflow_docs, "DOCS", tmp_path)
    assert workflow_docs.stale() == [doc]
    with pytest.raises(CommandError, match="lists.md"):
        call_command("workflows")
    call_command("workflows", "--write")
    text = doc.read_text()
    assert workflow_docs.stale() == [] and "| `send` | `being_prepared` | `sent_to_library` | instructor |" in text


def test_a_move_not_in_the_table_is_refused_with_the_rule():
    machine = StateMachine("parcel", "XYZ-1", [Transition("packed", "ship", "shipped", "clerk", "a letter")])
    assert machine.step("packed", "ship").target == "shipped"
    assert machine.targets("packed", "clerk") == ["shipped"] and machine.targets("packed", "robot") == []
    with pytest.raises(RuleViolation) as exc:
        machine.step("shipped", "ship")
    assert exc.value.rule == "XYZ-1" and exc.value.status == 409 and "cannot be asked to ship" in exc.value.detail
    with pytest.raises(ValueError):
        StateMachine("parcel", "XYZ-1", [Transition("a", "go", "b", "x"), Transition("a", "go", "c", "x")])


class _Parcel(TextChoices):
    PACKED = "packed", "Packed and waiting"
    SHIPPED = "shipped", "On its way"


def test_a_workflow_declares_its_states_once_and_reads_their_labels_from_there():
    machine = StateMachine("parcel", "XYZ-1", [Transition(_Parcel.PACKED, "ship", _Parcel.SHIPPED, "clerk")],
                           states=_Parcel)
    assert machine.label("packed") == "Packed and waiting"
    with pytest.raises(RuleViolation, match="a parcel that is on its way cannot"):
        machine.step("shipped", "ship")
    # a table that names a state the choices do not declare fails where it is written
    with pytest.raises(ValueError, match="lost"):
        StateMachine("parcel", "XYZ-1", [Transition(_Parcel.PACKED, "lose", "lost", "clerk")], states=_Parcel)
    # a marker target is no state when the docs say what it means
    StateMachine("parcel", "XYZ-1", [Transition(_Parcel.PACKED, "weigh", "=", "clerk")], states=_Parcel,
                 target_labels={"=": "(stays)"})


# a (status, step) pair: its model has two fields, each with its own choices; the table labels the pairs
COMPOSITE = {"syllabus.lending.workflow.LOAN_WORKFLOW"}


def test_every_app_workflow_declares_its_states():
    machines = workflow_docs.machines()
    assert COMPOSITE <= set(machines)
    for name, machine in machines.items():
        assert (machine.state_choices is None) == (name in COMPOSITE), name

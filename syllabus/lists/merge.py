"""What a merge of two accounts does to resource lists (LST-8; ORG-MERGE, org.merging).

Ownership and collaboration move to the target; a list the target owns keeps them as owner only
(an owner is not also a collaborator).  Who created, assigned, imported or resolved something
becomes the target too: the person did."""
from __future__ import annotations

from syllabus.org.merging import Merge, participant

from .models import Citation, LibrarianTask, ListImport, ResourceList, RolloverRun


@participant("lists.ResourceList.owners", "lists.ResourceList.collaborators", "lists.ResourceList.assignee",
             "lists.ResourceList.created_by", "lists.Citation.created_by", "lists.LibrarianTask.created_by",
             "lists.LibrarianTask.resolved_by", "lists.RolloverRun.actor", "lists.ListImport.actor")
def lists(merge: Merge) -> None:
    merge.reassign_m2m(ResourceList.owners, what="lists owned")
    merge.reassign_m2m(ResourceList.collaborators, what="lists collaborated on")
    both = ResourceList.collaborators.through._base_manager.filter(
        user=merge.target, resourcelist__in=ResourceList.owners.through._base_manager.filter(user=merge.target)
        .values("resourcelist"))
    both.delete()
    merge.reassign(ResourceList, "assignee", what="lists assigned (LST-7)")
    merge.reassign(ResourceList, "created_by", what="lists created")
    merge.reassign(Citation, "created_by", what="list items created")
    merge.reassign(LibrarianTask, "created_by", what="librarian tasks raised")
    merge.reassign(LibrarianTask, "resolved_by", what="librarian tasks resolved")
    merge.reassign(RolloverRun, "actor", what="rollover runs")
    merge.reassign(ListImport, "actor", what="list imports")

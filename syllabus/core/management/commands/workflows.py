"""``syllabus workflows``: are the docs' workflow tables those of the code? ``--write`` regenerates them."""
from django.core.management.base import BaseCommand, CommandError

from syllabus.core import workflow_docs


class Command(BaseCommand):
    help = "Check (or with --write regenerate) the workflow tables in docs/*.md from each app's workflow.py."

    def add_arguments(self, parser):
        parser.add_argument("--write", action="store_true", help="rewrite the tables that differ")
        parser.add_argument("--show", metavar="NAME", help="print one workflow's table (e.g. syllabus.lists.workflow.LIST_WORKFLOW)")

    def handle(self, *args, write=False, show=None, **options):
        if show:
            known = workflow_docs.machines()
            if show not in known:
                raise CommandError(f"no workflow {show}; known: {', '.join(sorted(known))}")
            self.stdout.write(known[show].markdown())
            return
        if write:
            for path in workflow_docs.write():
                self.stdout.write(f"rewrote {path.name}")
            return
        stale = workflow_docs.stale()
        if stale:
            raise CommandError("workflow tables differ from the code in " + ", ".join(p.name for p in stale)
                               + "; run `syllabus workflows --write`")
        self.stdout.write(f"{len(workflow_docs.documented())} workflow tables match the code")

import os

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Syllabus with waitress on 127.0.0.1:$PORT (default 8000), timers in-process."

    def add_arguments(self, parser):
        parser.add_argument("--host", default=os.environ.get("HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("PORT", "8000")))
        parser.add_argument("--threads", type=int, default=int(os.environ.get("WEB_THREADS", "8")))

    def handle(self, *args, host, port, threads, **options):
        from waitress import serve

        from syllabus.core.runner import InProcessRunner
        from syllabus.wsgi import application

        call_command("collectstatic", interactive=False, verbosity=0)
        if settings.IN_PROCESS_RUNNER:
            InProcessRunner().start()
        self.stdout.write(f"Syllabus at http://{host}:{port}/  (Ctrl-C stops)")
        serve(application, host=host, port=port, threads=threads, ident="syllabus")

"""The ``syllabus`` console script: Django's management commands under one name.

``syllabus serve``, ``syllabus demo``, ``syllabus tick``, ``syllabus import-courses``,
``syllabus token create USERNAME`` ... (dashes and underscores are interchangeable).
"""
from __future__ import annotations

import os
import sys


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
    argv = list(sys.argv if argv is None else argv)
    # `syllabus import-courses` == `syllabus import_courses` (also after `help`)
    for i in (1, 2) if len(argv) > 2 and argv[1] == "help" else (1,):
        if len(argv) > i and not argv[i].startswith("-"):
            argv[i] = argv[i].replace("-", "_")
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


if __name__ == "__main__":
    main()

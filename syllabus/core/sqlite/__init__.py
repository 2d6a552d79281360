"""Django's SQLite backend, each query's placeholders converted once per process (issue 19):
``"ENGINE": "syllabus.core.sqlite"`` (settings.py, when ``DATABASE_URL`` is unset)."""

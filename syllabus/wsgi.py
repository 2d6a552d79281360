import os

from syllabus.core.wsgi import get_wsgi_application, warm_up

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "syllabus.settings")
application = get_wsgi_application()

if os.environ.get("SYLLABUS_WEB_WORKER") == "1":  # a worker of `syllabus serve` (loaded after the fork)
    warm_up()  # its first requests do not load the URL configuration, catalogs and templates (session 24)
    from syllabus.notify.delivery import in_process_delivery, serving_worker

    if serving_worker():  # its delivery thread, from the start: on PostgreSQL it listens for any process's letters
        in_process_delivery()

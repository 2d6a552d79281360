"""URL map.  An app with pages adds ``<app>/urls.py`` (``app_name`` = the app label); it is
mounted at ``/<prefix>/`` below without touching anything else."""
from __future__ import annotations

import importlib.util

from django.contrib import admin
from django.urls import include, path

from syllabus.api.api import api
from syllabus.web import views as web_views

admin.site.site_header = "Syllabus administration"
admin.site.site_title = "Syllabus"

urlpatterns = [
    path("healthz", web_views.healthz, name="healthz"),
    path("api/v1/", api.urls),
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
]

# (module, URL prefix) of each app's pages
APP_PAGES = [
    ("syllabus.org.urls", "people/"),
    ("syllabus.courses.urls", "courses/"),
    ("syllabus.lists.urls", "lists/"),
    ("syllabus.catalog.urls", "catalog/"),
    ("syllabus.discussion.urls", "discussion/"),
    ("syllabus.notify.urls", "notifications/"),
    ("syllabus.fulfillment.urls", "services/"),
    ("syllabus.acquisitions.urls", "acquisitions/"),
    ("syllabus.lending.urls", "lending/"),
    ("syllabus.lti.urls", "lti/"),
    ("syllabus.sso.urls", "sso/"),
    ("syllabus.consortium.urls", "consortium/"),
    ("syllabus.circulation.urls", "circulation/"),
    ("syllabus.analytics.urls", "analytics/"),
    ("syllabus.catalog.resolver_urls", ""),
]
for module_name, prefix in APP_PAGES:
    if importlib.util.find_spec(module_name) is not None:
        urlpatterns.append(path(prefix, include(module_name)))

urlpatterns.append(path("", include("syllabus.web.urls")))

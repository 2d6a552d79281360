"""Pages of the catalog, mounted at /catalog/ (the resolver page /openurl is in resolver_urls)."""
from django.urls import path, re_path

from . import list_pages, views

app_name = "catalog"

urlpatterns = [
    path("", views.search, name="search"),
    path("records/<int:pk>/", views.record, name="record"),
    re_path(r"^records/(?P<pk>\d+)/export/(?P<fmt>ris|bibtex|csl-json|marcxml)/$", views.record_export, name="record-export"),
    path("records/<int:pk>/collect/", views.collect, name="collect"),
    path("records/<int:pk>/add-to-list/", views.add_to_list, name="add-to-list"),
    path("reserves/", views.reserves, name="reserves"),
    path("collection/", views.collection, name="collection"),
    path("collection/add/", views.collect_citation, name="collect-citation"),
    path("collection/<int:pk>/remove/", views.collection_remove, name="collection-remove"),
    path("collection/<int:pk>/to-list/", views.collection_to_list, name="collection-to-list"),
    re_path(r"^collection/export/(?P<fmt>ris|bibtex|csl-json)/$", views.collection_export, name="collection-export"),
    path("lookup/fill/", views.lookup_fill, name="lookup-fill"),
    path("lists/<int:list_id>/export/", list_pages.list_export, name="list-export"),
    path("lists/<int:list_id>/import/", list_pages.list_import, name="list-import"),
    path("cite-it/", views.cite_it, name="cite-it"),
    path("cite-it/harvest/", views.cite_it_harvest, name="cite-it-harvest"),
    path("cite-it/save/", views.cite_it_save, name="cite-it-save"),
    path("representations/<int:pk>/", views.representation, name="representation"),
    path("representations/<int:pk>/file/", views.representation_file, name="representation-file"),
    path("representation-files/<int:pk>/", views.representation_extra_file, name="representation-extra-file"),
]

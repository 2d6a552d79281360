"""Pages of the catalog, mounted at /catalog/ (the resolver page /openurl is in resolver_urls)."""
from django.urls import path, register_converter

from syllabus.citations.formats import FORMATS

from . import list_pages, views

app_name = "catalog"


class CitationFormat:
    """A path segment naming an export format of citations (``ris``, ``bibtex``, ``csl-json``)."""

    regex = "|".join(FORMATS)

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return value


class RecordFormat(CitationFormat):
    """An export format of a catalog record: the citation formats and MARCXML (issue 13)."""

    regex = "|".join((*FORMATS, "marcxml"))


register_converter(CitationFormat, "citation_format")
register_converter(RecordFormat, "record_format")

urlpatterns = [
    path("", views.search, name="search"),
    path("records/<id:pk>/", views.record, name="record"),
    path("records/<id:pk>/export/<record_format:fmt>/", views.record_export, name="record-export"),
    path("records/<id:pk>/collect/", views.collect, name="collect"),
    path("records/<id:pk>/add-to-list/", views.add_to_list, name="add-to-list"),
    path("reserves/", views.reserves, name="reserves"),
    path("collection/", views.collection, name="collection"),
    path("collection/add/", views.collect_citation, name="collect-citation"),
    path("collection/<id:pk>/remove/", views.collection_remove, name="collection-remove"),
    path("collection/<id:pk>/to-list/", views.collection_to_list, name="collection-to-list"),
    path("collection/export/<citation_format:fmt>/", views.collection_export, name="collection-export"),
    path("lookup/fill/", views.lookup_fill, name="lookup-fill"),
    path("lists/<id:list_id>/export/", list_pages.list_export, name="list-export"),
    path("lists/<id:list_id>/import/", list_pages.list_import, name="list-import"),
    path("lists/<id:list_id>/import/office/", list_pages.list_import_office, name="list-import-office"),
    path("lists/<id:list_id>/import/preview/", list_pages.list_import_preview, name="list-import-preview"),
    path("lists/import-template.xlsx", list_pages.list_import_template, name="list-import-template"),
    path("lists/<id:list_id>/imports/<id:import_id>/", list_pages.list_import_status, name="list-import-status"),
    path("lists/<id:list_id>/imports/<id:import_id>/cancel/", list_pages.list_import_cancel, name="list-import-cancel"),
    path("cite-it/", views.cite_it, name="cite-it"),
    path("cite-it/harvest/", views.cite_it_harvest, name="cite-it-harvest"),
    path("cite-it/save/", views.cite_it_save, name="cite-it-save"),
    path("representations/<id:pk>/", views.representation, name="representation"),
    path("representations/<id:pk>/file/", views.representation_file, name="representation-file"),
    path("representation-files/<id:pk>/", views.representation_extra_file, name="representation-extra-file"),
]

from syllabus.core.apps import SyllabusAppConfig


class ListsConfig(SyllabusAppConfig):

    def ready(self):
        # the catalog's pages and API reach resource lists through its port (DSV-3, DSV-5, LST-9)
        from syllabus.catalog import lists_port

        from . import catalog_link, reserves, rollover, selectors, signals, views

        from syllabus.web.panels import COURSE_PANELS

        from .course_panel import course_lists_panel

        COURSE_PANELS.register(course_lists_panel)  # the course page shows the course's lists (CRS-3)
        signals.connect()
        selectors.install()   # the student view's list read with the session (issue 19)
        rollover.register_item_filter()

        lists_port.provide(
            lists_for_adding=catalog_link.lists_for_adding, list_and_section=catalog_link.list_and_section,
            ensure_edit=catalog_link.ensure_edit, add_record=catalog_link.add_record,
            add_metadata=catalog_link.add_metadata, import_into_list=catalog_link.import_into_list,
            list_items=catalog_link.list_items, citation_form_type=catalog_link.citation_form_type,
            lists_containing=reserves.lists_containing, record_ids_for_courses=reserves.record_ids_for_courses,
            course_reserves=reserves.course_reserves, item_context=catalog_link.item_context,
            queue_import=catalog_link.queue_import, import_report=catalog_link.import_report,
            list_imports=catalog_link.list_imports, list_import=catalog_link.list_import,
            cancel_import=catalog_link.cancel_import, preview_office_file=catalog_link.preview_office_file,
            import_office_file=catalog_link.import_office_file, page_after_import=views.page_after_import,
        )

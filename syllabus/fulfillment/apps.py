from syllabus.core.apps import SyllabusAppConfig


class FulfillmentConfig(SyllabusAppConfig):
    verbose_name = "Digitization and copyright"

    def ready(self):
        from django.db.models.signals import post_save

        from syllabus.org.models import Institution

        from .signals import institution_created

        post_save.connect(institution_created, sender=Institution, dispatch_uid="fulfillment.default_department")

        from . import access  # noqa: F401  (registers the catalog access check, DIG-4)
        from .workflow import declare_audit_labels

        declare_audit_labels()  # the request's history says its steps in the reader's language (ORG-6)

        from .integration import (
            register_copyright_policy, register_file_guard, register_list_filters, register_rollover_recheck,
        )

        register_list_filters()
        register_file_guard()
        register_copyright_policy()
        register_rollover_recheck()

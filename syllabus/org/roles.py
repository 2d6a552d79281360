"""Staff roles of SPEC ORG-3.  Course roles (Instructor, Student) come from course membership."""
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    GENERAL_SYSTEM_ADMINISTRATOR = "general_system_administrator", _("General System Administrator")
    FULFILLMENT_ADMINISTRATOR = "fulfillment_administrator", _("Fulfillment Administrator")
    LETTER_ADMINISTRATOR = "letter_administrator", _("Letter Administrator")
    DIGITAL_INVENTORY_OPERATOR = "digital_inventory_operator", _("Digital Inventory Operator")
    COURSE_RESERVES_OPERATOR = "course_reserves_operator", _("Course Reserves Operator")
    FULFILLMENT_SERVICES_OPERATOR = "fulfillment_services_operator", _("Fulfillment Services Operator")
    FULFILLMENT_SERVICES_MANAGER = "fulfillment_services_manager", _("Fulfillment Services Manager")
    WORK_ORDER_OPERATOR = "work_order_operator", _("Work Order Operator")
    REQUESTS_OPERATOR = "requests_operator", _("Requests Operator")
    # CON-1: sets the consortium-level configuration (held with the scope of one's own institution,
    # it covers the consortium that institution belongs to)
    CONSORTIUM_ADMINISTRATOR = "consortium_administrator", _("Consortium Administrator")


class Scope(models.TextChoices):
    INSTITUTION = "institution", _("Institution")
    LIBRARY = "library", _("Library")
    DEPARTMENT = "department", _("Department")


# Roles that see the Back office.
BACK_OFFICE_ROLES = frozenset(Role.values)

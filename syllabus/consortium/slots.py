"""The "share with the consortium" control in a list's header, for its editors (CON-3)."""
from syllabus.lists.slots import register_slot

register_slot("list_actions", "consortium/_share.html", order=40,
              when=lambda request, context: bool(getattr(context.get("access"), "edit", False)))

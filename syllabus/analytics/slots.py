"""What analytics adds to the list pages (found by the lists' slot registry):

* ``list_reader`` (the reader's own part of the student view): the tiny script that reports a
  followed access link or "Find it" (ANL-1 ``item_open``, ``findit_click``);
* ``list_aside`` of the editor: "Often used with" — suggestions from other lists (ANL-3).
"""
from syllabus.lists.slots import register_slot

register_slot("list_reader", "analytics/_usage_beacon.html", order=90)
register_slot("list_actions", "analytics/_list_actions.html", order=80)

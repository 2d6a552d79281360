"""Signals of resource lists, for apps above that keep their own records in step.

``personal_copy_changed(citation, owner)`` — sent inside the transaction that set or cleared an
item's personal copy (SRV-1); ``owner`` is the list owner who provides it (``None`` when cleared).
The circulation app keeps its circulation record of the copy with it."""
from django.dispatch import Signal

personal_copy_changed = Signal()

"""What a merge of two accounts does to "My collection" (DSV-3; ORG-MERGE, org.merging): a record
both collected keeps the target's entry (one entry per record)."""
from syllabus.org.merging import moves

moves(__name__, {"catalog.CollectionEntry.user": "My collection entries"},
      clashes={"catalog.CollectionEntry.user": ("record",)})

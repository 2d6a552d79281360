"""What a merge of two accounts does to usage data (ANL-1; ORG-MERGE, org.merging): a list both
opened for one course counts one reader (the target's first day stays)."""
from syllabus.org.merging import moves

moves(__name__, {
    "analytics.UsageEvent.user": "usage events",
    "analytics.ListReader.user": "list readers",
}, clashes={"analytics.ListReader.user": ("resource_list", "course")})

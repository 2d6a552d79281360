"""What a merge of two accounts does to library discussions (DSC-2; ORG-MERGE, org.merging): a
thread both had read keeps the target's read state (its own new-message count)."""
from syllabus.org.merging import moves

moves(__name__, {
    "discussion.Message.author": "discussion messages",
    "discussion.ReadState.user": "discussion read states",
}, clashes={"discussion.ReadState.user": ("thread",)})

"""What a merge of two accounts does to consortium requests and shares (CON-1..4; ORG-MERGE)."""
from syllabus.org.merging import moves

moves(__name__, {
    "consortium.CrossRequest.requester": "cross-member requests",
    "consortium.IllRequest.requester": "inter-library loan requests",
    "consortium.SharedList.shared_by": "lists shared with the consortium",
    "consortium.SettingLock.created_by": "consortium setting locks",
})

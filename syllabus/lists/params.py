"""Configuration parameters of resource lists (ORG-4), resolved for the list's institution."""
from syllabus.org.config import declare

from .workflow import ItemStatus

declare("citation_default_status_no_action", str, ItemStatus.COMPLETE.value,
        "Status given to new items that need no library action, e.g. websites and open-access resources (LST-5)",
        choices=tuple(ItemStatus.values))
declare("citation_types_no_action", list, ["website"],
        "Citation types that need no library action (LST-5): book, book_chapter, article, website, video_audio, document, other")
declare("citation_open_access_no_action", bool, True,
        "Open-access citations need no library action and get the default status above (LST-5)")
declare("citation_style", str, "apa", "CSL style of the formatted citations in the student list view (LST-9)")
declare("list_upload_types", list,
        ["application/pdf", "application/msword", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         "application/vnd.ms-powerpoint", "application/vnd.openxmlformats-officedocument.presentationml.presentation",
         "application/vnd.ms-excel", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
         "application/vnd.oasis.opendocument.text", "application/epub+zip", "text/plain", "text/csv",
         "image/png", "image/jpeg", "image/gif", "audio/mpeg", "video/mp4"],
        "Content types (sniffed from the bytes, not the file name) accepted for files on citations (LST-3)")
declare("personal_copy_item_types", list, ["book", "book_chapter", "video_audio"],
        "Citation types an instructor may provide as a personal copy (SRV-1): book, book_chapter, article, website, "
        "video_audio, document, other")

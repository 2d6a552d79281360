"""The forms of the list pages (LST-1..9, ROLL-3): every POST of ``views.py`` is read here."""
from __future__ import annotations

from django import forms

from syllabus.core.forms import MAX_ID, Checked, DateText, IdList, RuleForm, TextList, text
from syllabus.core.limits import TERM, TEXT, column

from .models import Citation, ResourceList, RolloverRun, Section

#: the most characters pasted at once (``catalog_link.PASTE_CHARS``, which imports this app's services)
PASTE_CHARS = 50_000

#: the editor's metadata fields → their CSL variables
FORM_FIELDS = {
    "title": "title", "container_title": "container-title", "edition": "edition", "publisher": "publisher",
    "publisher_place": "publisher-place", "page": "page", "volume": "volume", "issue": "issue", "isbn": "ISBN",
    "issn": "ISSN", "doi": "DOI", "url": "URL",
}


class ListForm(RuleForm):
    """A new list, or its settings: an absent field (settings) leaves it as it is."""

    rule = "LST-1"
    title = text(column(ResourceList, "title"))
    description = text(column(ResourceList, "description"))
    courses = IdList(required=False)
    collaborators = text(TEXT)  # user names, separated by blanks or commas

    @classmethod
    def values(cls, post) -> dict:
        """The settings the form sends (``None``: a field it leaves out); ``courses`` as ids."""
        data = cls.parse(post)
        values = {name: data[name] if name in post else None for name in ("title", "description")}
        if "collaborators" in post:
            values["collaborators"] = [n for n in data["collaborators"].replace(",", " ").split() if n]
        if "courses" in post or post.get("courses_present"):
            values["courses"] = data["courses"]
        return values


class VisibilityForm(RuleForm):
    rule = "LST-4"
    visibility = text(TERM)


class SectionForm(RuleForm):
    rule = "LST-1"
    title = text(column(Section, "title"))
    description = text(column(Section, "description"))
    start_date = DateText(required=False)
    end_date = DateText(required=False)


class MoveForm(RuleForm):
    """Up or down one place, or (an item) to another section of the list."""

    rule = "LST-1"
    direction = forms.ChoiceField(choices=[("up", "up"), ("down", "down")], required=False)
    section = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID)


class CitationForm(RuleForm):
    """An item of the editor: its type, section, metadata, notes and library fields."""

    rule = "LST-2"
    rules = {"section": "LST-1"}
    type = forms.CharField(required=False, max_length=TERM)
    section = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID)
    record_id = forms.CharField(required=False, max_length=TERM)  # the identifier lookup's match (views._record)
    authors = text(TEXT)  # one a line
    year = text(TERM)
    tags = TextList(required=False)
    public_note = text(column(Citation, "public_note"))
    library_note = text(column(Citation, "library_note"))
    open_access = Checked()
    copyright_status = text(TERM)
    personal_copy = Checked()
    personal_copy_owner = text(column(Citation, "personal_copy_owner"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for name in FORM_FIELDS:  # CSL-JSON members: as long as the item's title may be
            self.fields[name] = text(column(Citation, "title"))

    @staticmethod
    def metadata(data: dict) -> dict:
        """CSL-JSON from the form; empty fields are ``None`` (removed by a merge patch)."""
        meta = {csl: data[field].strip() or None for field, csl in FORM_FIELDS.items()}
        meta["author"] = [line.strip() for line in data["authors"].splitlines() if line.strip()] or None
        meta["issued"] = data["year"].strip() or None
        return meta

    @classmethod
    def typed(cls, post) -> dict:
        """What was typed, as the item's page shows it again beside a refusal (nothing typed is
        lost): each field as sent, cut to its ceiling (a refused over-long value is not echoed whole)."""
        values: dict = {}
        for name, field in cls().fields.items():
            if isinstance(field, TextList):
                values[name] = [v[:field.max_length] for v in post.getlist(name)[:field.max_items]]
            elif isinstance(field, Checked):
                values[name] = field.to_python(post.get(name))
            else:
                values[name] = str(post.get(name) or "")[:getattr(field, "max_length", None) or TERM]
        return values

    @staticmethod
    def values(data: dict) -> dict:
        return {name: data[name] for name in ("tags", "public_note", "library_note", "open_access", "copyright_status",
                                              "personal_copy", "personal_copy_owner")}


class AssignForm(RuleForm):
    rule = "LST-7"
    username = forms.CharField(required=False, max_length=150)
    assign_me = forms.CharField(required=False, max_length=TERM)  # any value: the button was pressed
    return_to = forms.CharField(required=False, max_length=2_000)
    state = forms.CharField(required=False, max_length=2_000)  # the task list's filters, to re-render it


class StatusForm(RuleForm):
    rule = "LST-5"
    status = text(TERM)
    note = forms.CharField(required=False, strip=False, empty_value=None, max_length=column(Citation, "status_note"))


class LibraryNoteForm(RuleForm):
    rule = "LST-3"
    library_note = text(column(Citation, "library_note"))
    tags = TextList(required=False)


class RolloverForm(RuleForm):
    rule = "ROLL-3"
    # a longer term is ROLL-10's to refuse (values() keeps 100 characters of it, the rule allows the column's)
    from_term = forms.CharField(required=False, max_length=100 + column(RolloverRun, "from_term"))
    to_term = forms.CharField(required=False, max_length=100 + column(RolloverRun, "to_term"))
    to_term_start = DateText(required=False)
    notes = forms.CharField(required=False, max_length=TERM)
    action = forms.ChoiceField(choices=(("dry_run", "dry run"), ("run", "run")), required=False)   # none: a dry run (ROLL-9)

    @classmethod
    def values(cls, post) -> dict:
        data = cls.parse(post)
        return {"from_term": data["from_term"][:100], "to_term": data["to_term"][:100],
                "to_term_start": data["to_term_start"], "keep_notes": data["notes"] != "clear",
                "dry_run": data["action"] != "run"}



def _item_filters() -> list[tuple[str, str]]:
    from .selectors import ITEM_FILTERS

    return [("", "all items"), *((key, key) for key in ITEM_FILTERS)]


class LibraryViewForm(RuleForm):
    """Which of the list's items the library's page showed when one of its forms was posted (LST-7):
    the page answers with the same filter."""

    rule = "LST-7"
    item_status = forms.ChoiceField(choices=_item_filters, required=False)


class PasteForm(RuleForm):
    """Citations pasted into the editor (LST-9): the text, and the section to add them to."""

    rule = "LST-9"
    rules = {"section": "LST-1"}
    text = text(PASTE_CHARS)
    section = forms.IntegerField(required=False, min_value=0, max_value=MAX_ID)

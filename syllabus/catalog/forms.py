"""The forms of the catalog pages (DSV-3, DSV-4, LST-9): every POST of ``views.py`` and
``list_pages.py`` is read here."""
from __future__ import annotations


from django import forms

from syllabus.core.forms import RuleForm, TextList, id_field
from syllabus.core.limits import JSON_CHARS, TERM, TEXT, column
from syllabus.core import jsondata

from .models import Record

CHOOSE_A_LIST = {key: "choose a list" for key in ("required", "invalid", "min_value", "max_value")}


class AddToListForm(RuleForm):
    """DSV-3: one of my lists, and (optionally) its section."""

    rule = "DSV-3"
    list_id = id_field(error_messages=CHOOSE_A_LIST)
    section_id = id_field(required=False)


class CollectForm(RuleForm):
    """DSV-3: a citation saved to My collection (the link resolver's "Save"), as CSL-JSON."""

    rule = "DSV-3"
    csl = forms.CharField(required=False, max_length=JSON_CHARS)

    def clean_csl(self) -> dict:
        try:
            data = jsondata.loads(self.cleaned_data["csl"] or "{}")
        except ValueError as exc:   # not JSON, or nested too deep
            raise forms.ValidationError(f"the citation is not CSL-JSON ({exc}); find it again") from None
        return data if isinstance(data, dict) else {}


class CiteItSaveForm(RuleForm):
    """DSV-4: where a harvested citation goes — My collection or one of my lists."""

    rule = "DSV-4"
    target = forms.RegexField(r"^(collection|[0-9]{1,18})$", required=False, max_length=TERM, error_messages={
        "invalid": "choose My collection or one of your lists"})

    @classmethod
    def target_of(cls, post) -> int | None:
        """The list's id, or None for My collection."""
        target = cls.parse(post)["target"] or "collection"
        return None if target == "collection" else int(target)


class ListImportForm(RuleForm):
    """LST-9: the file's format (guessed when empty) and the section the entries go to."""

    rule = "LST-9"
    format = forms.CharField(required=False, max_length=TERM)
    section_id = id_field(required=False)
    # a spreadsheet's mapping step: the field of each column, in order (checked against the file's columns)
    map = TextList(required=False, max_items=300, max_length=TERM)
    # an Excel workbook's sheet (name or number) and the header row chosen by hand (LST-9, session 21)
    sheet = forms.CharField(required=False, max_length=TERM)
    header_row = forms.IntegerField(required=False, min_value=1, max_value=50011)
    # LST-3: the entries' notes (Zotero's notes, annotations) for students (the public note), else the library's
    notes_public = forms.BooleanField(required=False)


CITE_IT_FIELDS = ("title", "container-title", "publisher", "ISBN", "ISSN", "DOI", "URL", "type", "volume", "issue", "page")


class CiteItEditForm(RuleForm):
    """DSV-4: the preview form of "Cite it" — the harvested CSL-JSON, and the fields the person
    corrected (a field the form does not send is left as harvested)."""

    rule = "DSV-4"
    csl = forms.CharField(required=False, max_length=JSON_CHARS)
    authors = forms.CharField(required=False, strip=False, max_length=TEXT)  # one a line
    year = forms.RegexField(r"^\d{1,4}$", required=False, max_length=TERM, error_messages={"invalid": "the year must be a number"})

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for key in CITE_IT_FIELDS:  # CSL-JSON members: as long as a record's title may be
            self.fields[key] = forms.CharField(required=False, max_length=column(Record, "title"))

    def clean_csl(self) -> dict:
        try:
            data = jsondata.loads(self.cleaned_data["csl"] or "{}")
            if not isinstance(data, dict):
                raise ValueError
        except ValueError:
            raise forms.ValidationError("the harvested metadata was damaged; harvest the page again") from None
        return data

    @classmethod
    def edited(cls, post) -> tuple[dict, dict]:
        """The harvested CSL-JSON, and the corrections sent (``authors`` as lines, ``year`` as text)."""
        data = cls.parse(post)
        return data["csl"], {key: data[key] for key in (*CITE_IT_FIELDS, "authors", "year") if key in post}

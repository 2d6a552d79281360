"""Session 22: ``get_<field>_display()`` of the back office's requests comes from a table made once
per field (core.models.ChoiceLabels) — the labels a queue shows three times a row.  Every label of
every such field, and a value that is no choice, read the same as Django's own in English and in
French: the reader's language still decides (the table keeps the lazy labels)."""
from __future__ import annotations

from django.apps import apps
from django.db import models
from django.utils import translation

from syllabus.core.models import ChoiceLabels


def test_every_choice_label_reads_as_djangos_own_in_english_and_french():
    checked = 0
    for model in apps.get_models():
        if not issubclass(model, ChoiceLabels):
            continue
        for field in model._meta.concrete_fields:
            if not field.choices:
                continue
            for value in [v for v, _ in field.flatchoices] + ["no-such-choice"]:
                row = model(**{field.attname: value})
                for language in ("en", "fr"):
                    with translation.override(language):
                        ours = getattr(row, f"get_{field.name}_display")()
                        theirs = models.Model._get_FIELD_display(row, field)
                    assert ours == theirs, (model.__name__, field.name, value, language, ours, theirs)
                    checked += 1
    assert checked > 100   # the digitization, purchase, ILL and accessible file requests' statuses at least
    with translation.override("fr"):
        from syllabus.fulfillment.models import DigitizationRequest

        assert DigitizationRequest(status="pick_from_shelf").get_status_display() == "À prendre en rayon"

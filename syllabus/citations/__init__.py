"""The citation core: bibliographic metadata in CSL-JSON and every format it comes and goes in.

A plain package, not a Django app: no models, and it imports no Syllabus app except
``syllabus.core``.  Catalog and lists (and anything above them) import it; it never imports
them (ARCHITECTURE.md: core → org → courses → notify → citation core → catalog → lists ...).

* :mod:`.identifiers` — ISBN, ISSN, DOI: the one normaliser (lenient readers, strict checkers)
* :mod:`.csl` — CSL-JSON helpers: types, names, dates, cleaning, work keys
* :mod:`.validate` — checking metadata a person or the API gives (LST-2)
* :mod:`.bibliography` — CSL styles and rendering with citeproc-py (LST-9)
* :mod:`.formats` — RIS, BibTeX, CSL-JSON in and out (LST-9)
* :mod:`.openurl` — OpenURL 1.0 KEV ContextObjects in and out, COinS (DSV-6)
"""

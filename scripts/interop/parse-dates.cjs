// citeproc-js's own date parser (CSL.DateParser of citeproc 2.4.63, the one Zotero and Mendeley
// run on a CSL-JSON "raw" date), for tests/citations/test_csl_dates.py to compare
// syllabus.citations.csl.parse_date_text with (docs/interop.md).
//
//   node scripts/interop/parse-dates.cjs DATES.json   → {"text": {"date-parts": [...]} | {"literal": "..."}, ...}
const { readFileSync } = require("node:fs");
const CSL = require("citeproc");

const parser = CSL.DateParser; // citeproc-js's instance: English months, month before day
const out = {};
for (const text of JSON.parse(readFileSync(process.argv[2], "utf8"))) {
  out[text] = parser.parseDateToArray(text);
}
process.stdout.write(JSON.stringify(out));

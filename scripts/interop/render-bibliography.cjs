// citeproc-js (citeproc 2.4.63, what Zotero and Mendeley run) rendering a bibliography as text, for
// tests/citations/test_csl_date_ranges.py to compare what syllabus.citations.bibliography prints with
// (docs/interop.md).  The styles and locales are the ones citeproc-py ships, read from disk.
//
//   node scripts/interop/render-bibliography.cjs JOB.json  → {"STYLE LOCALE": ["entry", ...], ...}
//   JOB.json: {"items": [CSL-JSON...], "styles": {"name": "path.csl"}, "locales": {"en-US": "path.xml"}}
const { readFileSync } = require("node:fs");
const CSL = require("citeproc");

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const byId = Object.fromEntries(job.items.map((i) => [i.id, i]));
const locales = Object.fromEntries(Object.entries(job.locales).map(([k, p]) => [k, readFileSync(p, "utf8")]));
const out = {};
for (const [name, path] of Object.entries(job.styles)) {
  const xml = readFileSync(path, "utf8");
  for (const lang of Object.keys(locales)) {
    const sys = {
      retrieveLocale: (l) => locales[l] || locales["en-US"],
      retrieveItem: (id) => byId[id],
    };
    const engine = new CSL.Engine(sys, xml, lang, true);
    engine.setOutputFormat("text");
    engine.updateItems(job.items.map((i) => i.id));
    const [, entries] = engine.makeBibliography();
    out[`${name} ${lang}`] = entries.map((e) => e.trim());
  }
}
process.stdout.write(JSON.stringify(out));

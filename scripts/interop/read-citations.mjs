// Reads Syllabus's list exports with implementations nobody on this project wrote (docs/interop.md):
//   citation-js (@citation-js/plugin-ris, -bibtex, -csl) parses the RIS, the BibTeX and the CSL-JSON
//   back into CSL-JSON; the CSL project's csl-data.json schema (ajv) validates the CSL-JSON; citeproc-js
//   (Zotero's and Mendeley's processor) renders the CSL-JSON in a CSL style.
//
//   node scripts/interop/read-citations.mjs EXPORTS.json SCHEMA.json STYLE.csl LOCALE.xml
//
// EXPORTS.json is {"ris": "...", "bibtex": "...", "csl_json": "..."}; the answer, on stdout, is
// {"ris": [csl...], "bibtex": [csl...], "csl_json": [csl...], "schema_errors": [...], "rendered": ["..."],
//  "docx": ["<p> HTML", ...], "warnings": [...]}.
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";

const require = createRequire(import.meta.url);
const { Cite, plugins } = require("@citation-js/core");
require("@citation-js/plugin-ris");
require("@citation-js/plugin-bibtex");
require("@citation-js/plugin-csl");
const Ajv = require("ajv");
const CSL = require("citeproc");
const mammoth = require("mammoth");

const [exportsPath, schemaPath, stylePath, localePath, docxPath] = process.argv.slice(2);
const exported = JSON.parse(readFileSync(exportsPath, "utf8"));
const warnings = [];
const origWarn = console.warn;
console.warn = (...args) => warnings.push(args.join(" "));

function parse(text, type) {
  // citation-js: no type guessing; the format named
  return new Cite(text, { forceType: type, generateGraph: false }).data.map((item) => {
    const { _graph, ...rest } = item;
    return rest;
  });
}

const answer = {
  ris: parse(exported.ris, "@ris/file"),
  bibtex: parse(exported.bibtex, "@biblatex/text"),
  csl_json: parse(JSON.parse(exported.csl_json), "@csl/list+object"),
};

const ajv = new Ajv({ allErrors: true, strict: false });
const validate = ajv.compile(JSON.parse(readFileSync(schemaPath, "utf8")));
answer.schema_errors = validate(JSON.parse(exported.csl_json)) ? [] : validate.errors;

const items = Object.fromEntries(JSON.parse(exported.csl_json).map((item) => [item.id, item]));
const engine = new CSL.Engine(
  { retrieveLocale: () => readFileSync(localePath, "utf8"), retrieveItem: (id) => items[id] },
  readFileSync(stylePath, "utf8"),
  "en-US",
);
const ids = Object.keys(items);
engine.updateItems(ids);
engine.setOutputFormat("text");
const [meta, entries] = engine.makeBibliography();
// the entries in the order of the export (the style sorts them)
const byId = Object.fromEntries(meta.entry_ids.map((idList, i) => [idList[0], entries[i].trim()]));
answer.rendered = ids.map((id) => byId[id]);
if (meta.bibliography_errors && meta.bibliography_errors.length) warnings.push(JSON.stringify(meta.bibliography_errors));
const docx = await mammoth.convertToHtml({ path: docxPath });
answer.docx = [...docx.value.matchAll(/<(h1|p)>(.*?)<\/\1>/g)].map((m) => `<${m[1]}>${m[2]}`);
warnings.push(...docx.messages.map((m) => `mammoth: ${m.message}`));
answer.warnings = warnings;
console.warn = origWarn;
process.stdout.write(JSON.stringify(answer));
void plugins;

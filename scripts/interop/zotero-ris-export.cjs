// Runs Zotero's own RIS export (doExport of RIS.js in zotero/translators, not shipped here: give
// its path) on one Zotero item (JSON), as Zotero hands items to an export translator: base-mapped
// fields under their base names as well (a preprint's repository -> publisher, archiveID -> number).
// Usage: node scripts/interop/zotero-ris-export.cjs path/to/RIS.js item.json > out.ris
// Made tests/data/ris/zotero-RIS-export-preprints.ris (see tests/data/README.md).
const fs = require('fs');
const source = fs.readFileSync(process.argv[2], 'utf8');
const item = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
let out = '';
let given = false;
global.Zotero = {
  nextItem: () => { if (given) return false; given = true; return item; },
  write: (t) => { out += t; },
  getOption: (o) => o === 'exportCharset' ? 'UTF-8' : (o === 'exportNotes' ? true : false),
  getHiddenPref: () => false,
  debug: () => {},
};
global.ZU = {
  fieldIsValidForType: () => true,
  strToDate: (s) => { const m = /^(\d{4})(?:-(\d\d)(?:-(\d\d))?)?/.exec(s || ''); return m ? {year: m[1], month: m[2] ? Number(m[2]) - 1 : undefined, day: m[3] ? Number(m[3]) : undefined} : {}; },
};
global.Z = global.Zotero;
// the translator's code without its JSON header and its test cases
const body = source.slice(source.indexOf('}\n') + 2, source.indexOf('/** BEGIN TEST CASES **/'));
eval(body + '\ndoExport();');
process.stdout.write(out);

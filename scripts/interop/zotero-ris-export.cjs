// Runs Zotero's own RIS or BibTeX export (doExport of RIS.js or BibTeX.js in zotero/translators, not
// shipped here: give its path) on Zotero items (JSON: one item, or a list), as Zotero hands items to an export
// translator: base-mapped fields under their base names as well (a preprint's repository ->
// publisher, archiveID -> number, a case's reporter -> publicationTitle...: the caller adds them).
// Zotero's ZU.strToDate is stood in for by citeproc-js's date parser ("August 27, 2009", "2/2017").
// Usage: node scripts/interop/zotero-ris-export.cjs path/to/RIS.js items.json > out.ris
//        node scripts/interop/zotero-ris-export.cjs path/to/BibTeX.js items.json > out.bib
// Made tests/data/ris/zotero-RIS-export-*.ris and tests/data/bibtex/zotero-BibTeX-export-*.bib (see tests/data/README.md).
const fs = require('fs');
const CSL = require('citeproc');
const source = fs.readFileSync(process.argv[2], 'utf8');
const given = JSON.parse(fs.readFileSync(process.argv[3], 'utf8'));
const items = Array.isArray(given) ? given : [given];
let out = '';
let current = null;
global.Zotero = {
  nextItem: () => { const item = current; current = null; return item || false; },
  write: (t) => { out += t; },
  getOption: (o) => o === 'exportCharset' ? 'UTF-8' : (o === 'exportNotes' ? true : false),
  getHiddenPref: () => false,
  debug: () => {},
};
const strToDate = (s) => {
  const parts = (CSL.DateParser.parseDateToArray(String(s || ''))['date-parts'] || [[]])[0] || [];
  return parts.length ? {year: String(parts[0]), month: parts[1] && parts[1] <= 12 ? parts[1] - 1 : undefined,
                         day: parts[2] || undefined} : {};
};
global.ZU = {
  fieldIsValidForType: () => true,
  strToDate,
  // what BibTeX.js's export calls besides (Zotero's own behaviour, simplified: no HTML in these items)
  cleanDOI: (s) => ((String(s || '').match(/10\.[0-9]{4,}\/[^\s]*[^\s.,]/) || [null])[0]),
  removeDiacritics: (s) => String(s).normalize('NFD').replace(/[\u0300-\u036f]/g, ''),
  unescapeHTML: (s) => String(s),
  strToISO: (s) => { const d = strToDate(s); return d.year ? [d.year, d.month !== undefined ? String(d.month + 1).padStart(2, '0') : null,
    d.day ? String(d.day).padStart(2, '0') : null].filter(Boolean).join('-') : false; },
  getVersion: () => '7.0',
  getCreatorsForType: () => ['author', 'contributor', 'editor', 'translator', 'seriesEditor', 'bookAuthor'],
  trim: (s) => String(s).trim(),
  trimInternal: (s) => String(s).replace(/\s+/g, ' ').trim(),
};
global.Zotero.Utilities = global.ZU;
global.Z = global.Zotero;
// the translator's code without its JSON header and its test cases
const body = source.slice(source.indexOf('}\n') + 2, source.indexOf('/** BEGIN TEST CASES **/'));
eval(body + '\nglobal.zoteroDoExport = doExport;');
for (const item of items) {
  current = item;
  zoteroDoExport();
}
process.stdout.write(out);

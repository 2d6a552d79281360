// CSL-JSON as citation-js writes it (session 19, LST-9): the import of a list must read what real
// tools export.  citation-js (@citation-js/plugin-ris, -bibtex, -csl) reads a RIS or BibTeX file and
// writes its items as CSL-JSON ("data" output: the array CSL 1.0.2 describes).
//
//   node scripts/interop/csl-json-export.cjs FILE.ris|FILE.bib
//
// stdout: the CSL-JSON text citation-js writes (Cite#format("data")).
const { readFileSync } = require("node:fs");
const { Cite } = require("@citation-js/core");
require("@citation-js/plugin-ris");
require("@citation-js/plugin-bibtex");
require("@citation-js/plugin-csl");

const [path] = process.argv.slice(2);
const type = path.endsWith(".ris") ? "@ris/file" : "@biblatex/text";
const cite = new Cite(readFileSync(path, "utf8"), { forceType: type, generateGraph: false });
process.stdout.write(cite.format("data", { format: "text" }));

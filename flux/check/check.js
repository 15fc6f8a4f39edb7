#!/usr/bin/env node
// Checks Flux with InfluxData's Flux language server (@influxdata/flux-lsp-node, WASM),
// which parses and type-checks Flux without an InfluxDB server.
//
//   node flux/check/check.js [--dashboard] [--format] FILE...  (`-` reads Flux from stdin)
//   node flux/check/check.js [--dashboard] [--format] --json   (stdin: [{"name", "flux"}, ...])
//
// Prints `file:line:col: severity: message` for every diagnostic and exits 1 if any is
// an error or the library's own semantic check (`is_valid_flux`) rejects a file, 0 if
// all pass, 2 when the checker itself cannot run (bad usage, unreadable file, no answer).
//
// --dashboard prepends the record that InfluxDB's UI provides to dashboard queries
// (`v.timeRangeStart`, `v.timeRangeStop`, `v.windowPeriod`) and reports lines as they
// are in the file. --json checks many named texts in one run (starting node and the
// WASM takes most of a run's time); each is reported under its name. --format also
// fails a text that the Flux formatter would write differently, at the first line
// that differs (like `cargo fmt --check`, for the Flux we ship).
//
// FLUX_CHECK_VERBOSE=1 keeps the WASM's own log lines.
'use strict';

const fs = require('fs');

const DASHBOARD_PRELUDE =
  'v = {timeRangeStart: -1h, timeRangeStop: now(), windowPeriod: 1m}\n';
const ANSWER_TIMEOUT_MS = 20000;
const SEVERITY = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };

// The WASM logs "language server initialized" through console.info onto stdout, which
// would mix with the diagnostics.
if (process.env.FLUX_CHECK_VERBOSE !== '1') {
  console.info = () => {};
  console.debug = () => {};
  console.log = () => {};
}

const { Flux, Lsp, is_valid_flux } = require('@influxdata/flux-lsp-node');

function usage(message) {
  process.stderr.write(
    `check.js: ${message}\nusage: node check.js [--dashboard] [--format] FILE... ('-' for stdin) | --json\n`,
  );
  process.exit(2);
}

function parseArgs(argv) {
  const options = { dashboard: false, format: false, json: false, files: [] };
  for (const arg of argv) {
    if (arg === '--dashboard') options.dashboard = true;
    else if (arg === '--json') options.json = true;
    else if (arg === '--format') options.format = true;
    else if (arg.startsWith('--')) usage(`unknown option ${arg}`);
    else options.files.push(arg);
  }
  if (options.json && options.files.length > 0) usage('--json reads stdin only');
  if (!options.json && options.files.length === 0) usage('no file given');
  return options;
}

function readSource(file) {
  try {
    return fs.readFileSync(file === '-' ? 0 : file, 'utf8');
  } catch (err) {
    process.stderr.write(`check.js: cannot read ${file}: ${err.message}\n`);
    process.exit(2);
  }
}

// Named texts from stdin: a JSON array of {name, flux}.
function readJsonTexts() {
  let texts;
  try {
    texts = JSON.parse(readSource('-'));
  } catch (err) {
    usage(`--json: stdin is not JSON: ${err.message}`);
  }
  const valid = (t) => t && typeof t.name === 'string' && typeof t.flux === 'string';
  if (!Array.isArray(texts) || texts.length === 0 || !texts.every(valid)) {
    usage('--json: stdin must be a non-empty array of {"name": string, "flux": string}');
  }
  return texts;
}

// One virtual folder per document: the server treats every document of a folder as
// one package, so two tasks side by side would clash (`option "task" reassigned`).
function documentUri(index) {
  return `file:///flux-check/${index}/query.flux`;
}

function request(id, method, params) {
  return JSON.stringify({ jsonrpc: '2.0', id, method, params });
}

function notification(method, params) {
  return JSON.stringify({ jsonrpc: '2.0', method, params });
}

// Opens every document and resolves with a map uri -> diagnostics once each has been
// published. `send()` takes bare JSON; an LSP Content-Length header breaks it.
async function diagnose(documents) {
  const published = new Map();
  let allPublished;
  const done = new Promise((resolve) => (allPublished = resolve));
  const lsp = new Lsp();
  lsp.onMessage((raw) => {
    const msg = JSON.parse(raw);
    if (msg.method !== 'textDocument/publishDiagnostics') return;
    published.set(msg.params.uri, msg.params.diagnostics);
    if (documents.every((d) => published.has(d.uri))) allPublished();
  });
  lsp.run().catch((err) => {
    process.stderr.write(`check.js: the Flux language server stopped: ${err}\n`);
    process.exit(2);
  });
  await lsp.send(request(1, 'initialize', { processId: process.pid, rootUri: null, capabilities: {} }));
  await lsp.send(notification('initialized', {}));
  for (const doc of documents) {
    const textDocument = { uri: doc.uri, languageId: 'flux', version: 1, text: doc.text };
    await lsp.send(notification('textDocument/didOpen', { textDocument }));
  }
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('no diagnostics from the Flux language server')), ANSWER_TIMEOUT_MS).unref(),
  );
  await Promise.race([done, timeout]);
  return published;
}

// The first line where `text` differs from the formatter's output, and what the
// formatter writes there; null when they are the same.
function unformattedLine(text) {
  let formatted;
  try {
    formatted = new Flux(text).format();
  } catch (err) {
    return { line: 1, expected: `formattable Flux (${err})` };
  }
  if (formatted === text) return null;
  const [have, want] = [text.split('\n'), formatted.split('\n')];
  let i = 0;
  while (i < have.length && have[i] === want[i]) i++;
  if (i >= have.length) return { line: i, expected: 'a line break at the end of the file' };
  if (i >= want.length) return { line: i + 1, expected: 'the end of the file' };
  return { line: i + 1, expected: JSON.stringify(want[i].trim()) };
}

function report(doc, diagnostics, shift) {
  let failed = false;
  for (const d of diagnostics) {
    // Our own prelude line only draws a warning about naming `v`.
    if (d.range.start.line < shift && d.severity !== 1) continue;
    const severity = SEVERITY[d.severity] || 'error';
    if (severity === 'error') failed = true;
    const line = Math.max(1, d.range.start.line + 1 - shift);
    const col = d.range.start.character + 1;
    process.stdout.write(`${doc.label}:${line}:${col}: ${severity}: ${d.message}\n`);
  }
  if (!is_valid_flux(doc.text)) {
    failed = true;
    if (!diagnostics.some((d) => (SEVERITY[d.severity] || 'error') === 'error')) {
      process.stdout.write(`${doc.label}:1:1: error: not valid Flux (semantic check)\n`);
    }
  }
  // Broken Flux is reported by the server; the formatter would only echo it.
  const unformatted = doc.checkFormat && !failed ? unformattedLine(doc.source) : null;
  if (unformatted) {
    failed = true;
    const { line, expected } = unformatted;
    process.stdout.write(`${doc.label}:${line}:1: error: not as the Flux formatter writes it; expected: ${expected}\n`);
  }
  if (!failed) process.stdout.write(`${doc.label}: OK\n`);
  return failed;
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const prelude = options.dashboard ? DASHBOARD_PRELUDE : '';
  const shift = options.dashboard ? 1 : 0;
  const sources = options.json
    ? readJsonTexts().map((t) => ({ label: t.name, text: t.flux }))
    : options.files.map((file) => ({ label: file === '-' ? '<stdin>' : file, text: readSource(file) }));
  const documents = sources.map((source, index) => ({
    label: source.label,
    uri: documentUri(index),
    source: source.text,
    text: prelude + source.text,
    checkFormat: options.format,
  }));
  const published = await diagnose(documents);
  let failed = false;
  for (const doc of documents) {
    if (report(doc, published.get(doc.uri), shift)) failed = true;
  }
  // The language server never returns from run(), so exit explicitly, once stdout
  // has drained (pipes are asynchronous on some systems).
  process.stdout.write('', () => process.exit(failed ? 1 : 0));
}

main().catch((err) => {
  process.stderr.write(`check.js: ${err.message}\n`);
  process.exit(2);
});

// Type-checks every dashboard JSON in the folder above against Grafana's published
// dashboard model (`Dashboard` from @grafana/schema) with tsc: each file becomes a
// TypeScript object literal typed as `Dashboard`, so literal unions (variable types,
// enums) and excess properties are checked, not just the JSON's shape.
// Usage: node check.js [dashboard.json...]   (default: ../*.json); exit 1 on errors.
'use strict';
const fs = require('fs');
const os = require('os');
const path = require('path');
const { execFileSync } = require('child_process');

const here = __dirname;
const UNTYPED_INTERVAL_KEYS = ['auto', 'auto_count', 'auto_min'];
const files = process.argv.slice(2).length
  ? process.argv.slice(2)
  : fs.readdirSync(path.join(here, '..')).filter((f) => f.endsWith('.json')).map((f) => path.join(here, '..', f));
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'dashboard-check-'));
const sources = files.map((file, i) => {
  const json = JSON.parse(fs.readFileSync(file, 'utf8'));
  // The interval variable's auto settings are read by Grafana's dashboard model but
  // are missing from the published schema: the one part left unchecked.
  for (const v of (json.templating && json.templating.list) || []) {
    if (v.type === 'interval') for (const key of UNTYPED_INTERVAL_KEYS) delete v[key];
  }
  const ts = path.join(work, `dashboard${i}.ts`);
  fs.writeFileSync(
    ts,
    `// ${path.basename(file)}\nimport type { Dashboard } from '@grafana/schema';\nexport const dashboard: Dashboard = ${JSON.stringify(json, null, 2)};\n`
  );
  return [ts, path.basename(file)];
});
fs.writeFileSync(
  path.join(work, 'tsconfig.json'),
  JSON.stringify({
    compilerOptions: {
      strict: true,
      noEmit: true,
      module: 'nodenext',
      moduleResolution: 'nodenext',
      target: 'es2022',
      skipLibCheck: true,
      typeRoots: [],
      baseUrl: here,
      paths: { '@grafana/schema': [path.join(here, 'node_modules/@grafana/schema/dist/types/index.d.ts')] },
    },
    files: sources.map(([ts]) => ts),
  })
);
const tsc = path.join(here, 'node_modules/typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', work], { stdio: 'pipe' });
  for (const [, name] of sources) console.log(`${name}: OK`);
} catch (e) {
  let out = String(e.stdout || '') + String(e.stderr || '');
  for (const [ts, name] of sources) {
    out = out.split(path.relative(process.cwd(), ts)).join(name).split(ts).join(name);
  }
  console.error(out);
  process.exitCode = 1;
} finally {
  fs.rmSync(work, { recursive: true, force: true });
}

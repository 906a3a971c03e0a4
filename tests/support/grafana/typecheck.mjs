// Type-check every dashboard in config/grafana/dashboards/ against @grafana/schema with tsc.
//
//   cd tests/support/grafana && npm ci && npm run typecheck      (or: node tests/support/grafana/typecheck.mjs)
//
// tsc cannot check the literal types of a .json import (its strings widen to `string`), so each dashboard is
// written into .generated/<name>.ts as an object literal annotated with NetwatchDashboard (dashboard-types.ts):
// literal types, excess-property checks and discriminated unions then apply. Exit status is tsc's; its messages
// point at the generated file, whose lines are the JSON's lines shifted by HEADER_LINES.

import { execFileSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const dashboards = resolve(here, '../../../config/grafana/dashboards');
const generated = join(here, '.generated');
const HEADER_LINES = 2;

rmSync(generated, { recursive: true, force: true });
mkdirSync(generated);
const names = readdirSync(dashboards).filter((name) => name.endsWith('.json')).sort();
if (names.length === 0) {
  console.error(`no dashboards in ${dashboards}`);
  process.exit(2);
}
for (const name of names) {
  const text = readFileSync(join(dashboards, name), 'utf8');
  JSON.parse(text); // a syntax error is reported here, with the file's own name
  const ts =
    "import type { NetwatchDashboard } from '../dashboard-types';\n" +
    `// generated from config/grafana/dashboards/${name}: line N here is line N-${HEADER_LINES} there\n` +
    `export const dashboard: NetwatchDashboard = ${text.trimEnd()};\n`;
  writeFileSync(join(generated, name.replace(/\.json$/, '.ts')), ts);
}

const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
try {
  execFileSync(process.execPath, [tsc, '-p', join(here, 'tsconfig.json')], { stdio: 'inherit', cwd: here });
} catch (err) {
  console.error(`tsc found problems in ${names.join(', ')} (see above)`);
  process.exit(typeof err.status === 'number' ? err.status : 1);
}
console.log(`tsc: ${names.length} dashboard(s) match @grafana/schema: ${names.join(', ')}`);

#!/usr/bin/env node
// `npm run build` (and `prepare`, which `npm install` runs): compiles engine/ and adapters/
// to dist/ with tsc, compiles the meta-schemas to standalone validators (dist/meta-schemas/,
// with the options engine/meta-schemas.ts names), creates the template new PGlite databases
// are copied from (dist/pglite-template/, one initdb at install instead of one per new data
// folder), then writes dist/built-at, the time
// bin/council.mjs compares the sources against. dist/ is emptied first so a deleted source
// leaves no module behind.
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const root = new URL('../', import.meta.url);
const require = createRequire(import.meta.url);
const started = new Date();
rmSync(new URL('dist', root), { recursive: true, force: true });
execFileSync(process.execPath, [require.resolve('typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });

const { Ajv2020 } = require('ajv/dist/2020.js');
const standaloneCode = require('ajv/dist/standalone').default;
const { META_SCHEMAS } = await import('../dist/engine/meta-schemas.js');
mkdirSync(new URL('dist/meta-schemas', root));
for (const [name, { file, options }] of Object.entries(META_SCHEMAS)) {
  const ajv = new Ajv2020({ ...options, code: { source: true } });
  const validate = ajv.compile(JSON.parse(readFileSync(new URL(`schemas/${file}`, root), 'utf8')));
  writeFileSync(new URL(`dist/meta-schemas/${name}.cjs`, root), standaloneCode(ajv, validate));
}

// A new embedded database is a copy of this one (adapters/postgres/pglite-template.ts).
const { buildPgliteTemplate } = await import('../dist/adapters/postgres/pglite-template.js');
await buildPgliteTemplate();

// The build's start time, not its end: a source saved while the build ran counts as newer.
const stamp = new URL('dist/built-at', root);
writeFileSync(stamp, `${started.toISOString()}\n`);
utimesSync(stamp, started, started);

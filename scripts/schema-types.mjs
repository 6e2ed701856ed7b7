#!/usr/bin/env node
// `npm run schema-types`: TypeScript types generated from the meta-schemas in schemas/, into
// engine/schema/generated/. With --check (`npm run check`), fails when a file there is not
// what the meta-schemas give now, so the types never drift from the schemas that define them.
import { readFileSync, writeFileSync } from 'node:fs';
import { compile } from 'json-schema-to-typescript';

const root = new URL('../', import.meta.url);
const TARGETS = [
  { schema: 'schemas/manifest.schema.json', out: 'engine/schema/generated/manifest.ts', type: 'ManifestFile' },
  { schema: 'schemas/config.schema.json', out: 'engine/schema/generated/config.ts', type: 'ConfigFile' },
  { schema: 'schemas/tests.schema.json', out: 'engine/schema/generated/tests.ts', type: 'TestsFile' },
];

const check = process.argv.includes('--check');
const stale = [];
for (const { schema, out, type } of TARGETS) {
  const json = JSON.parse(readFileSync(new URL(schema, root), 'utf8'));
  // The root type is named here, not after the schema's title.
  const { title: _title, ...untitled } = json;
  const body = await compile({ ...untitled, title: type }, type, {
    bannerComment: `// Generated from ${schema} by scripts/schema-types.mjs (npm run schema-types): do not edit.`,
    additionalProperties: false,
    format: false,
    unreachableDefinitions: false,
  });
  const text = `${body.trim()}\n`;
  if (check) {
    let current = '';
    try {
      current = readFileSync(new URL(out, root), 'utf8');
    } catch {}
    if (current !== text) stale.push(out);
  } else {
    writeFileSync(new URL(out, root), text);
    console.log(`wrote ${out}`);
  }
}
if (stale.length > 0) {
  console.error(`${stale.join(', ')}: not what the meta-schemas give; run npm run schema-types`);
  process.exit(1);
}
if (check) console.log('schema types: current');

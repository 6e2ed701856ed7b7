import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { pathAt, schemaAt } from '../../engine/console/editor/meta-completion.ts';

/** Where the YAML editor's completion thinks the cursor is, and what the meta-schema offers there. */
const META = JSON.parse(readFileSync(new URL('../../schemas/manifest.schema.json', import.meta.url), 'utf8'));
const TEXT = `name: tickets
storage:
  backend: memory
schema:
  type: object
endpoints:
  - operation: list
    filters: [status]
  - operation: get
`;

describe("the YAML editor's completion from the meta-schema", () => {
  const lines = TEXT.split('\n');
  const keysAt = (lineNo: number, column: number) => Object.keys(schemaAt(META, pathAt(lines, lineNo, column))?.properties ?? {});

  it('offers the top-level keys at column 0', () => {
    assert.deepEqual(pathAt(lines, 10, 0), []);
    assert.ok(['name', 'description', 'storage', 'schema', 'endpoints', 'access', 'rateLimit'].every((k) => keysAt(10, 0).includes(k)));
  });

  it('offers storage keys under storage, and endpoint keys in a list item, past its siblings', () => {
    assert.deepEqual(pathAt(lines, 4, 2), ['storage']);
    assert.ok(keysAt(4, 2).includes('connection'));
    assert.deepEqual(pathAt(lines, 9, 4), ['endpoints']);
    assert.ok(['operation', 'filters', 'sort', 'description'].every((k) => keysAt(9, 4).includes(k)));
    assert.deepEqual(pathAt(lines, 10, 4), ['endpoints']);
  });

  it('knows the values a key allows', () => {
    assert.deepEqual(schemaAt(META, ['storage', 'backend'])?.enum, [
      'memory',
      'postgres',
      'redis',
      'mongodb',
      'opensearch',
      'elasticsearch',
      'dynamodb',
    ]);
    assert.ok((schemaAt(META, ['endpoints', 'operation'])?.enum ?? []).includes('search'));
  });
});

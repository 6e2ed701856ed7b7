import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { loadManifests } from '../engine/manifest/load.ts';

/**
 * Record schemas are compiled by ajv instances shared by up to 64 callers
 * (`engine/schema/record-ajv.ts`): manifests compiled by one instance must not see each
 * other (the same `$id` in two of them), and validators keep working after their instance
 * was retired.
 */
const dir = mkdtempSync(join(tmpdir(), 'council-shared-ajv-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function manifest(name: string, field: string): string {
  return `name: ${name}
description: Things.
storage: { backend: memory }
schema:
  $id: https://example.com/schemas/thing.json
  type: object
  required: [${field}]
  additionalProperties: false
  properties:
    ${field}: { type: string, maxLength: 5 }
    size: { type: integer, default: 1 }
    level: { $ref: "#/$defs/level" }
  $defs:
    level: { type: integer, minimum: 1 }
endpoints:
  - { operation: get }
`;
}

describe('shared ajv', () => {
  it('compiles 150 manifests with one $id apart: each validator judges by its own schema, defaults filled', () => {
    const files: string[] = [];
    for (let i = 0; i < 150; i++) {
      const file = join(dir, `thing-${i}.yaml`);
      writeFileSync(file, manifest(`thing-${i}`, `field${i}`));
      files.push(file);
    }
    const { manifests, issues } = loadManifests(files, new Map([['memory', 'memory']]));
    assert.deepEqual(
      issues.filter((i) => i.severity === 'error'),
      [],
    );
    assert.equal(manifests.length, 150);
    for (const [i, loaded] of manifests.map((m) => [Number(m.manifest.name.slice(6)), m] as const)) {
      const own: Record<string, unknown> = { [`field${i}`]: 'abc' };
      assert.equal(loaded.validate(own), true, `${loaded.manifest.name} takes its own field`);
      assert.equal(own.size, 1, 'the default filled in');
      assert.equal(loaded.validate({ [`field${(i + 1) % 150}`]: 'abc' }), false, `${loaded.manifest.name} refuses another's field`);
      assert.equal(loaded.validate({ [`field${i}`]: 'abcdef' }), false, 'maxLength');
      assert.equal(loaded.validate({ [`field${i}`]: 'a', level: 0 }), false, 'minimum through its own $defs');
      assert.equal(loaded.validate({ [`field${i}`]: 'a', level: 2 }), true);
    }
  });
});

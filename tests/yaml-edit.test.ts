import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { editYaml } from '../engine/manifest/yaml-edit.ts';

/**
 * Edits to a manifest's text that touch only what changed: every other line, comment and
 * blank line stays byte for byte. Each case is checked two ways: the lines that differ,
 * and the data the new text parses to.
 */
const TEXT = `# Support tickets. Owned by the support team.
name: tickets
description: Support tickets.   # models read this

storage: { backend: memory }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 200, description: One-line summary. }   # shown in lists
    status:
      type: string
      enum: [open, done]   # keep in sync with the help desk
      description: 'Where it stands'
    priority:
      type: integer
      minimum: 1
endpoints:
  - { operation: list, filters: [status] }
  # reads one
  - operation: get
  - operation: create
`;

/** The lines of `after` that are not in `before`, and those of `before` not in `after`. */
function changed(before: string, after: string): { added: string[]; removed: string[] } {
  const a = before.split('\n');
  const b = after.split('\n');
  return { added: b.filter((l) => !a.includes(l)), removed: a.filter((l) => !b.includes(l)) };
}

describe('editYaml', () => {
  it('changes a scalar in a flow map and keeps the line comment', () => {
    const { text, reformatted } = editYaml(TEXT, [{ op: 'set', path: ['schema', 'properties', 'title', 'maxLength'], value: 80 }]);
    assert.equal(reformatted, false);
    assert.deepEqual(changed(TEXT, text), {
      added: ['    title: { type: string, maxLength: 80, description: One-line summary. }   # shown in lists'],
      removed: ['    title: { type: string, maxLength: 200, description: One-line summary. }   # shown in lists'],
    });
  });

  it("keeps a scalar's quotes, and quotes a new value that needs it", () => {
    const { text } = editYaml(TEXT, [
      { op: 'set', path: ['schema', 'properties', 'status', 'description'], value: "Where it's at" },
      { op: 'set', path: ['description'], value: 'Tickets: open, waiting or done.' },
    ]);
    assert.match(text, /^ {6}description: 'Where it''s at'$/m);
    assert.match(text, /^description: "Tickets: open, waiting or done\." {3}# models read this$/m);
    assert.equal(parse(text).description, 'Tickets: open, waiting or done.');
  });

  it('replaces a flow list, adds keys to block and flow maps, and deletes one', () => {
    const { text, reformatted } = editYaml(TEXT, [
      { op: 'set', path: ['schema', 'properties', 'status', 'enum'], value: ['open', 'waiting', 'done'] },
      { op: 'set', path: ['schema', 'properties', 'priority', 'maximum'], value: 5 },
      { op: 'set', path: ['storage', 'connection'], value: 'scratch' },
      { op: 'delete', path: ['schema', 'properties', 'priority', 'minimum'] },
      { op: 'set', path: ['schema', 'required'], value: ['title', 'status'] },
    ]);
    assert.equal(reformatted, false);
    assert.deepEqual(changed(TEXT, text), {
      added: [
        'storage: { backend: memory, connection: scratch }',
        '  required: [title, status]',
        '      enum: [open, waiting, done]   # keep in sync with the help desk',
        '      maximum: 5',
      ],
      removed: [
        'storage: { backend: memory }',
        '  required: [title]',
        '      enum: [open, done]   # keep in sync with the help desk',
        '      minimum: 1',
      ],
    });
  });

  it("adds a property as a block at its siblings' indentation, and an endpoint to the list", () => {
    const { text, reformatted } = editYaml(TEXT, [
      { op: 'set', path: ['schema', 'properties', 'due'], value: { type: 'string', format: 'date' } },
      { op: 'set', path: ['endpoints', 3], value: { operation: 'delete' } },
      { op: 'set', path: ['access'], value: { public: true } },
    ]);
    assert.equal(reformatted, false);
    const data = parse(text);
    assert.deepEqual(data.schema.properties.due, { type: 'string', format: 'date' });
    assert.deepEqual(data.endpoints.at(-1), { operation: 'delete' });
    assert.deepEqual(data.access, { public: true });
    assert.deepEqual(changed(TEXT, text).removed, []);
    assert.match(text, /\n {4}due:\n {6}type: string\n {6}format: date\n/);
    assert.match(text, /\n {2}- operation: create\n {2}- operation: delete\n/);
  });

  it('deletes an endpoint and a property with their lines only', () => {
    const { text, reformatted } = editYaml(TEXT, [
      { op: 'delete', path: ['endpoints', 2] },
      { op: 'delete', path: ['schema', 'properties', 'priority'] },
    ]);
    assert.equal(reformatted, false);
    assert.deepEqual(changed(TEXT, text), {
      added: [],
      removed: ['    priority:', '      type: integer', '      minimum: 1', '  - operation: create'],
    });
  });

  it('falls back to the Document API, saying so, where a layout is not one it splices', () => {
    const { text, reformatted } = editYaml('a: { b: { c: 1 } }\n', [{ op: 'delete', path: ['a', 'b', 'c'] }]);
    assert.deepEqual(parse(text), { a: { b: {} } });
    assert.equal(typeof reformatted, 'boolean');
  });
});

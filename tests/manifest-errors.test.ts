import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { compileAutomation } from '../engine/compile/compile.ts';
import { type ManifestIssueCode, manifestIssueCodes } from '../engine/errors/codes.ts';
import { loadManifests } from '../engine/manifest/load.ts';
import { AUTOMATION_NAME_PATTERN } from '../engine/schema/naming.ts';
import { formatIssue, type ManifestIssue } from '../engine/source/issues.ts';

const FIXTURES = fileURLToPath(new URL('./fixtures/manifests/', import.meta.url));
const VALID = join(FIXTURES, 'valid');
const INVALID = join(FIXTURES, 'invalid');
const connections = new Map([
  ['postgres', 'postgres'],
  ['memory', 'memory'],
  ['cache', 'memory'],
  ['redis', 'redis'],
  ['dynamodb', 'dynamodb'],
]);
const pagination = { defaultLimit: 20, maxLimit: 100 };

/** Codes only council.config.yaml can produce; tests/config.test.ts covers them. */
const CONFIG_ONLY: readonly ManifestIssueCode[] = ['config-invalid', 'config-env-missing'];
/** Codes only binding to a live store can produce; tests/schema-evolution.test.ts covers them. */
const STORE_ONLY: readonly ManifestIssueCode[] = ['storage-change-refused'];
/** Codes whose fixture would be unwieldy (a file over 512 KiB); tests/security/hostile-inputs.test.ts covers them. */
const GENERATED_ONLY: readonly ManifestIssueCode[] = ['manifest-too-large'];
/** Codes of test files (`council test`), which loading a manifest never produces; tests/council-test.test.ts covers them. */
const TEST_FILE_ONLY: readonly ManifestIssueCode[] = ['test-file-invalid', 'test-failed'];
/** Codes of the GPT profile, which loading a manifest never produces; tests/gpt-profile.test.ts covers them. */
const GPT_PROFILE = (Object.keys(manifestIssueCodes) as ManifestIssueCode[]).filter((c) => c.startsWith('gpt-'));
/** Codes of the MCP tool checks `council validate` runs with the GPT profile; tests/mcp-client-rules.test.ts covers them. */
const MCP_PROFILE = (Object.keys(manifestIssueCodes) as ManifestIssueCode[]).filter((c) => c.startsWith('mcp-'));

/** One line of `<name>.expected.json`. `file` is relative to the expected file; default: the manifest `<name>.yaml`. */
interface ExpectedIssue {
  readonly code: ManifestIssueCode;
  readonly line: number;
  readonly col: number;
  readonly file?: string;
  readonly includes?: string;
  /** Default: error. A fixture of warnings only is a manifest that loads, with the warnings reported. */
  readonly severity?: 'error' | 'warning';
}

/**
 * An invalid fixture: `<name>.expected.json` next to what it describes, the manifest
 * `<name>.yaml` or the folder `<name>/` loaded as one project. When neither exists the
 * subject is the missing `<name>.yaml` itself (that is how `file-unreadable` is pinned).
 */
interface InvalidFixture {
  readonly name: string;
  readonly subject: string;
  readonly defaultFile: string;
  readonly expected: readonly ExpectedIssue[];
}

function invalidFixtures(): InvalidFixture[] {
  return readdirSync(INVALID)
    .filter((entry) => entry.endsWith('.expected.json'))
    .sort()
    .map((entry) => {
      const name = entry.slice(0, -'.expected.json'.length);
      const folder = join(INVALID, name);
      const subject = existsSync(folder) && statSync(folder).isDirectory() ? folder : join(INVALID, `${name}.yaml`);
      const expected = JSON.parse(readFileSync(join(INVALID, entry), 'utf8')) as ExpectedIssue[];
      return { name, subject, defaultFile: join(INVALID, `${name}.yaml`), expected };
    });
}

/** `file:code:line:col`, the identity an issue is compared by. */
function key(file: string, code: string, line: number, col: number): string {
  return `${resolve(file)}:${code}:${line}:${col}`;
}

function expectedKeys(fixture: InvalidFixture): string[] {
  return fixture.expected.map((e) => key(e.file ? resolve(INVALID, e.file) : fixture.defaultFile, e.code, e.line, e.col));
}

function producedKeys(issues: readonly ManifestIssue[]): string[] {
  return issues.map((i) => key(i.file, i.code, i.line, i.col));
}

const sortedSet = (keys: readonly string[]) => [...new Set(keys)].sort();

const fixtures = invalidFixtures();

describe('invalid manifest fixtures', () => {
  for (const fixture of fixtures) {
    test(`${fixture.name} produces exactly the issues in ${fixture.name}.expected.json`, () => {
      const { issues, manifests } = loadManifests([fixture.subject], connections);
      assert.deepEqual(sortedSet(producedKeys(issues)), sortedSet(expectedKeys(fixture)));
      for (const issue of issues) {
        const expected = fixture.expected.find((e) => e.code === issue.code && e.line === issue.line && e.col === issue.col);
        assert.equal(issue.severity, expected?.severity ?? 'error', `${issue.code} at ${issue.line}:${issue.col}`);
        assert.ok(issue.line >= 1 && issue.col >= 1, `${issue.code} at ${issue.line}:${issue.col}`);
      }
      for (const e of fixture.expected.filter((x) => x.includes !== undefined)) {
        const file = e.file ? resolve(INVALID, e.file) : fixture.defaultFile;
        const at = issues.filter((i) => key(i.file, i.code, i.line, i.col) === key(file, e.code, e.line, e.col));
        assert.ok(
          at.some((i) => i.message.includes(e.includes as string)),
          `no ${e.code} at ${e.line}:${e.col} mentions ${JSON.stringify(e.includes)}; got ${JSON.stringify(at.map((i) => i.message))}`,
        );
      }
      // A manifest with errors is never handed on to the compiler.
      const rejected = new Set(issues.filter((i) => i.severity === 'error').map((i) => resolve(i.file)));
      for (const m of manifests) assert.ok(!rejected.has(resolve(m.file)), `${m.file} has errors but was accepted`);
    });
  }

  test('every invalid manifest and folder has an expected file', () => {
    const subjects = readdirSync(INVALID).filter((f) => /\.ya?ml$/.test(f) || statSync(join(INVALID, f)).isDirectory());
    const described = new Set(fixtures.map((f) => f.subject));
    assert.deepEqual(
      subjects.filter((f) => !described.has(join(INVALID, f))),
      [],
    );
  });

  test('loading every invalid fixture in one run reports the issues of all of them', () => {
    const { issues, manifests } = loadManifests([INVALID], connections);
    assert.deepEqual(sortedSet(producedKeys(issues)), sortedSet(fixtures.filter((f) => existsSync(f.subject)).flatMap(expectedKeys)));
    // Only the first file of each clashing pair survives (and the automations the reference fixtures refer to), besides manifests with warnings only.
    const warningsOnly = fixtures.filter((f) => f.expected.every((e) => e.severity === 'warning')).map((f) => f.subject);
    assert.deepEqual(
      manifests.map((m) => m.file).filter((f) => !warningsOnly.includes(f)),
      [
        join(INVALID, 'name-duplicate', 'a-tickets.yaml'),
        join(INVALID, 'record-name-duplicate', 'a-accounts.yaml'),
        join(INVALID, 'reference-inverse-duplicate', 'payers.yaml'),
        join(INVALID, 'reference-unknown', 'customers.yaml'),
      ],
    );
  });

  test('the second manifest with a name is rejected, pointing at the first', () => {
    const { issues, manifests } = loadManifests([join(INVALID, 'name-duplicate')], connections);
    assert.deepEqual(
      manifests.map((m) => m.manifest.name),
      ['tickets'],
    );
    assert.equal(manifests[0]?.manifest.storage.backend, 'memory');
    assert.deepEqual(
      issues.map((i) => [i.code, i.file, i.pointer]),
      [['name-duplicate', join(INVALID, 'name-duplicate', 'b-tickets.yaml'), '/name']],
    );
  });

  test('a meta-schema error does not hide resource schema errors in the same file', () => {
    const { issues } = loadManifests([join(INVALID, 'several-meta-and-schema-errors.yaml')], connections);
    assert.deepEqual([...new Set(issues.map((i) => i.code))].sort(), ['manifest-schema', 'schema-invalid']);
  });

  test('issues carry the JSON Pointer of the offending node', () => {
    const pointers = (file: string) => loadManifests([join(INVALID, file)], connections).issues.map((i) => i.pointer);
    assert.deepEqual(pointers('filter-unknown-field.yaml'), ['/endpoints/0/filters/1']);
    assert.deepEqual(pointers('manifest-unknown-property.yaml'), ['/endpoints/1/sumary']);
    assert.deepEqual(pointers('property-reserved.yaml'), ['/schema/properties/id']);
    assert.deepEqual(pointers('connection-unknown.yaml'), ['/storage/connection']);
    assert.deepEqual(pointers('manifest-missing-description.yaml'), ['']);
  });
});

describe('error code coverage', () => {
  const produced = new Set(fixtures.flatMap((f) => f.expected.map((e) => e.code)));

  test('every manifest issue code is produced by a fixture or is config-only', () => {
    const missing = (Object.keys(manifestIssueCodes) as ManifestIssueCode[]).filter(
      (c) =>
        !produced.has(c) &&
        !CONFIG_ONLY.includes(c) &&
        !STORE_ONLY.includes(c) &&
        !GENERATED_ONLY.includes(c) &&
        !TEST_FILE_ONLY.includes(c) &&
        !GPT_PROFILE.includes(c) &&
        !MCP_PROFILE.includes(c),
    );
    assert.deepEqual(missing, []);
  });

  test('store-only codes come from no manifest and are asserted in tests/schema-evolution.test.ts', () => {
    const evolutionTest = readFileSync(fileURLToPath(new URL('./schema-evolution.test.ts', import.meta.url)), 'utf8');
    for (const code of STORE_ONLY) {
      assert.ok(!produced.has(code), `${code} is listed as store-only but a manifest fixture produces it`);
      assert.ok(evolutionTest.includes(`'${code}'`), `tests/schema-evolution.test.ts never asserts ${code}`);
    }
  });

  test('generated-only codes are asserted in tests/security/hostile-inputs.test.ts', () => {
    const hostileTest = readFileSync(fileURLToPath(new URL('./security/hostile-inputs.test.ts', import.meta.url)), 'utf8');
    for (const code of GENERATED_ONLY)
      assert.ok(hostileTest.includes(`'${code}'`), `tests/security/hostile-inputs.test.ts never asserts ${code}`);
  });

  test('GPT profile codes are asserted in tests/gpt-profile.test.ts', () => {
    const gptTest = readFileSync(fileURLToPath(new URL('./gpt-profile.test.ts', import.meta.url)), 'utf8');
    for (const code of GPT_PROFILE) assert.ok(gptTest.includes(`'${code}'`), `tests/gpt-profile.test.ts never asserts ${code}`);
  });

  test('MCP tool codes are asserted in tests/mcp-client-rules.test.ts', () => {
    const mcpTest = readFileSync(fileURLToPath(new URL('./mcp-client-rules.test.ts', import.meta.url)), 'utf8');
    for (const code of MCP_PROFILE) assert.ok(mcpTest.includes(`'${code}'`), `tests/mcp-client-rules.test.ts never asserts ${code}`);
  });

  test('config-only codes come from no manifest and are asserted in tests/config.test.ts', () => {
    const configTest = readFileSync(fileURLToPath(new URL('./config.test.ts', import.meta.url)), 'utf8');
    for (const code of CONFIG_ONLY) {
      assert.ok(code in manifestIssueCodes, `${code} is not a manifest issue code`);
      assert.ok(!produced.has(code), `${code} is listed as config-only but a manifest fixture produces it`);
      assert.ok(configTest.includes(`'${code}'`), `tests/config.test.ts never asserts ${code}`);
    }
  });
});

describe('valid manifest fixtures', () => {
  const files = readdirSync(VALID)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();

  test('there are valid fixtures for memory and postgres, inline and $ref schemas', () => {
    const { manifests } = loadManifests([VALID], connections);
    assert.deepEqual(new Set(manifests.map((m) => m.manifest.storage.backend)), new Set(['memory', 'postgres']));
    assert.ok(
      manifests.some((m) => m.dependencies.length === 2),
      'no fixture refers to a schema file',
    );
    assert.ok(
      manifests.some((m) => m.dependencies.length === 1),
      'no fixture has an inline schema',
    );
    const operations = new Set(manifests.flatMap((m) => m.manifest.endpoints.map((e) => e.operation)));
    assert.deepEqual([...operations].sort(), ['create', 'delete', 'get', 'list', 'replace', 'search', 'update']);
  });

  for (const file of files) {
    test(`${file} loads with no issues and compiles`, () => {
      const { issues, manifests } = loadManifests([join(VALID, file)], connections);
      assert.deepEqual(issues, []);
      const [loaded] = manifests;
      assert.ok(loaded);
      const plan = compileAutomation(loaded, { pagination });
      assert.equal(plan.basePath, `/${loaded.manifest.name}`);
      assert.equal(plan.endpoints.length, loaded.manifest.endpoints.length);
      assert.ok(Object.isFrozen(plan));
    });
  }

  test('the $ref-ed schema compiles into the plan with its filters, sort and operation ids', () => {
    const { manifests } = loadManifests([join(VALID, 'contacts.yaml')], connections);
    const [loaded] = manifests;
    assert.ok(loaded);
    assert.deepEqual(loaded.dependencies, [join(VALID, 'contacts.yaml'), join(FIXTURES, 'schemas', 'contact.schema.yaml')]);
    const plan = compileAutomation(loaded, { pagination });
    assert.deepEqual(
      plan.endpoints.map((e) => e.operationId),
      ['listContacts', 'getContact', 'createContact', 'updateContact', 'replaceContact', 'deleteContact'],
    );
    assert.deepEqual(plan.storage.spec.filterable, ['company', 'vip', 'score']);
    assert.deepEqual(plan.storage.spec.sortable, ['createdAt', 'name', 'score', 'updatedAt', 'id']);
    assert.equal(plan.storage.connection, 'postgres');
  });

  test('a named connection and an explicit singular reach the plan', () => {
    const { manifests } = loadManifests([join(VALID, 'people.yaml')], connections);
    const [loaded] = manifests;
    assert.ok(loaded);
    const plan = compileAutomation(loaded, { pagination });
    assert.equal(plan.storage.connection, 'cache');
    assert.equal(plan.names.singular, 'Person');
    assert.deepEqual(
      plan.storage.spec.fields.map((f) => [f.name, f.kind]),
      [
        ['name', 'string'],
        ['role', 'string'],
        ['age', 'integer'],
        ['address', 'json'],
      ],
    );
  });
});

describe('generated summaries', () => {
  test('read as English: "an" before a vowel sound, "a" before a consonant sound', () => {
    const dir = mkdtempSync(join(tmpdir(), 'council-summaries-'));
    try {
      const summaries = (name: string) => {
        const file = join(dir, `${name}.yaml`);
        const endpoints = ['list', 'create', 'update', 'replace', 'delete'].map((op) => `  - operation: ${op}`).join('\n');
        writeFileSync(
          file,
          `name: ${name}\ndescription: Test.\nstorage: { backend: memory }\nschema: { type: object, properties: { label: { type: string } } }\nendpoints:\n${endpoints}\n`,
        );
        const [loaded] = loadManifests([file], connections).manifests;
        assert.ok(loaded);
        return compileAutomation(loaded, { pagination }).endpoints.map((e) => e.summary);
      };
      assert.deepEqual(summaries('inventory-items'), [
        'List inventory items',
        'Create an inventory item',
        'Update some fields of an inventory item',
        'Replace an inventory item',
        'Delete an inventory item',
      ]);
      assert.equal(summaries('users')[1], 'Create a user');
      assert.equal(summaries('units')[1], 'Create a unit');
      assert.equal(summaries('orders')[1], 'Create an order');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('formatIssue', () => {
  const file = join(INVALID, 'filter-unknown-field.yaml');
  const text = readFileSync(file, 'utf8');
  const [issue] = loadManifests([file], connections).issues;
  assert.ok(issue);

  test('renders FILE:LINE:COL: message, the source line, and a caret under the column', () => {
    const lines = formatIssue(issue, text).split('\n');
    assert.equal(lines.length, 3);
    assert.equal(lines[0], `${file}:15:9: ${issue.message}`);
    assert.equal(lines[1], `  ${text.split('\n')[14]}`);
    assert.equal(lines[2], `  ${' '.repeat(8)}^`);
    // The caret sits under the first character of the offending item.
    assert.equal(lines[1]?.slice(lines[2]?.indexOf('^')).startsWith('stauts'), true);
  });

  test('without the source text it is the head line alone', () => {
    assert.equal(formatIssue(issue), `${file}:15:9: ${issue.message}`);
  });

  test('warnings are marked as such', () => {
    const warning: ManifestIssue = { ...issue, severity: 'warning' };
    assert.equal(formatIssue(warning).startsWith(`${file}:15:9: warning: `), true);
  });

  test('a caret at column 1 has no padding, and a line past the end of the text prints the head only', () => {
    const atStart: ManifestIssue = { ...issue, line: 2, col: 1 };
    assert.deepEqual(formatIssue(atStart, text).split('\n').slice(1), [`  ${text.split('\n')[1]}`, '  ^']);
    const beyond: ManifestIssue = { ...issue, line: 999, col: 1 };
    assert.equal(formatIssue(beyond, text), `${file}:999:1: ${issue.message}`);
  });
});

describe('hostile input never throws', () => {
  const dir = mkdtempSync(join(tmpdir(), 'council-manifest-errors-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const valid = readFileSync(join(VALID, 'notes.yaml'), 'utf8');
  const bytes = Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) % 256));

  const cases: Record<string, string | Buffer> = {
    'empty.yaml': '',
    'whitespace.yaml': '\n\n   \n',
    'comment-only.yaml': '# nothing here\n',
    'truncated.yaml': valid.slice(0, Math.floor(valid.length / 2)),
    'truncated-mid-flow.yaml': 'name: notes\nendpoints: [{ operation: li',
    'binary.yaml': bytes,
    'nul-bytes.yaml': Buffer.from('name: notes\0\0\0\ndescription: \0'),
    'alias-bomb.yaml': `a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`,
    'scalar.yaml': 'just a string\n',
    'list.yaml': '- name: notes\n',
  };
  for (const [name, content] of Object.entries(cases)) {
    test(`${name} gives issues, not an exception`, () => {
      const path = join(dir, name);
      writeFileSync(path, content);
      const result = loadManifests([path], connections);
      assert.equal(result.manifests.length, 0);
      assert.ok(result.issues.length > 0, 'no issue reported');
      for (const issue of result.issues) {
        assert.ok(issue.code in manifestIssueCodes, issue.code);
        assert.equal(issue.file, path);
        assert.ok(Number.isInteger(issue.line) && issue.line >= 1 && Number.isInteger(issue.col) && issue.col >= 1);
        const text = typeof content === 'string' ? content : content.toString('utf8');
        assert.doesNotThrow(() => formatIssue(issue, text));
      }
    });
  }

  test('an empty file is reported as a manifest-schema issue at 1:1', () => {
    const path = join(dir, 'empty.yaml');
    writeFileSync(path, '');
    assert.deepEqual(
      loadManifests([path], connections).issues.map((i) => [i.code, i.line, i.col]),
      [['manifest-schema', 1, 1]],
    );
  });

  test('an alias bomb is a yaml-syntax issue at the first alias, not an exception', () => {
    const path = join(dir, 'alias-bomb.yaml');
    writeFileSync(path, cases['alias-bomb.yaml'] as string);
    assert.deepEqual(
      loadManifests([path], connections).issues.map((i) => [i.code, i.line, i.col]),
      [['yaml-syntax', 2, 8]],
    );
  });

  test('a path that is not there is one file-unreadable issue naming it', () => {
    const path = join(dir, 'nope', 'missing.yaml');
    const { issues } = loadManifests([path], connections);
    assert.deepEqual(
      issues.map((i) => [i.code, i.file, i.line, i.col]),
      [['file-unreadable', path, 1, 1]],
    );
  });
});

describe('the automation name pattern', () => {
  test("the engine's copy (council new, council users --can-edit) is the meta-schema's", () => {
    const schema = JSON.parse(readFileSync(new URL('../schemas/manifest.schema.json', import.meta.url), 'utf8'));
    assert.equal(AUTOMATION_NAME_PATTERN.source, schema.properties.name.pattern);
  });
});

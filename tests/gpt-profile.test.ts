import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIObject, OperationObject } from 'openapi3-ts/oas31';
import { compileAutomation } from '../engine/compile/compile.ts';
import { loadConfig } from '../engine/config/load.ts';
import { silentLogger } from '../engine/log.ts';
import { loadManifests } from '../engine/manifest/load.ts';
import { gptProfileIssues } from '../engine/openapi/gpt-issues.ts';
import { lintGptDocument } from '../engine/openapi/gpt-profile.ts';
import { buildOpenApi } from '../engine/openapi/index.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { automationOpenApi } from '../engine/server/openapi-view.ts';
import { call, makeProject } from './support/project.ts';

/**
 * The GPT profile: each automation's own OpenAPI document (what a GPT Action imports),
 * its consequential flags, and the linter that holds documents and schemas to the GPT
 * Actions limits, reporting at the manifest line that produced each finding.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'council.mjs');

function operations(doc: OpenAPIObject): OperationObject[] {
  return Object.values(doc.paths ?? {}).flatMap((item) =>
    (['get', 'post', 'put', 'patch', 'delete'] as const).flatMap((m) => (item[m] ? [item[m] as OperationObject] : [])),
  );
}

describe('the example automations, as a GPT imports them', () => {
  let server: RunningServer;
  let dataDir: string;
  before(async () => {
    const { config } = loadConfig(join(ROOT, 'council.config.yaml'));
    assert.ok(config);
    dataDir = mkdtempSync(join(tmpdir(), 'council-gpt-'));
    server = await listen(
      {
        ...config,
        dataDir,
        audit: { enabled: false },
        server: { ...config.server, port: 0, host: '127.0.0.1', publicUrl: 'https://api.example.com' },
      },
      silentLogger,
    );
  });
  after(async () => {
    await server.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  it('each serves its own document: valid OpenAPI 3.1, within every GPT Actions limit, one bearer scheme, the public URL', async () => {
    const names = server.engine.registry.serving().map((m) => m.plan.name);
    assert.equal(names.length, 7, `all seven examples serve: ${names.join(', ')}`);
    for (const name of names) {
      const response = await call(server.url, 'GET', `/automations/${name}/openapi.json`);
      assert.equal(response.status, 200, response.text);
      const doc = response.json as OpenAPIObject;
      const validator = new Validator();
      const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
      assert.equal(result.valid, true, `${name}: ${JSON.stringify(result.errors)}`);
      assert.equal(validator.version, '3.1');
      assert.deepEqual(lintGptDocument(doc), [], name);
      assert.deepEqual(doc.servers, [{ url: 'https://api.example.com' }]);
      assert.deepEqual(Object.keys(doc.components?.securitySchemes ?? {}), ['apiKey']);
      assert.deepEqual(
        // Its own, and the reverse lists of its references (/accounts/{id}/support-tickets), which are its lists too.
        Object.keys(doc.paths ?? {}).every((p) => p.startsWith(`/${name}`) || p.endsWith(`/{id}/${name}`)),
        true,
        'only its own paths',
      );
      for (const operation of operations(doc)) {
        assert.ok(
          !(operation.parameters ?? []).some((p) => 'in' in p && p.in === 'header'),
          `${operation.operationId}: no header parameter`,
        );
      }
    }
  });

  it('an automation that is not serving is a 404 problem naming it', async () => {
    const response = await call(server.url, 'GET', '/automations/nope/openapi.json');
    assert.equal(response.status, 404);
    assert.match(response.json.detail, /no automation "nope" is serving/);
  });

  it('`council validate --profile gpt` passes on the shipped project; `council openapi --automation` prints the same document', () => {
    const validated = spawnSync(process.execPath, [BIN, 'validate', '--profile', 'gpt'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(validated.status, 0, validated.stderr);
    assert.match(validated.stdout, /7 manifest\(s\) checked: 0 error\(s\), 0 warning\(s\)/);
    const printed = spawnSync(process.execPath, [BIN, 'openapi', '--automation', 'notes'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(printed.status, 0, printed.stderr);
    const { config } = loadConfig(join(ROOT, 'council.config.yaml'));
    assert.ok(config);
    const served = server.engine.registry.match('notes');
    assert.ok(served);
    assert.deepEqual(JSON.parse(printed.stdout), automationOpenApi(served.plan, config));
    const unknown = spawnSync(process.execPath, [BIN, 'openapi', '--automation', 'note'], { cwd: ROOT, encoding: 'utf8' });
    assert.equal(unknown.status, 2);
    assert.match(unknown.stderr, /no valid automation "note" \(did you mean "notes"\?\)/);
  });
});

describe('x-openai-isConsequential', () => {
  const manifest = (extra = '') => `name: tickets
description: Support tickets.
access: { public: true }
storage: { backend: memory }
schema:
  type: object
  properties:
    title: { type: string, description: Title. }
endpoints:
  - operation: list
  - operation: get
    consequential: true
  - operation: create
  - operation: update
${extra}  - operation: replace
    consequential: false
  - operation: delete
`;
  const flags = (config: { consequentialWrites: boolean }, text = manifest()) => {
    const project = makeProject({ 'tickets.yaml': text });
    try {
      const { manifests, issues } = loadManifests([project.automations], new Map([['memory', 'memory']]));
      if (!manifests[0]) return issues;
      const plan = compileAutomation(manifests[0], { pagination: { defaultLimit: 20, maxLimit: 100 }, ...config });
      const doc = buildOpenApi([plan], { title: 't', version: '1' });
      return Object.fromEntries(operations(doc).map((o) => [o.operationId, o['x-openai-isConsequential']]));
    } finally {
      project.remove();
    }
  };

  it('reads are not, deletes are, writes follow the config unless the manifest says', () => {
    assert.deepEqual(flags({ consequentialWrites: true }), {
      listTickets: false,
      getTicket: true,
      createTicket: true,
      updateTicket: true,
      replaceTicket: false,
      deleteTicket: true,
    });
    assert.deepEqual(flags({ consequentialWrites: false }), {
      listTickets: false,
      getTicket: true,
      createTicket: false,
      updateTicket: false,
      replaceTicket: false,
      deleteTicket: true,
    });
  });

  it('`consequential: false` on a delete is refused where it is written', () => {
    const text = manifest().replace('  - operation: delete\n', '  - operation: delete\n    consequential: false\n');
    const issues = flags({ consequentialWrites: true }, text) as { code: string; line: number; col: number; severity: string }[];
    assert.deepEqual(
      issues.filter((i) => i.severity === 'error').map((i) => [i.code, i.line, i.col]),
      [['endpoint-option-misplaced', 18, 20]],
    );
  });
});

describe('the GPT profile linter', () => {
  const project = makeProject({});
  after(() => project.remove());

  const lint = (text: string, severity: 'warning' | 'error' = 'warning') => {
    writeFileSync(join(project.automations, 'parts.yaml'), text);
    const { manifests, issues } = loadManifests([join(project.automations, 'parts.yaml')], new Map([['memory', 'memory']]));
    assert.deepEqual(
      issues.filter((i) => i.severity === 'error'),
      [],
    );
    const loaded = manifests[0];
    assert.ok(loaded);
    const plan = compileAutomation(loaded, { pagination: { defaultLimit: 20, maxLimit: 100 } });
    return gptProfileIssues(loaded, plan, automationOpenApi(plan, project.config()), severity).map((i) => [
      i.code,
      i.line,
      i.col,
      i.severity,
    ]);
  };

  it('points each finding at the manifest text that produced it', () => {
    const long = 'x'.repeat(301);
    const text = `name: parts
description: Spare parts.
access: { public: true }
requireIfMatch: true
storage: { backend: memory }
schema:
  type: object
  properties:
    sku: { type: string, pattern: "^[A-Z]{2}-[0-9]{4}$", description: Stock code., maxLength: 7 }
    name: { type: string, maxLength: 9 }
    grade: { type: string, description: "${'y'.repeat(701)}", maxLength: 9 }
    size:
      type: object
      description: Dimensions.
      properties:
        width: { type: number }
endpoints:
  - operation: list
    filters: [grade]
  - operation: get
    description: ${long}
  - operation: update
`;
    assert.deepEqual(lint(text), [
      ['gpt-parameter-too-long', 11, 41, 'warning'],
      ['gpt-description-too-long', 21, 18, 'warning'],
      ['gpt-header', 4, 17, 'warning'],
      ['gpt-example-missing', 9, 5, 'warning'],
      ['gpt-description-missing', 10, 5, 'warning'],
      ['gpt-description-missing', 16, 9, 'warning'],
    ]);
    assert.ok(lint(text, 'error').every((i) => i[3] === 'error'));
  });

  it('a described schema with examples, and its own document, raise nothing', () => {
    const text = `name: parts
description: Spare parts.
storage: { backend: memory }
schema:
  type: object
  properties:
    sku: { type: string, pattern: "^[A-Z]{2}-[0-9]{4}$", examples: [AB-1234], description: Stock code., maxLength: 7 }
endpoints:
  - operation: list
    filters: [sku]
  - operation: update
`;
    assert.deepEqual(lint(text), []);
  });

  it('strings without maxLength and arrays without maxItems, at any depth, are named where they are declared', () => {
    const text = `name: parts
description: Spare parts.
storage: { backend: memory }
schema:
  type: object
  properties:
    name: { type: string, description: Name. }
    kind: { type: string, enum: [a, b], description: Kind. }
    seen: { type: string, format: date-time, description: When. }
    code: { type: string, maxLength: 8, description: Code. }
    tags:
      type: array
      description: Labels.
      items: { type: string }
    parts:
      type: array
      maxItems: 10
      description: Sub-parts.
      items:
        type: object
        description: One sub-part.
        properties:
          label: { type: [string, "null"], description: Label. }
          size: { type: integer, description: Size. }
endpoints:
  - operation: get
`;
    assert.deepEqual(lint(text), [
      ['gpt-max-length-missing', 7, 5, 'warning'],
      ['gpt-max-items-missing', 11, 5, 'warning'],
      ['gpt-max-length-missing', 14, 7, 'warning'],
      ['gpt-max-length-missing', 23, 11, 'warning'],
    ]);
  });

  it('a document of many automations is over the 30 operations a GPT imports; a bad operationId is named', () => {
    const doc = buildOpenApi([], { title: 't', version: '1' });
    doc.paths = {};
    for (let i = 0; i < 31; i++) doc.paths[`/p${i}`] = { get: { operationId: i === 0 ? 'list tickets!' : `op${i}`, responses: {} } };
    const rules = lintGptDocument(doc).map((f) => f.rule);
    assert.deepEqual(rules, ['gpt-operation-id', 'gpt-too-many-operations']);
  });

  it('`council validate --profile gpt` turns the warnings into errors (exit 1)', () => {
    writeFileSync(
      join(project.automations, 'parts.yaml'),
      'name: parts\ndescription: Parts.\nstorage: { backend: memory }\nschema:\n  type: object\n  properties:\n    name: { type: string }\nendpoints:\n  - operation: get\n',
    );
    const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'validate', ...args], { cwd: project.root, encoding: 'utf8' });
    const plain = run();
    assert.equal(plain.status, 0, plain.stderr);
    assert.match(plain.stderr, /parts\.yaml:7:5: warning: property "name" has no description/);
    const strict = run('--profile', 'gpt');
    assert.equal(strict.status, 1);
    assert.match(strict.stderr, /parts\.yaml:7:5: property "name" has no description/);
    assert.equal(run('--profile', 'openai').status, 2);
  });
});

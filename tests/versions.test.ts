import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import postgres from 'postgres';
import type { ConnectionSettings } from '../adapters/types.ts';
import { compileAutomation } from '../engine/compile/compile.ts';
import { silentLogger } from '../engine/log.ts';
import { loadManifests } from '../engine/manifest/load.ts';
import { toolsOf } from '../engine/mcp/tools.ts';
import type { RunningServer } from '../engine/server/listen.ts';
import { listen } from '../engine/server/listen.ts';
import { formatIssue } from '../engine/source/issues.ts';
import { makeKeys } from './support/keys.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { adminHeaders, call, makeProject, startServer, type TestProject } from './support/project.ts';

/**
 * Version 2 of contacts renamed `name` to `fullName` (stored under `name` still), added
 * `email` and the `enterprise` tier, and dropped `nickname`; version 1 keeps serving at
 * /v1/contacts until its sunset, over the same records.
 */
function contacts(backend: string, sunset = '2099-06-30'): string {
  return `name: contacts
description: People the team talks to, one record per person.
version: 2
storage:
  backend: ${backend}
  storedAs: { fullName: name }
schema:
  type: object
  required: [fullName]
  additionalProperties: false
  properties:
    fullName: { type: string, maxLength: 100, description: The person's full name. }
    email: { type: string, maxLength: 200, description: Where to write to them. }
    tier: { type: string, enum: [free, pro, enterprise], description: What they pay for. }
versions:
  1:
    deprecated: { sunset: ${sunset}, since: 2026-12-01, successor: 2 }
    schema:
      type: object
      required: [name]
      additionalProperties: false
      properties:
        name: { type: string, maxLength: 100, description: Their name. }
        tier: { type: string, enum: [free, pro], description: What they pay for. }
        nickname: { type: string, maxLength: 50, description: What they like to be called. }
endpoints:
  - operation: list
    filters: [tier]
  - operation: get
  - operation: create
  - operation: update
  - operation: replace
  - operation: delete
access: { public: true }
`;
}

const gate = await postgresServerGate();
const stores: { label: string; backend: string; connection: Record<string, Omit<ConnectionSettings, 'name'>>; skip?: string | false }[] = [
  { label: 'memory', backend: 'memory', connection: {} },
  { label: 'PGlite', backend: 'postgres', connection: {} },
  {
    label: 'the PostgreSQL server',
    backend: 'postgres',
    connection: { postgres: { backend: 'postgres', url: gate.url ?? '' } },
    skip: gate.skip,
  },
];
for (const { label, backend, connection, skip } of stores) {
  describe(`two versions of one automation on ${label}`, { skip: skip ?? false }, () => {
    let project: TestProject;
    let server: RunningServer;
    let base: string;
    before(async () => {
      const url = connection.postgres?.url;
      if (url) {
        // This file's own database: each run starts from no table.
        const sql = postgres(url, { max: 1, onnotice: () => {} });
        await sql`drop table if exists contacts`;
        await sql.end();
      }
      project = makeProject({ 'contacts.yaml': contacts(backend) }, connection);
      server = await startServer(project);
      base = server.url;
    });
    after(async () => {
      await server.close();
      project.remove();
    });

    it('serve the same records, each in its own shape', async () => {
      const made = await call(base, 'POST', '/v1/contacts', { name: 'Ada', tier: 'pro', nickname: 'A' });
      assert.equal(made.status, 201, made.text);
      assert.deepEqual(pick(made.json.data, ['name', 'tier', 'nickname', 'fullName']), { name: 'Ada', tier: 'pro', nickname: 'A' });
      const id = made.json.data.id;
      for (const path of [`/contacts/${id}`, `/v2/contacts/${id}`]) {
        const latest = await call(base, 'GET', path);
        assert.equal(latest.status, 200, latest.text);
        assert.equal(latest.json.data.fullName, 'Ada');
        assert.equal(latest.json.data.tier, 'pro');
        assert.equal('name' in latest.json.data, false, 'v2 shows the renamed field under its new name only');
        assert.equal('nickname' in latest.json.data, false, 'v2 does not show a field only v1 has');
        assert.equal(latest.headers.get('deprecation'), null);
      }
      // A write through v2 keeps what only v1 shows, and the other way round.
      const patched = await call(base, 'PATCH', `/contacts/${id}`, { email: 'ada@example.com' });
      assert.equal(patched.status, 200, patched.text);
      const old = await call(base, 'GET', `/v1/contacts/${id}`);
      assert.deepEqual(pick(old.json.data, ['name', 'tier', 'nickname', 'email']), { name: 'Ada', tier: 'pro', nickname: 'A' });
      const replaced = await call(base, 'PUT', `/v1/contacts/${id}`, { name: 'Ada Lovelace', tier: 'free' });
      assert.equal(replaced.status, 200, replaced.text);
      const now = await call(base, 'GET', `/contacts/${id}`);
      assert.deepEqual(pick(now.json.data, ['fullName', 'tier', 'email']), {
        fullName: 'Ada Lovelace',
        tier: 'free',
        email: 'ada@example.com',
      });
      // Filters go by each version's names; both list the record.
      const listed = await call(base, 'GET', '/v1/contacts?tier=free');
      assert.deepEqual(
        listed.json.data.map((r: { name: string }) => r.name),
        ['Ada Lovelace'],
      );
      // Each version validates with its own schema.
      const refused = await call(base, 'POST', '/v1/contacts', { fullName: 'Bob' });
      assert.equal(refused.status, 422, refused.text);
      const wider = await call(base, 'POST', '/contacts', { fullName: 'Cy', tier: 'enterprise' });
      assert.equal(wider.status, 201, wider.text);
      // v1 shows a value v2 added as it is, and takes it back: an update through v1 never fails on it.
      const shown = await call(base, 'GET', `/v1/contacts/${wider.json.data.id}`);
      assert.equal(shown.json.data.tier, 'enterprise');
      const renamed = await call(base, 'PATCH', `/v1/contacts/${wider.json.data.id}`, { name: 'Cyrus' });
      assert.equal(renamed.status, 200, renamed.text);
      assert.equal(renamed.json.data.tier, 'enterprise');
      const unknown = await call(base, 'POST', '/v1/contacts', { name: 'Di', tier: 'platinum' });
      assert.equal(unknown.status, 422, 'a value no version has is refused');
    });

    it('mark the deprecated version in its answers and in OpenAPI', async () => {
      const listed = await call(base, 'GET', '/v1/contacts');
      assert.equal(listed.status, 200);
      assert.equal(listed.headers.get('deprecation'), `@${Date.parse('2026-12-01T00:00:00Z') / 1000}`);
      assert.equal(listed.headers.get('sunset'), 'Tue, 30 Jun 2099 23:59:59 GMT');
      assert.equal(listed.headers.get('link'), '</contacts>; rel="successor-version"');
      const one = await call(base, 'GET', `/v1/contacts/${listed.json.data[0].id}`);
      assert.equal(one.headers.get('link'), `</contacts/${listed.json.data[0].id}>; rel="successor-version"`);
      const missing = await call(base, 'GET', '/v1/contacts/no-such-id');
      assert.equal(missing.status, 404);
      assert.ok(missing.headers.get('sunset'), 'error answers carry the marks too');

      const doc = (await call(base, 'GET', '/openapi.json')).json;
      assert.equal(doc.paths['/v1/contacts'].get.deprecated, true);
      assert.equal(doc.paths['/v1/contacts/{id}'].put.deprecated, true);
      assert.match(doc.paths['/v1/contacts'].get.description, /^Deprecated: version 1 stops on 2099-06-30; use \/contacts \(version 2\)\./);
      assert.equal(doc.paths['/contacts'].get.deprecated, undefined);
      assert.equal(doc.paths['/v1/contacts'].get.operationId, 'listContactsV1');
      assert.ok(doc.components.schemas.ContactV1.properties.nickname);
      assert.deepEqual(
        doc.components.schemas.ContactV1.properties.tier.enum,
        ['free', 'pro', 'enterprise'],
        'v1 documents what it may show',
      );
      assert.equal(doc.components.schemas.Contact.properties.nickname, undefined);
      const own = (await call(base, 'GET', '/automations/contacts/openapi.json')).json;
      assert.equal(own.paths['/v1/contacts'].get.deprecated, true);
    });

    it('count the old version apart, by caller, in /metrics', async () => {
      const metrics = (await call(base, 'GET', '/metrics', undefined, adminHeaders(server))).text;
      assert.match(metrics, /council_requests_total\{[^}]*automation="contacts@v1"[^}]*\} [1-9]/);
    });

    it('answer 404 for a version not served, naming those that are', async () => {
      const none = await call(base, 'GET', '/v3/contacts');
      assert.equal(none.status, 404);
      assert.match(none.json.detail, /contacts has no version 3; it serves versions 2 \(\/contacts\), 1 \(\/v1\/contacts\)/);
    });
  });
}

describe('who still calls the old version', () => {
  let project: TestProject;
  let server: RunningServer;
  before(async () => {
    project = makeProject({ 'contacts.yaml': contacts('memory').replace('access: { public: true }\n', '') });
    const [legacy, current] = (await makeKeys(project, [
      { name: 'legacy-bot', scopes: ['contacts:*'] },
      { name: 'new-app', scopes: ['contacts:*'] },
    ])) as [string, string];
    server = await listen(project.config({ analytics: { enabled: true, flushSeconds: 1, retentionDays: 400 } }), silentLogger);
    const as = (key: string) => ({ authorization: `Bearer ${key}` });
    for (let i = 0; i < 3; i++) assert.equal((await call(server.url, 'POST', '/v1/contacts', { name: `n${i}` }, as(legacy))).status, 201);
    assert.equal((await call(server.url, 'GET', '/v1/contacts', undefined, as(legacy))).status, 200);
    for (let i = 0; i < 2; i++) assert.equal((await call(server.url, 'GET', '/contacts', undefined, as(current))).status, 200);
  });
  after(async () => {
    await server?.close();
    project?.remove();
  });

  it('shows in the analytics as NAME@vN, by key', async () => {
    const report = (await call(server.url, 'GET', '/admin/analytics?from=1h&automation=contacts@v1', undefined, adminHeaders(server))).json
      .data;
    assert.equal(report.totals.requests, 4);
    assert.deepEqual(
      report.top.keys.map((k: { key: string; requests: number }) => [k.key, k.requests]),
      [['legacy-bot', 4]],
    );
    const latest = (await call(server.url, 'GET', '/admin/analytics?from=1h&automation=contacts', undefined, adminHeaders(server))).json
      .data;
    assert.deepEqual(
      latest.top.keys.map((k: { key: string }) => k.key),
      ['new-app'],
    );
  });
});

describe('an earlier version as MCP tools', () => {
  it('has tools of its own, whose descriptions say it is deprecated and where to go', () => {
    const project = makeProject({ 'contacts.yaml': contacts('memory') });
    try {
      const [loaded] = loadManifests([project.automations], new Map([['memory', 'memory']])).manifests;
      assert.ok(loaded);
      const plan = compileAutomation(loaded, { pagination: { defaultLimit: 20, maxLimit: 100 } });
      const [v1] = plan.earlier;
      assert.ok(v1);
      const tools = toolsOf(v1).map((t) => t.definition);
      assert.deepEqual(
        tools.map((t) => t.name),
        ['listContactsV1', 'getContactV1', 'createContactV1', 'updateContactV1', 'replaceContactV1', 'deleteContactV1'],
      );
      for (const tool of tools)
        assert.match(tool.description ?? '', /Deprecated: version 1 stops on 2099-06-30; use \/contacts \(version 2\)\./);
      for (const tool of toolsOf(plan)) assert.doesNotMatch(tool.definition.description ?? '', /Deprecated/);
      assert.ok(((tools[2]?.inputSchema.properties ?? {}) as Record<string, unknown>).nickname, 'v1 tools take v1 fields');
    } finally {
      project.remove();
    }
  });
});

describe('the example in documents/versioning.md', () => {
  it('validates, and serves version 1 and version 2 over the same records', async () => {
    const text = readFileSync(new URL('../documents/versioning.md', import.meta.url), 'utf8');
    const yaml = /```yaml\n([\s\S]*?)```/.exec(text)?.[1];
    assert.ok(yaml, 'the document has a yaml example');
    const project = makeProject({ 'accounts.yaml': `${yaml}access: { public: true }\n` });
    const server = await startServer(project);
    try {
      const made = await call(server.url, 'POST', '/v1/accounts', { name: 'Initech', plan: 'pro' });
      assert.equal(made.status, 201, made.text);
      assert.equal(made.headers.get('sunset'), 'Wed, 30 Jun 2027 23:59:59 GMT');
      const seen = await call(server.url, 'GET', `/accounts/${made.json.data.id}`);
      assert.equal(seen.json.data.fullName, 'Initech');
      const listed = await call(server.url, 'GET', '/v2/accounts?plan=pro');
      assert.equal(listed.json.data.length, 1);
    } finally {
      await server.close();
      project.remove();
    }
  });
});

describe('a version past its sunset', () => {
  let project: TestProject;
  let server: RunningServer;
  before(async () => {
    project = makeProject({ 'contacts.yaml': contacts('memory', '2020-01-31').replace(' since: 2026-12-01,', '') });
    server = await startServer(project);
  });
  after(async () => {
    await server.close();
    project.remove();
  });

  it('answers 410 with its successor, and is gone from the documents', async () => {
    const gone = await call(server.url, 'GET', '/v1/contacts/123?x=1');
    assert.equal(gone.status, 410);
    assert.equal(gone.json.code, 'version-sunset');
    assert.equal(gone.headers.get('link'), '</contacts/123>; rel="successor-version"');
    assert.match(gone.json.detail, /was served until 2020-01-31; call \/contacts\/123 \(version 2\) instead/);
    const write = await call(server.url, 'POST', '/v1/contacts', { name: 'Late' });
    assert.equal(write.status, 410);
    assert.equal((await call(server.url, 'GET', '/contacts')).status, 200);
    const doc = (await call(server.url, 'GET', '/openapi.json')).json;
    assert.equal(doc.paths['/v1/contacts'], undefined);
  });
});

describe('versions that cannot read each other’s records', () => {
  const refusals: [string, (text: string) => string, RegExp][] = [
    [
      'a property retyped',
      (t) => t.replace('tier: { type: string, enum: [free, pro, enterprise]', 'tier: { type: integer'),
      /contacts\.yaml:14:5: "tier" is stored as integer in version 2 but as string in version 1/,
    ],
    [
      'an enum value dropped',
      (t) => t.replace('enum: [free, pro, enterprise]', 'enum: [pro, enterprise]'),
      /contacts\.yaml:14:5: "tier" in version 2 leaves out enum values version 1 writes/,
    ],
    [
      'a property only the new version has, required',
      (t) => t.replace('required: [fullName]', 'required: [fullName, email]'),
      /contacts\.yaml:13:5: "email" is required in version 2, but records written through version 1 lack it/,
    ],
    [
      'a constraint narrowed',
      (t) => t.replace('fullName: { type: string, maxLength: 100', 'fullName: { type: string, maxLength: 80'),
      /contacts\.yaml:12:5: "fullName" \(stored as "name"\) accepts other values in version 2 than in version 1/,
    ],
    [
      'a rename without storedAs',
      (t) => t.replace('  storedAs: { fullName: name }\n', ''),
      /contacts\.yaml:\d+:\d+: "fullName" is required in version 2, but records written through version 1 lack it/,
    ],
    [
      'an earlier version not earlier',
      (t) => t.replace('version: 2', 'version: 1'),
      /contacts\.yaml:\d+:3: version 1 is not earlier than the latest \(version: 1\)/,
    ],
    [
      'a sunset that is no day',
      (t) => t.replace('sunset: 2099-06-30', 'sunset: 2099-02-30'),
      /sunset "2099-02-30" is not a day of the calendar/,
    ],
  ];
  for (const [what, change, expected] of refusals) {
    it(`refuses ${what} at FILE:LINE:COL`, () => {
      const project = makeProject({ 'contacts.yaml': change(contacts('memory')) });
      try {
        const loaded = loadManifests([project.automations], new Map([['memory', 'memory']]));
        assert.equal(loaded.manifests.length, 0, 'the manifest is refused');
        const printed = loaded.issues.map((i) => formatIssue(i)).join('\n');
        assert.match(printed, expected);
      } finally {
        project.remove();
      }
    });
  }

  it('accepts what both can read: descriptions, added optional fields, a widened enum', () => {
    const project = makeProject({ 'contacts.yaml': contacts('memory') });
    try {
      const loaded = loadManifests([project.automations], new Map([['memory', 'memory']]));
      assert.deepEqual(
        loaded.issues.filter((i) => i.severity === 'error'),
        [],
      );
      assert.equal(loaded.manifests[0]?.versions.length, 1);
    } finally {
      project.remove();
    }
  });

  it('keeps /vN paths from automations', () => {
    const project = makeProject({ 'v2.yaml': contacts('memory').replace('name: contacts', 'name: v2') });
    try {
      const loaded = loadManifests([project.automations], new Map([['memory', 'memory']]));
      assert.match(loaded.issues.map((i) => formatIssue(i)).join('\n'), /path \/v2 is how versions are addressed/);
    } finally {
      project.remove();
    }
  });
});

function pick(record: Record<string, unknown>, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => k in record).map((k) => [k, record[k]]));
}

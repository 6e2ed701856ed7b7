import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Validator } from '@seriousme/openapi-schema-validator';
import type { OpenAPIObject, OperationObject, ParameterObject, SchemaObject } from 'openapi3-ts/oas31';
import { loadManifests } from '../engine/manifest/load.ts';
import { lintGptDocument } from '../engine/openapi/gpt-profile.ts';
import { buildOpenApi } from '../engine/openapi/index.ts';
import { reverseListOperationId } from '../engine/schema/reverse-lists.ts';
import { makeProject } from './support/project.ts';
import { REFERENCE_MANIFESTS, referencePlans } from './support/reference-manifests.ts';

/**
 * References in the OpenAPI documents (issue 18): `expand` on list and get, each relation
 * on the record schema, a reverse list per reference (`GET /accounts/{id}/tickets`), and
 * deletes that say what else they delete or change. Whole and per-automation documents.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const plans = referencePlans();
const all = [...plans.values()];
const whole = buildOpenApi(all, { title: 't', version: '1' });
/** One automation's own document, as the server builds it: the others only as what references reach. */
const own = (name: string) =>
  buildOpenApi([plans.get(name) as NonNullable<ReturnType<typeof plans.get>>], {
    title: name,
    version: '1',
    omitOptionalHeaders: true,
    related: all,
  });

function operation(doc: OpenAPIObject, id: string): OperationObject {
  for (const item of Object.values(doc.paths ?? {})) {
    for (const method of ['get', 'post', 'put', 'patch', 'delete'] as const) {
      const found = item[method] as OperationObject | undefined;
      if (found?.operationId === id) return found;
    }
  }
  throw new Error(`no operation ${id}`);
}

const parameter = (op: OperationObject, name: string) => (op.parameters as ParameterObject[]).find((p) => p.name === name);

/** Every `$ref` in `doc`, which must resolve inside it. */
function danglingRefs(doc: OpenAPIObject): string[] {
  const refs: string[] = [];
  const walk = (node: unknown) => {
    if (typeof node !== 'object' || node === null) return;
    for (const [key, value] of Object.entries(node)) {
      if (key === '$ref' && typeof value === 'string') refs.push(value);
      else walk(value);
    }
  };
  walk(doc);
  return refs.filter((ref) => {
    let at: unknown = doc;
    for (const segment of ref.slice(2).split('/')) at = (at as Record<string, unknown> | undefined)?.[decodeURIComponent(segment)];
    return at === undefined;
  });
}

describe('references in OpenAPI', () => {
  it('list and get take expand, naming each relation, the second level, and the scope it needs', () => {
    for (const id of ['listTickets', 'getTicket']) {
      const expand = parameter(operation(whole, id), 'expand');
      assert.ok(expand, `${id} takes expand`);
      assert.equal(expand.in, 'query');
      assert.match(String(expand.description), /`account` \(the accounts record `accountId` holds the id of; needs accounts:read\)/);
      assert.match(String(expand.description), /Two levels: `account\.owner`/);
      assert.ok(String(expand.description).length <= 700);
    }
    assert.match(String(parameter(operation(whole, 'getAccount'), 'expand')?.description), /`owner` \(the users record `ownerId`/);
    // No references, no expand (HTTP refuses it there).
    assert.equal(parameter(operation(whole, 'listUsers'), 'expand'), undefined);
    assert.equal(parameter(operation(whole, 'createTicket'), 'expand'), undefined);
  });

  it('the record schema has each relation: the referred record by $ref when documented, else an object with its id', () => {
    const ticket = whole.components?.schemas?.Ticket as SchemaObject;
    const account = (ticket.properties as Record<string, SchemaObject>).account as SchemaObject;
    assert.deepEqual(account.anyOf, [
      { $ref: '#/components/schemas/Account' },
      { $ref: '#/components/schemas/AccountPartial' },
      { type: 'null' },
    ]);
    assert.match(String(account.description), /present only with \?expand=account/);
    assert.ok(!(ticket.required as string[]).includes('account'), 'optional');
    // `?fields=` answers carry it too.
    const partial = whole.components?.schemas?.TicketPartial as SchemaObject;
    assert.ok((partial.properties as Record<string, SchemaObject>).account);
    const alone = own('tickets');
    const schemas = (alone.components?.schemas ?? {}) as Record<string, SchemaObject>;
    const plain = ((schemas.Ticket as SchemaObject).properties as Record<string, SchemaObject>).account as SchemaObject;
    assert.deepEqual(plain.type, ['object', 'null']);
    assert.deepEqual(plain.required, ['id']);
    assert.deepEqual(danglingRefs(alone), [], 'a per-automation document refers only to itself');
    assert.deepEqual(danglingRefs(whole), []);
  });

  it('each reference publishes its reverse list, tagged with the referring automation', () => {
    const reverse = operation(whole, 'listAccountTickets');
    assert.ok(whole.paths?.['/accounts/{id}/tickets']?.get === reverse);
    assert.deepEqual(reverse.tags, ['tickets']);
    assert.equal(reverse.summary, 'List the tickets of one account');
    assert.ok(String(reverse.description).length <= 300);
    const names = (reverse.parameters as ParameterObject[]).map((p) => `${p.in}:${p.name}`);
    const list = (operation(whole, 'listTickets').parameters as ParameterObject[]).map((p) => `${p.in}:${p.name}`);
    assert.deepEqual(names, ['path:id', ...list], 'the id, then the parameters of listTickets');
    assert.ok(list.includes('query:status') && list.includes('query:expand') && list.includes('query:sort'));
    assert.deepEqual(Object.keys(reverse.responses ?? {}), ['200', '400', '401', '403', '404', '429', '503', '504']);
    const success = reverse.responses?.[200] as { content: Record<string, { schema: SchemaObject }> };
    const page = success.content['application/json']?.schema;
    assert.deepEqual(
      page,
      (operation(whole, 'listTickets').responses?.[200] as typeof reverse.responses)?.content?.['application/json']?.schema,
    );
    assert.equal(reverse['x-openai-isConsequential'], false);
    assert.equal(reverse.security, undefined, 'the key the tickets list needs');
    // One per reference: tasks of one project, projects of one account, accounts of one owner.
    for (const [path, id] of [
      ['/projects/{id}/tasks', 'listProjectTasks'],
      ['/accounts/{id}/projects', 'listAccountProjects'],
      ['/users/{id}/accounts', 'listOwnerAccounts'],
    ]) {
      assert.equal(whole.paths?.[path as string]?.get?.operationId, id);
    }
    // In the referring automation's own document, not in the referred one's.
    assert.ok(own('tickets').paths?.['/accounts/{id}/tickets']);
    assert.equal(own('accounts').paths?.['/accounts/{id}/tickets'], undefined);
  });

  it('operation ids stay unique and within 64 characters, however long the names', () => {
    const ids = Object.values(whole.paths ?? {}).flatMap((item) => Object.values(item).map((op) => (op as OperationObject).operationId));
    assert.equal(new Set(ids).size, ids.length);
    const long = reverseListOperationId('a'.repeat(50), 'B'.repeat(50));
    assert.ok(long.length <= 64 && /^[a-zA-Z0-9_-]{1,64}$/.test(long), long);
    assert.notEqual(long, reverseListOperationId(`${'a'.repeat(49)}c`, 'B'.repeat(50)));
  });

  it('a list whose operation id a reverse list has is refused at load (record-name-duplicate)', () => {
    const clash = (REFERENCE_MANIFESTS['users.yaml'] as string).replace('name: users', 'name: account-tickets');
    const project = makeProject({ ...REFERENCE_MANIFESTS, 'zz-account-tickets.yaml': clash });
    try {
      const { issues } = loadManifests([project.automations], new Map([['memory', 'memory']]));
      const refused = issues.filter((i) => i.code === 'record-name-duplicate');
      assert.equal(refused.length, 1);
      assert.match(refused[0]?.message ?? '', /would publish names \(AccountTickets\) already used by "tickets"/);
    } finally {
      project.remove();
    }
  });

  it('a delete says what else it deletes or changes and answers 409 while referred to; every delete is consequential', () => {
    const account = operation(whole, 'deleteAccount');
    assert.match(String(account.description), /also deletes the projects that refer to it \(and what refers to those, in turn\)/);
    assert.match(String(account.description), /Refused \(409 still-referenced\) while tickets refer to it/);
    assert.ok(String(account.description).length <= 300);
    assert.ok(account.responses?.[409]);
    const user = operation(whole, 'deleteUser');
    assert.match(String(user.description), /removes `ownerId` from the accounts that refer to it/);
    // Nothing refers to tasks: its delete is as before.
    const task = operation(whole, 'deleteTask');
    assert.doesNotMatch(String(task.description), /refer/);
    assert.equal(task.responses?.[409], undefined);
    for (const op of [account, user, task]) assert.equal(op['x-openai-isConsequential'], true);
    // The per-automation document says the same, from what serves beside it.
    assert.equal(operation(own('accounts'), 'deleteAccount').description, account.description);
  });

  it('422 and 409 say what references answer', () => {
    const responses = whole.components?.responses ?? {};
    assert.match(String(responses.ValidationFailed?.description), /reference-missing/);
    assert.match(String(responses.Conflict?.description), /still-referenced/);
  });

  it('a public read that may expand a locked automation documents 401 and 403', () => {
    const open = referencePlans({
      ...REFERENCE_MANIFESTS,
      'tickets.yaml': (REFERENCE_MANIFESTS['tickets.yaml'] as string).replace('storage:', 'access: { public: true }\nstorage:'),
    });
    const doc = buildOpenApi([...open.values()], { title: 't', version: '1' });
    const get = operation(doc, 'getTicket');
    assert.deepEqual(get.security, []);
    assert.ok(get.responses?.[401] && get.responses?.[403]);
    assert.equal(operation(doc, 'createTicket').responses?.[401], undefined);
  });

  it('every document is valid OpenAPI 3.1 and each per-automation one within the GPT Actions limits', async () => {
    for (const [name, doc] of [['whole', whole], ...all.map((p) => [p.name, own(p.name)] as const)] as const) {
      const validator = new Validator();
      const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
      assert.equal(result.valid, true, `${name}: ${JSON.stringify(result.errors)}`);
      if (name !== 'whole') assert.deepEqual(lintGptDocument(doc), [], name);
    }
  });

  it('`council validate --profile gpt` passes them: no GPT or MCP finding', () => {
    const project = makeProject({ ...REFERENCE_MANIFESTS });
    try {
      writeFileSync(join(project.root, 'council.config.yaml'), 'automations: automations\n');
      const validated = spawnSync(process.execPath, [join(ROOT, 'bin', 'council.mjs'), 'validate', '--profile', 'gpt', '--no-store'], {
        cwd: project.root,
        encoding: 'utf8',
      });
      assert.equal(validated.status, 0, validated.stderr);
      assert.match(validated.stdout, /5 manifest\(s\) checked: 0 error\(s\), 0 warning\(s\)/);
    } finally {
      project.remove();
    }
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Validator } from '@seriousme/openapi-schema-validator';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormats from 'ajv-formats';
import type { OpenAPIObject, OperationObject, ParameterObject, ResponseObject, SchemaObject } from 'openapi3-ts/oas31';
import type { AutomationPlan } from '../engine/compile/plan.ts';
import { exampleRecord } from '../engine/openapi/example.ts';
import { buildOpenApi, mapSchemaRefs } from '../engine/openapi/index.ts';
import { makePlan } from './support/plans.ts';

const options = { title: 'theCouncil', version: '1.2.3', description: 'Test API.' };
const METHODS = ['get', 'post', 'put', 'patch', 'delete'] as const;

function operations(doc: OpenAPIObject): OperationObject[] {
  return Object.values(doc.paths ?? {}).flatMap((item) =>
    METHODS.flatMap((method) => (item[method] ? [item[method] as OperationObject] : [])),
  );
}

function operation(doc: OpenAPIObject, operationId: string): OperationObject {
  const found = operations(doc).find((op) => op.operationId === operationId);
  assert.ok(found, `no operation ${operationId}`);
  return found;
}

function queryParameter(op: OperationObject, name: string): ParameterObject {
  const found = (op.parameters as ParameterObject[]).find((p) => p.name === name && p.in === 'query');
  assert.ok(found, `no query parameter ${name}`);
  return found;
}

function schema(doc: OpenAPIObject, name: string): SchemaObject {
  const found = doc.components?.schemas?.[name];
  assert.ok(found, `no component schema ${name}`);
  return found as SchemaObject;
}

function response(op: OperationObject, status: string): ResponseObject {
  const found = op.responses?.[status] as ResponseObject | undefined;
  assert.ok(found, `${op.operationId} has no ${status} response`);
  return found;
}

function jsonBody(found: ResponseObject): SchemaObject {
  const body = found.content?.['application/json']?.schema as SchemaObject | undefined;
  assert.ok(body, 'no application/json schema');
  return body;
}

function property(of: SchemaObject, name: string): SchemaObject {
  const found = of.properties?.[name] as SchemaObject | undefined;
  assert.ok(found, `no property ${name}`);
  return found;
}

/** Every `$ref` string in the document, with the JSON path where it occurs (cycles, as left by resolving, are cut). */
function refsIn(node: unknown, path = '', seen = new WeakSet<object>()): { ref: string; at: string }[] {
  if (typeof node !== 'object' || node === null || seen.has(node)) return [];
  seen.add(node);
  return Object.entries(node).flatMap(([key, value]) =>
    key === '$ref' && typeof value === 'string' ? [{ ref: value, at: path }] : refsIn(value, `${path}/${key}`, seen),
  );
}

function resolvePointer(doc: unknown, ref: string): unknown {
  assert.ok(ref.startsWith('#/'), `not a local ref: ${ref}`);
  return ref
    .slice(2)
    .split('/')
    .map((s) => decodeURIComponent(s).replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce<unknown>((at, key) => (typeof at === 'object' && at !== null ? (at as Record<string, unknown>)[key] : undefined), doc);
}

async function assertValidOpenApi(doc: OpenAPIObject): Promise<void> {
  const validator = new Validator();
  const result = await validator.validate(structuredClone(doc) as unknown as Record<string, unknown>);
  assert.equal(result.valid, true, `invalid OpenAPI document: ${JSON.stringify(result.errors, null, 2)}`);
  assert.equal(validator.version, '3.1');
  const resolved = validator.resolveRefs() as unknown as OpenAPIObject;
  assert.equal(refsIn(resolved.paths).length, 0, 'refs left after resolving');
}

/** Ajv over the document itself, so `#/components/schemas/...` refs resolve exactly as written. */
function componentValidator(doc: OpenAPIObject) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats.default(ajv);
  ajv.addSchema(structuredClone(doc) as object, 'openapi.json');
  return (name: string, value: unknown): boolean => {
    const validate = ajv.getSchema(`openapi.json#/components/schemas/${name}`);
    assert.ok(validate, `ajv cannot find ${name}`);
    return validate(structuredClone(value)) as boolean;
  };
}

describe('buildOpenApi', () => {
  const plan = makePlan();
  const doc = buildOpenApi([plan], options);

  test('is a valid OpenAPI 3.1 document whose refs all resolve', async () => {
    assert.equal(doc.openapi, '3.1.0');
    await assertValidOpenApi(doc);
    for (const { ref, at } of refsIn(doc)) {
      assert.notEqual(resolvePointer(doc, ref), undefined, `${ref} at ${at} does not resolve`);
    }
  });

  test('info and servers come from the options; servers only when a URL is given', () => {
    assert.deepEqual(doc.info, { title: 'theCouncil', version: '1.2.3', description: 'Test API.' });
    assert.equal('servers' in doc, false);
    const served = buildOpenApi([plan], { title: 'x', version: '1', serverUrl: 'https://api.example.com' });
    assert.deepEqual(served.servers, [{ url: 'https://api.example.com' }]);
    assert.equal('description' in served.info, false);
  });

  test('one tag per automation and one operation per endpoint', () => {
    assert.deepEqual(doc.tags, [{ name: 'accounts', description: plan.description }]);
    assert.deepEqual(Object.keys(doc.paths ?? {}), ['/accounts', '/accounts/{id}']);
    assert.deepEqual(Object.keys(doc.paths?.['/accounts'] ?? {}), ['get', 'post']);
    assert.deepEqual(Object.keys(doc.paths?.['/accounts/{id}'] ?? {}), ['get', 'patch', 'put', 'delete']);
    for (const op of operations(doc)) {
      assert.deepEqual(op.tags, ['accounts']);
      assert.ok(op.summary && op.description, `${op.operationId} lacks a summary or description`);
    }
  });

  test('operation ids are unique and safe for GPT actions', () => {
    const ids = operations(doc).map((op) => op.operationId ?? '');
    assert.deepEqual(ids.sort(), ['createAccount', 'deleteAccount', 'getAccount', 'listAccounts', 'replaceAccount', 'updateAccount']);
    for (const id of ids) assert.match(id, /^[a-zA-Z0-9_-]{1,64}$/);
  });

  test('an endpoint description is kept; a missing one is written from the automation description', () => {
    assert.equal(operation(doc, 'getAccount').description, 'Look up one record by id before changing it.');
    assert.ok(operation(doc, 'listAccounts').description?.endsWith(plan.description));
    assert.match(operation(doc, 'listAccounts').description ?? '', /meta\.next/);
  });

  test('the list operation takes limit, cursor, sort, fields, count and one parameter per filter operator', () => {
    const list = operation(doc, 'listAccounts');
    assert.deepEqual(
      (list.parameters as ParameterObject[]).map((p) => `${p.in}:${p.name}`),
      ['query:limit', 'query:cursor', 'query:sort', 'query:fields', 'query:count', 'query:plan'],
    );
    for (const p of list.parameters as ParameterObject[]) assert.ok(p.description, `${p.name} lacks a description`);
    assert.deepEqual(queryParameter(list, 'limit').schema, { type: 'integer', minimum: 1, maximum: 100, default: 20 });
    assert.deepEqual(queryParameter(list, 'cursor').schema, { type: 'string' });
    assert.deepEqual(queryParameter(list, 'sort').schema, {
      type: 'string',
      enum: ['name', '-name', 'createdAt', '-createdAt'],
      default: 'createdAt',
    });
    const filter = queryParameter(list, 'plan');
    assert.equal(filter.required, undefined);
    assert.match(filter.description ?? '', /only accounts whose `plan` equals this value/i);
    assert.deepEqual(queryParameter(list, 'count').schema, { type: 'boolean', default: false });
    assert.deepEqual(filter.schema, { type: 'string', enum: ['free', 'pro', 'enterprise'], description: 'Subscription plan.' });
  });

  test('filters copy format, follow $defs refs and drop null from enums; sort is offered only with sort fields', () => {
    const custom = makePlan({
      name: 'contacts',
      schema: {
        type: 'object',
        properties: {
          email: { type: 'string', format: 'email' },
          tier: { $ref: '#/$defs/Tier' },
          vip: { type: 'boolean' },
          score: { type: ['integer', 'null'] },
        },
        $defs: { Tier: { type: ['string', 'null'], enum: ['gold', 'silver', null], description: 'Loyalty tier.' } },
      },
      filters: ['email', 'tier', 'vip', 'score'],
      sort: [],
      pagination: { defaultLimit: 5, maxLimit: 50, maxResponseChars: 50_000, maxBatch: 100 },
    });
    const list = operation(buildOpenApi([custom], options), 'listContacts');
    assert.deepEqual(
      (list.parameters as ParameterObject[]).map((p) => p.name),
      ['limit', 'cursor', 'fields', 'count', 'email', 'tier', 'vip', 'score'],
    );
    assert.deepEqual(queryParameter(list, 'limit').schema, { type: 'integer', minimum: 1, maximum: 50, default: 5 });
    const sorted = operation(buildOpenApi([makePlan({ sort: ['seats', 'name'] })], options), 'listAccounts');
    assert.deepEqual(
      queryParameter(sorted, 'sort').schema,
      { type: 'string', enum: ['seats', '-seats', 'name', '-name'] },
      'createdAt is no default it cannot send',
    );
    assert.match(queryParameter(sorted, 'sort').description ?? '', /Left out: by `createdAt`/);
    assert.deepEqual(queryParameter(list, 'email').schema, { type: 'string', format: 'email' });
    assert.deepEqual(queryParameter(list, 'tier').schema, { type: 'string', enum: ['gold', 'silver'], description: 'Loyalty tier.' });
    assert.deepEqual(queryParameter(list, 'vip').schema, { type: 'boolean' });
    assert.deepEqual(queryParameter(list, 'score').schema, { type: 'integer' });
  });

  test('one bearer API-key scheme is the default; public operations opt out and document no 401/403', () => {
    assert.deepEqual(doc.security, [{ apiKey: [] }]);
    assert.equal((doc.components?.securitySchemes?.apiKey as { scheme?: string } | undefined)?.scheme, 'bearer');
    const open = makePlan({ public: true });
    const list = operation(buildOpenApi([open], options), 'listAccounts');
    assert.deepEqual(list.security, []);
    assert.deepEqual(Object.keys(list.responses ?? {}), ['200', '400', '429', '503', '504']);
  });

  test('every operation documents problem+json errors, 503 and 504, never 500', () => {
    const expected: Record<string, string[]> = {
      listAccounts: ['200', '400', '401', '403', '429', '503', '504'],
      getAccount: ['200', '400', '401', '403', '404', '412', '429', '503', '504'],
      createAccount: ['201', '400', '401', '403', '409', '413', '415', '422', '429', '503', '504'],
      updateAccount: ['200', '400', '401', '403', '404', '409', '412', '413', '415', '422', '429', '503', '504'],
      replaceAccount: ['200', '400', '401', '403', '404', '412', '413', '415', '422', '429', '503', '504'],
      deleteAccount: ['204', '400', '401', '403', '404', '412', '429', '503', '504'],
    };
    for (const op of operations(doc)) {
      const responses = op.responses as Record<string, { $ref?: string }>;
      assert.deepEqual(Object.keys(responses), expected[op.operationId ?? '']);
      for (const [status, response] of Object.entries(responses)) {
        if (Number(status) < 400) continue;
        const ref = response.$ref ?? '';
        assert.ok(ref.startsWith('#/components/responses/'), `${op.operationId} ${status} is not a shared response`);
        const shared = resolvePointer(doc, ref) as ResponseObject;
        assert.deepEqual(shared.content, { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } });
        assert.ok(shared.description.length > 40, `${ref} needs advice for the caller`);
      }
    }
    assert.deepEqual(Object.keys(doc.components?.responses ?? {}), [
      'BadRequest',
      'Unauthorized',
      'Forbidden',
      'NotFound',
      'Conflict',
      'PreconditionFailed',
      'PayloadTooLarge',
      'UnsupportedMediaType',
      'ValidationFailed',
      'TooManyRequests',
      'ServiceUnavailable',
      'GatewayTimeout',
    ]);
    const strict = buildOpenApi([makePlan({ requireIfMatch: true })], options);
    assert.ok(strict.components?.responses?.PreconditionRequired, 'a shared response only where an operation uses it');
    for (const name of ['ServiceUnavailable', 'GatewayTimeout']) {
      const retryable = doc.components?.responses?.[name] as ResponseObject;
      assert.deepEqual(Object.keys(retryable.headers ?? {}), ['Retry-After']);
    }
    const invalid = doc.components?.responses?.ValidationFailed as ResponseObject;
    assert.match(invalid.description, /Fix the fields listed in `errors`/);
  });

  test('success responses wrap records in data, list pages carry meta, create sends Location', () => {
    const page = jsonBody(response(operation(doc, 'listAccounts'), '200'));
    assert.deepEqual(page.required, ['data', 'meta']);
    const { data, meta } = page.properties as Record<string, SchemaObject>;
    const recordOrPart = { anyOf: [{ $ref: '#/components/schemas/Account' }, { $ref: '#/components/schemas/AccountPartial' }] };
    assert.deepEqual({ ...data, description: undefined }, { type: 'array', items: recordOrPart, description: undefined });
    assert.deepEqual(meta?.required, ['next', 'limit']);
    assert.ok(meta);
    assert.deepEqual(property(meta, 'next').type, ['string', 'null']);
    assert.deepEqual(property(meta, 'limit').type, 'integer');
    const created = response(operation(doc, 'createAccount'), '201');
    const single = created.content?.['application/json']?.schema as SchemaObject;
    assert.deepEqual(single.required, ['data']);
    assert.deepEqual(single.properties?.data, recordOrPart);
    assert.deepEqual(Object.keys(property(single, 'meta').properties ?? {}), ['cut', 'detail'], 'meta only when the record was cut');
    const got = jsonBody(response(operation(doc, 'getAccount'), '200'));
    assert.deepEqual(property(got, 'data'), recordOrPart, 'get answers a record (or part of it) whatever it is asked');
    assert.deepEqual(property(got, 'piece').required, ['pointer', 'offset', 'length', 'returned', 'value']);
    assert.deepEqual(Object.keys(property(got, 'meta').properties ?? {}), ['cut', 'detail', 'next']);
    const cutEntry = property(meta, 'cut').items as SchemaObject;
    assert.deepEqual(Object.keys(cutEntry.properties ?? {}), ['pointer', 'length', 'returned', 'next']);
    assert.deepEqual(Object.keys(created.headers ?? {}), ['Location', 'ETag']);
    for (const [id, status] of [
      ['getAccount', '200'],
      ['updateAccount', '200'],
      ['replaceAccount', '200'],
    ] as const) {
      assert.deepEqual(Object.keys(response(operation(doc, id), status).headers ?? {}), ['ETag'], `${id} answers its ETag`);
    }
    assert.equal(response(operation(doc, 'deleteAccount'), '204').content, undefined);
  });

  test('request bodies: create and replace take the input, update takes a merge patch', () => {
    const example = {
      input: {
        name: 'Example name',
        email: 'name@example.com',
        plan: 'free',
        seats: 1,
        address: { street: 'Example street', city: 'Example city' },
      },
    };
    for (const id of ['createAccount', 'replaceAccount']) {
      assert.deepEqual(operation(doc, id).requestBody, {
        ...operation(doc, id).requestBody,
        required: true,
        content: { 'application/json': { schema: { $ref: '#/components/schemas/AccountInput' }, example: example.input } },
      });
    }
    const patch = operation(doc, 'updateAccount').requestBody as { required: boolean; content: Record<string, unknown> };
    assert.equal(patch.required, true);
    assert.deepEqual(Object.keys(patch.content).sort(), ['application/json', 'application/merge-patch+json']);
    for (const media of Object.values(patch.content)) {
      assert.deepEqual(media, { schema: { $ref: '#/components/schemas/AccountPatch' }, example: { plan: 'pro' } });
    }
    const idParameter = { name: 'id', in: 'path', required: true, description: undefined, schema: { type: 'string', format: 'uuid' } };
    const ifMatch = (required: boolean) => ({
      name: 'If-Match',
      in: 'header',
      required,
      description: undefined,
      schema: { type: 'string' },
    });
    const parameters = (d: OpenAPIObject, id: string) =>
      operation(d, id).parameters?.map((p) => ({ ...(p as ParameterObject), description: undefined }));
    const fields = { name: 'fields', in: 'query', description: undefined, schema: { type: 'string' } };
    assert.deepEqual(
      parameters(doc, 'getAccount')?.map((p) => p.name),
      ['id', 'fields', 'piece', 'offset', 'version'],
    );
    assert.deepEqual(parameters(doc, 'getAccount')?.slice(0, 2), [idParameter, fields]);
    const idempotencyKey = {
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: undefined,
      schema: { type: 'string', minLength: 1, maxLength: 255 },
    };
    const writes = (required: boolean) => ({
      updateAccount: [idParameter, ifMatch(required), idempotencyKey],
      replaceAccount: [idParameter, ifMatch(required)],
      deleteAccount: [idParameter, ifMatch(required)],
    });
    for (const [id, expected] of Object.entries(writes(false))) assert.deepEqual(parameters(doc, id), expected);
    assert.deepEqual(parameters(doc, 'createAccount'), [idempotencyKey]);
    const strict = buildOpenApi([makePlan({ requireIfMatch: true })], options);
    for (const [id, expected] of Object.entries(writes(true))) {
      assert.deepEqual(parameters(strict, id), expected);
      assert.ok(operation(strict, id).responses?.['428'], `${id} documents 428 when If-Match is required`);
      assert.equal(operation(doc, id).responses?.['428'], undefined);
    }
  });

  test('Account, AccountInput and AccountPatch describe the record, the body and the patch', () => {
    const record = schema(doc, 'Account');
    assert.deepEqual(record.required, ['id', 'createdAt', 'updatedAt', 'name', 'email']);
    assert.deepEqual(Object.keys(record.properties ?? {}), ['id', 'createdAt', 'updatedAt', 'name', 'email', 'plan', 'seats', 'address']);
    assert.deepEqual(record.properties?.id, { ...(record.properties?.id as object), type: 'string', format: 'uuid', readOnly: true });
    for (const field of ['createdAt', 'updatedAt']) {
      assert.deepEqual(record.properties?.[field], {
        ...(record.properties?.[field] as object),
        type: 'string',
        format: 'date-time',
        readOnly: true,
      });
    }
    assert.equal(record.additionalProperties, false);

    const { $defs: _defs, $schema: _dialect, ...written } = plan.schema;
    const input = schema(doc, 'AccountInput');
    assert.deepEqual(input, {
      ...written,
      properties: { ...(written.properties as object), address: { $ref: '#/components/schemas/Account_Address' } },
      examples: input.examples,
    });

    const patch = schema(doc, 'AccountPatch');
    assert.equal(patch.required, undefined);
    assert.equal(patch.additionalProperties, false);
    assert.deepEqual(Object.keys(patch.properties ?? {}), ['name', 'email', 'plan', 'seats', 'address']);
    assert.deepEqual(patch.properties?.plan, {
      description: 'Subscription plan.',
      anyOf: [{ type: 'string', enum: ['free', 'pro', 'enterprise'] }, property(patch, 'plan').anyOf?.[1]],
    });
    for (const name of ['Account', 'AccountInput', 'AccountPatch', 'Problem']) {
      assert.ok(schema(doc, name).description, `${name} lacks a description`);
    }
  });

  test('the component schemas accept and refuse the same values as the engine', () => {
    const valid = componentValidator(doc);
    const body = { name: 'Ada', email: 'ada@example.com', address: { city: 'Paris', country: 'FR' } };
    const stored = {
      id: '3f1c1a8e-2b7d-4c55-9a43-1f2e3d4c5b6a',
      createdAt: '2025-01-02T03:04:05.000Z',
      updatedAt: '2025-01-02T03:04:05.000Z',
      plan: 'free',
      ...body,
    };
    assert.equal(valid('Account', stored), true);
    assert.equal(valid('Account', { ...stored, id: undefined }), false, 'id is required');
    assert.equal(valid('Account', { ...stored, extra: 1 }), false, 'additionalProperties is kept');

    const bodies: unknown[] = [
      body,
      { name: 'Ada', email: 'ada@example.com', plan: 'pro', seats: 3 },
      { name: 'Ada' },
      { name: '', email: 'ada@example.com' },
      { name: 'Ada', email: 'not an email' },
      { name: 'Ada', email: 'ada@example.com', plan: 'gold' },
      { name: 'Ada', email: 'ada@example.com', address: { city: 'Paris', country: 'France' } },
      { name: 'Ada', email: 'ada@example.com', id: stored.id },
    ];
    for (const candidate of bodies) {
      assert.equal(valid('AccountInput', candidate), plan.validate(structuredClone(candidate)), JSON.stringify(candidate));
    }

    assert.equal(valid('AccountPatch', {}), true);
    assert.equal(valid('AccountPatch', { plan: null, address: null }), true);
    assert.equal(valid('AccountPatch', { address: { city: 'Oslo' } }), true);
    assert.equal(valid('AccountInput', { name: 'Ada', email: 'ada@example.com', address: { country: 'NO' } }), false, 'city is required');
    assert.equal(
      valid('AccountPatch', { address: { country: 'NO' } }),
      true,
      'a nested object merges, so its required fields may be left out',
    );
    assert.equal(valid('AccountPatch', { address: { street: null } }), true, 'null removes a nested field');
    assert.equal(valid('AccountPatch', { address: { city: 5 } }), false, 'nested types still hold');
    assert.equal(valid('AccountPatch', { address: { planet: 'Mars' } }), false, 'nested additionalProperties still holds');
    assert.equal(valid('AccountPatch', { plan: 'gold' }), false);
    assert.equal(valid('AccountPatch', { name: 5 }), false);
    assert.equal(valid('AccountPatch', { unknown: 'x' }), false);
  });

  test('one example record per automation, made from the schema: valid in every place it is shown', () => {
    const valid = componentValidator(doc);
    const [record] = schema(doc, 'Account').examples as Record<string, unknown>[];
    assert.deepEqual(record, {
      id: '0193e3c1-5f2a-7b4c-8d6e-9f0a1b2c3d4e',
      createdAt: '2026-01-15T09:30:00.000Z',
      updatedAt: '2026-01-15T09:30:00.000Z',
      name: 'Example name',
      email: 'name@example.com',
      plan: 'free',
      seats: 1,
      address: { street: 'Example street', city: 'Example city' },
    });
    for (const name of ['Account', 'AccountInput', 'AccountPatch', 'AccountPartial']) {
      const examples = schema(doc, name).examples as unknown[];
      assert.equal(examples.length, 1, `${name} has one example`);
      assert.equal(valid(name, examples[0]), true, `${name}'s example is valid: ${JSON.stringify(examples[0])}`);
    }
    assert.deepEqual(schema(doc, 'AccountPartial').examples, [{ id: record?.id, name: 'Example name' }]);
    const got = response(operation(doc, 'getAccount'), '200').content?.['application/json'];
    assert.deepEqual(got?.example, { data: record });
    const page = response(operation(doc, 'listAccounts'), '200').content?.['application/json'];
    assert.deepEqual(page?.example, { data: [record], meta: { next: null, limit: 20 } });
  });

  test('examples come from the schema: its own examples, const, default, enum, format, bounds; none rather than a wrong one', () => {
    const example = (properties: Record<string, unknown>, required: string[] = []) =>
      exampleRecord(makePlan({ name: 'things', filters: [], sort: [], schema: { type: 'object', required, properties } }));
    assert.deepEqual(
      example({
        sku: { type: 'string', pattern: '^[A-Z]{2}-[0-9]{4}$', examples: ['AB-1234'] },
        kind: { const: 'part' },
        size: { type: 'string', enum: ['s', 'm'], default: 'm' },
        color: { type: 'string', enum: ['red', 'blue'] },
        at: { type: 'string', format: 'date-time' },
        site: { type: 'string', format: 'uri' },
        count: { type: 'integer', exclusiveMinimum: 4, multipleOf: 3 },
        ratio: { type: 'number', maximum: -2 },
        code: { type: 'string', minLength: 20, maxLength: 22 },
        tags: { type: 'array', items: { type: 'string', maxLength: 3 }, minItems: 2 },
        flag: { type: ['null', 'boolean'] },
      })?.input,
      {
        sku: 'AB-1234',
        kind: 'part',
        size: 'm',
        color: 'red',
        at: '2026-01-15T09:30:00.000Z',
        site: 'https://example.com/',
        count: 6,
        ratio: -2,
        code: 'Example codexxxxxxxx',
        tags: ['Exa', 'Exa'],
        flag: true,
      },
    );
    assert.deepEqual(example({ sku: { type: 'string', pattern: '^[A-Z]{2}$' }, name: { type: 'string' } })?.input, {
      name: 'Example name',
    });
    assert.equal(example({ sku: { type: 'string', pattern: '^[A-Z]{2}$' } }, ['sku']), null, 'a required pattern with no examples');
    assert.equal(example({ n: { type: 'integer', minimum: 5, maximum: 3 } }, ['n']), null, 'no value fits: none is shown');
  });

  test('the Problem schema follows RFC 9457 plus code and errors', () => {
    const problem = schema(doc, 'Problem');
    assert.deepEqual(problem.required, ['type', 'title', 'status', 'detail', 'code']);
    assert.deepEqual(Object.keys(problem.properties ?? {}), ['type', 'title', 'status', 'detail', 'code', 'errors']);
    assert.equal(property(problem, 'type').format, 'uri-reference');
    assert.equal(property(problem, 'status').type, 'integer');
    const errors = property(problem, 'errors');
    assert.equal(errors.type, 'array');
    assert.deepEqual((errors.items as SchemaObject).required, ['pointer', 'message']);
    const valid = componentValidator(doc);
    const problemBody = {
      type: 'https://thecouncil.dev/problems/validation-failed',
      title: 'Validation failed',
      status: 422,
      detail: 'The body has 1 invalid field.',
      code: 'validation-failed',
      errors: [{ pointer: '/email', message: 'must match format "email"' }],
    };
    assert.equal(valid('Problem', problemBody), true);
    assert.equal(valid('Problem', { ...problemBody, status: '422' }), false);
  });

  test('$defs and definitions are hoisted to components and every ref is rewritten to resolve', async () => {
    const thing = makePlan({
      name: 'things',
      filters: [],
      sort: [],
      schema: {
        $id: 'https://example.com/schemas/thing.json',
        type: 'object',
        properties: {
          name: { type: 'string' },
          alias: { $ref: '#/properties/name' },
          home: { $ref: '#/$defs/street%20address' },
          work: { $ref: '#/$defs/a~1b' },
          legacy: { $ref: '#/definitions/Legacy' },
          parts: { type: 'array', items: { $ref: '#/$defs/Part' } },
        },
        $defs: {
          'street address': { type: 'string' },
          'a/b': { type: 'string' },
          Part: {
            type: 'object',
            properties: { child: { $ref: '#/$defs/Part' }, label: { $ref: '#/$defs/Part/properties/name' }, name: { type: 'string' } },
          },
        },
        definitions: { Legacy: { type: 'integer' } },
      },
    });
    const built = buildOpenApi([thing], options);
    await assertValidOpenApi(built);
    const names = Object.keys(built.components?.schemas ?? {});
    assert.deepEqual(
      names.filter((n) => n.startsWith('Thing_')),
      ['Thing_street_address', 'Thing_a_b', 'Thing_Part', 'Thing_Legacy'],
    );
    const input = schema(built, 'ThingInput');
    assert.equal('$id' in input, false);
    assert.equal('$defs' in input || 'definitions' in input, false);
    assert.deepEqual(input.properties?.alias, { $ref: '#/components/schemas/ThingInput/properties/name' });
    assert.deepEqual(input.properties?.home, { $ref: '#/components/schemas/Thing_street_address' });
    assert.deepEqual(input.properties?.work, { $ref: '#/components/schemas/Thing_a_b' });
    assert.deepEqual(input.properties?.legacy, { $ref: '#/components/schemas/Thing_Legacy' });
    assert.deepEqual(schema(built, 'Thing_Part').properties?.label, { $ref: '#/components/schemas/Thing_Part/properties/name' });
    for (const { ref, at } of refsIn(built)) {
      assert.match(ref, /^#\/components\//, `${ref} at ${at}`);
      assert.notEqual(resolvePointer(built, ref), undefined, `${ref} at ${at} does not resolve`);
    }
  });

  test('refs are rewritten only where a schema is expected, never inside data', () => {
    const rewritten = mapSchemaRefs(
      {
        properties: { a: { $ref: '#/x' }, $ref: { type: 'string' } },
        items: [{ $ref: '#/y' }],
        default: { $ref: '#/x' },
        enum: [{ $ref: '#/x' }],
        examples: [{ $ref: '#/x' }],
        not: { $ref: 'https://example.com/other.json' },
      },
      (ref) => `${ref}!`,
    );
    assert.deepEqual(rewritten, {
      properties: { a: { $ref: '#/x!' }, $ref: { type: 'string' } },
      items: [{ $ref: '#/y!' }],
      default: { $ref: '#/x' },
      enum: [{ $ref: '#/x' }],
      examples: [{ $ref: '#/x' }],
      not: { $ref: 'https://example.com/other.json!' },
    });
  });

  test('two automations share one document without colliding', async () => {
    const tickets = makePlan({ name: 'support-tickets', filters: ['plan'], sort: ['createdAt'] });
    const both = buildOpenApi([plan, tickets], options);
    await assertValidOpenApi(both);
    assert.deepEqual(
      both.tags?.map((t) => t.name),
      ['accounts', 'support-tickets'],
    );
    assert.equal(operations(both).length, 12);
    const ids = operations(both).map((op) => op.operationId);
    assert.equal(new Set(ids).size, ids.length);
    const schemas = Object.keys(both.components?.schemas ?? {});
    for (const name of [
      'Account',
      'AccountInput',
      'AccountPatch',
      'Account_Address',
      'SupportTicket',
      'SupportTicketInput',
      'SupportTicketPatch',
      'SupportTicketPartial',
      'SupportTicket_Address',
    ]) {
      assert.ok(schemas.includes(name), `missing ${name}`);
    }
    assert.deepEqual(operation(both, 'getSupportTicket').tags, ['support-tickets']);
    assert.deepEqual(property(jsonBody(response(operation(both, 'listSupportTickets'), '200')), 'data'), {
      type: 'array',
      items: { anyOf: [{ $ref: '#/components/schemas/SupportTicket' }, { $ref: '#/components/schemas/SupportTicketPartial' }] },
      description: 'The records of this page, in the requested order.',
    });
  });

  test('a body schema no operation takes is left out, unless a ref points into it', () => {
    const readOnly = buildOpenApi([makePlan({ operations: ['list', 'get'] })], options);
    assert.deepEqual(Object.keys(readOnly.components?.schemas ?? {}), [
      'Problem',
      'Account',
      'AccountPartial',
      'Account_Address',
      'Account_CountryCode',
    ]);
    const selfRef = makePlan({
      operations: ['get'],
      schema: { type: 'object', properties: { name: { type: 'string' }, alias: { $ref: '#/properties/name' } } },
    });
    const kept = buildOpenApi([selfRef], options);
    assert.ok(kept.components?.schemas?.AccountInput, 'Account refers into AccountInput');
    assert.equal(kept.components?.schemas?.AccountPatch, undefined);
  });

  test('two automations with the same schema names are refused rather than merged', () => {
    const clash = makePlan({ name: 'customers', singular: 'account' });
    assert.throws(() => buildOpenApi([plan, clash], options), /"Account".*"accounts".*"customers"/);
  });

  test('output is deterministic, independent of plan order, and leaves the plans untouched', () => {
    const tickets = makePlan({ name: 'support-tickets' });
    const before = JSON.stringify([plan, tickets]);
    const first = JSON.stringify(buildOpenApi([plan, tickets], options));
    assert.equal(JSON.stringify(buildOpenApi([plan, tickets], options)), first);
    assert.equal(JSON.stringify(buildOpenApi([tickets, plan], options)), first);
    assert.equal(JSON.stringify([plan, tickets]), before);
  });

  test('the document shares no object with the plans nor with itself', () => {
    const seen = new Set<object>();
    const planObjects = new Set<object>();
    const collect = (node: unknown, into: Set<object>, where: string, unique: boolean) => {
      if (typeof node !== 'object' || node === null) return;
      if (unique) assert.equal(into.has(node), false, `object at ${where} appears twice`);
      into.add(node);
      for (const [key, value] of Object.entries(node)) collect(value, into, `${where}/${key}`, unique);
    };
    collect(plan as unknown as Omit<AutomationPlan, 'validate'>, planObjects, '', false);
    collect(doc, seen, '', true);
    for (const object of seen) {
      assert.equal(planObjects.has(object), false);
      assert.equal(Object.isFrozen(object), false);
    }
  });
});

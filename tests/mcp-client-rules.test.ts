import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { AjvJsonSchemaValidator } from '@modelcontextprotocol/sdk/validation/ajv';
import { compileAutomation } from '../engine/compile/compile.ts';
import type { AutomationPlan, EndpointPlan, JsonSchema } from '../engine/compile/plan.ts';
import { loadManifests } from '../engine/manifest/load.ts';
import type { LoadedManifest } from '../engine/manifest/manifest.ts';
import { type ClientFinding, checkTool } from '../engine/mcp/client-rules.ts';
import { mcpToolIssues } from '../engine/mcp/tool-issues.ts';
import { requestFor, type ToolRequest } from '../engine/mcp/tool-request.ts';
import { toolFor, toolsOf } from '../engine/mcp/tools.ts';

/**
 * Every MCP tool of every example and valid fixture held to the published rules of the
 * model clients that call them (documents/mcp.md): Claude (tool names, property keys),
 * Gemini (names, the schema keywords of its function declarations) and OpenAI function
 * calling in strict mode (closed objects, every property required, optional ones
 * nullable, its keywords and limits); the checker catching each rule; and `council
 * validate --profile gpt` reporting what the tools had to work around at the manifest line.
 */
const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'council.mjs');
const BACKENDS = new Map(
  ['memory', 'postgres', 'redis', 'mongodb', 'opensearch', 'dynamodb'].map((b) => [b, b] as [string, string]).concat([['cache', 'memory']]),
);
const PAGINATION = { defaultLimit: 20, maxLimit: 100, maxResponseChars: 50_000 };

function load(paths: string[]): { loaded: LoadedManifest; plan: AutomationPlan }[] {
  const result = loadManifests(paths, BACKENDS);
  assert.deepEqual(
    result.issues.filter((i) => i.severity === 'error'),
    [],
  );
  return result.manifests.map((loaded) => ({
    loaded,
    plan: compileAutomation(loaded, { pagination: PAGINATION, consequentialWrites: true }),
  }));
}

/** The schemas a tool's input holds, each with its pointer. */
function* nodes(schema: unknown, pointer = ''): Generator<[string, JsonSchema]> {
  if (typeof schema !== 'object' || schema === null) return;
  const node = schema as JsonSchema;
  yield [pointer, node];
  for (const [name, child] of Object.entries((node.properties as object | undefined) ?? {}))
    yield* nodes(child, `${pointer}/properties/${name}`);
  if (node.items) yield* nodes(node.items, `${pointer}/items`);
  for (const [i, choice] of ((node.anyOf as unknown[] | undefined) ?? []).entries()) yield* nodes(choice, `${pointer}/anyOf/${i}`);
}

/** The schema an optional argument takes when it is not null. */
function inner(schema: JsonSchema | undefined): JsonSchema {
  return ((schema?.anyOf as JsonSchema[] | undefined) ?? [])[0] ?? {};
}

function requestOf(call: ToolRequest): Request {
  assert.equal(call.errors, undefined);
  return (call as { request: Request }).request;
}

const nullable = (schema: JsonSchema | undefined) =>
  Array.isArray(schema?.anyOf) && (schema.anyOf as JsonSchema[]).some((c) => c.type === 'null');

describe('MCP tools and the rules of the model clients that call them', () => {
  // Loaded apart: the examples and the fixtures both have a `notes`.
  const examples = [...load([join(ROOT, 'automations')]), ...load([join(ROOT, 'tests', 'fixtures', 'manifests', 'valid')])];

  it('every tool of every example and valid fixture is accepted by Claude, Gemini and OpenAI strict mode', (t) => {
    let count = 0;
    for (const { plan } of examples) {
      for (const endpoint of plan.endpoints) {
        const tool = toolFor(plan, endpoint);
        count++;
        assert.deepEqual(checkTool(tool), [], `${plan.name}: ${tool.name}`);
      }
    }
    t.diagnostic(`${count} tools of ${examples.length} automations checked against 3 clients' rules`);
    assert.ok(count >= 50);
  });

  it('optional arguments take null, required ones do not, and no input carries a default', () => {
    for (const { plan } of examples) {
      const required = new Set((plan.schema.required as string[] | undefined) ?? []);
      for (const endpoint of plan.endpoints) {
        const { name, inputSchema } = toolFor(plan, endpoint);
        for (const [pointer, node] of nodes(inputSchema)) assert.equal(node.default, undefined, `${name} ${pointer}: no default`);
        const properties = inputSchema.properties;
        for (const [key, schema] of Object.entries(properties)) {
          const mustBeGiven =
            key === 'id' ||
            (key === 'if_updated_at' && plan.requireIfMatch) ||
            (['create', 'replace', 'upsert'].includes(endpoint.operation) && required.has(key)) ||
            (endpoint.operation === 'batch' && key === 'operations');
          assert.equal(nullable(schema), !mustBeGiven, `${name}.${key} ${mustBeGiven ? 'takes no null' : 'takes null'}`);
        }
        if (endpoint.operation === 'update') {
          const set = inner(properties.set);
          for (const [key, schema] of Object.entries(set.properties as Record<string, JsonSchema>)) {
            assert.ok(nullable(schema), `${name}.set.${key}: null means unchanged`);
            assert.match(String(schema.description), /Null or left out: unchanged\./);
          }
        }
      }
    }
  });

  it('every outputSchema compiles in the validator MCP clients use, and a read may answer with `fields`', () => {
    const validator = new AjvJsonSchemaValidator();
    const id = '0199a1b2-1234-7abc-8def-0123456789ab';
    for (const { plan } of examples) {
      for (const endpoint of plan.endpoints) {
        const { name, outputSchema } = toolFor(plan, endpoint);
        const check = validator.getValidator(outputSchema);
        const answer =
          endpoint.operation === 'delete'
            ? { deleted: true, id }
            : endpoint.operation === 'list' || endpoint.operation === 'search'
              ? { data: [{ id }], meta: { next: null, limit: 20 } }
              : endpoint.operation === 'get'
                ? { data: { id } }
                : undefined;
        if (answer) assert.equal(check(answer).valid, true, `${name}: ${check(answer).errorMessage}`);
        // A written record comes back whole unless it is longer than the response budget (then cut, see meta.cut), so only `data` is promised.
        if (endpoint.operation === 'create') assert.equal(check({ meta: {} }).valid, false, `${name}: a write answers with data`);
      }
    }
  });

  it('hints say what each call does: updates, replaces, deletes, batches and upserts may destroy data; reads only read', () => {
    for (const { plan } of examples) {
      for (const endpoint of plan.endpoints) {
        const { annotations, outputSchema, name } = toolFor(plan, endpoint);
        const { operation } = endpoint;
        assert.equal(
          annotations.destructiveHint,
          ['update', 'replace', 'delete', 'batch', 'upsert'].includes(operation),
          `${name} destructiveHint`,
        );
        assert.equal(annotations.readOnlyHint, ['list', 'get', 'search'].includes(operation), `${name} readOnlyHint`);
        assert.equal(outputSchema.type, 'object', `${name} outputSchema`);
      }
    }
  });

  it('filters are a nested object keyed by field, so a property named like another’s operator never collides', () => {
    const [{ plan }] = loadText(`name: parts
description: Spare parts.
storage: { backend: memory }
schema:
  type: object
  properties:
    plan: { type: string, description: A plan. }
    plan_gte: { type: integer, description: A number that happens to be called plan_gte. }
endpoints:
  - operation: list
    filters: [plan, plan_gte]
`) as unknown as [{ plan: AutomationPlan }];
    const [list] = toolsOf(plan) as [ReturnType<typeof toolsOf>[number]];
    const filter = inner(list.definition.inputSchema.properties.filter);
    assert.deepEqual(Object.keys(filter.properties as object), ['plan', 'plan_gte']);
    assert.deepEqual(checkTool(list.definition), []);
    const call = requestFor(
      list.endpoint,
      list.input,
      { filter: { plan: { gte: 'm', in: ['a', 'b'], ne: null }, plan_gte: { eq: 3 } }, fields: ['plan'], count: true, limit: null },
      'http://x',
    );
    assert.deepEqual(
      [...new URL(requestOf(call).url).searchParams],
      [
        ['count', 'true'],
        ['fields', 'plan'],
        ['plan[gte]', 'm'],
        ['plan[in]', 'a,b'],
        ['plan_gte', '3'],
      ],
    );
    const comma = requestFor(list.endpoint, list.input, { filter: { plan: { in: ['a,b'] } } }, 'http://x');
    assert.equal(comma.errors?.[0]?.pointer, '/filter/plan/in/0');
  });

  it('arguments are checked against the input schema before any request: types, date-times, unknown names; null or absent alike', () => {
    const [{ plan }] = loadText(`name: events
description: Events.
storage: { backend: memory }
schema:
  type: object
  required: [at]
  properties:
    at: { type: string, format: date-time, description: When. }
    room: { type: string, description: Where. }
endpoints:
  - operation: list
    filters: [at]
  - operation: create
`) as unknown as [{ plan: AutomationPlan }];
    const [list, create] = toolsOf(plan) as [ReturnType<typeof toolsOf>[number], ReturnType<typeof toolsOf>[number]];
    assert.deepEqual(list.check({ filter: { at: { gte: '2026-01-31T09:30:00Z' } } }), []);
    assert.deepEqual(
      list.check({ filter: { at: { gte: 'tomorrow' } }, limit: 0, colour: 'red' }).map((e) => e.pointer),
      ['/colour', '/limit', '/filter/at/gte'],
    );
    assert.deepEqual(create.check({ at: '2026-01-31T09:30:00Z', room: null }), []);
    assert.deepEqual(create.check({ at: '2026-01-31T09:30:00Z' }), [], 'an optional argument may be left out');
    assert.deepEqual(
      create.check({ room: 'B2' }).map((e) => [e.pointer, e.message]),
      [['/at', 'is required']],
    );
  });

  describe('the checker holds a tool to each client’s rules', () => {
    const tool = (inputSchema: object, name = 'listThings') => ({ name, inputSchema: inputSchema as Record<string, unknown> });
    const closed = (properties: Record<string, object>) => ({
      type: 'object',
      properties,
      required: Object.keys(properties),
      additionalProperties: false,
    });
    const rules = (findings: ClientFinding[]) => findings.map((f) => `${f.client}:${f.rule}:${f.pointer}`);

    it('names and property keys: brackets break Claude and Gemini, dots break Gemini', () => {
      assert.deepEqual(rules(checkTool(tool(closed({ 'plan[gte]': { type: 'string' } })))), [
        'claude:property-name:/properties/plan[gte]',
        'gemini:property-name:/properties/plan[gte]',
      ]);
      assert.deepEqual(rules(checkTool(tool(closed({ 'plan.gte': { type: 'string' } })))), ['gemini:property-name:/properties/plan.gte']);
      assert.deepEqual(rules(checkTool(tool(closed({}), 'list things!'))).sort(), [
        'claude:tool-name:',
        'gemini:keyword:',
        'gemini:tool-name:',
        'openai:tool-name:',
      ]);
      assert.deepEqual(rules(checkTool(tool(closed({ a: { type: 'string' } }), '1list'))), ['gemini:tool-name:']);
    });

    it('OpenAI strict: closed objects, every property required, no default', () => {
      assert.deepEqual(rules(checkTool(tool({ type: 'object', properties: { a: { type: 'string' } } }))), [
        'openai:closed-object:',
        'openai:closed-object:',
      ]);
      assert.deepEqual(rules(checkTool(tool(closed({ a: { type: 'integer', default: 3 } })))), ['openai:keyword:/properties/a']);
      assert.deepEqual(rules(checkTool(tool(closed({ a: { type: 'string', format: 'uri' } })))), [
        'gemini:keyword:/properties/a',
        'openai:keyword:/properties/a',
      ]);
      let deep: object = { type: 'string' };
      // Eleven objects, each inside the one before.
      for (let i = 0; i < 11; i++) deep = closed({ next: deep });
      assert.deepEqual(rules(checkTool(tool(deep as object))), [`openai:limit:${'/properties/next'.repeat(10)}`]);
    });

    it('Gemini: one type name, string enums, few formats, no $ref, const or open objects', () => {
      assert.deepEqual(rules(checkTool(tool(closed({ a: { type: ['string', 'null'] } })))), ['gemini:keyword:/properties/a']);
      assert.deepEqual(rules(checkTool(tool(closed({ a: { $ref: '#/$defs/A' } })))), [
        'gemini:keyword:/properties/a',
        'gemini:keyword:/properties/a',
      ]);
      assert.deepEqual(rules(checkTool(tool(closed({ a: { type: 'integer', enum: [1, 2] } })))), ['gemini:keyword:/properties/a']);
      assert.deepEqual(rules(checkTool(tool(closed({ a: { type: 'string', format: 'email' } })))), ['gemini:keyword:/properties/a']);
      assert.deepEqual(rules(checkTool(tool(closed({ a: { type: 'string', const: 'x' } })))), ['gemini:keyword:/properties/a']);
      assert.deepEqual(rules(checkTool(tool(closed({ a: { type: 'object', additionalProperties: {} } })))).sort(), [
        'gemini:keyword:/properties/a',
        'gemini:keyword:/properties/a',
        'openai:closed-object:/properties/a',
      ]);
      assert.deepEqual(rules(checkTool(tool(closed({ a: { anyOf: [{ type: 'string' }, { type: 'null' }] } })))), []);
    });
  });

  describe('what the tools work around, reported by validate at the manifest line', () => {
    let dir: string;
    before(() => {
      dir = mkdtempSync(join(tmpdir(), 'council-mcp-rules-'));
      mkdirSync(join(dir, 'automations'));
    });
    after(() => rmSync(dir, { recursive: true, force: true }));

    const AWKWARD = `name: orders
description: Orders of a shop.
storage: { backend: memory }
schema:
  type: object
  properties:
    lines:
      type: array
      description: The order lines.
      items:
        type: object
        properties:
          unit-price: { type: integer, description: Price per unit in cents. }
    metadata: { type: object, description: Anything else. }
    anything: { description: Any JSON value. }
    tree: { $ref: "#/$defs/Node" }
  $defs:
    Node:
      type: object
      description: A node and its children.
      properties:
        children: { type: array, items: { $ref: "#/$defs/Node" }, description: The children. }
endpoints:
  - operation: create
  - operation: update
`;

    it('a key Gemini refuses, a free-form object, an untyped value and a schema that refers to itself', () => {
      const [{ loaded, plan }] = loadText(AWKWARD) as [{ loaded: LoadedManifest; plan: AutomationPlan }];
      for (const { definition } of toolsOf(plan)) assert.deepEqual(checkTool(definition), [], `${definition.name} still accepted by all`);
      const issues = mcpToolIssues(loaded, plan, 'warning').map((i) => [i.code, i.line, i.col, i.severity]);
      assert.deepEqual(issues, [
        ['mcp-property-name', 13, 11, 'warning'],
        ['mcp-schema-unsupported', 14, 5, 'warning'],
        ['mcp-schema-unsupported', 15, 5, 'warning'],
        ['mcp-schema-unsupported', 22, 34, 'warning'],
      ]);
      const [create] = toolsOf(plan) as [ReturnType<typeof toolsOf>[number]];
      const call = requestFor(create.endpoint, create.input, { metadata: '{"a": [1]}', lines: [{ 'unit-price': 5 }] }, 'http://x');
      assert.equal(requestOf(call).method, 'POST');
    });

    it('objects nested past what OpenAI strict mode takes', () => {
      let property = '{ type: string, description: The bottom. }';
      for (let i = 0; i < 10; i++) property = `{ type: object, description: Level ${i}., properties: { next: ${property} } }`;
      const [{ loaded, plan }] = loadText(
        `name: deep\ndescription: Deep.\nstorage: { backend: memory }\nschema:\n  type: object\n  properties:\n    next: ${property}\nendpoints:\n  - operation: create\n`,
      ) as [{ loaded: LoadedManifest; plan: AutomationPlan }];
      const issues = mcpToolIssues(loaded, plan, 'error');
      assert.deepEqual(
        issues.map((i) => i.code),
        ['mcp-schema-too-large'],
      );
      assert.equal(issues[0]?.line, 7);
    });

    it('a tool name a client refuses is reported at the name', () => {
      const [{ loaded, plan }] = loadText(AWKWARD) as [{ loaded: LoadedManifest; plan: AutomationPlan }];
      const renamed: AutomationPlan = {
        ...plan,
        endpoints: plan.endpoints.map((e): EndpointPlan => ({ ...e, operationId: `${e.operationId}-v2` })),
      };
      const issues = mcpToolIssues(loaded, renamed, 'error').filter((i) => i.code === 'mcp-tool-name');
      assert.deepEqual(
        issues.map((i) => [i.line, i.col]),
        [[1, 7]],
      );
      assert.match(issues[0]?.message ?? '', /Gemini refuses this tool/);
    });

    it('`council validate` warns; `--profile gpt` makes it an error (exit 1)', () => {
      writeFileSync(join(dir, 'automations', 'orders.yaml'), AWKWARD);
      const run = (...args: string[]) => spawnSync(process.execPath, [BIN, 'validate', ...args], { cwd: dir, encoding: 'utf8' });
      const plain = run();
      assert.equal(plain.status, 0, plain.stderr);
      assert.match(plain.stderr, /orders\.yaml:14:5: warning: property "metadata" is an object without declared properties/);
      const strict = run('--profile', 'gpt');
      assert.equal(strict.status, 1);
      assert.match(
        strict.stderr,
        /orders\.yaml:13:11: property "lines\.unit-price" is named with characters Gemini does not take in tool inputs/,
      );
    });
  });
});

const scratch = mkdtempSync(join(tmpdir(), 'council-mcp-text-'));
after(() => rmSync(scratch, { recursive: true, force: true }));

/** Loads one manifest text from a file of its own. */
function loadText(text: string) {
  const sub = mkdtempSync(join(scratch, 'm-'));
  writeFileSync(join(sub, 'manifest.yaml'), text);
  return load([join(sub, 'manifest.yaml')]);
}

/**
 * What the model clients that call MCP tools accept in a tool definition, checked one
 * client at a time (see documents/mcp.md for the sources):
 *
 * - **Claude** (Anthropic API, Claude Code): tool names `^[a-zA-Z0-9_-]{1,64}$`; every
 *   property key in `input_schema` `^[a-zA-Z0-9_.-]{1,64}$`, checked over the whole
 *   `tools` array, so one bad key fails every call of a session.
 * - **Gemini** (function declarations): names of letters, digits and `_`, starting with
 *   a letter or `_`, up to 64; property names of letters, digits and `_`; the OpenAPI 3.0
 *   subset of its `Schema` (one `type`, string-only `enum`, few formats, objects with
 *   properties, no `$ref`, `const`, `oneOf`, `allOf`, `patternProperties`...).
 * - **OpenAI function calling, strict mode**: names `^[a-zA-Z0-9_-]{1,64}$`; an object
 *   root; every object `additionalProperties: false` with every property in `required`
 *   (an optional one as a union with null); the keywords of its supported subset, no
 *   `default`; at most 10 levels of nested objects, 5,000 properties and 1,000 enum values.
 *
 * Pure: used by the tests over every example and by `council validate --profile gpt`.
 */
export type ModelClient = 'claude' | 'gemini' | 'openai';

export interface ClientFinding {
  readonly client: ModelClient;
  readonly rule: 'tool-name' | 'property-name' | 'keyword' | 'closed-object' | 'limit';
  /** JSON Pointer into the tool's input schema (`''`: the root); empty for the name. */
  readonly pointer: string;
  readonly message: string;
}

/** The part of an MCP tool definition the clients read. */
export interface ToolShape {
  readonly name: string;
  readonly inputSchema: Record<string, unknown>;
}

export const CLIENT_RULES = {
  claude: { toolName: /^[a-zA-Z0-9_-]{1,64}$/, propertyKey: /^[a-zA-Z0-9_.-]{1,64}$/ },
  gemini: { toolName: /^[A-Za-z_][A-Za-z0-9_]{0,63}$/, propertyKey: /^[A-Za-z0-9_]{1,64}$/ },
  openai: { toolName: /^[a-zA-Z0-9_-]{1,64}$/, maxDepth: 10, maxProperties: 5000, maxEnumValues: 1000 },
} as const;

/** The fields of Gemini's `Schema` (an OpenAPI 3.0 subset); anything else is refused as an unknown field. */
const GEMINI_KEYWORDS = new Set([
  'type',
  'format',
  'title',
  'description',
  'nullable',
  'enum',
  'properties',
  'required',
  'items',
  'minItems',
  'maxItems',
  'minLength',
  'maxLength',
  'pattern',
  'minimum',
  'maximum',
  'minProperties',
  'maxProperties',
  'anyOf',
  'propertyOrdering',
  'example',
  'default',
  'additionalProperties',
]);
const GEMINI_TYPES = new Set(['string', 'number', 'integer', 'boolean', 'array', 'object', 'null']);
const GEMINI_FORMATS: Readonly<Record<string, readonly string[]>> = {
  string: ['enum', 'date-time'],
  integer: ['int32', 'int64'],
  number: ['float', 'double'],
};

/** The keywords OpenAI's strict mode supports; `default` is refused outright. */
const OPENAI_KEYWORDS = new Set([
  'type',
  'description',
  'title',
  'enum',
  'const',
  'properties',
  'required',
  'additionalProperties',
  'items',
  'anyOf',
  '$ref',
  '$defs',
  'minLength',
  'maxLength',
  'pattern',
  'format',
  'minimum',
  'maximum',
  'exclusiveMinimum',
  'exclusiveMaximum',
  'multipleOf',
  'minItems',
  'maxItems',
]);
const OPENAI_FORMATS = new Set(['date-time', 'time', 'date', 'duration', 'email', 'hostname', 'ipv4', 'ipv6', 'uuid']);

/** Every rule of every client that the tool breaks; none for a tool all of them accept. */
export function checkTool(tool: ToolShape): ClientFinding[] {
  const findings: ClientFinding[] = [];
  const add = (client: ModelClient, rule: ClientFinding['rule'], pointer: string, message: string) =>
    findings.push({ client, rule, pointer, message });
  for (const client of ['claude', 'gemini', 'openai'] as const) {
    if (!CLIENT_RULES[client].toolName.test(tool.name)) {
      add(client, 'tool-name', '', `tool name "${tool.name}" must match ${CLIENT_RULES[client].toolName.source}`);
    }
  }
  const schema = tool.inputSchema;
  if (schema.type !== 'object') {
    for (const client of ['claude', 'gemini', 'openai'] as const) add(client, 'keyword', '', 'the input schema must be `type: object`');
  }
  const totals = { properties: 0, enumValues: 0 };
  walk(schema, '', 0, totals, add);
  const { maxProperties, maxEnumValues } = CLIENT_RULES.openai;
  if (totals.properties > maxProperties)
    add('openai', 'limit', '', `${totals.properties} properties in all; strict mode takes at most ${maxProperties}`);
  if (totals.enumValues > maxEnumValues)
    add('openai', 'limit', '', `${totals.enumValues} enum values in all; strict mode takes at most ${maxEnumValues}`);
  return findings;
}

type Add = (client: ModelClient, rule: ClientFinding['rule'], pointer: string, message: string) => void;

function walk(node: unknown, pointer: string, depth: number, totals: { properties: number; enumValues: number }, add: Add): void {
  if (typeof node !== 'object' || node === null || Array.isArray(node)) {
    add('gemini', 'keyword', pointer, 'a schema must be an object');
    add('openai', 'keyword', pointer, 'a schema must be an object');
    return;
  }
  const schema = node as Record<string, unknown>;
  for (const keyword of Object.keys(schema)) {
    if (!GEMINI_KEYWORDS.has(keyword)) add('gemini', 'keyword', pointer, `Gemini does not accept the keyword "${keyword}"`);
    if (!OPENAI_KEYWORDS.has(keyword)) add('openai', 'keyword', pointer, `strict mode does not accept the keyword "${keyword}"`);
  }
  checkType(schema, pointer, add);
  if (Array.isArray(schema.enum)) totals.enumValues += schema.enum.length;
  const isObject = schema.type === 'object';
  const level = isObject ? depth + 1 : depth;
  if (isObject) checkObject(schema, pointer, level, add);
  const properties = schema.properties;
  if (typeof properties === 'object' && properties !== null) {
    for (const [key, child] of Object.entries(properties)) {
      totals.properties++;
      const at = `${pointer}/properties/${pointerSegment(key)}`;
      for (const client of ['claude', 'gemini'] as const) {
        const rule = CLIENT_RULES[client].propertyKey;
        if (!rule.test(key)) add(client, 'property-name', at, `property key "${key}" must match ${rule.source}`);
      }
      walk(child, at, level, totals, add);
    }
  }
  if (schema.items !== undefined) walk(schema.items, `${pointer}/items`, level, totals, add);
  if (Array.isArray(schema.anyOf)) {
    if (pointer === '') add('openai', 'keyword', pointer, 'the root of a strict schema must not be an anyOf');
    schema.anyOf.forEach((choice, i) => {
      walk(choice, `${pointer}/anyOf/${i}`, depth, totals, add);
    });
  }
}

function checkType(schema: Record<string, unknown>, pointer: string, add: Add): void {
  const { type, format } = schema;
  if (type === undefined) {
    if (!Array.isArray(schema.anyOf)) add('gemini', 'keyword', pointer, 'Gemini needs a `type` (or an `anyOf`)');
  } else if (typeof type !== 'string' || !GEMINI_TYPES.has(type)) {
    add('gemini', 'keyword', pointer, `Gemini takes one type name, not ${JSON.stringify(type)}`);
  }
  if (Array.isArray(schema.enum) && (type !== 'string' || schema.enum.some((v) => typeof v !== 'string'))) {
    add('gemini', 'keyword', pointer, 'Gemini takes `enum` on strings only');
  }
  if (typeof format === 'string') {
    if (!(GEMINI_FORMATS[String(type)] ?? []).includes(format))
      add('gemini', 'keyword', pointer, `Gemini does not take format "${format}" here`);
    if (!OPENAI_FORMATS.has(format)) add('openai', 'keyword', pointer, `strict mode does not take format "${format}"`);
  }
  if (schema.additionalProperties !== undefined && schema.additionalProperties !== false) {
    add('gemini', 'keyword', pointer, 'Gemini takes `additionalProperties` only as false');
  }
}

/** OpenAI strict: closed, everything required; Gemini: an object has properties. */
function checkObject(schema: Record<string, unknown>, pointer: string, level: number, add: Add): void {
  const keys = Object.keys((schema.properties as object | undefined) ?? {});
  if (keys.length === 0) add('gemini', 'keyword', pointer, 'Gemini needs an object to declare its properties');
  if (schema.additionalProperties !== false)
    add('openai', 'closed-object', pointer, 'strict mode needs `additionalProperties: false` on every object');
  const required = new Set(Array.isArray(schema.required) ? (schema.required as string[]) : []);
  const missing = keys.filter((k) => !required.has(k));
  if (missing.length) {
    add(
      'openai',
      'closed-object',
      pointer,
      `strict mode needs every property in \`required\` (optional ones nullable); missing: ${missing.join(', ')}`,
    );
  }
  for (const name of required) {
    if (!keys.includes(name)) add('gemini', 'keyword', pointer, `\`required\` names "${name}", which is not a property`);
  }
  const { maxDepth } = CLIENT_RULES.openai;
  if (level === maxDepth + 1)
    add('openai', 'limit', pointer, `objects nest ${level} levels deep here; strict mode takes at most ${maxDepth}`);
}

function pointerSegment(key: string): string {
  return key.replace(/~/g, '~0').replace(/\//g, '~1');
}

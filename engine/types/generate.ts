import { compile } from 'json-schema-to-typescript';
import { type BatchOperation, batchOperations } from '../compile/batch-operations.ts';
import { type AutomationPlan, ENGINE_FIELDS, type JsonSchema } from '../compile/plan.ts';
import { decodeSegment, localRefSegments, mapSchemaRefs } from '../openapi/index.ts';
import { type RelationTypes, relationTypes } from './relation-types.ts';

type CompilableSchema = Parameters<typeof compile>[0];

/**
 * TypeScript declarations for one automation's records: `interface Account` (a record as
 * returned, with `id`, `createdAt` and `updatedAt`) extending `interface AccountInput`
 * (the body of create and replace), plus a declaration for each named type they use.
 * Deterministic, and never reads a file or the network: only same-document refs occur
 * in a compiled plan's schema.
 *
 * `source` names the manifest in the banner (default: the plan's file); pass a path
 * relative to the project so generated files do not depend on where it was checked out.
 *
 * The record has an optional property per relation (`?expand=`): the referred automation's
 * record type, imported from its file beside this one (`./accounts.js`, as `council types`
 * writes them) when `related` has its plan; else an object with its `id`.
 *
 * @example await writeFile('types/accounts.ts', await generateTypes(plan, 'automations/accounts.yaml', { related: plans }));
 */
export async function generateTypes(
  plan: AutomationPlan,
  source: string = plan.file,
  options: { readonly related?: readonly AutomationPlan[] } = {},
): Promise<string> {
  const record = plan.names.singular;
  const relations = relationTypes(plan, options.related ?? [], declaredNames(plan));
  const types = await compile(typesSchema(plan, relations) as CompilableSchema, record, {
    bannerComment: [banner(source), ...relations.imports].join('\n'),
    $refOptions: { resolve: { external: false } },
    // Tuples for every `maxItems` are precise but unreadable; records keep plain arrays.
    ignoreMinAndMaxItems: true,
    unreachableDefinitions: false,
    style: { singleQuote: true, trailingComma: 'all', printWidth: 120 },
  });
  return types + batchTypes(plan);
}

/**
 * With a batch endpoint: `TicketBatchOperation`, one item of `POST /tickets/batch`'s
 * `operations` (the writes the automation declares), and `TicketBatchResult`, one of its answers.
 */
function batchTypes(plan: AutomationPlan): string {
  if (!plan.endpoints.some((e) => e.operation === 'batch')) return '';
  const { singular } = plan.names;
  const shapes: Record<BatchOperation, string> = {
    create: `{ op: 'create'; data: ${singular}Input }`,
    update: `{ op: 'update'; id: string; data: Partial<${singular}Input>; ifMatch?: string }`,
    replace: `{ op: 'replace'; id: string; data: ${singular}Input; ifMatch?: string }`,
    delete: `{ op: 'delete'; id: string; ifMatch?: string }`,
  };
  const ops = batchOperations(plan);
  return [
    '',
    `/** One operation of \`POST ${plan.basePath}/batch\` (\`{ operations: ${singular}BatchOperation[] }\`). */`,
    `export type ${singular}BatchOperation =\n${ops.map((op) => `  | ${shapes[op]}`).join('\n')};`,
    '',
    `/** One result of \`POST ${plan.basePath}/batch\`, in the order of the operations. */`,
    `export interface ${singular}BatchResult {`,
    `  op: ${ops.map((op) => `'${op}'`).join(' | ')};`,
    '  status: number;',
    '  id?: string;',
    `  data?: ${singular};`,
    '  problem?: { code: string; detail: string; errors?: { pointer: string; message: string }[] };',
    '}',
    '',
  ].join('\n');
}

/**
 * The record schema as the root, extending the resource schema kept under `$defs`. Refs
 * into the resource schema's root (`#`, `#/properties/...`) are redirected there, since
 * the root is now the record; `definitions` join `$defs` (the generator takes only one).
 */
function typesSchema(plan: AutomationPlan, relations: RelationTypes): JsonSchema {
  const { singular } = plan.names;
  const defs = defKeys(plan.schema, `${singular}Input`);
  const rewrite = (ref: string): string => {
    const segments = localRefSegments(ref);
    if (!segments) return ref;
    const [keyword, key, ...rest] = segments;
    const moved = keyword !== undefined && key !== undefined ? defs.keys.get(`${keyword}/${decodeSegment(key)}`) : undefined;
    if (moved !== undefined) return `#/$defs/${encodeSegment(moved)}${rest.map((s) => `/${s}`).join('')}`;
    return `#/$defs/${defs.input}${ref.slice(1)}`;
  };
  const { $defs, definitions, $id: _id, $schema: _dialect, title: _title, ...resource } = mapSchemaRefs(plan.schema, rewrite) as JsonSchema;
  const hoisted: JsonSchema = {};
  for (const [keyword, map] of [
    ['$defs', $defs],
    ['definitions', definitions],
  ] as const) {
    for (const [key, def] of Object.entries((map ?? {}) as JsonSchema)) hoisted[defs.keys.get(`${keyword}/${key}`) ?? key] = def;
  }
  return {
    title: singular,
    description: `One ${singular} as the API returns it: the input fields plus the ones the server manages.`,
    type: 'object',
    extends: [{ $ref: `#/$defs/${defs.input}` }],
    properties: {
      id: { type: 'string', format: 'uuid', description: 'Unique id, set by the server.' },
      createdAt: { type: 'string', format: 'date-time', description: 'When the record was created (ISO 8601), set by the server.' },
      updatedAt: { type: 'string', format: 'date-time', description: 'When the record was last changed (ISO 8601), set by the server.' },
      ...relations.properties,
    },
    required: [...ENGINE_FIELDS],
    additionalProperties: false,
    $defs: {
      ...hoisted,
      [defs.input]: {
        title: `${singular}Input`,
        ...(typeof resource.description === 'string'
          ? {}
          : { description: `The fields of one ${singular}, as sent to create or replace it.` }),
        ...resource,
      },
    },
  };
}

/**
 * Keys under the merged `$defs`: `$defs/K` keeps `K`; `definitions/K` keeps it too unless
 * taken, then becomes `definitions_K`. `input` is a free key for the resource schema itself.
 */
function defKeys(schema: JsonSchema, wanted: string): { keys: Map<string, string>; input: string } {
  const keys = new Map<string, string>();
  const taken = new Set<string>();
  for (const keyword of ['$defs', 'definitions'] as const) {
    const map = schema[keyword];
    for (const key of typeof map === 'object' && map !== null ? Object.keys(map) : []) {
      let name = key;
      while (taken.has(name)) name = `${keyword.replace('$', '')}_${name}`;
      taken.add(name);
      keys.set(`${keyword}/${key}`, name);
    }
  }
  let input = wanted;
  while (taken.has(input)) input = `_${input}`;
  return { keys, input };
}

/** The type names this file declares: the record, its input and the resource schema's definitions. */
function declaredNames(plan: AutomationPlan): Set<string> {
  const { singular } = plan.names;
  const { keys, input } = defKeys(plan.schema, `${singular}Input`);
  return new Set([singular, input, ...keys.values()]);
}

function encodeSegment(key: string): string {
  return encodeURIComponent(key.replace(/~/g, '~0').replace(/\//g, '~1'));
}

function banner(file: string): string {
  const safe = file.replace(/\*\//g, '*\\/');
  return `/**\n * Generated by theCouncil from ${safe}.\n * Do not edit: change the manifest and regenerate.\n */`;
}

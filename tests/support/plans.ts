import type { AutomationPlan, EndpointPlan, FilterPlan, HttpMethod, JsonSchema, Operation } from '../../engine/compile/plan.ts';
import { fieldKind, fieldsOf } from '../../engine/schema/fields.ts';
import { createRecordAjv } from '../../engine/schema/record-ajv.ts';

/** The resource schema of the `accounts` automation: a `$defs` ref, a nested one, an enum with a default. */
export const accountSchema: JsonSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  description: 'A customer account.',
  additionalProperties: false,
  required: ['name', 'email'],
  properties: {
    name: { type: 'string', minLength: 1, maxLength: 200, description: 'Display name of the account.' },
    email: { type: 'string', format: 'email', description: 'Where invoices are sent.' },
    plan: { type: 'string', enum: ['free', 'pro', 'enterprise'], default: 'free', description: 'Subscription plan.' },
    seats: { type: 'integer', minimum: 1 },
    address: { $ref: '#/$defs/Address' },
  },
  $defs: {
    Address: {
      type: 'object',
      additionalProperties: false,
      required: ['city'],
      properties: {
        street: { type: 'string' },
        city: { type: 'string' },
        country: { $ref: '#/$defs/CountryCode' },
      },
    },
    CountryCode: { type: 'string', pattern: '^[A-Z]{2}$', description: 'ISO 3166-1 alpha-2 code.' },
  },
};

const ALL_OPERATIONS: readonly Operation[] = ['list', 'get', 'create', 'update', 'replace', 'delete'];

export interface PlanOverrides extends Partial<Omit<AutomationPlan, 'names' | 'storage' | 'validate'>> {
  /** Kebab-case singular when it is not the name minus a trailing `s`. */
  readonly singular?: string;
  /** Operations to declare when `endpoints` is not given, in this order. Default: all six. */
  readonly operations?: readonly Operation[];
  readonly filters?: readonly string[];
  readonly sort?: readonly string[];
  /** Every endpoint public (no API key), as `access: { public: true }` makes them. */
  readonly public?: boolean;
}

/**
 * A realistic compiled plan, deep-frozen like the compiler's: `accounts` by default, with
 * every operation, `filters: [plan]` and `sort: [name, createdAt]`. Names, paths and
 * operation ids follow `name` (and `singular`), so two plans never clash by accident.
 */
export function makePlan(overrides: PlanOverrides = {}): AutomationPlan {
  const name = overrides.name ?? 'accounts';
  const singular = pascal(overrides.singular ?? name.replace(/s$/, ''));
  const plural = pascal(name);
  const schema = overrides.schema ?? accountSchema;
  const filters = overrides.filters ?? ['plan'];
  const sort = overrides.sort ?? ['name', 'createdAt'];
  const basePath = `/${name}`;
  const endpoints =
    overrides.endpoints ??
    (overrides.operations ?? ALL_OPERATIONS).map((operation) => {
      const made = endpoint(operation, { basePath, singular, plural, schema, filters, sort });
      return overrides.public ? { ...made, access: { ...made.access, public: true } } : made;
    });
  const plan: AutomationPlan = {
    name,
    description: overrides.description ?? `Customer ${name} of the shop, one per paying customer.`,
    basePath,
    file: overrides.file ?? `automations/${name}.yaml`,
    names: { singular, plural },
    schema,
    references: [],
    version: { number: 1, latest: true },
    earlier: [],
    storage: {
      backend: 'memory',
      connection: 'memory',
      spec: {
        automation: name,
        collection: name.replace(/-/g, '_'),
        fields: fieldsOf(schema),
        filterable: filters,
        sortable: sort,
      },
    },
    endpoints,
    pagination: overrides.pagination ?? { defaultLimit: 20, maxLimit: 100, maxResponseChars: 50_000, maxBatch: 100 },
    requireIfMatch: overrides.requireIfMatch ?? false,
    validate: createRecordAjv().compile(structuredClone(schema)),
  };
  const { validate, ...data } = plan;
  return { ...deepFreeze(data), validate };
}

const METHODS: Record<Operation, HttpMethod> = {
  list: 'GET',
  get: 'GET',
  create: 'POST',
  update: 'PATCH',
  replace: 'PUT',
  delete: 'DELETE',
  batch: 'POST',
  upsert: 'PUT',
  search: 'GET',
};

function endpoint(
  operation: Operation,
  at: { basePath: string; singular: string; plural: string; schema: JsonSchema; filters: readonly string[]; sort: readonly string[] },
): EndpointPlan {
  const collection = operation === 'list' || operation === 'create';
  const properties = (at.schema.properties ?? {}) as Record<string, JsonSchema>;
  const filters: FilterPlan[] =
    operation === 'list'
      ? at.filters.map((field) => ({
          field,
          kind: fieldKind(properties[field], at.schema) as FilterPlan['kind'],
          operators: ['eq'],
          schema: properties[field] ?? {},
          check: createRecordAjv().compile({ type: fieldKind(properties[field], at.schema) }),
        }))
      : [];
  return {
    operation,
    method: METHODS[operation],
    path: collection ? at.basePath : `${at.basePath}/{id}`,
    operationId: `${operation}${operation === 'list' ? at.plural : at.singular}`,
    summary: `${operation[0]?.toUpperCase()}${operation.slice(1)} ${operation === 'list' ? at.basePath.slice(1) : `one ${at.singular}`}`,
    consequential: operation !== 'list' && operation !== 'get',
    // One endpoint carries its own description; the others get the generated one.
    ...(operation === 'get' ? { description: 'Look up one record by id before changing it.' } : {}),
    filters,
    searchFields: [],
    access: {
      public: false,
      scopes: [
        `${at.basePath.slice(1)}:${operation === 'list' || operation === 'get' ? 'read' : operation === 'delete' ? 'delete' : 'write'}`,
      ],
    },
    sort: operation === 'list' ? at.sort : [],
  };
}

function pascal(kebab: string): string {
  return kebab
    .split('-')
    .map((word) => `${word[0]?.toUpperCase() ?? ''}${word.slice(1)}`)
    .join('');
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    for (const child of Object.values(value)) deepFreeze(child);
    Object.freeze(value);
  }
  return value;
}

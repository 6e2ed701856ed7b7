import { isDeepStrictEqual } from 'node:util';
import type { JsonSchema, Operation } from '../schema/json-schema.ts';
import type { Manifest } from '../schema/manifest-shape.ts';
import { referencesOf } from '../schema/references.ts';
import { type AutomationDraft, FIELD_TYPES, type FieldDraft, type FieldType, OPERATIONS, relationName } from './scaffold.ts';
import type { YamlEdit, YamlPath } from './yaml-edit.ts';

/** The field attributes a form sets; every other keyword of a property (format, pattern, default...) is left as it is. */
const FORM_ATTRIBUTES = ['type', 'enum', 'maxLength', 'minimum', 'maximum', 'description'] as const;

/** A property a form can show: one scalar type. Others (objects, lists, several types) stay YAML-only. */
export function formField(schema: JsonSchema): schema is JsonSchema & { type: FieldType } {
  return typeof schema.type === 'string' && (FIELD_TYPES as readonly string[]).includes(schema.type);
}

/** The draft a manifest is, as far as a form shows it: what {@link draftEdits} compares the form's draft with. */
export function draftOfManifest(manifest: Manifest): AutomationDraft {
  const schema = manifest.schema as JsonSchema;
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const required = new Set((schema.required as string[] | undefined) ?? []);
  const refersTo = new Map(referencesOf(manifest).map((r) => [r.field, r.automation]));
  const fields = Object.entries(properties)
    .filter(([, p]) => formField(p))
    .map(
      ([name, p]): FieldDraft => ({
        name,
        type: p.type as FieldType,
        required: required.has(name),
        ...(typeof p.description === 'string' ? { description: p.description } : {}),
        ...(Array.isArray(p.enum) ? { enum: p.enum.map(String) } : {}),
        ...(typeof p.maxLength === 'number' ? { maxLength: p.maxLength } : {}),
        ...(typeof p.minimum === 'number' ? { minimum: p.minimum } : {}),
        ...(typeof p.maximum === 'number' ? { maximum: p.maximum } : {}),
        ...(refersTo.has(name) ? { refersTo: refersTo.get(name) } : {}),
      }),
    );
  const list = manifest.endpoints.find((e) => e.operation === 'list');
  const search = manifest.endpoints.find((e) => e.operation === 'search');
  return {
    name: manifest.name,
    description: manifest.description,
    backend: manifest.storage.backend,
    ...(manifest.storage.connection ? { connection: manifest.storage.connection } : {}),
    fields,
    operations: manifest.endpoints.map((e) => e.operation),
    filters: (list?.filters ?? []).map((f) => (typeof f === 'string' ? f : f.field)),
    sort: [...(list?.sort ?? [])],
    searchFields: [...(search?.fields ?? [])],
    public: manifest.access?.public === true,
    ...(manifest.rateLimit ? { rateLimit: manifest.rateLimit } : {}),
  };
}

/**
 * The edits that turn `manifest` into what the form's `draft` says, and nothing more: a
 * field the form did not change gets no edit, a property the form does not show (an
 * object, a list) is kept, and so are keywords the form has no input for. Endpoints are
 * edited in place; removed ones are deleted, new ones appended.
 */
export function draftEdits(manifest: Manifest, draft: AutomationDraft): YamlEdit[] {
  const edits: YamlEdit[] = [];
  const set = (path: YamlPath, value: unknown, current: unknown) => change(edits, path, value, current);
  set(['description'], draft.description, manifest.description);
  set(['storage', 'backend'], draft.backend, manifest.storage.backend);
  set(['storage', 'connection'], draft.connection, manifest.storage.connection);
  // `public: [list, get]` (some operations) is not something the form shows: kept as written.
  if (!Array.isArray(manifest.access?.public)) {
    if (draft.public && manifest.access?.public !== true) {
      edits.push(
        manifest.access ? { op: 'set', path: ['access', 'public'], value: true } : { op: 'set', path: ['access'], value: { public: true } },
      );
    } else if (!draft.public && manifest.access?.public === true) {
      edits.push(
        Object.keys(manifest.access).length === 1 ? { op: 'delete', path: ['access'] } : { op: 'delete', path: ['access', 'public'] },
      );
    }
  }
  set(['rateLimit'], draft.rateLimit, manifest.rateLimit);

  const schema = manifest.schema as JsonSchema;
  // A schema in another file (`$ref`) is edited there; the form leaves it alone.
  if (typeof schema.$ref === 'string') return [...edits, ...endpointEdits(manifest, draft)];
  const properties = (schema.properties ?? {}) as Record<string, JsonSchema>;
  const shown = new Set(
    Object.entries(properties)
      .filter(([, p]) => formField(p))
      .map(([name]) => name),
  );
  const wanted = new Map(draft.fields.map((f) => [f.name, f]));
  for (const name of shown) if (!wanted.has(name)) edits.push({ op: 'delete', path: ['schema', 'properties', name] });
  for (const field of draft.fields) {
    const current = properties[field.name];
    const next = fieldSchema(field);
    if (!current) {
      edits.push({ op: 'set', path: ['schema', 'properties', field.name], value: next });
      continue;
    }
    for (const attribute of FORM_ATTRIBUTES) set(['schema', 'properties', field.name, attribute], next[attribute], current[attribute]);
    // A field that comes to refer to a record holds its id: a uuid, unless it says otherwise already.
    if (field.refersTo !== undefined && current.format === undefined)
      edits.push({ op: 'set', path: ['schema', 'properties', field.name, 'format'], value: 'uuid' });
  }
  const before = (schema.required as string[] | undefined) ?? [];
  const required = [
    ...before.filter((name) => !shown.has(name) || wanted.get(name)?.required),
    ...draft.fields.filter((f) => f.required && !before.includes(f.name)).map((f) => f.name),
  ];
  set(['schema', 'required'], required.length ? required : undefined, schema.required);
  return [...edits, ...referenceEdits(manifest, draft, shown), ...endpointEdits(manifest, draft)];
}

/**
 * The `references:` edits: a field the form shows that no longer refers to anything loses
 * its relation, one that refers elsewhere gets the new automation, a field that comes to
 * refer gets a relation named after it (`accountId` -> `account`), as a pull request
 * would write it. Relations of fields the form does not show, `onDelete` and `inverse` stay.
 */
function referenceEdits(manifest: Manifest, draft: AutomationDraft, shown: ReadonlySet<string>): YamlEdit[] {
  const declared = referencesOf(manifest);
  const wanted = new Map(draft.fields.flatMap((f) => (f.refersTo === undefined ? [] : [[f.name, f.refersTo] as const])));
  const edits: YamlEdit[] = [];
  const removed = declared.filter((r) => shown.has(r.field) && !wanted.has(r.field));
  for (const reference of declared) {
    const automation = wanted.get(reference.field);
    if (automation !== undefined && automation !== reference.automation) {
      edits.push({ op: 'set', path: ['references', reference.name, 'automation'], value: automation });
    }
  }
  const taken = [
    ...Object.keys(((manifest.schema as JsonSchema).properties ?? {}) as object),
    ...draft.fields.map((f) => f.name),
    ...declared.map((r) => r.name),
  ];
  const added: [string, { field: string; automation: string }][] = [];
  for (const [field, automation] of wanted) {
    if (declared.some((r) => r.field === field)) continue;
    const name = relationName(field, taken);
    taken.push(name);
    added.push([name, { field, automation }]);
  }
  if (removed.length === declared.length && declared.length > 0 && added.length === 0)
    return [...edits, { op: 'delete', path: ['references'] }];
  for (const reference of removed) edits.push({ op: 'delete', path: ['references', reference.name] });
  if (added.length && manifest.references === undefined) edits.push({ op: 'set', path: ['references'], value: Object.fromEntries(added) });
  else for (const [name, value] of added) edits.push({ op: 'set', path: ['references', name], value });
  return edits;
}

/** The endpoint edits: options of the ones that stay, then the removed ones (last first, so indexes hold), then new ones. */
function endpointEdits(manifest: Manifest, draft: AutomationDraft): YamlEdit[] {
  const edits: YamlEdit[] = [];
  const set = (path: YamlPath, value: unknown, current: unknown) => change(edits, path, value, current);
  const removed: number[] = [];
  manifest.endpoints.forEach((endpoint, index) => {
    if (!draft.operations.includes(endpoint.operation)) {
      removed.push(index);
      return;
    }
    if (endpoint.operation === 'list') {
      const filters = (endpoint.filters ?? []).map((f) => (typeof f === 'string' ? f : f.field));
      if (!isDeepStrictEqual(filters, draft.filters))
        set(['endpoints', index, 'filters'], draft.filters.length ? [...draft.filters] : undefined, endpoint.filters);
      set(['endpoints', index, 'sort'], draft.sort.length ? [...draft.sort] : undefined, endpoint.sort);
    }
    if (endpoint.operation === 'search') set(['endpoints', index, 'fields'], [...draft.searchFields], endpoint.fields);
  });
  for (const index of removed.reverse()) edits.push({ op: 'delete', path: ['endpoints', index] });
  let next = manifest.endpoints.length - removed.length;
  const present = new Set(manifest.endpoints.map((e) => e.operation));
  for (const operation of OPERATIONS.filter((o) => draft.operations.includes(o) && !present.has(o))) {
    edits.push({ op: 'set', path: ['endpoints', next++], value: newEndpoint(operation, draft) });
  }
  return edits;
}

/** Adds the edit that makes `current` into `value` (undefined: absent), if they differ. */
function change(edits: YamlEdit[], path: YamlPath, value: unknown, current: unknown): void {
  if (value === undefined) {
    if (current !== undefined) edits.push({ op: 'delete', path });
  } else if (!isDeepStrictEqual(value, current)) {
    edits.push({ op: 'set', path, value });
  }
}

/** A property's schema as the form describes it (the keywords the form sets only). */
export function fieldSchema(field: FieldDraft): JsonSchema & Partial<Record<(typeof FORM_ATTRIBUTES)[number], unknown>> {
  return {
    type: field.type,
    ...(field.enum ? { enum: [...field.enum] } : {}),
    ...(field.maxLength !== undefined ? { maxLength: field.maxLength } : {}),
    ...(field.minimum !== undefined ? { minimum: field.minimum } : {}),
    ...(field.maximum !== undefined ? { maximum: field.maximum } : {}),
    ...(field.description ? { description: field.description } : {}),
    ...(field.refersTo !== undefined ? { format: 'uuid' } : {}),
  };
}

function newEndpoint(operation: Operation, draft: AutomationDraft): Record<string, unknown> {
  if (operation === 'list') {
    return {
      operation,
      ...(draft.filters.length ? { filters: [...draft.filters] } : {}),
      ...(draft.sort.length ? { sort: [...draft.sort] } : {}),
    };
  }
  if (operation === 'search') return { operation, fields: [...draft.searchFields] };
  return { operation };
}

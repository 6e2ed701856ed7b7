import { Document, type Scalar, YAMLMap, YAMLSeq } from 'yaml';
import type { Operation } from '../schema/json-schema.ts';
import { singularize } from '../schema/naming.ts';

/** The property types a drafted field can have: the scalar ones, each a typed column and a filter. */
export const FIELD_TYPES = ['string', 'integer', 'number', 'boolean'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** Operations in the order a manifest lists them. */
export const OPERATIONS: readonly Operation[] = ['list', 'get', 'create', 'update', 'replace', 'delete', 'search', 'batch'];

/** One property of the record, as a form (or `council new`) describes it. */
export interface FieldDraft {
  readonly name: string;
  readonly type: FieldType;
  readonly required: boolean;
  readonly description?: string;
  /** Allowed values (strings only). */
  readonly enum?: readonly string[];
  readonly default?: string | number | boolean;
  readonly minLength?: number;
  readonly maxLength?: number;
  readonly minimum?: number;
  readonly maximum?: number;
  /**
   * The automation whose record id it holds: a string (`format: uuid`) declared under
   * `references:` with the relation named after it (`accountId` -> `account`).
   */
  readonly refersTo?: string;
}

/** A whole automation as a form describes it: what {@link manifestText} writes as a commented manifest. */
export interface AutomationDraft {
  readonly name: string;
  readonly description: string;
  readonly backend: string;
  /** A connection other than the one named like the backend. */
  readonly connection?: string;
  readonly fields: readonly FieldDraft[];
  readonly operations: readonly Operation[];
  /** List filters and sorts, and the fields search matches (with the search operation). */
  readonly filters: readonly string[];
  readonly sort: readonly string[];
  readonly searchFields: readonly string[];
  /** Every endpoint answered without an API key. */
  readonly public: boolean;
  readonly rateLimit?: { readonly requests: number; readonly perSeconds: number };
}

/** What `council new NAME` writes: a title and a status, every operation, search where the backend has it. */
export function starterDraft(name: string, backend: string, canSearch: boolean): AutomationDraft {
  const one = singularize(name).replace(/-/g, ' ');
  const words = name.replace(/-/g, ' ');
  return {
    name,
    description: `${words.charAt(0).toUpperCase()}${words.slice(1)} that assistants can list, read and update.`,
    backend,
    fields: [
      {
        name: 'title',
        type: 'string',
        required: true,
        minLength: 1,
        maxLength: 200,
        description: `Short human-readable title of the ${one}.`,
      },
      {
        name: 'status',
        type: 'string',
        required: false,
        enum: ['open', 'done'],
        default: 'open',
        description: `Whether the ${one} still needs attention.`,
      },
    ],
    operations: OPERATIONS.filter((o) => o !== 'search' || canSearch),
    filters: ['status'],
    sort: ['title', 'createdAt'],
    searchFields: canSearch ? ['title'] : [],
    public: false,
  };
}

const ROUTES: Readonly<Record<Operation, (name: string) => string>> = {
  list: (n) => `GET    /${n}`,
  get: (n) => `GET    /${n}/{id}`,
  create: (n) => `POST   /${n}`,
  update: (n) => `PATCH  /${n}/{id}  (merge patch; null removes a field)`,
  replace: (n) => `PUT    /${n}/{id}`,
  delete: (n) => `DELETE /${n}/{id}`,
  search: (n) => `GET    /${n}/search?q=words  (best matches first)`,
  batch: (n) => `POST   /${n}/batch  (up to pagination.maxBatch creates, updates and deletes)`,
  upsert: (n) => `PUT    /${n}?by=FIELD  (create or replace by a unique field)`,
};

/**
 * A commented manifest for `draft`, built with yaml's Document API so every value is
 * quoted as YAML needs (a description with a colon, an enum value like `yes`). The
 * comments say what each part does, for whoever edits the file next.
 */
export function manifestText(draft: AutomationDraft): string {
  const doc = new Document({});
  const root = doc.contents as YAMLMap;
  const set = (map: YAMLMap, key: string, value: unknown, comment?: string) => {
    const node = doc.createNode(value) as Scalar | YAMLMap | YAMLSeq;
    if (node instanceof YAMLSeq && node.items.every((i) => typeof (i as Scalar).value !== 'object')) node.flow = true;
    if (comment) node.comment = ` ${comment}`;
    map.set(doc.createNode(key), node);
    return node;
  };
  set(root, 'name', draft.name, `served under /${draft.name}; lowercase letters, digits and dashes`);
  set(root, 'description', draft.description, 'models read this to decide when to call the API');
  if (draft.public) set(root, 'access', { public: true }, 'every endpoint answers without an API key');
  if (draft.rateLimit) set(root, 'rateLimit', { ...draft.rateLimit }, 'per API key (or address without one)');
  const storage = new YAMLMap();
  set(
    storage,
    'backend',
    draft.backend,
    'memory | postgres | redis | mongodb | opensearch | elasticsearch | dynamodb (documents/storage.md)',
  );
  if (draft.connection) set(storage, 'connection', draft.connection, 'a connection in council.config.yaml');
  root.set(doc.createNode('storage'), storage);
  const referring = draft.fields.filter((f) => f.refersTo !== undefined);
  if (referring.length > 0) {
    const references = new YAMLMap();
    const names = draft.fields.map((f) => f.name);
    for (const field of referring) {
      const relation = relationName(field.name, names);
      const entry = doc.createNode({ field: field.name, automation: field.refersTo }) as YAMLMap;
      entry.flow = true;
      entry.comment = ` ?expand=${relation}; GET /${field.refersTo}/{id}/${draft.name} lists the ${draft.name} of one`;
      references.set(doc.createNode(relation), entry);
    }
    const node = doc.createNode('references');
    node.commentBefore = " fields holding the id of another automation's record: writes check it exists, ?expand= embeds it";
    root.set(node, references);
  }

  const one = singularize(draft.name).replace(/-/g, ' ');
  const schema = new YAMLMap();
  schema.commentBefore = ` JSON Schema (draft 2020-12) of one ${one}; id, createdAt and updatedAt are added for you`;
  set(schema, 'type', 'object');
  const required = draft.fields.filter((f) => f.required).map((f) => f.name);
  if (required.length > 0) set(schema, 'required', required);
  set(schema, 'additionalProperties', false, 'a property not listed below is refused (422), so typos are caught');
  const properties = new YAMLMap();
  for (const field of draft.fields) properties.set(doc.createNode(field.name), fieldNode(doc, field));
  schema.set(doc.createNode('properties'), properties);
  root.set(doc.createNode('schema'), schema);

  const endpoints = new YAMLSeq();
  for (const operation of OPERATIONS.filter((o) => draft.operations.includes(o))) {
    const endpoint = new YAMLMap();
    set(endpoint, 'operation', operation, ROUTES[operation](draft.name));
    if (operation === 'list' && draft.filters.length > 0) set(endpoint, 'filters', [...draft.filters], `?${draft.filters[0]}=value`);
    if (operation === 'list' && draft.sort.length > 0)
      set(endpoint, 'sort', [...draft.sort], `?sort=${draft.sort[0]} or ?sort=-${draft.sort[0]}`);
    if (operation === 'search') set(endpoint, 'fields', [...draft.searchFields], 'the string properties ?q= matches');
    endpoints.items.push(endpoint);
  }
  root.set(doc.createNode('endpoints'), endpoints);
  doc.commentBefore = ` ${draft.name}: one automation = one YAML file. Reference: documents/manifest.md`;
  return doc.toString({ lineWidth: 0, flowCollectionPadding: false });
}

/**
 * The relation a field that refers to another record is declared under: its name without
 * an `Id` suffix (`accountId` -> `account`, `owner_id` -> `owner`), or with `Record`
 * added where that is a property's name (an expanded record goes under it).
 */
export function relationName(field: string, properties: readonly string[]): string {
  const base = field
    .replace(/(_id|Id|ID)$/, '')
    .replace(/_+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase())
    .replace(/[^a-zA-Z0-9]/g, '');
  const name = base.charAt(0).toLowerCase() + base.slice(1);
  if (!/^[a-z][a-zA-Z0-9]*$/.test(name)) return 'related';
  return properties.includes(name) ? `${name}Record` : name;
}

function fieldNode(doc: Document, field: FieldDraft): YAMLMap {
  const node = new YAMLMap();
  const put = (key: string, value: unknown, comment?: string) => {
    const made = doc.createNode(value) as Scalar | YAMLSeq;
    if (made instanceof YAMLSeq) made.flow = true;
    if (comment) made.comment = ` ${comment}`;
    node.set(doc.createNode(key), made);
  };
  put('type', field.type);
  if (field.refersTo !== undefined) put('format', 'uuid', `the id of a record of ${field.refersTo}`);
  if (field.enum && field.enum.length > 0) put('enum', [...field.enum]);
  if (field.default !== undefined) put('default', field.default);
  if (field.minLength !== undefined) put('minLength', field.minLength);
  if (field.maxLength !== undefined) put('maxLength', field.maxLength, 'a bound tells a model how long it may be');
  if (field.minimum !== undefined) put('minimum', field.minimum);
  if (field.maximum !== undefined) put('maximum', field.maximum);
  if (field.description) put('description', field.description);
  return node;
}

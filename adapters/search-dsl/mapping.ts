import { type FieldKind, StorageError, type StoragePlan, type StorageSpec } from '../types.ts';

/**
 * What differs between the stores that speak this query DSL and mapping (OpenSearch,
 * Elasticsearch), as far as the translation goes. Each backend folder declares its own.
 */
export interface SearchDialect {
  /** The store's name as messages give it, e.g. `OpenSearch`. */
  readonly store: string;
  /** The store's own metadata fields (`_id`, `_source`, ...), which no document may hold. */
  readonly metadataFields: ReadonlySet<string>;
}

/**
 * How far a search request may reach (`from + size`). The stores' default, set on the
 * index explicitly so the checks in query.ts and the index agree.
 */
export const MAX_RESULT_WINDOW = 10_000;

/** The subfield of a searchable string that holds its words (`<field>.text`). */
export const TEXT_SUBFIELD = 'text';

/** Properties every record has, mapped and compared like the declared ones. */
const BUILT_IN = ['id', 'createdAt', 'updatedAt'] as const;

/** A field's kind as list and search see it: the built-in fields are strings. */
export type FieldKinds = ReadonlyMap<string, FieldKind>;

export function fieldKinds(spec: StorageSpec): FieldKinds {
  const kinds = new Map<string, FieldKind>(spec.fields.map((f) => [f.name, f.kind]));
  for (const name of BUILT_IN) kinds.set(name, 'string');
  return kinds;
}

/** The searchable fields that are strings: only they have a text subfield. */
export function searchFields(spec: StorageSpec): string[] {
  const kinds = fieldKinds(spec);
  return (spec.searchable ?? []).filter((name) => kinds.get(name) === 'string');
}

/**
 * `council-<collection>` with `_` as `-`: one index per automation, apart from other
 * indexes of a shared cluster.
 */
export function indexName(collection: string, dialect: SearchDialect): string {
  const name = `council-${collection.replaceAll('_', '-').toLowerCase()}`;
  if (!collection || /[\\/*?"<>|\s,#:]/.test(collection) || Buffer.byteLength(name) > 255) {
    throw new StorageError('rejected', `collection "${collection}" cannot name an ${dialect.store} index`);
  }
  return name;
}

type Json = Readonly<Record<string, unknown>>;

// Words as text-match.ts defines them: runs of letters and digits, lowercased, unstemmed.
// Truncating keeps a pathological run under Lucene's 32766-byte term limit.
const WORDS = 'council_words';
// Scores the number of times the query's words occur (text-match.ts's textScore), where
// BM25 would rank a short field above one that repeats the word.

const SETTINGS: Json = {
  index: {
    max_result_window: MAX_RESULT_WINDOW,
    analysis: {
      tokenizer: { council_word_runs: { type: 'pattern', pattern: '[^\\p{L}\\p{N}]+' } },
      filter: { council_word_length: { type: 'truncate', length: 255 } },
      analyzer: { [WORDS]: { type: 'custom', tokenizer: 'council_word_runs', filter: ['lowercase', 'council_word_length'] } },
    },
  },
};

// Lucene refuses terms over 32766 bytes; 8191 characters of up to 4 bytes stay under it.
// A longer string is kept in _source but not indexed, so lists treat it as missing.
const KEYWORD: Json = { type: 'keyword', ignore_above: 8191 };

function fieldMapping(kind: FieldKind, searchable: boolean): Json {
  switch (kind) {
    case 'string':
      return searchable ? { ...KEYWORD, fields: { [TEXT_SUBFIELD]: { type: 'text', analyzer: WORDS } } } : KEYWORD;
    case 'integer':
      return { type: 'long' };
    case 'number':
      return { type: 'double' };
    case 'boolean':
      return { type: 'boolean' };
    case 'json':
      // A disabled object skips its value whatever its JSON type (DocumentParser checks
      // `isEnabled()` before it insists on an object), and _source keeps it.
      return { type: 'object', enabled: false };
  }
}

/** The mapping of a spec. `dynamic: false`: undeclared properties stay in _source, unmapped. */
export function indexMapping(spec: StorageSpec): { dynamic: false; properties: Record<string, Json> } {
  const searchable = new Set(searchFields(spec));
  const properties: Record<string, Json> = {};
  for (const [name, kind] of fieldKinds(spec)) properties[name] = fieldMapping(kind, searchable.has(name));
  return { dynamic: false, properties };
}

/** The body of `PUT /<index>`: settings (analyzer, similarity, result window) and mapping. */
export function indexBody(spec: StorageSpec): { settings: Json; mappings: Json } {
  return { settings: SETTINGS, mappings: indexMapping(spec) };
}

/** One change open() makes to the index, in order. */
export type IndexStep = { readonly why: string } & (
  | { readonly action: 'create'; readonly body: Json }
  | { readonly action: 'putMapping'; readonly body: Json }
  /** Rewrites every record in place so values written before a field was mapped get indexed. */
  | { readonly action: 'reindexInPlace' }
);

export interface IndexPlan {
  readonly index: string;
  readonly steps: readonly IndexStep[];
  readonly refused: StoragePlan['refused'];
}

/** A field of the live mapping (`GET /<index>/_mapping`), as far as the comparison reads it. */
export interface LiveField {
  readonly type?: string;
  readonly enabled?: unknown;
  readonly fields?: Readonly<Record<string, { readonly type?: string }>>;
}

export interface LiveMapping {
  readonly dynamic?: unknown;
  readonly properties?: Readonly<Record<string, LiveField>>;
}

/**
 * What open() must do to bring the index (`live`: its mapping, or undefined if there is
 * no index) to the spec. New fields and new text subfields are added; a mapped field
 * cannot change type in place, so a changed type is refused. A removed property keeps
 * its mapping and its values stay in _source, like any undeclared property.
 */
export function planIndex(spec: StorageSpec, live: LiveMapping | undefined, dialect: SearchDialect): IndexPlan {
  const index = indexName(spec.collection, dialect);
  const refused: Refusal[] = spec.fields.flatMap((f) => nameProblem(f.name, dialect));
  if (refused.length > 0) return { index, steps: [], refused };
  if (!live) return { index, steps: [{ action: 'create', body: indexBody(spec), why: `create index "${index}"` }], refused };
  const added: Record<string, Json> = {};
  const whys: string[] = [];
  for (const [name, wanted] of Object.entries(indexMapping(spec).properties)) {
    const found = live.properties?.[name];
    const need = typeText(wanted);
    const builtIn = (BUILT_IN as readonly string[]).includes(name);
    if (builtIn && (!found || typeText(found) !== need)) {
      refused.push({ field: name, message: `index "${index}" does not map "${name}" as ${need}; it was not created by theCouncil` });
    } else if (found && typeText(found) !== need) {
      refused.push({ field: name, message: retypeMessage(dialect, index, name, typeText(found), need) });
    } else if (!found) {
      added[name] = wanted;
      whys.push(`new property ${name}: map it as ${need}`);
    } else if (hasText(wanted) && !hasText(found)) {
      added[name] = wanted;
      whys.push(`${name} became searchable: add its ${TEXT_SUBFIELD} subfield`);
    }
  }
  const steps: IndexStep[] = [];
  const adding = Object.keys(added).length > 0;
  const dynamic = String(live.dynamic) === 'false';
  if (adding || !dynamic) {
    if (!dynamic) whys.push('keep undeclared properties unmapped (dynamic: false)');
    steps.push({ action: 'putMapping', body: { dynamic: false, properties: added }, why: whys.join('; ') });
  }
  if (adding) steps.push({ action: 'reindexInPlace', why: 'index the values records already hold for the fields just mapped' });
  return { index, steps, refused };
}

/** The plan as `council migrate --dry-run` shows it: each step as the REST request it sends. */
export function storagePlan(plan: IndexPlan): StoragePlan {
  const statement = (step: IndexStep) => {
    switch (step.action) {
      case 'create':
        return `PUT /${plan.index} ${JSON.stringify(step.body)}`;
      case 'putMapping':
        return `PUT /${plan.index}/_mapping ${JSON.stringify(step.body)}`;
      case 'reindexInPlace':
        return `POST /${plan.index}/_update_by_query?conflicts=proceed&refresh=true`;
    }
  };
  return { target: `index ${plan.index}`, steps: plan.steps.map((s) => ({ statement: statement(s), why: s.why })), refused: plan.refused };
}

function typeText(field: LiveField | Json): string {
  const type = typeof field.type === 'string' ? field.type : 'object';
  return type === 'object' && String(field.enabled) === 'false' ? 'object (enabled: false)' : type;
}

function hasText(field: LiveField | Json): boolean {
  return (field.fields as LiveField['fields'])?.[TEXT_SUBFIELD]?.type === 'text';
}

function retypeMessage(dialect: SearchDialect, index: string, name: string, have: string, need: string): string {
  return `property "${name}" now needs a ${need} field but index "${index}" maps it as ${have}; ${dialect.store} cannot change a mapped field's type in place, so storage.migrations.retype cannot convert it either: restore the property's type, or give the property a new name`;
}

/**
 * The refusals as one error, naming the first refused field (so a manifest position can be
 * shown), or undefined when the plan refuses nothing.
 */
export function refusalOf(plan: IndexPlan): StorageError | undefined {
  const [first] = plan.refused;
  return first && new StorageError('rejected', plan.refused.map((r) => r.message).join('; '), { field: first.field });
}

type Refusal = StoragePlan['refused'][number];

function nameProblem(name: string, { store, metadataFields }: SearchDialect): Refusal[] {
  if (metadataFields.has(name))
    return [{ field: name, message: `property "${name}" is an ${store} metadata field name; rename the property` }];
  // A dotted name is read as an object path, so it would never match its own mapping.
  if (!name.trim() || name.includes('.'))
    return [{ field: name, message: `property "${name}" cannot be an ${store} field name (no dots, not blank); rename the property` }];
  return [];
}

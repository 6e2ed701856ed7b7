import { createHash } from 'node:crypto';
import type { Document, IndexDescription } from 'mongodb';
import { type FieldKind, type ListFilter, type ListQuery, type ScalarValue, StorageError, type StorageSpec } from '../types.ts';

/**
 * Pure translation from the adapter contract to MongoDB documents: filters, sort phases,
 * keyset conditions, the search pipeline, the collection validator and its indexes.
 * Nothing here talks to a server, so every shape is unit-tested (tests/adapters/mongodb.test.ts).
 */

/** One find of a list: its filter and sort. A list runs its phases in order until the page is full. */
export interface ListPhase {
  readonly filter: Document;
  readonly sort: Readonly<Record<string, 1 | -1>>;
}

/** Where a record field lives in a document. Names that Mongo would read as operators or paths are refused. */
export function fieldPath(field: string): string {
  if (field === 'id') return '_id';
  if (field === '_id' || !/^[^$.\0][^.\0]*$/.test(field)) {
    throw new StorageError('rejected', `"${field}" cannot be a MongoDB field name`, { field });
  }
  return field;
}

/** The record with this id; the id is compared as a value whatever it holds. */
export function byId(id: string): Document {
  return { _id: { $eq: id } };
}

/** The records with these ids (strings only, so no operator can come from them). */
export function byIds(ids: readonly string[]): Document {
  return { _id: { $in: ids.map(String) } };
}

/**
 * The record with this id, only while it is still exactly `current` as read (every field,
 * in order, same values): the compare of a compare-and-set write. `$cmp` on `$$ROOT`
 * rather than `$eq`, which servers before 6.0 fail to optimize (SERVER-71045);
 * `$literal` keeps strings that start with `$` from being read as field paths.
 */
export function unchangedFilter(id: string, current: Document): Document {
  return { _id: { $eq: id }, $expr: { $eq: [{ $cmp: ['$$ROOT', { $literal: current }] }, 0] } };
}

/** All conditions AND-ed; `$and` must not be empty, so none is `{}`. */
export function allOf(conditions: readonly Document[]): Document {
  if (conditions.length === 0) return {};
  return conditions.length === 1 ? (conditions[0] as Document) : { $and: [...conditions] };
}

/** The filters of a list or count (see adapters/filter-match.ts for what each operator means). */
export function filterOf(filters: readonly ListFilter[]): Document {
  return allOf(filters.map(filterCondition));
}

/**
 * One filter. Every value sits under an explicit operator and must be a scalar, so a
 * string such as `{"$ne":null}` or `$where` is compared, never interpreted. Mongo's
 * comparisons only match values of the same type bracket and never a missing field,
 * except `$ne`, which matches missing values as filter-match.ts wants.
 */
export function filterCondition(filter: ListFilter): Document {
  const path = fieldPath(filter.field);
  switch (filter.op) {
    case 'exists':
      // `$ne: null` is "present and not null", `$eq: null` is "null or missing".
      return { [path]: filter.value === true ? { $ne: null } : { $eq: null } };
    case 'in':
      return { [path]: { $in: filter.value.map(scalar) } };
    case 'contains':
      // A non-string never contains anything; an empty `$in` matches nothing.
      return { [path]: typeof filter.value === 'string' ? { $regex: literalPattern(filter.value) } : { $in: [] } };
    default:
      return { [path]: { [`$${filter.op}`]: scalar(filter.value) } };
  }
}

/**
 * A regular expression that matches `text` literally (case-sensitively, as a substring).
 * PCRE treats a backslash before any non-alphanumeric character as that character; NUL
 * cannot appear in a Mongo regex, so it is written as `\x00`.
 */
export function literalPattern(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|/]/g, '\\$&').replace(/\0/g, '\\x00');
}

function scalar(value: unknown): ScalarValue {
  if (typeof value === 'string' || typeof value === 'boolean' || (typeof value === 'number' && Number.isFinite(value))) return value;
  throw new StorageError('rejected', `a filter value must be a string, a finite number or a boolean, not ${typeof value}`);
}

/**
 * The finds a list runs, in order. Mongo sorts missing values first ascending, the
 * reverse of adapters/keyset.ts, so present and missing values are separate phases:
 * ascending walks present values (by value, then id) and then missing ones (by id);
 * descending the exact reverse. The cursor `after` picks the phase it lies in and
 * becomes `(value, id)` beyond it there; the phases after it are read whole.
 */
export function listPhases(query: ListQuery): ListPhase[] {
  const base = query.filters.map(filterCondition);
  const { field, direction } = query.sort;
  const dir: 1 | -1 = direction === 'asc' ? 1 : -1;
  const beyond = direction === 'asc' ? '$gt' : '$lt';
  const after = query.after;
  if (field === 'id') return [{ filter: allOf([...base, ...(after ? [{ _id: { [beyond]: after.id } }] : [])]), sort: { _id: dir } }];
  const path = fieldPath(field);
  const sort = { [path]: dir, _id: dir };
  const present = { [path]: { $ne: null } };
  const missing = { [path]: { $eq: null } };
  const valuesPhase = (): ListPhase | undefined => {
    if (!after) return { filter: allOf([...base, present]), sort };
    if (after.value === null) return direction === 'asc' ? undefined : { filter: allOf([...base, present]), sort };
    const keyset = { $or: [{ [path]: { [beyond]: after.value } }, { [path]: { $eq: after.value }, _id: { [beyond]: after.id } }] };
    return { filter: allOf([...base, present, keyset]), sort };
  };
  const missingPhase = (): ListPhase | undefined => {
    if (ALWAYS_PRESENT.has(field)) return undefined;
    if (!after) return { filter: allOf([...base, missing]), sort };
    if (after.value !== null) return direction === 'asc' ? { filter: allOf([...base, missing]), sort } : undefined;
    return { filter: allOf([...base, missing, { _id: { [beyond]: after.id } }]), sort };
  };
  const phases = direction === 'asc' ? [valuesPhase(), missingPhase()] : [missingPhase(), valuesPhase()];
  return phases.filter((phase) => phase !== undefined);
}

/** The validator requires these, so no record misses them and their lists need no missing phase. */
const ALWAYS_PRESENT = new Set(['createdAt', 'updatedAt']);

/** The relevance of a search match while the pipeline sorts; no property can be named so. */
export const SCORE_FIELD = '@score';

/**
 * The aggregation of a search. The text index finds candidates (records with any of the
 * words); each word must then occur as a whole word, case-insensitively, in one of the
 * fields, and the score is the number of times the words occur, exactly as
 * adapters/text-match.ts counts them (Mongo's own textScore also weighs field length).
 * Ties go by id; `words` come from searchWords (letters and digits only).
 */
export function searchPipeline(fields: readonly string[], words: readonly string[], offset: number, limit: number): Document[] {
  const paths = fields.map(fieldPath);
  const patterns = words.map(wordPattern);
  const string = (path: string) => ({ $cond: [{ $eq: [{ $type: `$${path}` }, 'string'] }, `$${path}`, ''] });
  const count = (path: string, regex: string) => ({ $size: { $regexFindAll: { input: string(path), regex, options: 'i' } } });
  const everyWord = patterns.map((regex) => ({ $or: paths.map((path) => ({ [path]: { $regex: regex, $options: 'i' } })) }));
  return [
    { $match: { $text: { $search: words.join(' ') }, $and: everyWord } },
    { $addFields: { [SCORE_FIELD]: { $add: patterns.flatMap((regex) => paths.map((path) => count(path, regex))) } } },
    { $sort: { [SCORE_FIELD]: -1, _id: 1 } },
    ...(offset > 0 ? [{ $skip: offset }] : []),
    { $limit: limit + 1 },
    { $project: { [SCORE_FIELD]: 0 } },
  ];
}

/** A word between non-letters/digits (or the ends), as searchWords splits text. */
export function wordPattern(word: string): string {
  if (!/^[\p{L}\p{N}]+$/u.test(word)) throw new StorageError('rejected', 'a search word is letters and digits only');
  return `(?<![\\p{L}\\p{N}])${word}(?![\\p{L}\\p{N}])`;
}

/**
 * `validationLevel: moderate`: inserts and updates of valid documents are checked, while
 * documents written under an earlier spec (say, before a property changed type) can
 * still be updated; `validationAction: error` refuses what does not match. The engine
 * validates every record first, so the validator only guards against other writers.
 */
export const VALIDATION = { validationLevel: 'moderate', validationAction: 'error' } as const;

// `null` is allowed: a property may be nullable. `json` accepts anything.
const BSON_TYPES: Readonly<Record<FieldKind, readonly string[] | undefined>> = {
  string: ['string', 'null'],
  // Integers beyond int32 arrive as doubles (that is how the driver writes JS numbers).
  integer: ['int', 'long', 'double', 'null'],
  number: ['int', 'long', 'double', 'decimal', 'null'],
  boolean: ['bool', 'null'],
  json: undefined,
};

const BUILT_IN = ['_id', 'createdAt', 'updatedAt'];

/** The `$jsonSchema` validator of a spec's collection; properties it does not declare are allowed. */
export function collectionValidator(spec: StorageSpec): Document {
  const properties: Document = { _id: { bsonType: 'string' }, createdAt: { bsonType: 'string' }, updatedAt: { bsonType: 'string' } };
  for (const field of spec.fields) {
    const types = BSON_TYPES[field.kind];
    if (types && field.name !== 'id' && !BUILT_IN.includes(field.name)) properties[fieldPath(field.name)] = { bsonType: [...types] };
  }
  return { $jsonSchema: { bsonType: 'object', required: BUILT_IN, properties } };
}

/** An index theCouncil keeps; the name says what it is for, so a changed spec shows as a missing name. */
export interface IndexSpec extends IndexDescription {
  readonly name: string;
  readonly why: string;
}

/** Prefixes of indexes that must go when the spec no longer wants them (the others only cost writes). */
export const OWNED_INDEX_PREFIXES = ['council_unique_', 'council_text_'] as const;

/** Where a language would be read from to stem a record's text; no property can be named so. */
export const TEXT_LANGUAGE_FIELD = '@textLanguage';

// A unique index covers records whose value has the field's type, so missing and null never conflict.
const UNIQUE_TYPES: Readonly<Record<FieldKind, string | undefined>> = {
  string: 'string',
  integer: 'number',
  number: 'number',
  boolean: 'bool',
  json: undefined,
};

/**
 * The indexes of a spec: `(field, _id)` for each sort field (which also serves filters
 * on it), `field` for each other filter field, a partial unique index per unique field,
 * and one text index over the searchable fields, named after a hash of them.
 */
export function indexSpecs(spec: StorageSpec): IndexSpec[] {
  const kinds = new Map(spec.fields.map((f) => [f.name, f.kind]));
  const sortable = [...new Set(spec.sortable)].filter((f) => f !== 'id');
  const indexes: IndexSpec[] = sortable.map((f) => ({
    name: `council_sort_${f}`,
    key: { [fieldPath(f)]: 1, _id: 1 },
    why: `list sorted by ${f}`,
  }));
  for (const f of new Set(spec.filterable)) {
    if (f === 'id' || sortable.includes(f)) continue;
    indexes.push({ name: `council_filter_${f}`, key: { [fieldPath(f)]: 1 }, why: `list filtered on ${f}` });
  }
  for (const f of new Set(spec.unique ?? [])) {
    const type = UNIQUE_TYPES[kinds.get(f) ?? 'json'];
    const path = fieldPath(f);
    indexes.push({
      name: `council_unique_${f}_${type ?? 'any'}`,
      key: { [path]: 1 },
      unique: true,
      partialFilterExpression: { [path]: type ? { $type: type } : { $exists: true } },
      why: `no two records share a value of ${f}`,
    });
  }
  const searchable = [...new Set(spec.searchable ?? [])];
  if (searchable.length > 0) {
    indexes.push({
      name: `council_text_${hashOf(searchable.join('\0'))}`,
      key: Object.fromEntries(searchable.map((f) => [fieldPath(f), 'text'])),
      // No stemming or stop words; no record property picks another language.
      default_language: 'none',
      language_override: TEXT_LANGUAGE_FIELD,
      why: `search in ${searchable.join(', ')}`,
    });
  }
  return indexes;
}

function hashOf(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 8);
}

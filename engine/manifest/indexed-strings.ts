import { capabilities } from '../../adapters/capabilities.ts';
import { fieldKind, followLocalRef, propertiesOf } from '../schema/fields.ts';
import { indexedFields } from '../schema/indexed-fields.ts';
import { ENGINE_FIELDS, type JsonSchema } from '../schema/json-schema.ts';
import type { ManifestIssue } from '../source/issues.ts';
import { issueAt } from '../source/source.ts';
import type { Manifest, SchemaLocation } from './manifest.ts';

/** Formats whose values are short by definition (RFC 3339 times, UUIDs). */
const SHORT_FORMATS = new Set(['date', 'time', 'date-time', 'uuid']);

/**
 * On a backend that indexes strings only up to a size (`capabilities.indexedStringBytes`:
 * PostgreSQL's btree entry), every string property the lists sort or filter on, or that
 * is unique, should say how long it may be: a warning at the property otherwise, since a
 * schema-valid value past the limit is refused with 422 `value-too-long` at request time.
 * A `maxLength` of at most a quarter of the limit (a character is up to 4 bytes of UTF-8),
 * an `enum` or `const` of short strings, or a short `format` bounds it.
 */
export function checkIndexedStrings(manifest: Manifest, schema: JsonSchema, at: SchemaLocation): ManifestIssue[] {
  const { backend } = manifest.storage;
  const limit = capabilities[backend]?.indexedStringBytes;
  if (limit === undefined) return [];
  const { filterable, sortable } = indexedFields(manifest);
  const unique = manifest.storage.unique ?? [];
  const properties = propertiesOf(schema);
  const characters = Math.floor(limit / 4);
  const issues: ManifestIssue[] = [];
  // Engine fields (a schema declaring one is refused anyway) are the engine's to bound.
  for (const name of Object.keys(properties).filter((n) => !(ENGINE_FIELDS as readonly string[]).includes(n))) {
    const uses = [sortable.includes(name) && 'sorted', filterable.includes(name) && 'filtered', unique.includes(name) && 'unique'].filter(
      (use): use is string => typeof use === 'string',
    );
    if (uses.length === 0 || fieldKind(properties[name], schema) !== 'string') continue;
    const property = followLocalRef(properties[name], schema);
    if (bounded(property, characters, limit)) continue;
    const maxLength = (property as JsonSchema).maxLength;
    const allows =
      typeof maxLength === 'number'
        ? `its maxLength of ${maxLength} allows ${(maxLength * 4).toLocaleString('en-US')} bytes`
        : 'it has no maxLength';
    const message = `"${name}" is ${uses.join(' and ')}, so ${backend} keeps each value in an index entry, which always holds ${limit.toLocaleString('en-US')} bytes but ${allows}: a longer value that does not compress is refused with 422 value-too-long; declare maxLength: ${characters} or less (characters of up to 4 bytes each), or an enum`;
    issues.push(
      issueAt(at.source, [...at.base, 'properties', name], 'indexed-string-unbounded', message, { key: true, severity: 'warning' }),
    );
  }
  return issues;
}

function bounded(property: unknown, characters: number, bytes: number): boolean {
  if (typeof property !== 'object' || property === null) return false;
  const { maxLength, enum: choices, const: constant, format } = property as JsonSchema;
  if (typeof maxLength === 'number' && maxLength <= characters) return true;
  if (typeof format === 'string' && SHORT_FORMATS.has(format)) return true;
  const values = Array.isArray(choices) ? choices : constant !== undefined ? [constant] : undefined;
  return values?.every((v) => typeof v !== 'string' || Buffer.byteLength(v) <= bytes) ?? false;
}

/**
 * Sort values as strings whose byte order is the value order, for backends that keep
 * ordered indexes of strings (redis sorted sets, dynamodb sort keys).
 */
import type { FieldKind, StorageSpec } from './types.ts';

/** How a sortable field's values are encoded: built-in timestamps sort as ISO text. */
export type SortKind = Exclude<FieldKind, 'json'> | 'id';

/** The sortable fields of a spec with their kind (createdAt and updatedAt are ISO strings). */
export function sortKinds(spec: StorageSpec): Map<string, SortKind> {
  const kinds = new Map<string, SortKind>();
  for (const field of spec.sortable) {
    if (field === 'id') kinds.set(field, 'id');
    else if (field === 'createdAt' || field === 'updatedAt') kinds.set(field, 'string');
    else {
      const kind = spec.fields.find((f) => f.name === field)?.kind;
      if (kind && kind !== 'json') kinds.set(field, kind);
    }
  }
  return kinds;
}

/**
 * A value as bytes that order like the value: strings as they are (UTF-8 byte order,
 * as PostgreSQL's COLLATE "C"); numbers as the 16 hex digits of their IEEE 754 bits with
 * the sign bit flipped (negatives: every bit flipped), which order numerically;
 * booleans as 0 and 1. Undefined when the value is not of the field's kind.
 */
export function encodeSortValue(kind: SortKind, value: unknown): string | undefined {
  if (kind === 'string' || kind === 'id') return typeof value === 'string' ? value : undefined;
  if (kind === 'boolean') return typeof value === 'boolean' ? (value ? '1' : '0') : undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) return undefined;
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value === 0 ? 0 : value);
  const high = view.getUint32(0);
  const low = view.getUint32(4);
  const negative = high >>> 31 === 1;
  const h = negative ? ~high >>> 0 : (high | 0x80000000) >>> 0;
  const l = negative ? ~low >>> 0 : low;
  return h.toString(16).padStart(8, '0') + l.toString(16).padStart(8, '0');
}

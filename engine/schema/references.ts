import type { Manifest } from './manifest-shape.ts';

/** What deleting a referred record does to the records that refer to it. */
export type OnDelete = 'restrict' | 'cascade' | 'setNull';

/** One `references:` entry with its defaults filled in. */
export interface Reference {
  /** The relation's name: `?expand=<name>` and the key the embedded record goes under. */
  readonly name: string;
  /** The top-level string property holding the referred record's id. */
  readonly field: string;
  /** The automation whose records it refers to. */
  readonly automation: string;
  readonly onDelete: OnDelete;
  /** The reverse list's path segment: `/<automation>/{id}/<inverse>`. */
  readonly inverse: string;
}

/** A manifest's references, in manifest order, defaults filled in (restrict; the inverse is the manifest's own name). */
export function referencesOf(manifest: Manifest): Reference[] {
  return Object.entries(manifest.references ?? {}).map(([name, declared]) => ({
    name,
    field: declared.field,
    automation: declared.automation,
    onDelete: declared.onDelete ?? 'restrict',
    inverse: declared.inverse ?? manifest.name,
  }));
}

import { filterDeclaration } from './filter-operators.ts';
import type { Manifest } from './manifest-shape.ts';
import { referencesOf } from './references.ts';

/**
 * The fields an automation's lists need indexed, over all its list endpoints: what they
 * filter on plus `storage.indexes`, and what they sort by, `createdAt` included (every
 * list's default order). A reference's field is filtered on too, with the list's sorts
 * (its reverse list takes them) or by createdAt: the referred automation lists and counts
 * the records that refer to one of its own. Empty when there is no list and no reference.
 */
export function indexedFields(manifest: Manifest): { filterable: string[]; sortable: string[] } {
  const lists = manifest.endpoints.filter((e) => e.operation === 'list');
  const references = referencesOf(manifest).map((r) => r.field);
  return {
    filterable: [
      ...new Set([
        ...lists.flatMap((e) => (e.filters ?? []).map((f) => filterDeclaration(f).field)),
        ...(manifest.storage.indexes ?? []),
        ...references,
      ]),
    ],
    sortable: [...new Set([...lists.flatMap((e) => ['createdAt', ...(e.sort ?? [])]), ...(references.length ? ['createdAt'] : [])])],
  };
}

import { filterDeclaration } from './filter-operators.ts';
import type { Manifest } from './manifest-shape.ts';

/**
 * The fields an automation's lists need indexed, over all its list endpoints: what they
 * filter on plus `storage.indexes`, and what they sort by, `createdAt` included (every
 * list's default order). Empty when there is no list.
 */
export function indexedFields(manifest: Manifest): { filterable: string[]; sortable: string[] } {
  const lists = manifest.endpoints.filter((e) => e.operation === 'list');
  return {
    filterable: [
      ...new Set([...lists.flatMap((e) => (e.filters ?? []).map((f) => filterDeclaration(f).field)), ...(manifest.storage.indexes ?? [])]),
    ],
    sortable: [...new Set(lists.flatMap((e) => ['createdAt', ...(e.sort ?? [])]))],
  };
}

import { backends } from './index.ts';
import type { Capabilities } from './types.ts';

/**
 * What each backend can do, known without loading any driver, so `council validate` can
 * refuse a manifest that asks a backend for something it cannot do.
 */
export const capabilities: Readonly<Record<string, Capabilities>> = Object.fromEntries(
  Object.entries(backends).map(([name, entry]) => [name, entry.capabilities]),
);

/** Words for a capability in messages: "backend postgres cannot <words>". */
export const capabilityWords: Readonly<Record<keyof Capabilities, string>> = {
  filterOperators: 'filter with these operators',
  sort: 'sort lists',
  cursor: 'page lists with a cursor',
  search: 'search text (search)',
  unique: 'enforce unique fields (unique)',
  ttl: 'expire records (ttl)',
  transactions: 'run several writes in one transaction',
  upsert: 'create or replace by a unique field in one step (upsert)',
  listIndexes: 'index this many list sorts and filters',
  indexedStringBytes: 'index a string this long',
  columns: 'keep columns (storage.migrations)',
  sharedCounters: 'share rate-limit counters (rateLimit.store)',
};

/** The backends that pass `test`, for messages: `memory, postgres or mongodb`. */
export function backendsWith(test: (can: Capabilities) => boolean): string {
  const names = Object.keys(capabilities).filter((name) => test(capabilities[name] as Capabilities));
  return names.length > 1 ? `${names.slice(0, -1).join(', ')} or ${names.at(-1)}` : (names[0] ?? 'none');
}

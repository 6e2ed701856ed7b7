import { compareRecords } from '../keyset.ts';
import type { ListAfter, ListFilter, ScalarValue, SortOrder, StoredRecord } from '../types.ts';
import { SortedIndex } from './sorted-index.ts';

/** Where a page's candidates come from: the records of one or more indexes, merged in order. */
export interface ListSource {
  readonly indexes: readonly SortedIndex[];
  /**
   * The filter the indexes answer exactly (every candidate matches it), when it is the
   * query's only filter: then the candidates are the matches and their count is known.
   */
  readonly exact: boolean;
}

/**
 * One collection's list indexes: a {@link SortedIndex} per sortable field, and per
 * filterable field an equality map from each value to that value's records, sorted by
 * the sortable fields. A page filtered by `eq` (or `in`) walks only the records with
 * that value (values) in the page's order, so it costs O(page) whatever the selectivity.
 *
 * Each index is built the first time a list needs it (declared fields only), then kept
 * up to date by every write: a write pays only for the sorts and (filter, sort) pairs
 * lists use, not for every pair a manifest could ask for.
 */
export class ListIndexes {
  readonly #records: () => Iterable<StoredRecord>;
  readonly #sortable: ReadonlySet<string>;
  readonly #filterable: ReadonlySet<string>;
  readonly #sorted = new Map<string, SortedIndex>();
  readonly #equal = new Map<string, EqualityIndex>();

  /** `records`: every record stored, read when an index is first built. */
  constructor(sortable: readonly string[], filterable: readonly string[], records: () => Iterable<StoredRecord>) {
    this.#sortable = new Set(sortable);
    this.#filterable = new Set(filterable);
    this.#records = records;
  }

  /** True when these indexes are for exactly these fields. */
  covers(sortable: readonly string[], filterable: readonly string[]): boolean {
    return sameSet(this.#sortable, sortable) && sameSet(this.#filterable, filterable);
  }

  /** Indexes a record written where none with its id was. */
  add(record: StoredRecord): void {
    for (const index of this.#sorted.values()) index.insert(record);
    for (const index of this.#equal.values()) index.add(record);
  }

  /** Moves the entries of `previous` to `next`, the same record written again. */
  replace(previous: StoredRecord, next: StoredRecord): void {
    for (const index of this.#sorted.values()) index.replace(previous, next);
    for (const index of this.#equal.values()) index.replace(previous, next);
  }

  remove(record: StoredRecord): void {
    for (const index of this.#sorted.values()) index.remove(record);
    for (const index of this.#equal.values()) index.remove(record);
  }

  /**
   * The fewest candidates for a page: the records of the `eq` or `in` filter with the
   * fewest, else every record, in `sort.field` order. Undefined when that field is not
   * sortable (the caller sorts instead).
   */
  source(filters: readonly ListFilter[], sort: SortOrder): ListSource | undefined {
    if (!this.#sortable.has(sort.field)) return undefined;
    let all = this.#sorted.get(sort.field);
    if (!all) {
      all = SortedIndex.of(sort.field, [...this.#records()]);
      this.#sorted.set(sort.field, all);
    }
    let best: ListSource = { indexes: [all], exact: filters.length === 0 };
    let fewest = all.size;
    for (const filter of filters) {
      const values = filter.op === 'eq' ? [filter.value] : filter.op === 'in' ? [...new Set(filter.value)] : undefined;
      if (!values || !this.#filterable.has(filter.field)) continue;
      let equal = this.#equal.get(filter.field);
      if (!equal) {
        equal = new EqualityIndex(filter.field);
        this.#equal.set(filter.field, equal);
      }
      const indexes = values.flatMap((value) => equal.sorted(value, sort.field, this.#records) ?? []);
      const size = indexes.reduce((sum, index) => sum + index.size, 0);
      if (size <= fewest) {
        best = { indexes, exact: filters.length === 1 };
        fewest = size;
      }
    }
    return best;
  }
}

/** One filterable field: each value's records, sorted by each sort field lists used with it. */
class EqualityIndex {
  readonly field: string;
  readonly #sorts: string[] = [];
  readonly #byValue = new Map<ScalarValue, Map<string, SortedIndex>>();

  constructor(field: string) {
    this.field = field;
  }

  /** The records with `value` in `sort` order; the pair's indexes are built on first use. */
  sorted(value: ScalarValue, sort: string, records: () => Iterable<StoredRecord>): SortedIndex | undefined {
    if (!this.#sorts.includes(sort)) {
      const groups = new Map<ScalarValue, StoredRecord[]>();
      for (const record of records()) {
        const v = record[this.field];
        if (!isScalar(v)) continue;
        const group = groups.get(v);
        if (group) group.push(record);
        else groups.set(v, [record]);
      }
      for (const [v, group] of groups) {
        let bySort = this.#byValue.get(v);
        if (!bySort) {
          bySort = new Map();
          this.#byValue.set(v, bySort);
        }
        bySort.set(sort, SortedIndex.of(sort, group));
      }
      this.#sorts.push(sort);
    }
    return this.#byValue.get(value)?.get(sort);
  }

  add(record: StoredRecord): void {
    const value = record[this.field];
    if (!isScalar(value) || this.#sorts.length === 0) return;
    let bySort = this.#byValue.get(value);
    if (!bySort) {
      bySort = new Map(this.#sorts.map((s) => [s, new SortedIndex(s)]));
      this.#byValue.set(value, bySort);
    }
    for (const index of bySort.values()) index.insert(record);
  }

  replace(previous: StoredRecord, next: StoredRecord): void {
    const value = previous[this.field];
    if (isScalar(value) && value === next[this.field]) {
      for (const index of this.#byValue.get(value)?.values() ?? []) index.replace(previous, next);
      return;
    }
    this.remove(previous);
    this.add(next);
  }

  remove(record: StoredRecord): void {
    const value = record[this.field];
    if (!isScalar(value)) return;
    const bySort = this.#byValue.get(value);
    if (!bySort) return;
    let left = 0;
    for (const index of bySort.values()) {
      index.remove(record);
      left = index.size;
    }
    // Values come and go (an owner id, a status): an empty group is dropped, not kept.
    if (left === 0) this.#byValue.delete(value);
  }
}

/**
 * The records of `source` from just after `after`, in `sort` order: one index walked, or
 * several merged (an `in` filter), each step O(number of indexes). `record` finds a
 * record by id (the indexes hold ids: every one of them is stored).
 */
export function* walkSource(
  source: ListSource,
  sort: SortOrder,
  after: ListAfter | undefined,
  record: (id: string) => StoredRecord,
): Generator<StoredRecord> {
  const [only] = source.indexes;
  if (source.indexes.length === 1 && only) {
    for (const id of only.walk(sort.direction, after)) yield record(id);
    return;
  }
  const order = compareRecords(sort);
  const walks = source.indexes.map((index) => index.walk(sort.direction, after));
  const heads = walks.map((walk) => {
    const next = walk.next();
    return next.done ? undefined : record(next.value);
  });
  while (true) {
    let best = -1;
    for (let i = 0; i < heads.length; i++) {
      const head = heads[i];
      if (head && (best < 0 || order(head, heads[best] as StoredRecord) < 0)) best = i;
    }
    if (best < 0) return;
    yield heads[best] as StoredRecord;
    const next = (walks[best] as Generator<string>).next();
    heads[best] = next.done ? undefined : record(next.value);
  }
}

function isScalar(value: unknown): value is ScalarValue {
  return typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean';
}

function sameSet(a: ReadonlySet<string>, b: readonly string[]): boolean {
  const set = new Set(b);
  return a.size === set.size && [...a].every((x) => set.has(x));
}

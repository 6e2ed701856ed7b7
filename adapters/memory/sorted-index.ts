import { compareKeys, sortValue } from '../keyset.ts';
import type { ListAfter, ScalarValue, StoredRecord } from '../types.ts';

/** Entries per block at most: an insert moves at most this many entries, never all n. */
const BLOCK = 512;

/**
 * Sort keys, not records: comparing reads two arrays, not a property of each record by a
 * name that varies (a megamorphic load, several times slower), and a record written
 * again with the same sort value leaves its entry as it is.
 */
interface Block {
  values: (ScalarValue | null)[];
  ids: string[];
}

/**
 * The ids of records in `(field, id)` order (adapters/keyset.ts: present values, then
 * missing ones, ties by id), kept in blocks of at most 512 so an insert or removal costs
 * O(log n + 512) rather than an O(n) splice of one array. Walks start just after a keyset
 * position in O(log n), in either direction.
 */
export class SortedIndex {
  readonly field: string;
  #blocks: Block[] = [];
  #size = 0;

  constructor(field: string) {
    this.field = field;
  }

  get size(): number {
    return this.#size;
  }

  /** Builds the index from unordered records in one sort. */
  static of(field: string, records: readonly StoredRecord[]): SortedIndex {
    const index = new SortedIndex(field);
    const all = records.map((record) => ({ value: sortValue(record, field), record }));
    all.sort((a, b) => compareKeys(a.value, a.record.id, b.value, b.record.id));
    for (let i = 0; i < all.length; i += BLOCK / 2) {
      const slice = all.slice(i, i + BLOCK / 2);
      index.#blocks.push({ values: slice.map((e) => e.value), ids: slice.map((e) => e.record.id) });
    }
    index.#size = all.length;
    return index;
  }

  insert(record: StoredRecord): void {
    const value = sortValue(record, this.field);
    this.#size++;
    const last = this.#blocks.length - 1;
    if (last < 0) {
      this.#blocks.push({ values: [value], ids: [record.id] });
      return;
    }
    const b = Math.min(this.#blockOf(value, record.id), last);
    const block = this.#blocks[b] as Block;
    const at = within(block, value, record.id);
    block.values.splice(at, 0, value);
    block.ids.splice(at, 0, record.id);
    if (block.ids.length > BLOCK) {
      const half = BLOCK / 2;
      this.#blocks.splice(b + 1, 0, { values: block.values.splice(half), ids: block.ids.splice(half) });
    }
  }

  /** Moves the entry of `previous` to where `next` (the same id, written again) sorts. */
  replace(previous: StoredRecord, next: StoredRecord): void {
    if (sortValue(previous, this.field) === sortValue(next, this.field)) return;
    this.remove(previous);
    this.insert(next);
  }

  /** Removes the entry of `record` (found by its sort value and id); false if absent. */
  remove(record: StoredRecord): boolean {
    const value = sortValue(record, this.field);
    const b = this.#blockOf(value, record.id);
    const block = this.#blocks[b];
    if (!block) return false;
    const at = within(block, value, record.id);
    if (block.ids[at] !== record.id) return false;
    block.values.splice(at, 1);
    block.ids.splice(at, 1);
    this.#size--;
    if (block.ids.length === 0) this.#blocks.splice(b, 1);
    return true;
  }

  /**
   * Ids in order from just after `after` (the start without it); `desc` walks the exact
   * reverse. Each step is O(1); finding the start is O(log n).
   */
  *walk(direction: 'asc' | 'desc', after?: ListAfter): Generator<string> {
    const blocks = this.#blocks;
    if (direction === 'asc') {
      let b = 0;
      let i = 0;
      if (after) {
        // First entry strictly after `after`.
        b = this.#blockOf(after.value, after.id);
        const block = blocks[b];
        if (block) {
          i = within(block, after.value, after.id);
          if (block.ids[i] === after.id && block.values[i] === after.value) i++;
        }
      }
      for (; b < blocks.length; b++, i = 0) {
        const ids = (blocks[b] as Block).ids;
        for (; i < ids.length; i++) yield ids[i] as string;
      }
      return;
    }
    let b = blocks.length - 1;
    let i = (blocks[b]?.ids.length ?? 0) - 1;
    if (after) {
      // Last entry strictly before `after`: the one before the first not before it.
      const first = this.#blockOf(after.value, after.id);
      const block = blocks[first];
      if (block) {
        b = first;
        i = within(block, after.value, after.id) - 1;
      }
    }
    for (; b >= 0; b--, i = (blocks[b]?.ids.length ?? 0) - 1) {
      const ids = (blocks[b] as Block).ids;
      for (; i >= 0; i--) yield ids[i] as string;
    }
  }

  /** The first block whose last entry is not before `(value, id)`; blocks.length if none. */
  #blockOf(value: ScalarValue | null, id: string): number {
    let lo = 0;
    let hi = this.#blocks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const block = this.#blocks[mid] as Block;
      const last = block.ids.length - 1;
      if (compareKeys(block.values[last] as ScalarValue | null, block.ids[last] as string, value, id) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The position in `block` of the first entry not before `(value, id)`. */
function within(block: Block, value: ScalarValue | null, id: string): number {
  let lo = 0;
  let hi = block.ids.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (compareKeys(block.values[mid] as ScalarValue | null, block.ids[mid] as string, value, id) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

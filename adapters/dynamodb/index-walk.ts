import type { indexOf } from './layout.ts';

/** An index key as a Query returns it: the table key and the index's own key attributes. */
export type IndexEntry = Readonly<Record<string, unknown>> & { readonly id: string };

/** A position in a table or index, as DynamoDB's LastEvaluatedKey / ExclusiveStartKey. */
export type Key = Record<string, unknown>;

/** Runs one Query of one index partition: up to `limit` entries after `start`, in `forward` order. */
export type QueryPartition = (
  partition: string,
  start: Key | undefined,
  limit: number,
) => Promise<{ entries: readonly IndexEntry[]; next: Key | undefined }>;

interface Source {
  readonly partition: string;
  buffer: IndexEntry[];
  start: Key | undefined;
  done: boolean;
}

/**
 * Walks one list index over one partition or several (an `in` filter: one per value),
 * yielding entries in the index's order across all of them: each partition is read page
 * by page and the heads are merged by sort key, compared as DynamoDB does (UTF-8 bytes).
 * Sort keys end in the record id, so no two entries tie.
 */
export class IndexWalk {
  readonly #sources: Source[];
  readonly #index: ReturnType<typeof indexOf>;
  readonly #query: QueryPartition;
  readonly #ascending: boolean;

  constructor(
    index: ReturnType<typeof indexOf>,
    partitions: readonly string[],
    options: { query: QueryPartition; ascending: boolean; after?: { sortKey: string; id: string } },
  ) {
    this.#index = index;
    this.#query = options.query;
    this.#ascending = options.ascending;
    const after = options.after;
    this.#sources = [...new Set(partitions)].map((partition) => ({
      partition,
      buffer: [],
      // Any partition resumes right after the same (sort key, id): that item need not exist in it.
      start: after ? { id: after.id, [index.partition]: partition, [index.sort]: after.sortKey } : undefined,
      done: false,
    }));
  }

  /** Up to `count` more entries in index order; fewer only when every partition is exhausted. */
  async next(count: number): Promise<IndexEntry[]> {
    const out: IndexEntry[] = [];
    while (out.length < count) {
      const empty = this.#sources.filter((s) => s.buffer.length === 0 && !s.done);
      await Promise.all(empty.map((s) => this.#fill(s, count - out.length)));
      if (this.#sources.some((s) => s.buffer.length === 0 && !s.done)) continue;
      let best: Source | undefined;
      for (const source of this.#sources) {
        if (source.buffer.length === 0) continue;
        if (!best || this.#before(source.buffer[0] as IndexEntry, best.buffer[0] as IndexEntry)) best = source;
      }
      if (!best) break;
      out.push(best.buffer.shift() as IndexEntry);
    }
    return out;
  }

  async #fill(source: Source, limit: number): Promise<void> {
    const page = await this.#query(source.partition, source.start, Math.max(1, Math.min(100, limit)));
    source.buffer.push(...page.entries);
    source.start = page.next;
    source.done = page.next === undefined;
  }

  #before(a: IndexEntry, b: IndexEntry): boolean {
    const order = Buffer.compare(Buffer.from(String(a[this.#index.sort])), Buffer.from(String(b[this.#index.sort])));
    return this.#ascending ? order < 0 : order > 0;
  }
}

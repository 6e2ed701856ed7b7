/**
 * The messages between the server's thread and the thread that runs an embedded PGlite
 * database (`pglite-thread.ts` and `pglite-worker.ts`). Every request carries an `id`;
 * the worker answers each with one {@link WorkerReply} of the same `id`, in any order.
 */

/**
 * What the worker is given when it starts: the folder of the database it opens, and
 * PGlite's WebAssembly compiled by an earlier thread of this process, when there was one.
 */
export interface WorkerStart {
  readonly dir: string;
  readonly wasm?: WebAssembly.Module;
}

export type WorkerRequest =
  /** One statement; inside the transaction `tx` when given. */
  | { readonly op: 'query'; readonly id: number; readonly text: string; readonly params: readonly unknown[]; readonly tx?: number }
  /** Opens a transaction; the reply's `tx` names it in later queries and in `end`. */
  | { readonly op: 'begin'; readonly id: number }
  /** Commits (or rolls back) transaction `tx`; answered once it has. */
  | { readonly op: 'end'; readonly id: number; readonly tx: number; readonly commit: boolean }
  /** Closes the database; the worker exits after answering. */
  | { readonly op: 'close'; readonly id: number };

/** The id of the reply the worker sends once the database is open (or could not be). */
export const READY_ID = 0;

export interface WorkerReply {
  readonly id: number;
  /** On the ready reply: PGlite's compiled WebAssembly, for the next thread this process starts. */
  readonly wasm?: WebAssembly.Module;
  /** Each row's values in `columns` order: arrays cross threads faster than objects (no key per value). */
  readonly rows?: unknown[][];
  readonly columns?: string[];
  readonly tx?: number;
  readonly error?: WireError;
}

/** A driver error as plain data: what the adapter reads from one (SQLSTATE, constraint) survives the crossing. */
export interface WireError {
  readonly message: string;
  readonly code?: string;
  readonly constraint?: string;
  readonly detail?: string;
  readonly table?: string;
  readonly column?: string;
}

export function toWireError(error: unknown): WireError {
  if (!(error instanceof Error)) return { message: String(error) };
  const fields = error as Error & Partial<Record<'code' | 'constraint' | 'detail' | 'table' | 'column', unknown>>;
  const text = (value: unknown) => (typeof value === 'string' ? value : undefined);
  const wire: Record<string, string> = { message: error.message };
  for (const key of ['code', 'constraint', 'detail', 'table', 'column'] as const) {
    const value = text(fields[key]);
    if (value !== undefined) wire[key] = value;
  }
  return wire as unknown as WireError;
}

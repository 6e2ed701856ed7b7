import { statSync } from 'node:fs';
import { Worker } from 'node:worker_threads';
import type { Executor, Row } from './executor.ts';
import { guardedTransaction, storageErrorFrom } from './executor.ts';
import { READY_ID, type WireError, type WorkerReply, type WorkerRequest, type WorkerStart } from './pglite-protocol.ts';

/** A driver error from the worker, rebuilt with the fields the adapter reads (`code`, `constraint`, ...). */
export class PgliteError extends Error {
  readonly code: string | undefined;
  readonly constraint: string | undefined;
  readonly detail: string | undefined;

  constructor(wire: WireError) {
    super(wire.message);
    this.name = 'PgliteError';
    this.code = wire.code;
    this.constraint = wire.constraint;
    this.detail = wire.detail;
  }
}

/** An embedded database running on a thread of its own: {@link Executor}s over it, and its end. */
export interface PgliteThread {
  executor(label: string): Executor;
  close(): Promise<void>;
}

type Pending = { resolve: (reply: WorkerReply) => void; reject: (error: Error) => void };
type Body = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

/**
 * Starts a worker thread that opens the PGlite database in `dir` (creating it), and
 * resolves once it is open. Statements then run on that thread, so the server's thread
 * keeps answering requests while PGlite works; each answer crosses back as a message.
 *
 * From the compiled `dist/` the worker is `pglite-worker.js`; from the TypeScript sources
 * (tests, `bin/council.mjs` without a build) it registers tsx's loader before loading
 * `pglite-worker.ts`.
 */
export async function startPgliteThread(dir: string): Promise<PgliteThread> {
  const thread = prestarted.get(dir) ?? new ThreadClient(spawn({ dir }));
  prestarted.delete(dir);
  await thread.ready;
  return thread;
}

/** Threads started before their connection asked for them, by folder. */
const prestarted = new Map<string, ThreadClient>();

/**
 * Starts the thread for `dir` now (a server does so while its other modules load);
 * {@link startPgliteThread} takes it over. One that fails is dropped, so the next start
 * tries afresh and reports the failure itself.
 */
export function prestartPgliteThread(dir: string): void {
  if (prestarted.has(dir)) return;
  const thread = new ThreadClient(spawn({ dir }));
  prestarted.set(dir, thread);
  thread.ready.catch(() => {
    if (prestarted.get(dir) === thread) prestarted.delete(dir);
  });
}

/** PGlite's WebAssembly as the first thread of this process compiled it (see pglite-worker.ts). */
let compiledWasm: WebAssembly.Module | undefined;

function spawn(given: Pick<WorkerStart, 'dir'>): Worker {
  const start: WorkerStart = compiledWasm ? { ...given, wasm: compiledWasm } : given;
  const compiled = !import.meta.url.endsWith('.ts');
  if (compiled) return new Worker(new URL('./pglite-worker.js', import.meta.url), { workerData: start });
  if (builtWorkerIsCurrent()) return new Worker(BUILT_WORKER, { workerData: start });
  const script = new URL('./pglite-worker.ts', import.meta.url);
  const tsx = import.meta.resolve('tsx/esm/api');
  const boot = `import(${JSON.stringify(tsx)}).then((m) => { m.register(); return import(${JSON.stringify(script.href)}); })`;
  return new Worker(boot, { eval: true, workerData: start });
}

const BUILT_WORKER = new URL('../../dist/adapters/postgres/pglite-worker.js', import.meta.url);
const WORKER_SOURCES = ['pglite-worker.ts', 'pglite-protocol.ts', 'pglite-template.ts'].map((name) => new URL(name, import.meta.url));
let builtWorkerCurrent: boolean | undefined;

/**
 * Whether the build's worker is the worker's sources as they are now (built after each
 * was last changed). Running from the sources (the tests), such a thread starts from it:
 * tsx's loader in a new thread cost about 0.3 s and 0.45 s of CPU of every opening.
 */
function builtWorkerIsCurrent(): boolean {
  if (builtWorkerCurrent === undefined) {
    try {
      const built = statSync(new URL('../../dist/built-at', import.meta.url)).mtimeMs;
      builtWorkerCurrent = statSync(BUILT_WORKER).isFile() && WORKER_SOURCES.every((source) => statSync(source).mtimeMs <= built);
    } catch {
      builtWorkerCurrent = false;
    }
  }
  return builtWorkerCurrent;
}

class ThreadClient implements PgliteThread {
  readonly #worker: Worker;
  readonly #pending = new Map<number, Pending>();
  #nextId = READY_ID + 1;
  /** Why requests fail from now on: set once the worker closed or died. */
  #gone: Error | undefined;
  #closing: Promise<void> | undefined;
  readonly ready: Promise<void>;

  constructor(worker: Worker) {
    this.#worker = worker;
    this.ready = new Promise<void>((resolve, reject) => {
      this.#pending.set(READY_ID, {
        resolve: (reply) => (reply.error ? reject(new PgliteError(reply.error)) : resolve()),
        reject,
      });
    });
    worker.on('message', (reply: WorkerReply) => {
      if (reply.wasm) compiledWasm ??= reply.wasm;
      const pending = this.#pending.get(reply.id);
      if (!pending) return;
      this.#pending.delete(reply.id);
      if (this.#pending.size === 0) worker.unref();
      pending.resolve(reply);
    });
    worker.on('error', (error) => this.#fail(new Error(`PGlite is closed: its thread failed (${error.message})`)));
    worker.on('exit', () => this.#fail(new Error('PGlite is closed')));
  }

  #fail(error: Error): void {
    this.#gone ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#gone);
    this.#pending.clear();
  }

  #send(body: Body): Promise<WorkerReply> {
    if (this.#gone) return Promise.reject(this.#gone);
    const id = this.#nextId++;
    return new Promise<WorkerReply>((resolve, reject) => {
      // The thread keeps the process alive only while something waits for it.
      if (this.#pending.size === 0) this.#worker.ref();
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ ...body, id } as WorkerRequest);
    });
  }

  async #rows(body: Body): Promise<Row[]> {
    const reply = await this.#send(body);
    if (reply.error) throw new PgliteError(reply.error);
    const { rows, columns } = reply;
    if (!rows || !columns) return [];
    // Back to objects keyed by column, as postgres.js answers.
    return rows.map((values) => {
      const row: Row = {};
      for (let i = 0; i < columns.length; i++) row[columns[i] as string] = values[i];
      return row;
    });
  }

  executor(label: string): Executor {
    const inside = (tx: number): Executor => {
      const self: Executor = {
        query: (text, params) =>
          this.#rows({ op: 'query', text, params, tx }).catch((error) => Promise.reject(storageErrorFrom(error, label))),
        transaction: (fn) => fn(self),
      };
      return self;
    };
    return {
      query: (text, params) => this.#rows({ op: 'query', text, params }).catch((error) => Promise.reject(storageErrorFrom(error, label))),
      transaction: (fn) =>
        guardedTransaction(label, fn, async (body) => {
          const begun = await this.#send({ op: 'begin' });
          if (begun.error || begun.tx === undefined) throw new PgliteError(begun.error ?? { message: 'no transaction' });
          const tx = begun.tx;
          let result: Awaited<ReturnType<typeof body>>;
          try {
            result = await body(inside(tx));
          } catch (error) {
            await this.#rows({ op: 'end', tx, commit: false }).catch(() => {});
            throw error;
          }
          await this.#rows({ op: 'end', tx, commit: true });
          return result;
        }),
    };
  }

  close(): Promise<void> {
    this.#closing ??= (async () => {
      if (this.#gone) return;
      await this.#send({ op: 'close' }).catch(() => {});
      this.#gone = new Error('PGlite is closed');
      await this.#worker.terminate();
    })();
    return this.#closing;
  }
}

import { mkdir, readFile } from 'node:fs/promises';
import { parentPort, workerData } from 'node:worker_threads';
import type { PGlite, Transaction } from '@electric-sql/pglite';
import { READY_ID, toWireError, type WorkerReply, type WorkerRequest, type WorkerStart } from './pglite-protocol.ts';
import { seedFromTemplate } from './pglite-template.ts';

/**
 * The thread that owns one embedded PGlite database (see pglite-thread.ts): it opens the
 * database, then runs what the server's thread sends. PGlite runs one statement or
 * transaction at a time; while a transaction is open, other statements wait for it.
 */
const port = parentPort;
if (!port) throw new Error('pglite-worker.ts runs as a worker thread');
const { dir, wasm: given } = workerData as WorkerStart;
const reply = (message: WorkerReply) => port.postMessage(message);

/** Open transactions, by id: each holds PGlite's transaction open until `end` settles it. */
const open = new Map<number, { tx: Transaction; end: (commit: boolean) => void }>();
let nextTx = 1;
/** Thrown inside PGlite's transaction callback to roll it back. */
const ROLLBACK = Symbol('rollback');

let pg: PGlite;
try {
  const [{ PGlite }, wasm] = await Promise.all([
    import('@electric-sql/pglite'),
    // Compiled once per process: the thread's answer hands it to the next thread, which
    // then opens its database in about 0.25 s instead of 0.5-0.6 s (and a third of the CPU).
    given ?? readFile(new URL('./pglite.wasm', import.meta.resolve('@electric-sql/pglite'))).then((bytes) => WebAssembly.compile(bytes)),
    seedFromTemplate(dir).then(async (seeded) => {
      if (!seeded) await mkdir(dir, { recursive: true });
    }),
  ]);
  // PostgreSQL's default 128 MB of shared buffers is zeroed at every open, which in
  // WebAssembly costs about 0.2 s of each start; 32 MB still holds 4,000 pages of hot
  // data, and a page beyond it comes from the operating system's file cache.
  pg = await PGlite.create(dir, {
    pgliteWasmModule: wasm,
    startParams: [...(PGlite.defaultStartParams ?? []), '-c', 'shared_buffers=32MB'],
  });
  // Handed back only by the thread that compiled it: the others were given it.
  reply(given ? { id: READY_ID } : { id: READY_ID, wasm });
} catch (error) {
  reply({ id: READY_ID, error: toWireError(error) });
  process.exit(0);
}

port.on('message', (request: WorkerRequest) => {
  switch (request.op) {
    case 'query':
      return void query(request.id, request.text, request.params, request.tx);
    case 'begin':
      return begin(request.id);
    case 'end':
      return end(request.id, request.tx, request.commit);
    case 'close':
      return void pg.close().then(
        () => {
          reply({ id: request.id });
          port.close();
        },
        (error) => reply({ id: request.id, error: toWireError(error) }),
      );
  }
});

async function query(id: number, text: string, params: readonly unknown[], tx: number | undefined): Promise<void> {
  try {
    const on = tx === undefined ? pg : open.get(tx)?.tx;
    if (!on) throw new Error(`transaction ${tx} is not open`);
    const result = await planned(on, text, params, tx !== undefined);
    reply({ id, rows: result.rows, columns: result.fields.map((f) => f.name) });
  } catch (error) {
    reply({ id, error: toWireError(error) });
  }
}

/**
 * Statements PostgreSQL has planned once, by text (`null`: this one cannot be prepared).
 * PGlite's query() parses and plans a statement every time it runs it, and in WebAssembly
 * planning a list with a join costs more than running it; a prepared statement is planned
 * once (then with a generic plan where that is as good). Its arguments go as literals in
 * `EXECUTE` (PostgreSQL takes no bind parameters there): strings quoted with their quotes
 * doubled (standard_conforming_strings is on, so nothing else is special), numbers,
 * booleans and null as they are. Anything else runs through query() as before.
 */
const prepared = new Map<string, string | null>();
const PREPARED_MAX = 1000;
const PREPARABLE = /^(?:\/\*[^*]*\*\/\s*)?(?:select|insert|update|delete|with)\b/i;
let nextStatement = 1;
/** Rows as arrays; timestamptz as PostgreSQL's text (PGlite's zone is UTC), which record-codec.ts reads faster than a Date. */
const QUERY_OPTIONS = { rowMode: 'array', parsers: { 1184: (text: string) => text } } as const;

async function planned(on: PGlite | Transaction, text: string, params: readonly unknown[], inTransaction: boolean) {
  const literals = params.length > 0 && PREPARABLE.test(text) ? literalsOf(params) : undefined;
  let name = literals === undefined ? null : prepared.get(text);
  // First seen inside a transaction: a PREPARE that failed there would abort it.
  if (name === undefined && !inTransaction) name = await prepare(text);
  if (!name || literals === undefined) return on.query<unknown[]>(text, params as unknown[], QUERY_OPTIONS);
  return on.query<unknown[]>(`execute ${name}(${literals.join(', ')})`, [], QUERY_OPTIONS);
}

async function prepare(text: string): Promise<string | null> {
  let name: string | null = `council_${nextStatement++}`;
  try {
    await pg.query(`prepare ${name} as ${text}`);
  } catch {
    name = null;
  }
  prepared.set(text, name);
  if (prepared.size > PREPARED_MAX) {
    const [oldest, dropped] = prepared.entries().next().value as [string, string | null];
    prepared.delete(oldest);
    if (dropped) await pg.query(`deallocate ${dropped}`).catch(() => {});
  }
  return name;
}

function literalsOf(params: readonly unknown[]): string[] | undefined {
  const literals: string[] = [];
  for (const value of params) {
    if (value === null || value === undefined) literals.push('null');
    else if (typeof value === 'string') literals.push(`'${value.replaceAll("'", "''")}'`);
    else if (typeof value === 'boolean') literals.push(String(value));
    else if (typeof value === 'number' && Number.isFinite(value)) literals.push(`(${value})`);
    else return undefined;
  }
  return literals;
}

function begin(id: number): void {
  const tx = nextTx++;
  let began = false;
  pg.transaction(
    (handle) =>
      new Promise<void>((resolve, reject) => {
        began = true;
        open.set(tx, { tx: handle, end: (commit) => (commit ? resolve() : reject(ROLLBACK)) });
        reply({ id, tx });
      }),
  ).then(
    () => settled(tx),
    (error) => {
      if (began) settled(tx, error === ROLLBACK ? undefined : error);
      else reply({ id, error: toWireError(error) });
    },
  );
}

/** Where `end` waits for its transaction's outcome. */
const ending = new Map<number, number>();

function end(id: number, tx: number, commit: boolean): void {
  const handle = open.get(tx);
  if (!handle) {
    reply({ id, error: { message: `transaction ${tx} is not open` } });
    return;
  }
  ending.set(tx, id);
  handle.end(commit);
}

function settled(tx: number, error?: unknown): void {
  open.delete(tx);
  const id = ending.get(tx);
  ending.delete(tx);
  if (id !== undefined) reply(error === undefined ? { id } : { id, error: toWireError(error) });
}

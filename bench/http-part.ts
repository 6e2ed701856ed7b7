// The throughput part: for each store, every side serves the same 1,000 notes; GET by id
// (a random one of the 1,000 per request), a list page (20 of one topic) and POST are each
// measured on every side in rounds whose order rotates, so drift on the machine favours none.
import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import postgres from 'postgres';
import { createClient } from 'redis';
import type { BaselineCheckout } from './baseline-checkout.ts';
import { type Store, startEngine } from './engine-server.ts';
import { type LoadResult, type LoadSpec, type LoadTool, runLoad } from './load.ts';
import { coreBusyTicks } from './machine.ts';
import type { BenchOptions } from './options.ts';
import { cpuTicks, pinningHeld, type Started, stopProcess } from './processes.ts';
import { startHandwritten, startJsonServer } from './reference-servers.ts';

export const OPERATIONS = ['get', 'list', 'post'] as const;
export type Operation = (typeof OPERATIONS)[number];

/** One server under test. `kind` says which column of the table it fills. */
interface Side {
  kind: SideKind;
  started: Started;
  url: string;
  basePath: string;
  headers: Record<string, string>;
  listQuery: string;
  ids: string[];
  /** A temporary folder to remove once it has stopped. */
  dir?: string;
}

export type SideKind =
  | 'now-guarded'
  | 'now-open'
  | 'baseline-guarded'
  | 'baseline-open'
  | 'hand'
  | 'json-server'
  | 'observed'
  | 'unobserved';

/** What one side did on one operation, over all rounds. */
export interface Measured {
  store: Store;
  operation: Operation;
  kind: SideKind;
  rounds: LoadResult[];
  /** Share of the server's core the server used, and the share other processes took, per round. */
  serverCpu: number[];
  othersOnCore: number[];
}

export interface HttpPartResult {
  measured: Measured[];
  /** Stores not measured, with why. */
  skipped: string[];
  /** Every affinity check: what was checked and whether it held (undefined: not pinned). */
  pinning: { what: string; held: boolean | undefined }[];
}

const SEED = 1000;
const TOPICS = 5;
const NOTE = JSON.stringify({ text: 'benchmark note', topic: 't0', pinned: false });
export const TICKS_PER_SECOND = Number(spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).stdout) || 100;

export async function httpPart(options: BenchOptions, tool: LoadTool, baseline: BaselineCheckout | undefined): Promise<HttpPartResult> {
  const result: HttpPartResult = { measured: [], skipped: [], pinning: [] };
  for (const store of options.stores) {
    const unavailable = await prepareStore(store, options);
    if (unavailable) {
      result.skipped.push(`${store}: ${unavailable}`);
      console.log(`http: ${store} not measured: ${unavailable}`);
      continue;
    }
    const sides = await startSides(store, options, baseline, (why) => {
      result.skipped.push(`${store}, ${baseline?.commit ?? 'baseline'}: ${why}`);
      console.log(`http: ${store} baseline not measured: ${why}`);
    });
    try {
      for (const side of sides) result.pinning.push({ what: `${side.kind} ${store} server at start`, held: pinningHeld(side.started) });
      for (const side of sides) side.ids = await seed(side);
      for (const operation of OPERATIONS) {
        const byKind = new Map<SideKind, Measured>(
          sides.map((s) => [s.kind, { store, operation, kind: s.kind, rounds: [], serverCpu: [], othersOnCore: [] }]),
        );
        for (const side of sides) await measure(side, operation, options.warmupSeconds, options, tool);
        for (let round = 0; round < options.rounds; round++) {
          const order = [...sides.slice(round % sides.length), ...sides.slice(0, round % sides.length)];
          for (const side of order) {
            const m = await measure(side, operation, options.seconds, options, tool);
            const into = byKind.get(side.kind);
            into?.rounds.push(m.load);
            into?.serverCpu.push(m.serverCpu);
            into?.othersOnCore.push(m.othersOnCore);
            result.pinning.push({ what: `load generator, ${side.kind} ${store} ${operation}`, held: m.load.pinned });
          }
        }
        for (const m of byKind.values()) {
          result.measured.push(m);
          const rps = m.rounds.reduce((s, r) => s + r.rps, 0) / m.rounds.length;
          console.log(`http: ${store} ${operation} ${m.kind}: ${rps.toFixed(0)} req/s`);
        }
      }
      for (const side of sides) result.pinning.push({ what: `${side.kind} ${store} server at end`, held: pinningHeld(side.started) });
    } finally {
      await Promise.all(sides.map((side) => stopProcess(side.started)));
      for (const side of sides) if (side.dir) rmSync(side.dir, { recursive: true, force: true });
    }
  }
  return result;
}

/** Empties what earlier runs left in the bench's database and Redis; a sentence when the store cannot be used. */
async function prepareStore(store: Store, options: BenchOptions): Promise<string | undefined> {
  if (store === 'postgres') {
    const sql = postgres(options.postgresUrl, { max: 1, connect_timeout: 3, onnotice: () => {} });
    try {
      // The bench's own database: every table of earlier runs goes, so each run starts alike.
      await sql`drop schema if exists public cascade`;
      await sql`create schema public`;
    } catch (error) {
      return `no PostgreSQL at ${options.postgresUrl} (set BENCH_POSTGRES_URL): ${(error as Error).message}`;
    } finally {
      await sql.end({ timeout: 1 });
    }
  }
  if (store === 'redis') {
    const client = createClient({ url: options.redisUrl, socket: { connectTimeout: 3000, reconnectStrategy: false } });
    client.on('error', () => {});
    try {
      await client.connect();
      // The bench's own database (db 14 by default): the engine's keys of earlier runs; the hand-written app deletes its own.
      for await (const keys of client.scanIterator({ MATCH: 'council:*', COUNT: 1000 })) if (keys.length) await client.del(keys);
      await client.close();
    } catch (error) {
      return `no Redis at ${options.redisUrl} (set BENCH_REDIS_URL): ${(error as Error).message}`;
    }
  }
  return undefined;
}

/**
 * Every side's server, one after another. A baseline that cannot start for this store (an
 * old bug of that commit) is left out with `onBaselineFailed`, not the whole run.
 */
async function startSides(
  store: Store,
  options: BenchOptions,
  baseline: BaselineCheckout | undefined,
  onBaselineFailed: (why: string) => void,
): Promise<Side[]> {
  const core = options.serverCore;
  const urls = { postgresUrl: options.postgresUrl, redisUrl: options.redisUrl };
  const checkouts: [string, 'now' | 'baseline'][] = [[new URL('../', import.meta.url).pathname, 'now']];
  if (baseline) checkouts.push([baseline.dir, 'baseline']);
  const sides: Side[] = [];
  const common = { headers: {}, listQuery: '?topic=t0&limit=20', ids: [] };
  // One after another: the engines share the system store on PostgreSQL, and starts compete for the one core.
  for (const [checkout, version] of checkouts) {
    const started: Side[] = [];
    try {
      for (const guards of [true, false]) {
        const name = `notes-${version}${guards ? '' : '-open'}`;
        const engine = await startEngine({ checkout, name, store, guards, ...urls, core });
        const headers: Record<string, string> = engine.key ? { authorization: `Bearer ${engine.key}` } : {};
        started.push({
          ...common,
          kind: `${version}-${guards ? 'guarded' : 'open'}`,
          started: engine.started,
          url: engine.url,
          dir: engine.dir,
          basePath: `/${name}`,
          headers,
        });
      }
    } catch (error) {
      if (version === 'now') throw error;
      for (const side of started) await stopProcess(side.started);
      onBaselineFailed((error as Error).message.split('\n')[0] ?? String(error));
      continue;
    }
    sides.push(...started);
  }
  const hand = await startHandwritten(store, urls, core);
  sides.push({ ...common, kind: 'hand', started: hand.started, url: hand.url, basePath: '/notes' });
  if (store === 'memory') {
    const json = await startJsonServer(core);
    sides.push({
      ...common,
      kind: 'json-server',
      started: json.started,
      dir: json.dir,
      url: json.url,
      basePath: '/notes',
      listQuery: '?topic=t0&_page=1&_per_page=20',
    });
  }
  return sides;
}

/** Creates the notes every side serves (topics t0 to t4 in turn) and returns their ids. */
export async function seed(side: Pick<Side, 'kind' | 'url' | 'basePath' | 'headers'>): Promise<string[]> {
  const ids: string[] = new Array(SEED);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < SEED; i = next++) {
      const body = JSON.stringify({ text: `note ${i}`, topic: `t${i % TOPICS}`, pinned: false });
      const response = await fetch(`${side.url}${side.basePath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...side.headers },
        body,
      });
      const created = (await response.json()) as { id?: string; data?: { id?: string } };
      const id = created.data?.id ?? created.id;
      if (response.status !== 201 || !id) throw new Error(`seeding ${side.kind}: ${response.status} ${JSON.stringify(created)}`);
      ids[i] = id;
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  return ids;
}

async function measure(side: Side, operation: Operation, seconds: number, options: BenchOptions, tool: LoadTool) {
  const base = `${side.url}${side.basePath}`;
  const common = { seconds, connections: options.connections, headers: side.headers };
  const spec: LoadSpec =
    operation === 'get'
      ? { ...common, url: `${base}/${side.ids[0]}`, method: 'GET', paths: side.ids.map((id) => `${side.basePath}/${id}`) }
      : operation === 'list'
        ? { ...common, url: `${base}${side.listQuery}`, method: 'GET' }
        : { ...common, url: base, method: 'POST', headers: { ...side.headers, 'content-type': 'application/json' }, body: NOTE };
  const core = options.serverCore;
  const [ticks, busy, started] = [cpuTicks(side.started.pid), coreBusyTicks(), performance.now()];
  const load = await runLoad(tool, spec, options.loadCore);
  const elapsed = ((performance.now() - started) / 1000) * TICKS_PER_SECOND;
  const serverTicks = cpuTicks(side.started.pid) - ticks;
  const coreTicks = core === undefined ? Number.NaN : (coreBusyTicks().get(core) ?? Number.NaN) - (busy.get(core) ?? Number.NaN);
  return { load, serverCpu: serverTicks / elapsed, othersOnCore: Math.max(0, coreTicks - serverTicks) / elapsed };
}

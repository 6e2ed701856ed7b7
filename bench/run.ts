// npm run bench: requests/s of the engine vs a hand-written Hono app on the same store,
// measured in one run with autocannon, servers in child processes (one core each side).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { createClient } from 'redis';
import { startDynalite } from '../tests/support/dynalite.ts';
import { NOTE, REDIS_BENCH_URL } from './servers/shared.ts';

const DURATION = Number(process.env.BENCH_SECONDS ?? 5);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const CONNECTIONS = 10;
/**
 * Every server, engine and hand-written alike, runs with the V8 flags `npm start` and the
 * Dockerfile give the engine: a 32 MB young generation, so short-lived request objects
 * die young instead of making collections of a heap that holds embedded PGlite dearer.
 */
const SERVER_NODE_FLAGS = ['--max-semi-space-size=32'];

interface Started {
  child: ChildProcess;
  url: string;
  id: string;
  /** The API key to send, for a locked automation. */
  key?: string;
}

// Servers never outlive the benchmark, even when it is interrupted.
const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGPIPE'] as const) process.on(signal, () => process.exit(1));

async function start(kind: 'engine' | 'baseline', store: string, ...extra: string[]): Promise<Started> {
  const child = spawn(
    process.execPath,
    [...SERVER_NODE_FLAGS, '--import', 'tsx', new URL(`./servers/${kind}.ts`, import.meta.url).pathname, store, ...extra],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  children.add(child);
  const [line] = (await once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), 'line')) as [string];
  return { child, ...(JSON.parse(line) as { url: string; id: string; key?: string }) };
}

async function measure(target: Started, operation: 'get' | 'post' | 'list', seconds: number): Promise<number> {
  const auth: Record<string, string> = target.key ? { authorization: `Bearer ${target.key}` } : {};
  const options =
    operation === 'get'
      ? { url: `${target.url}/notes/${target.id}`, headers: auth }
      : operation === 'list'
        ? { url: `${target.url}/notes?topic=t0&limit=20`, headers: auth }
        : {
            url: `${target.url}/notes`,
            method: 'POST' as const,
            headers: { 'content-type': 'application/json', ...auth },
            body: JSON.stringify(NOTE),
          };
  const result = await autocannon({ ...options, connections: CONNECTIONS, duration: seconds });
  const expected = operation === 'get' ? '2xx' : '2xx';
  if (result.non2xx > 0 || result.errors > 0)
    throw new Error(`${operation} on ${target.url}: ${result.non2xx} non-2xx, ${result.errors} errors (${expected} expected)`);
  return result.requests.average;
}

/** Redis is measured when one answers; the run says so when it does not. */
async function redisAnswers(): Promise<boolean> {
  const client = createClient({ url: REDIS_BENCH_URL, socket: { connectTimeout: 2000, reconnectStrategy: false } });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.close();
    return true;
  } catch {
    console.log(`redis: no server at ${REDIS_BENCH_URL} (set REDIS_URL); not measured`);
    return false;
  }
}

const rows: string[] = [];
// BENCH_STORES=memory,redis measures only those; BENCH_STORES=none only what follows the stores.
const only = process.env.BENCH_STORES?.split(',');
const stores = ['memory', 'postgres', ...((await redisAnswers()) ? ['redis'] : []), 'dynamodb'].filter((s) => !only || only.includes(s));
// DynamoDB is dynalite (a devDependency) in a process of its own; both sides read from it.
const dynalite = stores.includes('dynamodb') ? await startDynalite() : undefined;
if (dynalite) {
  process.env.DYNAMODB_ENDPOINT = dynalite.url;
  // As the adapter does: the SDK's notice about its future Node 22 releases, once per server.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}
for (const store of stores) {
  const engine = await start('engine', store);
  const baseline = await start('baseline', store);
  try {
    // On dynalite only reads by id: its own speed, not the engine's, would bound the rest.
    for (const operation of store === 'dynamodb' ? (['get'] as const) : (['get', 'list', 'post'] as const)) {
      await measure(engine, operation, 1);
      await measure(baseline, operation, 1);
      const e: number[] = [];
      const b: number[] = [];
      // Alternate the two so drift on the machine hits both alike.
      for (let round = 0; round < ROUNDS; round++) {
        e.push(await measure(engine, operation, DURATION));
        b.push(await measure(baseline, operation, DURATION));
      }
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const what = { get: 'GET by id', list: 'list (20, 1 filter)', post: 'POST' }[operation];
      const label = `${what} on ${{ postgres: 'PGlite', dynamodb: 'dynalite' }[store] ?? store}`;
      rows.push(
        `${label.padEnd(30)} engine ${mean(e).toFixed(0).padStart(7)} req/s   hand-written ${mean(b).toFixed(0).padStart(7)} req/s   ratio ${(mean(e) / mean(b)).toFixed(2)}x`,
      );
      console.log(rows.at(-1));
    }
  } finally {
    engine.child.kill('SIGTERM');
    baseline.child.kill('SIGTERM');
  }
}
await dynalite?.stop();
// What the guards cost: the same engine with its automation locked (a key on every
// request, checked against the system store's cached hash) and rate limited, against
// public with no rate limiting at all; public with limiting splits the cost in two.
{
  const sides = {
    guarded: await start('engine', 'memory', 'locked'),
    limited: await start('engine', 'memory'),
    unguarded: await start('engine', 'memory', 'unguarded'),
  };
  // Every side sends the same Authorization header (the public ones ignore it), so the
  // ratio is the engine's work, not the bytes the client chose to send.
  for (const side of [sides.limited, sides.unguarded]) side.key = sides.guarded.key;
  try {
    for (const operation of ['get', 'post'] as const) {
      const rates = { guarded: [] as number[], limited: [] as number[], unguarded: [] as number[] };
      for (const side of Object.values(sides)) await measure(side, operation, 1);
      // Each round starts with another side, so drift on the machine favours none of them.
      const order = Object.entries(sides);
      for (let round = 0; round < ROUNDS; round++) {
        for (const [name, side] of [...order.slice(round % order.length), ...order.slice(0, round % order.length)]) {
          rates[name as keyof typeof sides].push(await measure(side, operation, DURATION));
        }
      }
      const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
      const [g, l, u] = [mean(rates.guarded), mean(rates.limited), mean(rates.unguarded)];
      const label = `${operation === 'get' ? 'GET by id' : 'POST'} on memory, guards`;
      console.log(
        `${label.padEnd(30)} key+limit ${g.toFixed(0).padStart(7)} req/s   none ${u.toFixed(0).padStart(7)} req/s   ratio ${(g / u).toFixed(2)}x (target >= 0.9x; key ${(g / l).toFixed(2)}x, limit ${(l / u).toFixed(2)}x)`,
      );
    }
  } finally {
    for (const side of Object.values(sides)) side.child.kill('SIGTERM');
  }
}
console.log(`\n${CONNECTIONS} connections, ${ROUNDS} x ${DURATION}s per side, alternating; Node ${process.version}`);

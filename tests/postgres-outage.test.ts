import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../engine/log.ts';
import { listen } from '../engine/server/listen.ts';
import { postgresBinarySkip, startOwnPostgres } from './support/postgres-server.ts';
import { makeProject } from './support/project.ts';

const CLIENTS = 8;
const OUTAGE_MS = 10_000;
/** Each client's pause between requests, so 8 clients make a steady load, not a busy loop. */
const PACE_MS = 50;

interface Sample {
  readonly client: number;
  readonly start: number;
  readonly end: number;
  readonly status: number;
  readonly retryAfter: string | null;
  readonly code?: string;
}

const manifest = `name: items
description: Items on a PostgreSQL server that goes away for a while.
access: { public: true }
storage:
  backend: postgres
  connection: own
schema:
  type: object
  additionalProperties: false
  required: [title]
  properties:
    title: { type: string, maxLength: 100 }
endpoints:
  - operation: list
  - operation: get
  - operation: create
`;

const percentile = (values: readonly number[], q: number) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

// This test runs its own PostgreSQL server, so it can stop it; without the binaries it says so and skips.
describe('postgres: the server stops for 10 s under 8 concurrent clients', { skip: postgresBinarySkip }, () => {
  it('503 with Retry-After within 1 s while it is down; serving again within 2 s once it is back', { timeout: 180_000 }, async (t) => {
    const pg = await startOwnPostgres();
    const project = makeProject({ 'items.yaml': manifest }, { own: { backend: 'postgres', url: pg.url } });
    const server = await listen(project.config(), silentLogger);
    const samples: Sample[] = [];
    const stop = { done: false };
    const client = async (n: number) => {
      for (let i = 0; !stop.done; i++) {
        const start = performance.now();
        const init: RequestInit =
          i % 2 === 0
            ? { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ title: `c${n}-${i}` }) }
            : { method: 'GET' };
        try {
          const response = await fetch(`${server.url}/items${i % 2 === 0 ? '' : '?limit=5'}`, {
            ...init,
            signal: AbortSignal.timeout(30_000),
          });
          const body = (await response.json().catch(() => ({}))) as { code?: string };
          samples.push({
            client: n,
            start,
            end: performance.now(),
            status: response.status,
            retryAfter: response.headers.get('retry-after'),
            ...(body.code ? { code: body.code } : {}),
          });
        } catch {
          samples.push({ client: n, start, end: performance.now(), status: 0, retryAfter: null });
        }
        await sleep(PACE_MS);
      }
    };
    const clients = Array.from({ length: CLIENTS }, (_, n) => client(n));
    let tStop = 0;
    let tDown = 0;
    let tStart = 0;
    let tUp = 0;
    try {
      await sleep(1500);
      tStop = performance.now();
      await pg.stop();
      tDown = performance.now();
      await sleep(Math.max(0, tStop + OUTAGE_MS - performance.now()));
      tStart = performance.now();
      await pg.start();
      tUp = performance.now();
      await sleep(4000);
    } finally {
      stop.done = true;
      await Promise.all(clients);
      await server.close();
      await pg.remove();
      project.remove();
    }

    const ok = (s: Sample) => s.status >= 200 && s.status < 300;
    const before = samples.filter((s) => s.end < tStop);
    const unavailable = samples.filter((s) => s.status === 503);
    const whileDown = samples.filter((s) => s.start >= tDown && s.start < tStart);
    const other = samples.filter((s) => !ok(s) && s.status !== 503);
    const firstBack = samples.filter((s) => ok(s) && s.end >= tUp).sort((a, b) => a.end - b.end)[0];
    const servedBy = Math.max(
      ...Array.from(
        { length: CLIENTS },
        (_, n) => samples.find((s) => s.client === n && ok(s) && s.start >= tUp)?.end ?? Number.POSITIVE_INFINITY,
      ),
    );
    const lateFailures = samples.filter((s) => s.start >= tUp + 2000 && !ok(s));
    const latencies = unavailable.map((s) => s.end - s.start);
    const downLatencies = whileDown.map((s) => s.end - s.start);
    t.diagnostic(
      `${samples.length} requests from ${CLIENTS} clients; server stopped in ${(tDown - tStop).toFixed(0)} ms, down ${((tStart - tStop) / 1000).toFixed(1)} s, started in ${(tUp - tStart).toFixed(0)} ms`,
    );
    t.diagnostic(
      `time to 503: ${unavailable.length} answers, p50 ${percentile(latencies, 0.5).toFixed(1)} ms, max ${Math.max(...latencies).toFixed(1)} ms; requests sent while down: ${whileDown.length}, max ${Math.max(...downLatencies).toFixed(1)} ms`,
    );
    t.diagnostic(
      `time to recover: first success ${firstBack ? (firstBack.end - tUp).toFixed(0) : 'never'} ms after the server is back, every client served by ${(servedBy - tUp).toFixed(0)} ms; non-2xx other than 503: ${other.length}; failures 2 s after it is back: ${lateFailures.length}`,
    );

    assert.ok(before.length >= CLIENTS, `the clients ran before the outage (${before.length} requests)`);
    assert.deepEqual(
      before.filter((s) => !ok(s)).map((s) => s.status),
      [],
      'all 2xx before the outage',
    );
    assert.ok(whileDown.length >= CLIENTS * 10, `the clients kept asking while the server was down (${whileDown.length} requests)`);
    assert.deepEqual(
      whileDown.filter((s) => s.status !== 503).map((s) => s.status),
      [],
      'every request while the server is down is a 503',
    );
    assert.deepEqual(
      unavailable.filter((s) => s.code !== 'storage-unavailable' || !s.retryAfter).map((s) => [s.code, s.retryAfter]),
      [],
      'every 503 is storage-unavailable with Retry-After',
    );
    assert.ok(Math.max(...latencies) <= 1000, `every 503 within 1 s (max ${Math.max(...latencies).toFixed(1)} ms)`);
    assert.deepEqual(
      other.map((s) => s.status),
      [],
      'no other failure (500, 504, dropped connection)',
    );
    assert.ok(firstBack && firstBack.end - tUp <= 2000, 'a request succeeds within 2 s of the server being back');
    assert.ok(servedBy - tUp <= 2000, `every client is served within 2 s of the server being back (${(servedBy - tUp).toFixed(0)} ms)`);
    assert.deepEqual(
      lateFailures.map((s) => s.status),
      [],
      'nothing fails once the server has been back for 2 s',
    );
  });
});

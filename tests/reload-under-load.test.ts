import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { silentLogger } from '../engine/log.ts';
import { listen, type RunningServer } from '../engine/server/listen.ts';
import { postgresServerGate } from './support/postgres-server.ts';
import { makeProject, type TestProject } from './support/project.ts';

const pgGate = await postgresServerGate();

const CONNECTIONS = 10;

/**
 * The automation the load runs against; `qty` adds a property (a column, sorted on, so
 * an index too) that the next reload removes again. Bodies the load sends are valid under
 * both versions, so any non-2xx is the engine's doing.
 */
function manifest(name: string, qty: 'none' | 'integer' | 'string'): string {
  return `name: ${name}
description: Reloads under load.
access: { public: true }
storage:
  backend: postgres
  connection: pg
schema:
  type: object
  additionalProperties: false
  required: [title]
  properties:
    title: { type: string, maxLength: 100 }
    done: { type: boolean }
${qty === 'none' ? '' : `    qty: { type: ${qty} }\n`}endpoints:
  - operation: list
    filters: [done]
    sort: [title${qty === 'none' ? '' : ', qty'}]
  - operation: get
  - operation: create
  - operation: update
  - operation: delete
`;
}

interface LoadFigures {
  requests: number;
  non2xx: number;
  errors: number;
  byStatus: Map<string, number>;
  firstFailure?: string;
}

/**
 * `connections` clients, each looping create / get / list / update / delete on the
 * automation until `stop` is set; every answer is counted by status.
 */
function runLoad(url: string, path: string, connections: number, stop: { done: boolean }): { figures: LoadFigures; done: Promise<void> } {
  const figures: LoadFigures = { requests: 0, non2xx: 0, errors: 0, byStatus: new Map() };
  const count = (what: string, ok: boolean, detail: string) => {
    figures.requests++;
    figures.byStatus.set(what, (figures.byStatus.get(what) ?? 0) + 1);
    if (!ok) {
      if (what === 'error') figures.errors++;
      else figures.non2xx++;
      figures.firstFailure ??= detail;
    }
  };
  const send = async (method: string, target: string, body?: unknown): Promise<any> => {
    try {
      const response = await fetch(`${url}${target}`, {
        method,
        // A request that hangs is a failure too, not a test that never ends.
        signal: AbortSignal.timeout(30_000),
        headers: body === undefined ? {} : { 'content-type': 'application/json' },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
      });
      const text = await response.text();
      count(String(response.status), response.ok, `${method} ${target}: ${response.status} ${text.slice(0, 300)}`);
      return response.ok && text ? JSON.parse(text) : undefined;
    } catch (error) {
      count('error', false, `${method} ${target}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const client = async (n: number) => {
    for (let i = 0; !stop.done; i++) {
      const created = await send('POST', path, { title: `c${n}-${i}`, done: i % 2 === 0 });
      const id = created?.data?.id;
      await send('GET', `${path}?sort=title&limit=5&done=true`);
      if (!id) continue;
      await send('GET', `${path}/${id}`);
      await send('PATCH', `${path}/${id}`, { done: i % 3 === 0 });
      if (i % 2 === 1) await send('DELETE', `${path}/${id}`);
    }
  };
  return { figures, done: Promise.all(Array.from({ length: connections }, (_, n) => client(n))).then(() => {}) };
}

/** Waits until the load has answered `more` requests since `from` (so every reload overlaps traffic). */
async function progress(figures: LoadFigures, from: number, more: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  while (figures.requests < from + more) {
    if (Date.now() > deadline) assert.fail(`the load stalled at ${figures.requests} requests`);
    await sleep(2);
  }
}

/**
 * Reloads `versions` in turn (the first one serves at start) under 10 connections of
 * load, on one kind of PostgreSQL; prints the figures and asserts 0 non-2xx.
 */
async function reloadUnderLoad(
  t: { diagnostic(message: string): void },
  label: string,
  pg: { url?: string },
  versions: readonly Parameters<typeof manifest>[1][],
  reloads: number,
  running: { project: TestProject; server: RunningServer }[],
): Promise<void> {
  const name = `load${Math.random().toString(36).slice(2, 8)}`;
  const project = makeProject({ 'load.yaml': manifest(name, versions[0] ?? 'none') }, { pg: { backend: 'postgres', url: pg.url ?? '' } });
  const server = await listen(project.config(), silentLogger);
  running.push({ project, server });
  const file = join(project.automations, 'load.yaml');
  const stop = { done: false };
  const { figures, done } = runLoad(server.url, `/${name}`, CONNECTIONS, stop);
  const started = performance.now();
  let updated = 0;
  const reloadMs: number[] = [];
  try {
    for (let i = 1; i <= reloads; i++) {
      await progress(figures, figures.requests, CONNECTIONS * 2);
      project.write('load.yaml', manifest(name, versions[i % versions.length] ?? 'none'));
      const report = await server.engine.reloader.reload([file]);
      reloadMs.push(report.ms);
      if (report.files.some((f) => f.outcome === 'updated')) updated++;
      else assert.fail(`reload ${i} did not update: ${JSON.stringify(report.files)} ${JSON.stringify(server.engine.registry.failures())}`);
    }
  } finally {
    stop.done = true;
    await done;
  }
  const seconds = (performance.now() - started) / 1000;
  const statuses = [...figures.byStatus].map(([s, n]) => `${s}: ${n}`).join(', ');
  t.diagnostic(
    `${label}: ${updated} reloads (${versions.join(' -> ')}) in ${seconds.toFixed(1)} s under ${CONNECTIONS} connections; ${figures.requests} requests (${statuses}); non-2xx ${figures.non2xx}, network errors ${figures.errors}`,
  );
  const sorted = reloadMs.sort((a, b) => a - b);
  t.diagnostic(
    `reload (swap, and where a column goes or changes type, the drain and the change): median ${sorted[sorted.length >> 1]?.toFixed(1)} ms, max ${sorted[sorted.length - 1]?.toFixed(1)} ms`,
  );
  if (figures.firstFailure) t.diagnostic(`first failure: ${figures.firstFailure}`);
  assert.equal(updated, reloads);
  assert.ok(figures.requests > reloads * 5, `the load kept running across the reloads (${figures.requests} requests)`);
  assert.equal(figures.non2xx + figures.errors, 0, `non-2xx or failed requests: ${statuses}; first: ${figures.firstFailure}`);
}

/** `reloads`: how many of each kind; the embedded store serializes every statement, so it runs fewer. */
function reloadsUnderLoad(label: string, pg: { url?: string; skip?: string | false }, reloads: { columns: number; types: number }) {
  describe(`reloads that change columns under load on ${label}`, { skip: pg.skip ?? false }, () => {
    const running: { project: TestProject; server: RunningServer }[] = [];
    after(async () => {
      for (const { project, server } of running) {
        await server.close();
        project.remove();
      }
    });

    it(
      `${reloads.columns} reloads alternately adding and dropping a column, under ${CONNECTIONS} connections: 0 non-2xx`,
      { timeout: 300_000 },
      (t) => reloadUnderLoad(t, label, pg, ['none', 'integer'], reloads.columns, running),
    );

    it(
      `${reloads.types} reloads alternately retyping an empty column, under ${CONNECTIONS} connections: 0 non-2xx`,
      { timeout: 300_000 },
      (t) => reloadUnderLoad(t, label, pg, ['integer', 'string'], reloads.types, running),
    );
  });
}

reloadsUnderLoad('the PostgreSQL server', pgGate, { columns: 100, types: 40 });
reloadsUnderLoad('embedded PGlite', {}, { columns: 30, types: 20 });

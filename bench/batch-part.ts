// The batch part: records created per second by single POSTs (10 connections, as a client
// writing a burst would) against POST /tickets/batch with 100 creates a request, on one
// pinned engine per store, the load generator on its own core. The issue's target: a
// batch of 100 at least 10x faster than 100 single POSTs.
import { rmSync } from 'node:fs';
import { startEngine } from './engine-server.ts';
import { emptyDatabase } from './expand-part.ts';
import { type LoadTool, runLoad } from './load.ts';
import type { BenchOptions } from './options.ts';
import { stopProcess } from './processes.ts';
import { mean, medianRatio } from './ratios.ts';

const BATCH = 100;

export interface BatchResult {
  readonly store: string;
  /** Records created per second, per round: single POSTs, then batches of 100. */
  readonly single: number[];
  readonly batched: number[];
  /** Median of per-round batched / single. */
  readonly speedup: number;
  readonly failed: number;
  readonly skipped?: string;
}

const manifest = (storage: string) => `name: tickets
description: Bench tickets written in bursts.
access: { public: true }
storage: { ${storage} }
schema:
  type: object
  required: [title]
  properties:
    title: { type: string, maxLength: 200 }
    status: { type: string, maxLength: 20 }
endpoints:
  - { operation: create }
  - { operation: batch }
`;

export async function batchPart(options: BenchOptions, tool: LoadTool): Promise<BatchResult[]> {
  const results: BatchResult[] = [];
  const stores: [string, string, string][] = [
    ['memory', 'backend: memory', ''],
    ['PGlite (embedded)', 'backend: postgres', ''],
    ['PostgreSQL server', 'backend: postgres', options.postgresUrl],
    ['Redis', 'backend: redis, connection: redis', options.redisUrl],
  ];
  for (const [label, storage, url] of stores) {
    if (label === 'PostgreSQL server') {
      const why = await emptyDatabase(url);
      if (why) {
        results.push({ store: label, single: [], batched: [], speedup: Number.NaN, failed: 0, skipped: why });
        continue;
      }
    }
    const engine = await startEngine({
      checkout: new URL('../', import.meta.url).pathname,
      name: 'batch',
      store: storage.includes('redis') ? 'redis' : storage.includes('postgres') ? 'postgres' : 'memory',
      guards: false,
      postgresUrl: label === 'PostgreSQL server' ? url : '',
      redisUrl: options.redisUrl,
      core: options.serverCore,
      manifests: { 'tickets.yaml': manifest(storage) },
    });
    try {
      const record = { title: 'A ticket written in a burst', status: 'open' };
      const spec = (path: string, body: unknown, seconds: number) => ({
        url: `${engine.url}${path}`,
        method: 'POST' as const,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(body),
        seconds,
        connections: options.connections,
      });
      const single = spec('/tickets', record, options.seconds);
      const batch = spec(
        '/tickets/batch',
        { operations: Array.from({ length: BATCH }, () => ({ op: 'create', data: record })) },
        options.seconds,
      );
      await runLoad(tool, { ...single, seconds: options.warmupSeconds }, options.loadCore);
      await runLoad(tool, { ...batch, seconds: options.warmupSeconds }, options.loadCore);
      const singles: number[] = [];
      const batched: number[] = [];
      let failed = 0;
      for (let round = 0; round < options.rounds; round++) {
        const one = await runLoad(tool, single, options.loadCore);
        const many = await runLoad(tool, batch, options.loadCore);
        failed += one.failed + many.failed;
        singles.push(one.rps);
        batched.push(many.rps * BATCH);
      }
      const speedup = medianRatio(batched, singles);
      results.push({ store: label, single: singles, batched, speedup, failed });
      console.log(
        `batch: ${label}: ${mean(singles).toFixed(0)} records/s by single POSTs, ${mean(batched).toFixed(0)} in batches of ${BATCH}, ${speedup.toFixed(1)}x`,
      );
    } finally {
      await stopProcess(engine.started);
      rmSync(engine.dir, { recursive: true, force: true });
    }
  }
  return results;
}

export function batchLines(results: readonly BatchResult[]): string[] {
  return [
    `Batch: records created per second, single POST /tickets against POST /tickets/batch of ${BATCH} creates; speedup = median of batched/single`,
    ...results.map((r) =>
      r.skipped
        ? `  ${r.store}: not measured: ${r.skipped}`
        : `  ${r.store}: single ${r.single.map((x) => x.toFixed(0)).join(', ')}; batched ${r.batched.map((x) => x.toFixed(0)).join(', ')}; ${r.speedup.toFixed(1)}x${r.failed ? `; ${r.failed} failed requests` : ''}`,
    ),
  ];
}

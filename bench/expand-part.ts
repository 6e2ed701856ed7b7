// The expand part: a page of 20 tickets with `?expand=account` against the same page
// without it, on embedded PGlite and on the PostgreSQL server, one engine process on the
// server core and the load generator on its own. The two requests alternate round by
// round on the same server, so drift on the machine favours neither; the cost is the
// ratio of their req/s (the issue's target: at most 1.5x).
import { rmSync } from 'node:fs';
import postgres from 'postgres';
import { startEngine } from './engine-server.ts';
import { TICKS_PER_SECOND } from './http-part.ts';
import { type LoadTool, runLoad } from './load.ts';
import type { BenchOptions } from './options.ts';
import { cpuTicks, stopProcess } from './processes.ts';
import { mean, medianRatio } from './ratios.ts';

const ACCOUNTS = 100;
const TICKETS = 1000;

export interface ExpandResult {
  readonly store: string;
  readonly plain: number[];
  readonly expanded: number[];
  /** Median of the per-round ratios plain / expanded: how many times a page with expand costs. */
  readonly cost: number;
  /** The engine's CPU time per request (µs) in each round, plain and expanded: the steadier measure when the machine drifts. */
  readonly cpuUs: { readonly plain: number[]; readonly expanded: number[] };
  readonly failed: number;
  readonly skipped?: string;
}

const manifests = (store: string) => ({
  'accounts.yaml': `name: accounts
description: Bench accounts.
access: { public: true }
storage: { backend: ${store} }
schema:
  type: object
  required: [name]
  properties:
    name: { type: string, maxLength: 100 }
    plan: { type: string, maxLength: 20 }
endpoints:
  - { operation: get }
  - { operation: create }
`,
  'tickets.yaml': `name: tickets
description: Bench tickets, each for one account.
access: { public: true }
storage: { backend: ${store} }
references:
  account: { field: accountId, automation: accounts }
schema:
  type: object
  required: [title, accountId]
  properties:
    title: { type: string, maxLength: 200 }
    accountId: { type: string, format: uuid }
    status: { type: string, maxLength: 20 }
endpoints:
  - { operation: list, filters: [status] }
  - { operation: create }
`,
});

export async function expandPart(options: BenchOptions, tool: LoadTool): Promise<ExpandResult[]> {
  const results: ExpandResult[] = [];
  for (const [label, url] of [
    ['PGlite (embedded)', ''],
    ['PostgreSQL server', options.postgresUrl],
  ] as const) {
    if (url) {
      const why = await emptyDatabase(url);
      if (why) {
        results.push({
          store: label,
          plain: [],
          expanded: [],
          cost: Number.NaN,
          cpuUs: { plain: [], expanded: [] },
          failed: 0,
          skipped: why,
        });
        continue;
      }
    }
    const engine = await startEngine({
      checkout: new URL('../', import.meta.url).pathname,
      name: 'expand',
      store: 'postgres',
      guards: false,
      postgresUrl: url,
      redisUrl: options.redisUrl,
      core: options.serverCore,
      manifests: manifests('postgres'),
    });
    try {
      await seed(engine.url);
      const spec = (path: string, seconds: number) => ({
        url: `${engine.url}${path}`,
        method: 'GET' as const,
        headers: {},
        seconds,
        connections: options.connections,
      });
      const paths = { plain: '/tickets?status=open&limit=20', expanded: '/tickets?status=open&limit=20&expand=account' };
      for (const path of Object.values(paths)) await runLoad(tool, spec(path, options.warmupSeconds), options.loadCore);
      const plain: number[] = [];
      const expanded: number[] = [];
      const cpuUs = { plain: [] as number[], expanded: [] as number[] };
      let failed = 0;
      for (let round = 0; round < options.rounds * 2; round++) {
        const order = round % 2 === 0 ? (['plain', 'expanded'] as const) : (['expanded', 'plain'] as const);
        for (const which of order) {
          const ticks = cpuTicks(engine.started.pid);
          const load = await runLoad(tool, spec(paths[which], options.seconds), options.loadCore);
          cpuUs[which].push(((cpuTicks(engine.started.pid) - ticks) / TICKS_PER_SECOND / load.requests) * 1e6);
          failed += load.failed;
          (which === 'plain' ? plain : expanded).push(load.rps);
        }
      }
      const cost = medianRatio(plain, expanded);
      results.push({ store: label, plain, expanded, cost, cpuUs, failed });
      console.log(
        `expand: ${label}: ${mean(plain).toFixed(0)} req/s plain, ${mean(expanded).toFixed(0)} with expand, cost ${cost.toFixed(2)}x; engine CPU per request ${mean(cpuUs.plain).toFixed(0)} against ${mean(cpuUs.expanded).toFixed(0)} µs (${medianRatio(cpuUs.expanded, cpuUs.plain).toFixed(2)}x)`,
      );
    } finally {
      await stopProcess(engine.started);
      rmSync(engine.dir, { recursive: true, force: true });
    }
  }
  return results;
}

export function expandLines(results: readonly ExpandResult[]): string[] {
  return [
    `Expand: GET /tickets?status=open&limit=20 with and without expand=account (20 tickets of ${TICKETS}, ${ACCOUNTS} accounts), req/s per round; cost = median of plain/expanded`,
    ...results.map((r) =>
      r.skipped
        ? `  ${r.store}: not measured: ${r.skipped}`
        : `  ${r.store}: plain ${r.plain.map((x) => x.toFixed(0)).join(', ')}; expanded ${r.expanded.map((x) => x.toFixed(0)).join(', ')}; cost ${r.cost.toFixed(2)}x; engine CPU per request (µs) plain ${r.cpuUs.plain.map((x) => x.toFixed(0)).join(', ')}, expanded ${r.cpuUs.expanded.map((x) => x.toFixed(0)).join(', ')}: ${medianRatio(r.cpuUs.expanded, r.cpuUs.plain).toFixed(2)}x${r.failed ? `; ${r.failed} failed requests` : ''}`,
    ),
  ];
}

async function seed(base: string): Promise<void> {
  const post = async (path: string, body: unknown) => {
    const response = await fetch(`${base}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    const answer = (await response.json()) as { data?: { id: string } };
    if (response.status !== 201 || !answer.data) throw new Error(`seeding ${path}: ${response.status} ${JSON.stringify(answer)}`);
    return answer.data.id;
  };
  const accounts: string[] = [];
  for (let i = 0; i < ACCOUNTS; i++) accounts.push(await post('/accounts', { name: `Account ${i}`, plan: i % 2 ? 'pro' : 'free' }));
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < TICKETS; i = next++) {
      await post('/tickets', { title: `Ticket ${i}`, accountId: accounts[i % ACCOUNTS], status: i % 4 ? 'open' : 'closed' });
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
}

export async function emptyDatabase(url: string): Promise<string | undefined> {
  const sql = postgres(url, { max: 1, connect_timeout: 3, onnotice: () => {} });
  try {
    await sql`drop schema if exists public cascade`;
    await sql`create schema public`;
    return undefined;
  } catch (error) {
    return `no PostgreSQL at ${url} (set BENCH_POSTGRES_URL): ${(error as Error).message}`;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

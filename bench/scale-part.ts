// Many automations: one server with BENCH_SCALE_COUNT (1,000) small memory automations
// against one with a single automation. Time from spawn to /health 200 with every one
// serving (pinned to the server core, as the GET measurement needs, and unpinned, as a
// user's `npm start` runs: V8's collector and compiler threads use the second core),
// resident memory once served and after load, and GET by id throughput over 1,000 records
// (one in each automation, or all 1,000 in the single one).
import { rmSync } from 'node:fs';
import { type EngineServer, startEngine } from './engine-server.ts';
import { spread } from './examples-project.ts';
import { type LoadResult, type LoadTool, runLoad } from './load.ts';
import type { BenchOptions } from './options.ts';
import { residentBytes, stopProcess } from './processes.ts';

export interface ScaleSide {
  automations: number;
  startMs: number;
  /** Spawn to every automation serving, unpinned: BENCH_RUNS starts. */
  unpinnedStartMs: number[];
  serving: number;
  rssServedBytes: number;
  rssAfterLoadBytes: number;
  rounds: LoadResult[];
}

const RECORDS = 1000;
const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;

export async function scalePart(checkout: string, label: string, options: BenchOptions, tool: LoadTool): Promise<ScaleSide[]> {
  const servers: [EngineServer, ScaleSide][] = [];
  const project = (count: number, core: number | undefined) =>
    ({ checkout, name: `scale-${count}`, store: 'memory', guards: false, postgresUrl: '', redisUrl: '', core, count }) as const;
  try {
    for (const count of [options.scaleCount, 1]) {
      const unpinnedStartMs: number[] = [];
      for (let run = 0; run < options.runs; run++) {
        const engine = await startEngine(project(count, undefined));
        unpinnedStartMs.push(engine.startMs);
        await stopProcess(engine.started);
        rmSync(engine.dir, { recursive: true, force: true });
      }
      const engine = await startEngine(project(count, options.serverCore));
      const side: ScaleSide = {
        automations: count,
        startMs: engine.startMs,
        unpinnedStartMs,
        serving: await servingCount(engine.url),
        rssServedBytes: 0,
        rssAfterLoadBytes: 0,
        rounds: [],
      };
      side.rssServedBytes = residentBytes(engine.started.pid);
      servers.push([engine, side]);
      console.log(`scale: ${label} ${count} automation(s) served in ${Math.round(side.startMs)} ms, ${side.serving} serving`);
    }
    const paths = new Map<ScaleSide, string[]>();
    for (const [engine, side] of servers) paths.set(side, await seed(engine));
    const load = (engine: EngineServer, side: ScaleSide, seconds: number) =>
      runLoad(
        tool,
        { url: engine.url, method: 'GET', headers: {}, paths: paths.get(side) ?? [], seconds, connections: options.connections },
        options.loadCore,
      );
    for (const [engine, side] of servers) await load(engine, side, options.warmupSeconds);
    for (let round = 0; round < options.rounds; round++) {
      const order = round % 2 ? [...servers].reverse() : servers;
      for (const [engine, side] of order) side.rounds.push(await load(engine, side, options.seconds));
    }
    for (const [engine, side] of servers) side.rssAfterLoadBytes = residentBytes(engine.started.pid);
  } finally {
    await Promise.all(servers.map(([engine]) => stopProcess(engine.started)));
    for (const [engine] of servers) rmSync(engine.dir, { recursive: true, force: true });
  }
  return servers.map(([, side]) => side);
}

/** Automations /health reports as serving. */
async function servingCount(url: string): Promise<number> {
  const health = (await (await fetch(`${url}/health`)).json()) as { automations?: { state?: string }[] };
  return health.automations?.filter((a) => a.state === 'serving').length ?? 0;
}

/** 1,000 records spread over the server's automations; the GET path of each. */
async function seed(engine: EngineServer): Promise<string[]> {
  const paths: string[] = new Array(RECORDS);
  let next = 0;
  const worker = async () => {
    for (let i = next++; i < RECORDS; i = next++) {
      const basePath = engine.basePaths[i % engine.basePaths.length] ?? '';
      const response = await fetch(`${engine.url}${basePath}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ text: `note ${i}`, topic: 't0' }),
      });
      const created = (await response.json()) as { data?: { id?: string } };
      if (response.status !== 201 || !created.data?.id)
        throw new Error(`seeding ${basePath}: ${response.status} ${JSON.stringify(created)}`);
      paths[i] = `${basePath}/${created.data.id}`;
    }
  };
  await Promise.all(Array.from({ length: 10 }, worker));
  return paths;
}

export function scaleLines(label: string, sides: ScaleSide[]): string[] {
  const [many, one] = sides;
  if (!many || !one) return [];
  const mb = (bytes: number) => `${Math.round(bytes / 2 ** 20)} MB`;
  const rps = (s: ScaleSide) => mean(s.rounds.map((r) => r.rps));
  const p99 = (s: ScaleSide) => mean(s.rounds.map((r) => r.p99Ms));
  const failed = (s: ScaleSide) => s.rounds.reduce((n, r) => n + r.failed, 0);
  const row = (s: ScaleSide) =>
    `${label}: ${s.automations.toLocaleString('en-US')} automation(s): all serving (${s.serving}) ${(s.startMs / 1000).toFixed(1)} s after spawn pinned, unpinned ${spread(s.unpinnedStartMs).text}; RSS ${mb(s.rssServedBytes)} served, ${mb(s.rssAfterLoadBytes)} after load; GET by id ${Math.round(rps(s)).toLocaleString('en-US')} req/s, p99 ${p99(s).toFixed(2)} ms${failed(s) ? ` (${failed(s)} failed)` : ''}`;
  return [
    row(many),
    row(one),
    `${label}: GET with ${many.automations.toLocaleString('en-US')} automations / with 1: ${(rps(many) / rps(one)).toFixed(2)}x`,
  ];
}

// What metrics and usage analytics cost: the engine on memory as shipped (on) beside the
// same engine with `metrics.enabled` and `analytics.enabled` false (off), GET by id over
// 1,000 notes, with and without guards. Two things here are larger than the few percent
// to be measured, and the part is built around both:
// - throughput drifts (a slice can run at 60% of the next one): the two are measured in
//   many short slices taken in pairs, on-off then off-on in turn, and each pair's ratio is
//   kept, so drift slower than a pair cancels;
// - two processes of the same engine and config can differ by several percent for their
//   whole life (where their memory and code landed): each side is started afresh
//   `BENCH_OBSERVE_STARTS` times, and every start's pairs count alike.
// The figure is the median of all pairs' on/off ratios. CPU per request (the server's own
// ticks over its requests) is given beside it.
import { rmSync } from 'node:fs';
import { type EngineServer, startEngine } from './engine-server.ts';
import { seed, TICKS_PER_SECOND } from './http-part.ts';
import { type LoadTool, runLoad } from './load.ts';
import type { BenchOptions } from './options.ts';
import { cpuTicks, pinningHeld, stopProcess } from './processes.ts';

/** One pair's figures: on/off throughput and on/off server CPU per request. */
export interface ObservePair {
  /** Which start of the two processes it was measured on (0, 1, ...). */
  start: number;
  rps: [on: number, off: number];
  cpuUs: [on: number, off: number];
}

export interface ObserveResult {
  guards: 'key+audit' | 'off';
  pairs: ObservePair[];
  starts: number;
  sliceSeconds: number;
  pinned: boolean;
}

interface Served {
  engine: EngineServer;
  paths: string[];
  headers: Record<string, string>;
}

export async function observePart(options: BenchOptions, tool: LoadTool): Promise<ObserveResult[]> {
  const results: ObserveResult[] = [];
  for (const guards of [true, false]) {
    const result: ObserveResult = {
      guards: guards ? 'key+audit' : 'off',
      pairs: [],
      starts: options.observeStarts,
      sliceSeconds: options.sliceSeconds,
      pinned: true,
    };
    const perStart = Math.max(1, Math.round(options.pairs / options.observeStarts));
    for (let start = 0; start < options.observeStarts; start++) {
      const sides: Served[] = [];
      try {
        // Which process starts first alternates: it is the one whose code and memory settle
        // while the other is still loading, and that alone must not read as a cost.
        const order = start % 2 === 0 ? [true, false] : [false, true];
        for (const observed of order) sides.push(await serve(options, guards, observed));
        if (order[0] === false) sides.reverse();
        const slice = async ({ engine, paths, headers }: Served, seconds: number) => {
          const [ticks, began] = [cpuTicks(engine.started.pid), performance.now()];
          const load = await runLoad(
            tool,
            { url: `${engine.url}${paths[0]}`, method: 'GET', headers, paths, seconds, connections: options.connections },
            options.loadCore,
          );
          const elapsed = (performance.now() - began) / 1000;
          if (load.failed) throw new Error(`observe: ${load.failed} requests failed on ${engine.url}`);
          if (load.pinned === false) result.pinned = false;
          const cpu = (cpuTicks(engine.started.pid) - ticks) / TICKS_PER_SECOND;
          return { rps: load.rps, cpuUs: (cpu / (load.rps * elapsed)) * 1e6 };
        };
        const [on, off] = sides as [Served, Served];
        await slice(on, options.warmupSeconds);
        await slice(off, options.warmupSeconds);
        for (let pair = 0; pair < perStart; pair++) {
          const onFirst = pair % 2 === 0;
          const x = onFirst ? await slice(on, options.sliceSeconds) : undefined;
          const y = await slice(off, options.sliceSeconds);
          const z = x ?? (await slice(on, options.sliceSeconds));
          result.pairs.push({ start, rps: [z.rps, y.rps], cpuUs: [z.cpuUs, y.cpuUs] });
        }
        if (sides.some((s) => pinningHeld(s.engine.started) === false)) result.pinned = false;
      } finally {
        await Promise.all(sides.map((s) => stopProcess(s.engine.started)));
        for (const s of sides) rmSync(s.engine.dir, { recursive: true, force: true });
      }
      const mine = result.pairs.filter((p) => p.start === start).map((p) => p.rps[0] / p.rps[1]);
      console.log(
        `observe: ${result.guards}, start ${start + 1}: on/off ${quantile(mine, 0.5).toFixed(3)} (median of ${mine.length} pairs)`,
      );
    }
    results.push(result);
  }
  return results;
}

/** One engine of the part, started and serving 1,000 notes. */
async function serve(options: BenchOptions, guards: boolean, observed: boolean): Promise<Served> {
  const engine = await startEngine({
    checkout: new URL('../', import.meta.url).pathname,
    name: `observe${guards ? '' : '-open'}${observed ? '' : '-off'}`,
    store: 'memory',
    guards,
    observed,
    postgresUrl: options.postgresUrl,
    redisUrl: '',
    core: options.serverCore,
  });
  const headers: Record<string, string> = engine.key ? { authorization: `Bearer ${engine.key}` } : {};
  const basePath = engine.basePaths[0] ?? '';
  const ids = await seed({ kind: 'observed', url: engine.url, basePath, headers });
  return { engine, headers, paths: ids.map((id) => `${basePath}/${id}`) };
}

/** The q-quantile of `xs`, interpolated. */
export function quantile(xs: number[], q: number): number {
  const sorted = [...xs].sort((a, b) => a - b);
  const at = (sorted.length - 1) * q;
  const low = Math.floor(at);
  const high = Math.ceil(at);
  return (sorted[low] as number) + ((sorted[high] as number) - (sorted[low] as number)) * (at - low);
}

/** The report's lines: per guard setting, throughput and CPU per request, on/off as the median and quartiles of the pairs. */
export function observeLines(results: ObserveResult[]): string[] {
  const lines: string[] = [];
  const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
  const rate = (x: number) => Math.round(x).toLocaleString('en-US');
  const three = (xs: number[]) =>
    `${quantile(xs, 0.5).toFixed(3)} (quartiles ${quantile(xs, 0.25).toFixed(3)} to ${quantile(xs, 0.75).toFixed(3)})`;
  for (const r of results) {
    const rps = r.pairs.map((p) => p.rps[0] / p.rps[1]);
    const cpu = r.pairs.map((p) => p.cpuUs[0] / p.cpuUs[1]);
    const byStart = Array.from({ length: r.starts }, (_, start) =>
      quantile(
        r.pairs.filter((p) => p.start === start).map((p) => p.rps[0] / p.rps[1]),
        0.5,
      ).toFixed(3),
    );
    lines.push(
      `GET by id, memory, guards ${r.guards}: on ${rate(mean(r.pairs.map((p) => p.rps[0])))} req/s, off ${rate(mean(r.pairs.map((p) => p.rps[1])))} req/s (means)`,
      `  throughput on/off ${three(rps)}: metrics and analytics cost ${((1 - quantile(rps, 0.5)) * 100).toFixed(1)}% of GET throughput`,
      `  server CPU per request on ${mean(r.pairs.map((p) => p.cpuUs[0])).toFixed(1)} µs, off ${mean(r.pairs.map((p) => p.cpuUs[1])).toFixed(1)} µs; on/off ${three(cpu)}`,
      `  ${r.pairs.length} pairs of ${r.sliceSeconds} s slices over ${r.starts} starts of both processes (median on/off per start: ${byStart.join(', ')}); load generator and servers ${r.pinned ? 'stayed on their cores' : 'did NOT all stay on their cores'}`,
    );
  }
  return lines;
}

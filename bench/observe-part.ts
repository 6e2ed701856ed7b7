// What metrics and usage analytics cost: the engine on memory as shipped (on) beside the
// same engine with `metrics.enabled` and `analytics.enabled` false (off), GET by id over
// 1,000 notes, with and without guards. Throughput on this machine drifts by far more than
// the few percent measured (a slice can run at 60% of the next one), so the two are
// measured in many short slices taken in pairs, on-off then off-on in turn, and each
// pair's ratio is kept: drift slower than a pair cancels, and the median of the pairs'
// ratios is the figure. CPU per request (the server's own ticks over its requests) is
// given beside it.
import { rmSync } from 'node:fs';
import { type EngineServer, startEngine } from './engine-server.ts';
import { seed, TICKS_PER_SECOND } from './http-part.ts';
import { type LoadTool, runLoad } from './load.ts';
import type { BenchOptions } from './options.ts';
import { cpuTicks, pinningHeld, stopProcess } from './processes.ts';

/** One pair's figures: on/off throughput and on/off server CPU per request. */
export interface ObservePair {
  rps: [on: number, off: number];
  cpuUs: [on: number, off: number];
}

export interface ObserveResult {
  guards: 'key+audit' | 'off';
  pairs: ObservePair[];
  sliceSeconds: number;
  pinned: boolean;
}

export async function observePart(options: BenchOptions, tool: LoadTool): Promise<ObserveResult[]> {
  const results: ObserveResult[] = [];
  for (const guards of [true, false]) {
    const engines: EngineServer[] = [];
    try {
      for (const observed of [true, false]) {
        const name = `observe${guards ? '' : '-open'}${observed ? '' : '-off'}`;
        engines.push(
          await startEngine({
            checkout: new URL('../', import.meta.url).pathname,
            name,
            store: 'memory',
            guards,
            observed,
            postgresUrl: options.postgresUrl,
            redisUrl: '',
            core: options.serverCore,
          }),
        );
      }
      const slice = async (engine: EngineServer, paths: string[], seconds: number) => {
        const headers: Record<string, string> = engine.key ? { authorization: `Bearer ${engine.key}` } : {};
        const [ticks, began] = [cpuTicks(engine.started.pid), performance.now()];
        const load = await runLoad(
          tool,
          { url: `${engine.url}${paths[0]}`, method: 'GET', headers, paths, seconds, connections: options.connections },
          options.loadCore,
        );
        const elapsed = (performance.now() - began) / 1000;
        if (load.failed) throw new Error(`observe: ${load.failed} requests failed on ${engine.url}`);
        const cpu = (cpuTicks(engine.started.pid) - ticks) / TICKS_PER_SECOND;
        return { rps: load.rps, cpuUs: (cpu / (load.rps * elapsed)) * 1e6, pinned: load.pinned };
      };
      const paths: string[][] = [];
      for (const engine of engines) {
        const headers: Record<string, string> = engine.key ? { authorization: `Bearer ${engine.key}` } : {};
        const basePath = engine.basePaths[0] ?? '';
        const ids = await seed({ kind: 'observed', url: engine.url, basePath, headers });
        paths.push(ids.map((id) => `${basePath}/${id}`));
      }
      const [on, off] = engines as [EngineServer, EngineServer];
      const [onPaths, offPaths] = paths as [string[], string[]];
      await slice(on, onPaths, options.warmupSeconds);
      await slice(off, offPaths, options.warmupSeconds);
      const result: ObserveResult = { guards: guards ? 'key+audit' : 'off', pairs: [], sliceSeconds: options.sliceSeconds, pinned: true };
      for (let pair = 0; pair < options.pairs; pair++) {
        const first = pair % 2 === 0;
        const a = first ? await slice(on, onPaths, options.sliceSeconds) : await slice(off, offPaths, options.sliceSeconds);
        const b = first ? await slice(off, offPaths, options.sliceSeconds) : await slice(on, onPaths, options.sliceSeconds);
        const [x, y] = first ? [a, b] : [b, a];
        result.pairs.push({ rps: [x.rps, y.rps], cpuUs: [x.cpuUs, y.cpuUs] });
        if (a.pinned === false || b.pinned === false) result.pinned = false;
      }
      if (engines.some((e) => pinningHeld(e.started) === false)) result.pinned = false;
      results.push(result);
      const median = quantile(
        result.pairs.map((p) => p.rps[0] / p.rps[1]),
        0.5,
      );
      console.log(`observe: ${result.guards}: on/off ${median.toFixed(3)} (median of ${result.pairs.length} pairs)`);
    } finally {
      await Promise.all(engines.map((e) => stopProcess(e.started)));
      for (const e of engines) rmSync(e.dir, { recursive: true, force: true });
    }
  }
  return results;
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
  for (const r of results) {
    const rps = r.pairs.map((p) => p.rps[0] / p.rps[1]);
    const cpu = r.pairs.map((p) => p.cpuUs[0] / p.cpuUs[1]);
    const mean = (xs: number[]) => xs.reduce((s, x) => s + x, 0) / xs.length;
    const three = (xs: number[]) =>
      `${quantile(xs, 0.5).toFixed(3)} (quartiles ${quantile(xs, 0.25).toFixed(3)} to ${quantile(xs, 0.75).toFixed(3)})`;
    lines.push(
      `GET by id, memory, guards ${r.guards}: on ${Math.round(mean(r.pairs.map((p) => p.rps[0]))).toLocaleString('en-US')} req/s, off ${Math.round(mean(r.pairs.map((p) => p.rps[1]))).toLocaleString('en-US')} req/s (means)`,
      `  throughput on/off ${three(rps)}: metrics and analytics cost ${((1 - quantile(rps, 0.5)) * 100).toFixed(1)}% of GET throughput`,
      `  server CPU per request on ${mean(r.pairs.map((p) => p.cpuUs[0])).toFixed(1)} µs, off ${mean(r.pairs.map((p) => p.cpuUs[1])).toFixed(1)} µs; on/off ${three(cpu)}`,
      `  ${r.pairs.length} pairs of ${r.sliceSeconds} s slices; load generator and servers ${r.pinned ? 'stayed on their cores' : 'did NOT all stay on their cores'}`,
    );
  }
  return lines;
}

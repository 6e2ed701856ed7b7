// The load generator, always a process of its own on its own core: wrk when installed
// (one thread; the lighter client), else autocannon (bench/load/autocannon.ts).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pinningHeld, startProcess } from './processes.ts';

export interface LoadSpec {
  /** The URL; its path is requested unless `paths` is given. */
  url: string;
  method: 'GET' | 'POST';
  headers: Record<string, string>;
  body?: string;
  /** Paths to pick from at random, one per request (GET by id over many ids). */
  paths?: string[];
  seconds: number;
  connections: number;
}

export interface LoadResult {
  rps: number;
  p50Ms: number;
  p99Ms: number;
  requests: number;
  /** Answers that were not 2xx (wrk: 4xx and 5xx), and socket errors and timeouts. */
  failed: number;
  /** Whether the load generator stayed on its core; undefined when it was not pinned. */
  pinned: boolean | undefined;
}

export type LoadTool = 'wrk' | 'autocannon';

/** wrk when it runs here and BENCH_LOAD does not ask for autocannon. */
export function loadTool(asked: string | undefined): LoadTool {
  if (asked === 'autocannon') return 'autocannon';
  const present = spawnSync('wrk', ['--version'], { stdio: 'ignore' }).error === undefined;
  return present ? 'wrk' : 'autocannon';
}

const root = new URL('../', import.meta.url).pathname;

/** Runs the load on `core` and returns what it measured. */
export async function runLoad(tool: LoadTool, spec: LoadSpec, core: number | undefined): Promise<LoadResult> {
  return tool === 'wrk' ? runWrk(spec, core) : runAutocannon(spec, core);
}

async function runWrk(spec: LoadSpec, core: number | undefined): Promise<LoadResult> {
  const dir = mkdtempSync(join(tmpdir(), 'council-bench-load-'));
  try {
    const pathsFile = spec.paths?.length ? join(dir, 'paths') : '-';
    if (spec.paths?.length) writeFileSync(pathsFile, `${spec.paths.join('\n')}\n`);
    const bodyFile = spec.body === undefined ? '-' : join(dir, 'body');
    if (spec.body !== undefined) writeFileSync(bodyFile, spec.body);
    const headers = Object.entries(spec.headers).map(([name, value]) => `${name}: ${value}`);
    const args = ['-t1', `-c${spec.connections}`, `-d${spec.seconds}s`, '--timeout', '10s', '-s', join(root, 'bench/load/wrk.lua')];
    const started = startProcess('wrk', [...args, spec.url, '--', pathsFile, spec.method, bodyFile, ...headers], { core, label: 'wrk' });
    const pinned = await pinnedAfterStart(started);
    await started.ended;
    const line = /^WRK_RESULT (.*)$/m.exec(started.output())?.[1];
    if (!line) throw new Error(`wrk printed no result:\n${started.output()}`);
    const r = JSON.parse(line) as Record<
      'requests' | 'durationUs' | 'p50Us' | 'p99Us' | 'status' | 'connect' | 'read' | 'write' | 'timeout',
      number
    >;
    return {
      rps: r.requests / (r.durationUs / 1e6),
      p50Ms: r.p50Us / 1000,
      p99Ms: r.p99Us / 1000,
      requests: r.requests,
      failed: r.status + r.connect + r.read + r.write + r.timeout,
      pinned,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function runAutocannon(spec: LoadSpec, core: number | undefined): Promise<LoadResult> {
  const runner = join(root, 'bench/load/autocannon.ts');
  const started = startProcess(process.execPath, ['--import', 'tsx', runner, JSON.stringify(spec)], { core, label: 'autocannon' });
  const pinned = await pinnedAfterStart(started);
  await started.ended;
  const r = JSON.parse(started.output().trim().split('\n').at(-1) ?? '{}') as Record<
    'requests' | 'seconds' | 'p50Ms' | 'p99Ms' | 'non2xx' | 'errors',
    number
  >;
  return { rps: r.requests / r.seconds, p50Ms: r.p50Ms, p99Ms: r.p99Ms, requests: r.requests, failed: r.non2xx + r.errors, pinned };
}

/** Affinity read once the process has started its threads. */
async function pinnedAfterStart(started: ReturnType<typeof startProcess>): Promise<boolean | undefined> {
  await new Promise((resolve) => setTimeout(resolve, 300));
  return pinningHeld(started);
}

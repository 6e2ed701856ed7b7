// What a run measures and how, from the environment (documented in documents/bench.md).
import { coreCount } from './machine.ts';
import { tasksetPresent } from './processes.ts';

export type Part = 'http' | 'observe' | 'start' | 'cli' | 'scale' | 'console' | 'expand' | 'batch' | 'fleet';
export const PARTS: readonly Part[] = ['http', 'observe', 'start', 'cli', 'scale', 'console', 'expand', 'batch', 'fleet'];
export const STORES = ['memory', 'postgres', 'redis'] as const;
export const OPERATIONS = ['get', 'list', 'post'] as const;
export type Operation = (typeof OPERATIONS)[number];

export interface BenchOptions {
  parts: Part[];
  stores: (typeof STORES)[number][];
  /** Operations of the http part. */
  operations: Operation[];
  seconds: number;
  rounds: number;
  warmupSeconds: number;
  connections: number;
  /** A git revision to run beside this checkout, or undefined (BENCH_BASELINE=off). */
  baseline: string | undefined;
  /** The core servers run on and the core the load generator runs on; undefined when unpinned. */
  serverCore: number | undefined;
  loadCore: number | undefined;
  /** Why nothing is pinned, when nothing is. */
  unpinnedBecause: string | undefined;
  postgresUrl: string;
  redisUrl: string;
  /** Whole-process timings per command (start and cli parts). */
  runs: number;
  /** The observe part: pairs of slices (on, off) in all, starts of both processes they are spread over, and a slice's length in seconds. */
  pairs: number;
  observeStarts: number;
  sliceSeconds: number;
  /** Automations in the scale part. */
  scaleCount: number;
  /** The console part: requests per page. */
  consoleRequests: number;
  /** Each fleet instance's share of a core (BENCH_FLEET_CPU, default 0.25), or undefined (off): no quota. */
  fleetCpu: number | undefined;
  loadTool: string | undefined;
  /** Build dist/ in each checkout that has a build step, as `npm install` does (BENCH_BUILD=off: run as found). */
  build: boolean;
}

function list<T extends string>(raw: string | undefined, all: readonly T[], name: string): T[] {
  if (!raw) return [...all];
  const asked = raw.split(',').map((s) => s.trim());
  const unknown = asked.filter((s) => !all.includes(s as T));
  if (unknown.length) throw new Error(`${name}: unknown ${unknown.join(', ')} (one or more of ${all.join(', ')})`);
  return asked as T[];
}

function positive(raw: string | undefined, fallback: number, name: string): number {
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!(value > 0)) throw new Error(`${name} must be a positive number, got "${raw}"`);
  return value;
}

export function benchOptions(env: NodeJS.ProcessEnv): BenchOptions {
  const cores = coreCount().usable;
  const unpinnedBecause =
    env.BENCH_PIN === 'off'
      ? 'BENCH_PIN=off'
      : !tasksetPresent
        ? 'taskset is not installed (util-linux)'
        : cores < 2
          ? `only ${cores} core`
          : undefined;
  return {
    parts: list(env.BENCH_ONLY, PARTS, 'BENCH_ONLY'),
    stores: list(env.BENCH_STORES, STORES, 'BENCH_STORES'),
    operations: list(env.BENCH_OPERATIONS, OPERATIONS, 'BENCH_OPERATIONS'),
    seconds: positive(env.BENCH_SECONDS, 10, 'BENCH_SECONDS'),
    rounds: Math.round(positive(env.BENCH_ROUNDS, 2, 'BENCH_ROUNDS')),
    warmupSeconds: positive(env.BENCH_WARMUP_SECONDS, 3, 'BENCH_WARMUP_SECONDS'),
    connections: Math.round(positive(env.BENCH_CONNECTIONS, 10, 'BENCH_CONNECTIONS')),
    baseline: env.BENCH_BASELINE === 'off' ? undefined : (env.BENCH_BASELINE ?? '0637fb7'),
    serverCore: unpinnedBecause ? undefined : 0,
    loadCore: unpinnedBecause ? undefined : 1,
    unpinnedBecause,
    postgresUrl: env.BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/council_bench',
    redisUrl: env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379/14',
    runs: Math.round(positive(env.BENCH_RUNS, 5, 'BENCH_RUNS')),
    pairs: Math.round(positive(env.BENCH_PAIRS, 32, 'BENCH_PAIRS')),
    observeStarts: Math.round(positive(env.BENCH_OBSERVE_STARTS, 8, 'BENCH_OBSERVE_STARTS')),
    sliceSeconds: positive(env.BENCH_SLICE_SECONDS, 3, 'BENCH_SLICE_SECONDS'),
    scaleCount: Math.round(positive(env.BENCH_SCALE_COUNT, 1000, 'BENCH_SCALE_COUNT')),
    consoleRequests: Math.round(positive(env.BENCH_CONSOLE_REQUESTS, 50, 'BENCH_CONSOLE_REQUESTS')),
    fleetCpu: env.BENCH_FLEET_CPU === 'off' ? undefined : positive(env.BENCH_FLEET_CPU, 0.25, 'BENCH_FLEET_CPU'),
    loadTool: env.BENCH_LOAD,
    build: env.BENCH_BUILD !== 'off',
  };
}

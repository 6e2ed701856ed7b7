// The fleet part: 1, 2 and 3 instances of the engine configured as deploy/compose's fleet
// (records and the system store on the PostgreSQL server, the rate limit and idempotency
// keys in Redis, an API key on every request, the audit log on), behind Debian's nginx.
// The instances share the server core and nginx shares the load generator's. On two cores
// more instances cannot add cores, so each instance gets BENCH_FLEET_CPU of a core (0.25:
// a CFS quota in a cgroup of its own, what a Kubernetes CPU limit of 250m sets): then 1, 2
// and 3 instances have 1, 2 and 3 times the CPU, and the run shows how throughput grows
// with them and what each request costs in CPU in each part: the engine, nginx, PostgreSQL
// and Redis. BENCH_FLEET_CPU=off runs them without a quota, all on the one core (what
// more instances than cores cost). documents/scaling.md projects a fleet from these.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import postgres from 'postgres';
import { type EngineServer, notesManifest, startEngine } from './engine-server.ts';
import { emptyDatabase } from './expand-part.ts';
import { seed, TICKS_PER_SECOND } from './http-part.ts';
import { type LoadSpec, type LoadTool, runLoad } from './load.ts';
import { freePort } from './machine.ts';
import type { BenchOptions } from './options.ts';
import { cpuTicks, type Started, startProcess, stopProcess } from './processes.ts';
import { mean } from './ratios.ts';

const NGINX = '/usr/sbin/nginx';
const SIZES = [1, 2, 3] as const;
const NOTE = JSON.stringify({ text: 'a note from the fleet bench', topic: 't1' });
/** The processes whose CPU time a request costs, by the name in /proc/PID/comm (all of the machine's). */
const SHARED = { postgres: 'postgres', redis: 'redis-server', nginx: 'nginx' } as const;

type Operation = 'get' | 'list' | 'post';
const OPERATIONS: readonly Operation[] = ['get', 'list', 'post'];
const LABELS: Record<Operation, string> = { get: 'GET by id', list: 'list 20 ', post: 'POST     ' };

export interface FleetRound {
  readonly instances: number;
  readonly operation: Operation;
  readonly rps: number;
  readonly p99Ms: number;
  readonly failed: number;
  /** CPU time per request, in µs: the instances together, nginx, PostgreSQL's processes, Redis. */
  readonly perRequestUs: { engine: number; nginx: number; postgres: number; redis: number };
}

export interface FleetResult {
  readonly rounds: FleetRound[];
  /** Connections to the bench's database (pg_stat_activity) from the 3 instances: started and seeded, and after every round. */
  readonly connections: { readonly idle: number; readonly loaded: number };
  /** Each instance's share of a core, or undefined when unlimited. */
  readonly cpu: number | undefined;
  readonly skipped?: string;
}

export async function fleetPart(options: BenchOptions, tool: LoadTool): Promise<FleetResult> {
  if (!existsSync(NGINX))
    return {
      rounds: [],
      connections: { idle: 0, loaded: 0 },
      cpu: undefined,
      skipped: `nginx is not installed at ${NGINX} (apt-get install nginx-light)`,
    };
  const why = await emptyDatabase(options.postgresUrl);
  if (why) return { rounds: [], connections: { idle: 0, loaded: 0 }, cpu: undefined, skipped: why };
  const cpu = options.fleetCpu;
  const quotas: CpuQuota[] = [];
  const checkout = new URL('../', import.meta.url).pathname;
  const engines: EngineServer[] = [];
  let nginx: Started | undefined;
  const prefix = mkdtempSync(join(tmpdir(), 'council-bench-nginx-'));
  try {
    // One at a time: the first prints the admin key, the others share its system store.
    for (let i = 0; i < Math.max(...SIZES); i++) {
      engines.push(
        await startEngine({
          checkout,
          name: 'fleet',
          store: 'postgres',
          guards: true,
          fleet: true,
          postgresUrl: options.postgresUrl,
          redisUrl: options.redisUrl,
          core: options.serverCore,
          manifests: { 'fleet.yaml': notesManifest('fleet', 'postgres', true) },
        }),
      );
    }
    if (cpu !== undefined) {
      for (const engine of engines) {
        const quota = cpuQuota(engine.started.pid, cpu);
        if (typeof quota === 'string') return { rounds: [], connections: { idle: 0, loaded: 0 }, cpu, skipped: quota };
        quotas.push(quota);
      }
    }
    const key = engines[0]?.key;
    if (!key) throw new Error('the first instance printed no admin key');
    const headers = { authorization: `Bearer ${key}` };
    const ports = await Promise.all(SIZES.map(() => freePort()));
    nginx = startNginx(prefix, ports, engines, options.loadCore);
    const bases = ports.map((port) => `http://127.0.0.1:${port}`);
    await waitUntilServing(`${bases[0]}/fleet?limit=1`, headers);
    const ids = await seed({ kind: 'now-guarded', url: bases[0] as string, basePath: '/fleet', headers });
    const idle = await databaseConnections(options.postgresUrl);
    const rounds: FleetRound[] = [];
    const spec = (size: number, operation: Operation, seconds: number): LoadSpec => {
      const base = `${bases[size - 1]}/fleet`;
      const common = { seconds, connections: options.connections, headers };
      if (operation === 'get') return { ...common, url: `${base}/${ids[0]}`, method: 'GET', paths: ids.map((id) => `/fleet/${id}`) };
      if (operation === 'list') return { ...common, url: `${base}?topic=t0&limit=20`, method: 'GET' };
      return { ...common, url: base, method: 'POST', headers: { ...headers, 'content-type': 'application/json' }, body: NOTE };
    };
    for (const size of SIZES)
      for (const operation of OPERATIONS) await runLoad(tool, spec(size, operation, options.warmupSeconds), options.loadCore);
    for (let round = 0; round < options.rounds; round++) {
      // Each round starts with the next size, so drift on the machine favours none.
      for (let s = 0; s < SIZES.length; s++) {
        const size = SIZES[(round + s) % SIZES.length] as number;
        for (const operation of OPERATIONS) {
          const before = ticksNow(engines);
          const load = await runLoad(tool, spec(size, operation, options.seconds), options.loadCore);
          const spent = ticksNow(engines);
          const us = (what: keyof typeof spent) => ((spent[what] - before[what]) / TICKS_PER_SECOND / load.requests) * 1e6;
          rounds.push({
            instances: size,
            operation,
            rps: load.rps,
            p99Ms: load.p99Ms,
            failed: load.failed,
            perRequestUs: { engine: us('engine'), nginx: us('nginx'), postgres: us('postgres'), redis: us('redis') },
          });
        }
      }
    }
    return { rounds, connections: { idle, loaded: await databaseConnections(options.postgresUrl) }, cpu };
  } finally {
    if (nginx) await stopProcess(nginx);
    for (const engine of engines) {
      await stopProcess(engine.started);
      rmSync(engine.dir, { recursive: true, force: true });
    }
    rmSync(prefix, { recursive: true, force: true });
    for (const quota of quotas) quota.remove();
  }
}

/** nginx listening on one port per fleet size, the first size's upstream the first instance, and so on: deploy/compose/nginx.conf's upstream settings. */
function startNginx(prefix: string, ports: readonly number[], engines: readonly EngineServer[], core: number | undefined): Started {
  mkdirSync(join(prefix, 'logs'), { recursive: true });
  const upstreams = ports.map(
    (_, i) => `  upstream fleet${i + 1} {
${engines
  .slice(0, i + 1)
  .map((engine) => `    server ${new URL(engine.url).host} max_fails=1 fail_timeout=10s;`)
  .join('\n')}
    keepalive 32;
    keepalive_timeout 4s;
  }
  server {
    listen 127.0.0.1:${ports[i]};
    location / {
      proxy_pass http://fleet${i + 1};
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_next_upstream error timeout http_503;
    }
  }`,
  );
  const conf = join(prefix, 'nginx.conf');
  writeFileSync(
    conf,
    `worker_processes 1;
pid ${join(prefix, 'nginx.pid')};
error_log ${join(prefix, 'logs/error.log')} warn;
events { worker_connections 1024; }
http {
  access_log off;
${['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `  ${t}_temp_path ${join(prefix, t)};`).join('\n')}
${upstreams.join('\n')}
}
`,
  );
  const checked = spawnSync(NGINX, ['-t', '-c', conf, '-p', prefix], { encoding: 'utf8' });
  if (checked.status !== 0) throw new Error(`nginx -t: ${checked.stderr}`);
  return startProcess(NGINX, ['-c', conf, '-p', prefix, '-g', 'daemon off;'], { core, label: 'nginx' });
}

async function waitUntilServing(url: string, headers: Record<string, string>): Promise<void> {
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(url, { headers }).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`${url} did not answer 200 through nginx`);
}

/** CPU ticks used so far by the instances, and by every nginx, postgres and redis-server process of the machine. */
function ticksNow(engines: readonly EngineServer[]): { engine: number; nginx: number; postgres: number; redis: number } {
  const byName = { postgres: 0, redis: 0, nginx: 0 };
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let comm: string;
    try {
      comm = readFileSync(`/proc/${entry}/comm`, 'utf8').trim();
    } catch {
      continue; // ended since the listing
    }
    for (const [what, name] of Object.entries(SHARED) as [keyof typeof SHARED, string][]) {
      const ticks = comm === name ? cpuTicks(Number(entry)) : Number.NaN;
      if (Number.isFinite(ticks)) byName[what] += ticks;
    }
  }
  return { engine: engines.reduce((sum, e) => sum + cpuTicks(e.started.pid), 0), ...byName };
}

async function databaseConnections(url: string): Promise<number> {
  const sql = postgres(url, { max: 1, onnotice: () => {} });
  try {
    const [row] = await sql`select count(*)::int as n from pg_stat_activity where datname = current_database() and pid <> pg_backend_pid()`;
    return (row?.n as number) ?? Number.NaN;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export function fleetLines(result: FleetResult): string[] {
  if (result.skipped) return [`fleet: not measured: ${result.skipped}`];
  const lines = [
    `Fleet: 1, 2 and 3 instances (API key, audit on, rate limit and idempotency in Redis, records on PostgreSQL) behind nginx; instances on the server core, ${result.cpu === undefined ? 'without a CPU quota' : `each with ${result.cpu} of it (a CFS quota)`}, nginx on the load core; CPU per request from /proc`,
  ];
  for (const size of SIZES) {
    for (const operation of OPERATIONS) {
      const rounds = result.rounds.filter((r) => r.instances === size && r.operation === operation);
      if (!rounds.length) continue;
      const at = (pick: (r: FleetRound) => number) => mean(rounds.map(pick));
      const failed = rounds.reduce((sum, r) => sum + r.failed, 0);
      lines.push(
        `  ${size} instance(s), ${LABELS[operation]}: ${at((r) => r.rps).toFixed(0)} req/s (rounds ${rounds.map((r) => r.rps.toFixed(0)).join(', ')}), p99 ${at((r) => r.p99Ms).toFixed(1)} ms; CPU per request: engine ${at((r) => r.perRequestUs.engine).toFixed(0)} µs, nginx ${at((r) => r.perRequestUs.nginx).toFixed(0)} µs, PostgreSQL ${at((r) => r.perRequestUs.postgres).toFixed(0)} µs, Redis ${at((r) => r.perRequestUs.redis).toFixed(0)} µs${failed ? `; ${failed} failed` : ''}`,
      );
    }
  }
  lines.push(
    `  connections to the database from 3 instances: ${result.connections.idle} started, ${result.connections.loaded} after the load`,
  );
  return lines;
}

interface CpuQuota {
  remove(): void;
}

/**
 * Puts `pid` (and what it starts later) in a cgroup of its own with `share` of one core:
 * cgroup v2's cpu.max or v1's cpu.cfs_quota_us, a period of 100 ms. A string says why it
 * could not (not root, no cpu controller).
 */
function cpuQuota(pid: number, share: number): CpuQuota | string {
  const period = 100_000;
  const quota = Math.round(share * period);
  const v2 = existsSync('/sys/fs/cgroup/cgroup.controllers');
  const dir = v2 ? `/sys/fs/cgroup/council-bench-${pid}` : `/sys/fs/cgroup/cpu/council-bench-${pid}`;
  try {
    mkdirSync(dir);
    if (v2) writeFileSync(join(dir, 'cpu.max'), `${quota} ${period}`);
    else {
      writeFileSync(join(dir, 'cpu.cfs_period_us'), String(period));
      writeFileSync(join(dir, 'cpu.cfs_quota_us'), String(quota));
    }
    writeFileSync(join(dir, 'cgroup.procs'), String(pid));
  } catch (error) {
    return `no CPU quota could be set (${(error as Error).message}): run as root on a machine with the cgroup cpu controller, or BENCH_FLEET_CPU=off`;
  }
  // A cgroup is removed once its processes have ended (they move to the parent then).
  return {
    remove: () => {
      try {
        rmdirSync(dir);
      } catch {
        // still in use or gone: the OS keeps an empty cgroup, which costs nothing
      }
    },
  };
}

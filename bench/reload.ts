// npm run bench (second part): hot reload. (a) time from a manifest write to its new route
// answering; (b) req/s under load while manifests are rewritten, against the same load
// without reloads; (c) time to reload one manifest among 1,000 against among 10.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { setTimeout as sleep } from 'node:timers/promises';
import autocannon from 'autocannon';
import { silentLogger } from '../engine/log.ts';
import { startEngine } from '../engine/server/engine.ts';
import { benchConfig, notesManifest } from './servers/shared.ts';

const LOAD_SECONDS = Number(process.env.BENCH_RELOAD_SECONDS ?? 30);
const SAVES = 100;

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGPIPE'] as const) process.on(signal, () => process.exit(1));

async function startWatched(): Promise<{ child: ChildProcess; url: string; id: string; automations: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', new URL('./servers/watched.ts', import.meta.url).pathname], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  children.add(child);
  const [line] = (await once(createInterface({ input: child.stdout as NodeJS.ReadableStream }), 'line')) as [string];
  return { child, ...JSON.parse(line) };
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
const median = (xs: number[]) =>
  quantile(
    [...xs].sort((a, b) => a - b),
    0.5,
  );

/** (a) Each save renames the automation in probe.yaml; the clock stops when the new path answers. */
async function writeToServing(): Promise<string> {
  const server = await startWatched();
  try {
    const times: number[] = [];
    for (let i = 0; i < SAVES; i++) {
      const name = `probe${i}`;
      const started = performance.now();
      writeFileSync(join(server.automations, 'probe.yaml'), notesManifest(name));
      for (;;) {
        if (await isServing(server.url, name)) break;
        if (performance.now() - started > 5000) throw new Error(`${name} never served`);
        await sleep(1);
      }
      times.push(performance.now() - started);
      await sleep(150); // let the verify pass of this save finish before the next one
    }
    const sorted = [...times].sort((a, b) => a - b);
    return `(a) manifest write -> new route answering, ${SAVES} saves: median ${quantile(sorted, 0.5).toFixed(1)} ms, p99 ${quantile(sorted, 0.99).toFixed(1)} ms (targets: < 50 ms, < 200 ms)`;
  } finally {
    server.child.kill('SIGTERM');
  }
}

/** A GET on an unknown id of a served automation is a 404 naming the record ("no Note has id"), not the route. */
async function isServing(url: string, name: string): Promise<boolean> {
  const r = await fetch(`${url}/${name}/00000000-0000-4000-8000-000000000000`);
  const body = (await r.json()) as { detail?: string };
  return r.status === 404 && / has id /.test(body.detail ?? '');
}

/** (b) The same GET load three times: no reloads, another manifest rewritten, the served manifest itself rewritten. */
async function loadDuringReloads(): Promise<string[]> {
  const server = await startWatched();
  try {
    const run = async (rewrite: 'none' | 'other' | 'notes') => {
      let stop = false;
      let saves = 0;
      const writer = (async () => {
        if (rewrite === 'none') return;
        const every = (LOAD_SECONDS * 1000) / (SAVES + 1);
        while (!stop && saves < SAVES) {
          await sleep(every);
          saves++;
          writeFileSync(join(server.automations, `${rewrite}.yaml`), notesManifest(rewrite, `Benchmark notes, save ${saves}.`));
        }
      })();
      const result = await autocannon({ url: `${server.url}/notes/${server.id}`, connections: 10, duration: LOAD_SECONDS });
      stop = true;
      await writer;
      return { rps: result.requests.average, errors: result.errors + result.timeouts, non2xx: result.non2xx, saves };
    };
    await autocannon({ url: `${server.url}/notes/${server.id}`, connections: 10, duration: 2 });
    const quiet = await run('none');
    const rows = [`(b) ${LOAD_SECONDS} s GET load, 10 connections: no reloads ${quiet.rps.toFixed(0)} req/s`];
    for (const target of ['other', 'notes'] as const) {
      const r = await run(target);
      rows.push(
        `    while ${target === 'other' ? 'another manifest is' : 'the served manifest itself is'} rewritten ${r.saves} times: ${r.rps.toFixed(0)} req/s (${((r.rps / quiet.rps) * 100).toFixed(1)}% of no reloads), ${r.errors} errors, ${r.non2xx} non-2xx`,
      );
      if (r.errors || r.non2xx) process.exitCode = 1;
    }
    return rows;
  } finally {
    server.child.kill('SIGTERM');
  }
}

/** (c) One file changed and reloaded, among `count` loaded manifests (in process, no watcher). */
async function reloadAmong(count: number): Promise<number> {
  const root = mkdtempSync(join(tmpdir(), 'council-bench-many-'));
  const automations = join(root, 'automations');
  mkdirSync(automations);
  for (let i = 0; i < count; i++) writeFileSync(join(automations, `a${i}.yaml`), notesManifest(`a${i}`));
  const engine = await startEngine(benchConfig(root), silentLogger);
  try {
    const file = join(automations, 'a0.yaml');
    const times: number[] = [];
    for (let i = 0; i < 60; i++) {
      writeFileSync(file, notesManifest('a0', `Benchmark notes, version ${i}.`));
      const started = performance.now();
      const report = await engine.reloader.reload([file]);
      times.push(performance.now() - started);
      if (report.files[0]?.outcome !== 'updated') throw new Error(`reload among ${count}: ${JSON.stringify(report.files)}`);
    }
    return median(times.slice(10));
  } finally {
    await engine.close();
    rmSync(root, { recursive: true, force: true });
  }
}

console.log(await writeToServing());
for (const row of await loadDuringReloads()) console.log(row);
await reloadAmong(10); // warm-up: the first reloads of a process run cold
const few = await reloadAmong(10);
const many = await reloadAmong(1000);
console.log(
  `(c) reload of one manifest: among 10 ${few.toFixed(2)} ms, among 1,000 ${many.toFixed(2)} ms (median of 50), ratio ${(many / few).toFixed(2)}x`,
);

// npm run bench: the engine as users run it (`council serve`), beside the same engine at a
// baseline commit and a hand-written Hono app per store, servers and load generator each
// in its own process on its own core. Parts, stores and lengths come from BENCH_* (see
// documents/bench.md); the tables are printed and written to bench/results/.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type BaselineCheckout, checkOutBaseline } from './baseline-checkout.ts';
import { type BatchResult, batchLines, batchPart } from './batch-part.ts';
import { type CliTimings, cliLines, cliPart } from './cli-part.ts';
import { consoleLines, consolePart } from './console-part.ts';
import { buildEngine } from './engine-build.ts';
import { type ExpandResult, expandLines, expandPart } from './expand-part.ts';
import { type FleetResult, fleetLines, fleetPart } from './fleet-part.ts';
import { type HttpPartResult, httpPart } from './http-part.ts';
import { coreUseLine, formatTable, httpTable } from './http-table.ts';
import { loadTool } from './load.ts';
import { coreCount, loadAverage } from './machine.ts';
import { type ObserveResult, observeLines, observePart } from './observe-part.ts';
import { benchOptions } from './options.ts';
import { tasksetPresent } from './processes.ts';
import { type ScaleSide, scaleLines, scalePart } from './scale-part.ts';
import { type StartTimings, startLines, startPart } from './start-part.ts';

const options = benchOptions(process.env);
const tool = loadTool(options.loadTool);
const cores = coreCount();
const began = new Date();
const report: string[] = [];
const say = (line = '') => {
  console.log(line);
  report.push(line);
};

say(`theCouncil bench, ${began.toISOString()}, Node ${process.version}`);
say(`cores: ${cores.usable} usable of ${cores.total}; taskset ${tasksetPresent ? 'present' : 'absent'}`);
say(
  options.unpinnedBecause
    ? `pinning: none (${options.unpinnedBecause}); servers and load generator share every core`
    : `pinning: servers on core ${options.serverCore}, load generator on core ${options.loadCore} (taskset -c); other processes on the machine are not kept off them`,
);
say(`load generator: ${tool === 'wrk' ? 'wrk, 1 thread' : 'autocannon (wrk is not installed)'}, ${options.connections} connections`);
say(`load average at start: ${loadAverage().toFixed(2)}`);
say();

const baseline: BaselineCheckout | undefined = options.baseline ? checkOutBaseline(options.baseline) : undefined;
const root = new URL('../', import.meta.url).pathname;
/** Each engine measured: this checkout, then the baseline's, each with the label the tables give it. */
const checkouts = [{ label: 'engine', dir: root }, ...(baseline ? [{ label: baseline.commit, dir: baseline.dir }] : [])];
const results: {
  http?: HttpPartResult;
  start?: Record<string, StartTimings>;
  cli?: Record<string, CliTimings>;
  scale?: Record<string, ScaleSide[]>;
  observe?: ObserveResult[];
  console?: Awaited<ReturnType<typeof consolePart>>;
  expand?: ExpandResult[];
  fleet?: FleetResult;
  batch?: BatchResult[];
} = {};
try {
  for (const checkout of checkouts) say(`${checkout.label} (${checkout.dir}) runs ${buildEngine(checkout.dir, options.build)}`);
  say();
  if (options.parts.includes('http')) {
    const http = await httpPart(options, tool, baseline);
    results.http = http;
    say();
    say(
      `HTTP: req/s (mean of ${options.rounds} rounds of ${options.seconds} s, after ${options.warmupSeconds} s of warm-up) and p99 latency; engine = this checkout${baseline ? `, ${baseline.commit} = the engine at BENCH_BASELINE` : ''}`,
    );
    say(formatTable(httpTable(http, baseline?.commit)));
    for (const skipped of http.skipped) say(`not measured: ${skipped}`);
    say(coreUseLine(http));
    const checks = http.pinning.filter((p) => p.held !== undefined);
    const broken = checks.filter((p) => !p.held);
    say(
      checks.length === 0
        ? 'pinning held: not checked (nothing pinned)'
        : broken.length === 0
          ? `pinning held: yes (${checks.length} affinity checks of servers and load generators)`
          : `pinning held: NO for ${broken.map((p) => p.what).join('; ')}`,
    );
    say();
  }
  if (options.parts.includes('observe')) {
    results.observe = await observePart(options, tool);
    say(
      'What metrics and usage analytics cost: the engine as shipped (on) and with metrics.enabled and analytics.enabled false (off), in pairs of slices',
    );
    for (const line of observeLines(results.observe)) say(line);
    say();
  }
  if (options.parts.includes('start')) {
    results.start = {};
    const cores = options.serverCore === undefined ? [undefined] : [undefined, options.serverCore];
    for (const checkout of checkouts) {
      for (const core of cores) {
        const timings = await startPart(checkout.dir, options, core);
        results.start[`${checkout.label}${core === undefined ? '' : ` (core ${core})`}`] = timings;
        for (const line of startLines(checkout.label, timings)) say(line);
      }
    }
    say();
  }
  if (options.parts.includes('cli')) {
    results.cli = {};
    for (const checkout of checkouts) {
      const timings = await cliPart(checkout.dir, options);
      results.cli[checkout.label] = timings;
      for (const line of cliLines(checkout.label, timings)) say(line);
    }
    say();
  }
  if (options.parts.includes('scale')) {
    results.scale = {};
    for (const checkout of checkouts) {
      const sides = await scalePart(checkout.dir, checkout.label, options, tool);
      results.scale[checkout.label] = sides;
      for (const line of scaleLines(checkout.label, sides)) say(line);
    }
    say();
  }
  if (options.parts.includes('console')) {
    // This checkout only: the console is new, a baseline before it has none.
    results.console = await consolePart(root, options);
    for (const line of consoleLines(results.console)) say(line);
    say();
  }
  if (options.parts.includes('expand')) {
    // This checkout only: references are new, a baseline before them has none.
    results.expand = await expandPart(options, tool);
    for (const line of expandLines(results.expand)) say(line);
    say();
  }
  if (options.parts.includes('batch')) {
    // This checkout only: batches are new.
    results.batch = await batchPart(options, tool);
    for (const line of batchLines(results.batch)) say(line);
    say();
  }
  if (options.parts.includes('fleet')) {
    // This checkout only: the fleet's heartbeat is new.
    results.fleet = await fleetPart(options, tool);
    for (const line of fleetLines(results.fleet)) say(line);
    say();
  }
} finally {
  baseline?.remove();
}
say(`load average at end: ${loadAverage().toFixed(2)}`);

const dir = new URL('./results/', import.meta.url).pathname;
mkdirSync(dir, { recursive: true });
const stamp = began.toISOString().replace(/[:.]/g, '-');
writeFileSync(join(dir, `${stamp}.json`), `${JSON.stringify({ began, options, tool, cores, results }, null, 2)}\n`);
const markdown = results.http ? `\n\n${formatTable(httpTable(results.http, baseline?.commit), true)}\n` : '';
writeFileSync(join(dir, `${stamp}.md`), `\`\`\`text\n${report.join('\n')}\n\`\`\`${markdown}`);
console.log(`\nwritten: bench/results/${stamp}.json and .md`);

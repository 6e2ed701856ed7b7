// Start-up: `council serve` on the shipped examples, timed from spawning the process to
// its first /health 200 (the whole process, as a user or an orchestrator waits for it).
// A first start makes its data folder (PGlite creating its database); a second reuses it.
import { join } from 'node:path';
import { SERVER_NODE_FLAGS } from './engine-server.ts';
import { copyExamples, spread } from './examples-project.ts';
import type { BenchOptions } from './options.ts';
import { startProcess, stopProcess, waitForHttp } from './processes.ts';

export interface StartTimings {
  first: number[];
  again: number[];
  /** The core the server was pinned to, or undefined: unpinned, as `npm start` runs. */
  core: number | undefined;
}

/**
 * Times `runs` first starts and as many second starts of the checkout's examples, on
 * `core` (the bench's server core) or unpinned: a start has no load generator to keep
 * apart, and the embedded store's thread overlaps the engine's loading only with a
 * second core, as a user's `npm start` has.
 */
export async function startPart(checkout: string, options: BenchOptions, core: number | undefined): Promise<StartTimings> {
  const timings: StartTimings = { first: [], again: [], core };
  for (let run = 0; run < options.runs; run++) {
    const project = await copyExamples(checkout);
    try {
      for (const into of [timings.first, timings.again]) {
        const began = performance.now();
        const server = startProcess(process.execPath, [...SERVER_NODE_FLAGS, join(checkout, 'bin/council.mjs'), 'serve'], {
          core,
          cwd: project.dir,
          env: project.env,
          label: 'council serve (examples)',
        });
        try {
          await waitForHttp(`http://127.0.0.1:${project.port}/health`, server, 120_000, 200);
          into.push(performance.now() - began);
        } finally {
          await stopProcess(server);
        }
      }
    } finally {
      project.remove();
    }
  }
  return timings;
}

export function startLines(label: string, t: StartTimings): string[] {
  const on = t.core === undefined ? 'unpinned' : `pinned to core ${t.core}`;
  return [
    `${label}: council serve (examples) to first /health 200, ${on}, first start ${spread(t.first).text}`,
    `${label}: the same, ${on}, second start on the same data folder ${spread(t.again).text}`,
  ];
}

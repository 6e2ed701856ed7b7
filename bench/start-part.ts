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
}

/** Times `runs` first starts and as many second starts of the checkout's examples. */
export async function startPart(checkout: string, options: BenchOptions): Promise<StartTimings> {
  const timings: StartTimings = { first: [], again: [] };
  for (let run = 0; run < options.runs; run++) {
    const project = await copyExamples(checkout);
    try {
      for (const into of [timings.first, timings.again]) {
        const began = performance.now();
        const server = startProcess(process.execPath, [...SERVER_NODE_FLAGS, join(checkout, 'bin/council.mjs'), 'serve'], {
          core: options.serverCore,
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
  return [
    `${label}: council serve (examples) to first /health 200, first start ${spread(t.first).text}`,
    `${label}: the same, second start on the same data folder ${spread(t.again).text}`,
  ];
}

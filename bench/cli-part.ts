// Commands users run often, timed as whole processes: `council validate` on the shipped
// examples, and `council keys create` while a server runs on the same project (it goes
// through that server's admin API).
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { SERVER_NODE_FLAGS } from './engine-server.ts';
import { copyExamples, spread } from './examples-project.ts';
import type { BenchOptions } from './options.ts';
import { startProcess, stopProcess, waitForHttp } from './processes.ts';

export interface CliTimings {
  validate: number[];
  keysCreate: number[];
  /** Runs that did not exit 0, with what they printed. */
  failures: string[];
}

export async function cliPart(checkout: string, options: BenchOptions): Promise<CliTimings> {
  const timings: CliTimings = { validate: [], keysCreate: [], failures: [] };
  const project = await copyExamples(checkout);
  const council = (args: string[], into: number[]) => {
    const pinned = options.serverCore === undefined ? [] : ['taskset', '-c', String(options.serverCore)];
    const command = [...pinned, process.execPath, join(checkout, 'bin/council.mjs'), ...args];
    const began = performance.now();
    const run = spawnSync(command[0] ?? '', command.slice(1), { cwd: project.dir, env: project.env, encoding: 'utf8' });
    into.push(performance.now() - began);
    if (run.status !== 0) timings.failures.push(`council ${args.join(' ')} exited ${run.status}: ${run.stderr.slice(-500)}`);
  };
  try {
    for (let run = 0; run < options.runs; run++) council(['validate'], timings.validate);
    const server = startProcess(process.execPath, [...SERVER_NODE_FLAGS, join(checkout, 'bin/council.mjs'), 'serve'], {
      core: options.serverCore,
      cwd: project.dir,
      env: project.env,
      label: 'council serve (examples)',
    });
    try {
      await waitForHttp(`http://127.0.0.1:${project.port}/health`, server, 120_000, 200);
      for (let run = 0; run < options.runs; run++)
        council(['keys', 'create', '--name', `bench-${run}`, '--scopes', 'notes:read'], timings.keysCreate);
    } finally {
      await stopProcess(server);
    }
  } finally {
    project.remove();
  }
  return timings;
}

export function cliLines(label: string, t: CliTimings): string[] {
  return [
    `${label}: council validate (examples) ${spread(t.validate).text}`,
    `${label}: council keys create, server running ${spread(t.keysCreate).text}`,
    ...t.failures.map((f) => `${label}: FAILED ${f}`),
  ];
}

// Child processes of the bench: each pinned to one core with taskset when the machine has
// it, its affinity read back from /proc, and none outliving the run.
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

/** Whether `taskset` runs here (util-linux); without it nothing is pinned and the run says so. */
export const tasksetPresent = spawnSync('taskset', ['--version'], { stdio: 'ignore' }).status === 0;

export interface Started {
  readonly child: ChildProcess;
  readonly pid: number;
  /** The core it was asked to run on, or undefined when unpinned. */
  readonly core: number | undefined;
  /** Everything it printed on stdout so far. */
  readonly output: () => string;
  /** Resolves with the exit code (or signal) when it ends. */
  readonly ended: Promise<string>;
}

const children = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of children) child.kill('SIGKILL');
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGPIPE'] as const) process.on(signal, () => process.exit(1));

/**
 * Starts `command args` on `core` (through `taskset -c`) when one is given and taskset is
 * present. stderr is kept and shown only if the process fails; stdout is collected.
 */
export function startProcess(
  command: string,
  args: string[],
  options: { core: number | undefined; cwd?: string; env?: NodeJS.ProcessEnv; label: string },
): Started {
  const pinned = options.core !== undefined && tasksetPresent;
  const [file, argv] = pinned ? ['taskset', ['-c', String(options.core), command, ...args]] : [command, args];
  const child = spawn(file, argv, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  let out = '';
  let err = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    out += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    err += chunk.toString();
  });
  const ended = new Promise<string>((resolve) => {
    child.on('exit', (code, signal) => {
      children.delete(child);
      if (code !== 0 && signal === null && err) process.stderr.write(`${options.label} ended with ${code}:\n${err.slice(-2000)}\n`);
      resolve(signal ?? String(code));
    });
  });
  return { child, pid: child.pid ?? -1, core: pinned ? options.core : undefined, output: () => out, ended };
}

/** Ends a process with SIGTERM, then SIGKILL if it is still there after `graceMs`. */
export async function stopProcess(started: Started, graceMs = 5000): Promise<void> {
  if (started.child.exitCode !== null || started.child.signalCode !== null) return;
  started.child.kill('SIGTERM');
  const timer = sleep(graceMs).then(() => started.child.kill('SIGKILL'));
  await Promise.race([started.ended, timer]);
  await started.ended;
}

/**
 * Whether every thread of the process (and of its children) may run only on its core,
 * read from /proc/PID/task/TID/status. Undefined when it was not pinned or /proc is absent.
 */
export function pinningHeld(started: Started): boolean | undefined {
  if (started.core === undefined) return undefined;
  const lists = [started.pid, ...descendants(started.pid)].flatMap(threadCpuLists);
  if (!lists.length) return undefined;
  return lists.every((list) => list === String(started.core));
}

function threadCpuLists(pid: number): string[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      const match = /^Cpus_allowed_list:\s*(\S+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'));
      return match?.[1] ? [match[1]] : [];
    });
  } catch {
    return [];
  }
}

function descendants(pid: number): number[] {
  try {
    const direct = readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').split(/\s+/).filter(Boolean).map(Number);
    return direct.flatMap((child) => [child, ...descendants(child)]);
  } catch {
    return [];
  }
}

/** The CPU time (user + system, in clock ticks) the process has used so far, from /proc/PID/stat. */
export function cpuTicks(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return Number.NaN;
  }
}

/** Resident memory of the process, in bytes, from /proc/PID/status (VmRSS). */
export function residentBytes(pid: number): number {
  try {
    const match = /^VmRSS:\s*(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : Number.NaN;
  } catch {
    return Number.NaN;
  }
}

/**
 * Polls `url` until it answers `status` (any status when undefined), or fails after
 * `timeoutMs`, or as soon as the process ends.
 */
export async function waitForHttp(url: string, started: Started, timeoutMs: number, status?: number): Promise<void> {
  const deadline = performance.now() + timeoutMs;
  let exited = false;
  void started.ended.then(() => {
    exited = true;
  });
  for (;;) {
    if (exited) throw new Error(`${url}: the process ended before it answered\n${started.output().slice(-2000)}`);
    try {
      const response = await fetch(url, { signal: AbortSignal.timeout(2000) });
      await response.arrayBuffer();
      if (status === undefined || response.status === status) return;
    } catch {
      // not listening yet
    }
    if (performance.now() > deadline) throw new Error(`${url} did not answer${status ? ` ${status}` : ''} within ${timeoutMs} ms`);
    await sleep(10);
  }
}

import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../../bin/council.mjs', import.meta.url));

/** A `council serve` process, started by {@link serveProcess}. */
export interface ServeProcess {
  readonly child: ChildProcess;
  /** Where it serves, as its start-up list says: `http://127.0.0.1:PORT`. */
  readonly url: string;
  readonly port: number;
  /** The admin key the first start printed, if it did. */
  readonly key: string | undefined;
  /** Everything it printed so far, stdout and stderr interleaved. */
  output(): string;
  /** What it printed on stderr so far. */
  stderr(): string;
  /** SIGTERM, then its exit code. */
  stop(): Promise<number | null>;
}

/** One line of the server's log (documents/operations.md, "Logs"): `level`, `time`, `msg` and the fields. */
export interface LogLine {
  readonly level: string;
  readonly time: string;
  readonly msg: string;
  readonly [field: string]: unknown;
}

/** The log lines in a server's output (JSON objects, one a line), without the start-up list around them. */
export function logLines(output: string): LogLine[] {
  return output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as LogLine);
}

const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

/**
 * Runs `node [nodeArgs] bin/council.mjs serve ARGS` (as `npm start` does) and resolves
 * once its start-up list is printed; rejects, with what it printed, if it exits first
 * or takes longer than a minute. Killed when the test process exits.
 */
export function serveProcess(
  args: readonly string[],
  options: { cwd: string; env: NodeJS.ProcessEnv; nodeArgs?: readonly string[] },
): Promise<ServeProcess> {
  const child = spawn(process.execPath, [...(options.nodeArgs ?? []), BIN, 'serve', ...args], { cwd: options.cwd, env: options.env });
  running.add(child);
  child.once('exit', () => running.delete(child));
  let out = '';
  let err = '';
  const collect = (chunk: Buffer) => {
    out += chunk;
  };
  child.stdout.on('data', collect);
  child.stderr.on('data', collect);
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk;
  });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`council serve did not start within 60 s:\n${out}`)), 60_000);
    const check = () => {
      const found = /serving \d+ automation\(s\) at (http:\/\/[^:\s]+:(\d+))/.exec(out);
      if (!found?.[1] || !/SIGHUP reloads everything/.test(out)) return;
      clearTimeout(timer);
      child.stdout.off('data', check);
      resolve({
        child,
        url: found[1],
        port: Number(found[2]),
        key: /^ {4}(ck_\S+)$/m.exec(out)?.[1],
        output: () => out,
        stderr: () => err,
        async stop() {
          if (child.exitCode !== null) return child.exitCode;
          child.kill('SIGTERM');
          const [code] = await once(child, 'exit');
          return code as number | null;
        },
      });
    };
    child.stdout.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`council serve exited with ${code}:\n${out}`));
    });
  });
}

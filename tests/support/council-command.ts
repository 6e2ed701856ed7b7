import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** bin/council.mjs of this checkout. */
export const COUNCIL_BIN = fileURLToPath(new URL('../../bin/council.mjs', import.meta.url));

export interface Run {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `node bin/council.mjs ...args` in `cwd` with exactly `env`, and resolves with its exit code and output, whatever the code. */
export function runCouncil(cwd: string, args: readonly string[], env: NodeJS.ProcessEnv, timeout = 60_000): Promise<Run> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [COUNCIL_BIN, ...args], { cwd, env, timeout }, (error, stdout, stderr) => {
      if (error && typeof error.code !== 'number') return reject(error);
      resolve({ code: error ? (error.code as number) : 0, stdout, stderr });
    });
  });
}

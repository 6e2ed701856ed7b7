import { spawn } from 'node:child_process';

/**
 * Runs `node ARGS` and collects its output, without blocking this process: a child that
 * calls a server running in the test itself needs this process to keep answering.
 */
export function runNode(
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    // A child still running after timeoutMs (a server that should have refused to start) is killed: status null.
    const child = spawn(process.execPath, args, {
      cwd: options.cwd,
      env: options.env,
      timeout: options.timeoutMs ?? 0,
      killSignal: 'SIGKILL',
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

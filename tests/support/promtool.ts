import { spawnSync } from 'node:child_process';

/**
 * Prometheus's own checker (Debian's `prometheus` package), for the metrics text and the
 * alert rules. Without it those tests are skipped with one plain line, unless
 * `COUNCIL_TEST_REQUIRE` names `promtool` (as CI does): then they fail.
 */
export function promtoolGate(): string | false {
  if (!spawnSync('promtool', ['--version']).error) return false;
  const reason = 'promtool checks skipped: no promtool on PATH (apt-get install prometheus)';
  const required = (process.env.COUNCIL_TEST_REQUIRE ?? '').split(',').map((s) => s.trim().toLowerCase());
  if (required.includes('promtool')) throw new Error(`${reason}; COUNCIL_TEST_REQUIRE includes "promtool", so they must run`);
  console.log(`# ${reason}`);
  return reason;
}

/** Runs promtool with `args` (and `input` on stdin); its status and everything it printed. */
export function promtool(args: string[], input?: string, cwd?: string): { status: number | null; output: string } {
  const run = spawnSync('promtool', args, { encoding: 'utf8', ...(input === undefined ? {} : { input }), ...(cwd ? { cwd } : {}) });
  return { status: run.status, output: `${run.stdout}${run.stderr}` };
}

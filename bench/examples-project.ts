// A copy of the shipped examples (council.config.yaml and automations/) in a temporary
// folder, so timed commands start from what a user who cloned the project has.
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from './machine.ts';

export interface ExamplesProject {
  dir: string;
  /** The environment commands run with: a free PORT on 127.0.0.1, no store URLs (embedded and memory stores). */
  env: NodeJS.ProcessEnv;
  port: number;
  remove(): void;
}

export async function copyExamples(checkout: string): Promise<ExamplesProject> {
  const dir = mkdtempSync(join(tmpdir(), 'council-bench-examples-'));
  cpSync(join(checkout, 'council.config.yaml'), join(dir, 'council.config.yaml'));
  cpSync(join(checkout, 'automations'), join(dir, 'automations'), { recursive: true });
  const port = await freePort();
  const env: NodeJS.ProcessEnv = { ...process.env, PORT: String(port), HOST: '127.0.0.1' };
  for (const name of ['DATABASE_URL', 'REDIS_URL', 'MONGODB_URL', 'OPENSEARCH_URL', 'DYNAMODB_ENDPOINT', 'NODE_ENV', 'PUBLIC_URL'])
    delete env[name];
  return { dir, env, port, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/** Median, smallest and largest of some timings, as "median 812 ms (range 790-901, 5 runs)". */
export function spread(ms: number[]): { median: number; min: number; max: number; text: string } {
  const sorted = [...ms].sort((a, b) => a - b);
  const mid = sorted.length / 2;
  const median = sorted.length % 2 ? (sorted[Math.floor(mid)] ?? Number.NaN) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
  const [min = Number.NaN, max = Number.NaN] = [sorted[0], sorted.at(-1)];
  return { median, min, max, text: `median ${Math.round(median)} ms (range ${Math.round(min)}-${Math.round(max)}, ${ms.length} runs)` };
}

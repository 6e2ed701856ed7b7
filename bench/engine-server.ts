// An engine as users run it: a project folder with council.config.yaml and one manifest,
// started with `node --max-semi-space-size=32 bin/council.mjs serve --config ...` (what
// `npm start` and the Dockerfile run), watcher on, from a given checkout. Nothing of the
// engine is imported: only its command line and HTTP.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { freePort } from './machine.ts';
import { type Started, startProcess, stopProcess, waitForHttp } from './processes.ts';

/** The node flags every server of the bench runs with, as `npm start` runs the engine. */
export const SERVER_NODE_FLAGS = ['--max-semi-space-size=32'];

export type Store = 'memory' | 'postgres' | 'redis';

export interface EngineOptions {
  /** The checkout whose bin/council.mjs runs. */
  checkout: string;
  /** The automation's name, unique per server so servers sharing a database do not share a table. */
  name: string;
  store: Store;
  /** true: the defaults (an API key on every request, the audit log on); false: public, no audit. */
  guards: boolean;
  postgresUrl: string;
  redisUrl: string;
  core: number | undefined;
  /** How many automations to serve: 1 is `name`; more are `name-0`, `name-1`, ... */
  count?: number;
  /** false: metrics and usage analytics off (what they cost is the difference); default on, as shipped. */
  observed?: boolean;
  /** The manifests to serve, by file name, instead of the notes (`count` is then ignored). */
  manifests?: Readonly<Record<string, string>>;
  /** true: configured as one instance of a fleet (deploy/compose/council.fleet.yaml): rate limits and idempotency keys in Redis. */
  fleet?: boolean;
}

export interface EngineServer {
  started: Started;
  url: string;
  /** The project folder (config, automations, data). */
  dir: string;
  /** The API key to send when guarded. */
  key: string | undefined;
  /** The base path of each automation served. */
  basePaths: string[];
  /** From spawning the process to its first /health 200, in ms. */
  startMs: number;
}

/** The notes manifest: list with a topic filter, get, create. */
export function notesManifest(name: string, store: Store, guards: boolean): string {
  return `name: ${name}
description: Benchmark notes.
${guards ? '' : 'access: { public: true }\n'}storage: { backend: ${store} }
schema:
  type: object
  required: [text]
  additionalProperties: false
  properties:
    text: { type: string, minLength: 1, maxLength: 2000 }
    topic: { type: string }
    pinned: { type: boolean, default: false }
endpoints:
  - { operation: list, filters: [topic], sort: [createdAt] }
  - { operation: get }
  - { operation: create }
`;
}

/**
 * The config: the shipped defaults, except a rate limit no benchmark load reaches (one
 * client sends all the load; the check and its bookkeeping still run), without guards,
 * the audit log off, and unobserved, metrics and analytics off. The system store is the `postgres` connection, as always.
 */
function configText(options: EngineOptions, port: number): string {
  return `server: { port: ${port}, host: 127.0.0.1 }
rateLimit: { requests: 1000000000, perSeconds: 1${options.fleet ? ', store: redis' : ''} }
${options.fleet ? 'idempotency: { store: redis }\n' : ''}audit: { enabled: ${options.guards} }
${options.observed === false ? 'metrics: { enabled: false }\nanalytics: { enabled: false }\n' : ''}automations: automations
dataDir: data
connections:
  postgres: { backend: postgres, url: "${options.store === 'postgres' ? options.postgresUrl : ''}" }
  redis: { backend: redis, url: "${options.store === 'redis' || options.fleet ? options.redisUrl : ''}" }
  memory: { backend: memory }
`;
}

/** Writes the project, starts `council serve`, waits for /health 200 and finds an API key when guarded. */
export async function startEngine(options: EngineOptions): Promise<EngineServer> {
  const dir = mkdtempSync(join(tmpdir(), `council-bench-${options.name}-`));
  mkdirSync(join(dir, 'automations'));
  const port = await freePort();
  writeFileSync(join(dir, 'council.config.yaml'), configText(options, port));
  const count = options.count ?? 1;
  const names = count === 1 ? [options.name] : Array.from({ length: count }, (_, i) => `${options.name}-${i}`);
  const files =
    options.manifests ?? Object.fromEntries(names.map((name) => [`${name}.yaml`, notesManifest(name, options.store, options.guards)]));
  for (const [file, text] of Object.entries(files)) writeFileSync(join(dir, 'automations', file), text);
  const env = { ...process.env };
  for (const name of ['PORT', 'HOST', 'DATABASE_URL', 'REDIS_URL', 'NODE_ENV']) delete env[name];
  const began = performance.now();
  const started = startProcess(
    process.execPath,
    [...SERVER_NODE_FLAGS, join(options.checkout, 'bin/council.mjs'), 'serve', '--config', 'council.config.yaml'],
    {
      core: options.core,
      cwd: dir,
      env,
      label: `council serve (${options.name})`,
    },
  );
  const url = `http://127.0.0.1:${port}`;
  await waitForHttp(`${url}/health`, started, 600_000, 200);
  const startMs = performance.now() - began;
  let key: string | undefined;
  try {
    key = options.guards ? await apiKey(options, started, dir, env) : undefined;
  } catch (error) {
    await stopProcess(started);
    throw error;
  }
  return { started, url, dir, key, basePaths: names.map((name) => `/${name}`), startMs };
}

/**
 * The admin key `serve` prints on a first start, or, when the system store already had a
 * key (servers sharing one PostgreSQL), one made with `council keys create` through the
 * running server.
 */
async function apiKey(options: EngineOptions, started: Started, dir: string, env: NodeJS.ProcessEnv): Promise<string> {
  // The start-up summary is printed just after the server answers.
  for (let i = 0; i < 100 && !/SIGHUP/.test(started.output()); i++) await sleep(20);
  const printed = /^\s+(ck_\S+)\s*$/m.exec(started.output())?.[1];
  if (printed) return printed;
  const made = spawnSync(
    process.execPath,
    [join(options.checkout, 'bin/council.mjs'), 'keys', 'create', '--config', 'council.config.yaml', '--name', 'bench', '--scopes', '*'],
    // A command that hangs (0637fb7's against a PostgreSQL server) fails the side, not the run.
    { cwd: dir, env, encoding: 'utf8', timeout: 60_000 },
  );
  const key = /^(ck_\S+)$/m.exec(made.stdout)?.[1];
  if ((made.error as NodeJS.ErrnoException | undefined)?.code === 'ETIMEDOUT') {
    throw new Error(`council keys create (${options.name}) did not finish within 60 s`);
  }
  if (made.status !== 0 || !key) throw new Error(`council keys create (${options.name}) exited ${made.status}: ${made.stderr}`);
  return key;
}

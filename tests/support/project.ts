import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ConnectionSettings } from '../../adapters/types.ts';
import type { CouncilConfig } from '../../engine/config/config.ts';
import { silentLogger } from '../../engine/log.ts';
import { listen, type RunningServer } from '../../engine/server/listen.ts';

/** A throwaway project folder: automations/ with the given manifests and a data dir. */
export interface TestProject {
  readonly root: string;
  readonly automations: string;
  readonly dataDir: string;
  write(file: string, text: string): void;
  config(overrides?: Partial<CouncilConfig>): CouncilConfig;
  remove(): void;
}

export function makeProject(
  manifests: Record<string, string>,
  connections: Record<string, Omit<ConnectionSettings, 'name'>> = {},
): TestProject {
  const root = mkdtempSync(join(tmpdir(), 'council-test-'));
  const automations = join(root, 'automations');
  const dataDir = join(root, 'data');
  mkdirSync(automations);
  const write = (file: string, text: string) => writeFileSync(join(automations, file), text);
  for (const [file, text] of Object.entries(manifests)) write(file, text);
  const allConnections = { memory: { backend: 'memory' }, postgres: { backend: 'postgres', url: '' }, ...connections };
  return {
    root,
    automations,
    dataDir,
    write,
    config: (overrides = {}) => ({
      file: undefined,
      server: {
        port: 0,
        host: '127.0.0.1',
        bodyLimit: 64 * 1024,
        requestTimeoutSeconds: 20,
        shutdownGraceSeconds: 0,
        shutdownTimeoutSeconds: 30,
        corsOrigins: [],
        trustedProxies: [],
        metricsHost: '127.0.0.1',
        accessLog: false,
      },
      pagination: { defaultLimit: 20, maxLimit: 100, maxResponseChars: 50_000, maxBatch: 100 },
      // Off unless a test is about it: every write would otherwise open the embedded system store.
      audit: { enabled: false },
      metrics: { enabled: true },
      // Off unless a test is about it: its flushes would open the system store too.
      analytics: { enabled: false, flushSeconds: 10, retentionDays: 400 },
      console: { mode: 'write' },
      gpt: { consequentialWrites: true },
      idempotency: { windowSeconds: 86_400 },
      rateLimit: { requests: 100_000, perSeconds: 1 },
      automations,
      dataDir,
      connections: new Map(Object.entries(allConnections).map(([name, c]) => [name, { ...c, name }])),
      ...overrides,
    }),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/** Starts a real listening server on a free loopback port for the project. */
export function startServer(project: TestProject, overrides?: Partial<CouncilConfig>): Promise<RunningServer> {
  return listen(project.config(overrides), silentLogger);
}

/** Headers that let a test read `/health` in full: the server's local admin token, as `council` tools send it. */
export function adminHeaders(server: RunningServer): Record<string, string> {
  return { authorization: `Bearer ${server.engine.localToken}` };
}

/** fetch + JSON body, for terse assertions on status and body together. */
export async function call(base: string, method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  const init: RequestInit = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.body = typeof body === 'string' ? body : JSON.stringify(body);
    (init.headers as Record<string, string>)['content-type'] ??= 'application/json';
  }
  const response = await fetch(`${base}${path}`, init);
  const text = await response.text();
  let json: any;
  try {
    json = text ? JSON.parse(text) : undefined;
  } catch {
    json = undefined;
  }
  return { status: response.status, headers: response.headers, json, text };
}

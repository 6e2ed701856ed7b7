import { join } from 'node:path';
import { stringify } from 'yaml';
import type { CouncilConfig } from '../../engine/config/config.ts';

/** The Redis the benchmarks use when one answers (the machine's, by default). */
export const REDIS_BENCH_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

/**
 * The engine config every benchmark runs with: a free loopback port, the default limits,
 * `<root>/automations` and `<root>/data`, and one connection for `backend`.
 */
export function benchConfig(root: string, backend = 'memory'): CouncilConfig {
  return {
    file: undefined,
    server: {
      port: 0,
      host: '127.0.0.1',
      bodyLimit: 1 << 20,
      requestTimeoutSeconds: 20,
      shutdownGraceSeconds: 0,
      shutdownTimeoutSeconds: 30,
      corsOrigins: [],
      trustedProxies: [],
      metricsHost: '127.0.0.1',
      accessLog: false,
    },
    pagination: { defaultLimit: 20, maxLimit: 100, maxResponseChars: 50_000, maxBatch: 100 },
    // The hand-written side keeps no audit log either.
    audit: { enabled: false },
    metrics: { enabled: true },
    analytics: { enabled: false, flushSeconds: 10, retentionDays: 400 },
    console: { mode: 'write' },
    gpt: { consequentialWrites: true },
    idempotency: { windowSeconds: 86_400 },
    // The hand-written side limits nothing; a limit the load never reaches still costs its bookkeeping.
    rateLimit: { requests: 1_000_000_000, perSeconds: 1 },
    automations: join(root, 'automations'),
    dataDir: join(root, 'data'),
    connections: new Map([
      [backend, { name: backend, backend, url: { redis: REDIS_BENCH_URL, dynamodb: process.env.DYNAMODB_ENDPOINT ?? '' }[backend] ?? '' }],
      // The system store (API keys) of a locked automation: embedded, as by default.
      ['postgres', { name: 'postgres', backend: 'postgres', url: '' }],
    ]),
  };
}

/** The record the benchmarks read and write, and its JSON Schema, shared by engine and baseline. */
export const NOTE = { text: 'benchmark note', topic: 'bench', pinned: false };

export const NOTE_SCHEMA = {
  type: 'object',
  required: ['text'],
  additionalProperties: false,
  properties: {
    text: { type: 'string', minLength: 1, maxLength: 2000 },
    topic: { type: 'string' },
    pinned: { type: 'boolean', default: false },
  },
};

/** A memory-backed manifest serving get and create of notes, as YAML. */
export function notesManifest(name: string, description = 'Benchmark notes.'): string {
  return stringify({
    name,
    description,
    access: { public: true },
    storage: { backend: 'memory' },
    schema: NOTE_SCHEMA,
    endpoints: [{ operation: 'get' }, { operation: 'create' }],
  });
}

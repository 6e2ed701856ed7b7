import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CouncilConfig } from '../config/config.ts';
import { silentLogger } from '../log.ts';
import { startEngine } from '../server/engine.ts';
import type { Send } from './run-tests.ts';

export interface EngineUnderTest {
  readonly send: Send;
  /** The admin key the fresh system store was given, when an automation needs one. */
  readonly key: string | undefined;
  /** The automations that did not load, as `FILE:LINE:COL: message` lines. */
  readonly failures: readonly string[];
  /** The manifest file serving each base path (`/tickets`). */
  readonly manifests: ReadonlyMap<string, string>;
  close(): Promise<void>;
}

/**
 * The project's automations served in this process on fresh stores that nothing else
 * sees: every connection without its URL (PostgreSQL as embedded PGlite in a temporary
 * folder, the others in memory), the rate limit and the audit as configured. A test run
 * never reads or writes a real database, and starts from empty.
 */
export async function startEngineUnderTest(config: CouncilConfig): Promise<EngineUnderTest> {
  const dataDir = mkdtempSync(join(tmpdir(), 'council-test-'));
  const connections = new Map([...config.connections].map(([name, connection]) => [name, { ...connection, url: '' }]));
  // The limiter in process: a shared Redis is a real store too.
  const { store: _shared, ...rateLimit } = config.rateLimit;
  let engine: Awaited<ReturnType<typeof startEngine>> | undefined;
  try {
    engine = await startEngine(
      { ...config, dataDir, connections, rateLimit, idempotency: { windowSeconds: config.idempotency.windowSeconds } },
      silentLogger,
    );
  } catch (error) {
    rmSync(dataDir, { recursive: true, force: true });
    throw error;
  }
  const started = engine;
  const failures = started.registry
    .failures()
    .flatMap((failure) => failure.issues.map((i) => `${i.file}:${i.line}:${i.col}: ${i.message}`));
  return {
    send: async (request) => started.fetch(request),
    key: started.bootstrapKey,
    failures,
    manifests: new Map(started.registry.serving().map((m) => [m.plan.basePath, m.plan.file])),
    close: async () => {
      await started.close();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

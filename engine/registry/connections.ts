import { join } from 'node:path';
import { backends, FALLBACK_BACKEND, loadBackend } from '../../adapters/index.ts';
import type { ConnectionSettings, StorageConnection } from '../../adapters/types.ts';
import { StorageError } from '../../adapters/types.ts';
import type { ConfiguredConnection, CouncilConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { DataDirLock, DataDirLockedError } from './data-dir-lock.ts';

export interface PoolOptions {
  /** Refuse the memory fallback: a connection without a URL fails (`--strict`, NODE_ENV=production). */
  readonly strict?: boolean;
  readonly logger?: Logger;
  /** Passed to every connection (see ConnectContext); absent for the CLI, whose work has no caller waiting. */
  readonly statementTimeoutMs?: number;
  /**
   * The data directory's lock, taken before an embedded store opens in it. A server passes
   * the one it took at start; without it the pool takes its own and releases it in
   * {@link ConnectionPool.closeAll}.
   */
  readonly lock?: DataDirLock;
}

export interface ConnectionStatus {
  readonly name: string;
  readonly backend: string;
  readonly mode: 'embedded' | 'server' | 'in-process' | 'embedded: memory';
  readonly state: 'up' | 'down' | 'unused';
  readonly error?: string;
}

/** A server's pool: a PostgreSQL server cancels a statement a little before the request's own deadline. */
export function serverPool(config: CouncilConfig, options: Omit<PoolOptions, 'statementTimeoutMs'>): ConnectionPool {
  // A little under the request timeout, so a PostgreSQL server cancels the statement
  // (nothing changed, and the caller is told so) before the caller gets a bare 504.
  const statementTimeoutMs = Math.round(config.server.requestTimeoutSeconds * 900);
  return new ConnectionPool(config.connections, config.dataDir, { ...options, statementTimeoutMs });
}

/**
 * The named connections of council.config.yaml, each opened on first use and shared by
 * every automation that names it. A connection that fails to open is retried on the
 * next use; until one succeeds, /health reports it down with the last failure.
 */
export class ConnectionPool {
  #settings: ReadonlyMap<string, ConfiguredConnection>;
  readonly #dataDir: string;
  readonly #open = new Map<string, Promise<StorageConnection>>();
  readonly #lastFailure = new Map<string, string>();
  readonly #options: PoolOptions;
  readonly #lock: DataDirLock;

  constructor(settings: ReadonlyMap<string, ConfiguredConnection>, dataDir: string, options: PoolOptions = {}) {
    this.#settings = settings;
    this.#dataDir = dataDir;
    this.#options = options;
    this.#lock = options.lock ?? new DataDirLock(dataDir);
  }

  /** Whether the config names this connection. */
  has(name: string): boolean {
    return this.#settings.has(name);
  }

  get(name: string): Promise<StorageConnection> {
    let connection = this.#open.get(name);
    if (!connection) {
      const settings = this.#settings.get(name);
      if (!settings) return Promise.reject(new StorageError('rejected', `no connection named "${name}"`));
      connection = this.#connect(settings);
      connection.then(
        () => this.#lastFailure.delete(name),
        (error) => {
          this.#open.delete(name);
          this.#lastFailure.set(name, messageOf(error));
        },
      );
      this.#open.set(name, connection);
    }
    return connection;
  }

  /**
   * Starts opening an embedded connection's store ahead of its first use, where its
   * backend can (PGlite's thread), taking the data directory's lock first. Resolves once
   * started, not opened; never rejects (the first use reports a failure).
   */
  async prestart(name: string): Promise<void> {
    const settings = this.#settings.get(name);
    const prestart = settings && connectionMode(settings) === 'embedded' ? backends[settings.backend]?.prestartEmbedded : undefined;
    if (!prestart || this.#open.has(name)) return;
    try {
      this.#lockDataDir();
      await prestart(this.#dataDir, name);
    } catch {
      // The first use opens it again and says why it cannot.
    }
  }

  /**
   * Opens a connection. A redis, mongodb, opensearch, elasticsearch or dynamodb connection without a URL runs on
   * the memory backend, so `npm start` serves every example without a server; it says
   * so in the log and in /health, and strict mode refuses it instead.
   */
  async #connect(settings: ConfiguredConnection): Promise<StorageConnection> {
    if (connectionMode(settings) === 'embedded') this.#lockDataDir();
    if (settings.url || backends[settings.backend]?.withoutUrl !== 'memory') {
      const { statementTimeoutMs } = this.#options;
      return (await loadBackend(settings.backend)).connect(settings, {
        dataDir: this.#dataDir,
        ...(statementTimeoutMs ? { statementTimeoutMs } : {}),
      });
    }
    if (this.#options.strict) {
      // Not `unavailable`: retrying cannot help until the config gives it a URL.
      throw new StorageError(
        'rejected',
        `${settings.backend} connection "${settings.name}" has no url (strict mode serves no ${settings.backend} automation from memory)`,
      );
    }
    this.#options.logger?.warn(
      `${settings.backend} connection "${settings.name}" has no url${settings.urlVariable ? ` (${settings.urlVariable} is not set)` : ''}: its automations run on MEMORY (records are lost on restart); set its url, or run with --strict to refuse this`,
    );
    return (await loadBackend(FALLBACK_BACKEND)).connect(settings, { dataDir: this.#dataDir });
  }

  /**
   * Takes new settings. Connections whose settings changed (or that are gone) are taken
   * out of the pool, so the next `get` opens them afresh; the caller closes the old ones
   * with {@link closeRetired} once nothing uses them. Memory and embedded connections
   * stay open unless their backend or URL changes: reopening would lose the memory's
   * records, and a second PGlite on the same folder cannot open while the first holds it.
   */
  reconfigure(next: ReadonlyMap<string, ConfiguredConnection>): { changed: string[]; retired: Promise<StorageConnection>[] } {
    const changed: string[] = [];
    const retired: Promise<StorageConnection>[] = [];
    for (const name of new Set([...this.#settings.keys(), ...next.keys()])) {
      const before = this.#settings.get(name);
      const after = next.get(name);
      if (sameStore(before, after)) continue;
      changed.push(name);
      const open = this.#open.get(name);
      if (open) retired.push(open);
      this.#open.delete(name);
      this.#lastFailure.delete(name);
    }
    this.#settings = next;
    return { changed, retired };
  }

  async closeRetired(retired: readonly Promise<StorageConnection>[]): Promise<void> {
    await Promise.allSettled(retired.map(async (c) => (await c).close()));
  }

  /** Pings one opened connection, bounded by `timeoutMs`; rejects when it is not open or does not answer. */
  async ping(name: string, timeoutMs = 1000): Promise<void> {
    const open = this.#open.get(name);
    if (!open) throw new StorageError('unavailable', `connection "${name}" is not open`);
    await withTimeout((await open).ping(), timeoutMs);
  }

  /**
   * A folder of the data directory for files kept beside an embedded connection's store
   * (the audit log's lines, `audit-file.ts`), with the directory's lock taken; undefined
   * when `name` is not embedded (its store is a server, or memory).
   */
  embeddedFolder(name: string, folder: string): string | undefined {
    const settings = this.#settings.get(name);
    if (!settings || connectionMode(settings) !== 'embedded') return undefined;
    this.#lockDataDir();
    return join(this.#dataDir, folder);
  }

  /** `postgres connection "warehouse"`: how errors and logs name a connection (never by its URL). */
  label(name: string): string {
    return `${this.#settings.get(name)?.backend ?? 'unknown'} connection "${name}"`;
  }

  /** Pings every opened connection (bounded by `timeoutMs`) for /health. Never rejects. */
  /** Pool usage of each open connection that has a pool (see StorageConnection.poolUsage); one that failed to open is left out. */
  async poolUsage(): Promise<{ name: string; inFlight: number; max: number }[]> {
    const usage: { name: string; inFlight: number; max: number }[] = [];
    for (const [name, open] of this.#open) {
      const connection = await open.catch(() => undefined);
      const now = connection?.poolUsage?.();
      if (now) usage.push({ name, ...now });
    }
    return usage;
  }

  async status(timeoutMs = 1000): Promise<ConnectionStatus[]> {
    return Promise.all(
      [...this.#settings.values()].map(async (s) => {
        const base = { name: s.name, backend: s.backend, mode: connectionMode(s) } as const;
        const open = this.#open.get(s.name);
        const failure = this.#lastFailure.get(s.name);
        if (!open)
          return failure === undefined ? { ...base, state: 'unused' as const } : { ...base, state: 'down' as const, error: failure };
        try {
          const connection = await open;
          await withTimeout(connection.ping(), timeoutMs);
          return { ...base, state: 'up' as const };
        } catch (error) {
          return { ...base, state: 'down' as const, error: messageOf(error) };
        }
      }),
    );
  }

  async closeAll(): Promise<void> {
    const open = [...this.#open.values()];
    this.#open.clear();
    await Promise.allSettled(open.map(async (c) => (await c).close()));
    // Only the lock this pool took itself; a server's lock outlives its pool by a little.
    if (!this.#options.lock) this.#lock.release();
  }

  /** Embedded stores open only under the data directory's lock, so no two owners open one folder. */
  #lockDataDir(): void {
    try {
      this.#lock.acquire();
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw new StorageError('unavailable', (error as Error).message, { cause: error });
      throw new StorageError('unavailable', `${error.message}; an embedded store opens in one process at a time`);
    }
  }
}

/** Where a connection keeps its records: `embedded` means files in the data directory (PGlite). */
export function connectionMode(settings: ConnectionSettings): ConnectionStatus['mode'] {
  const withoutUrl = backends[settings.backend]?.withoutUrl;
  if (withoutUrl === 'in-process') return 'in-process';
  if (settings.url) return 'server';
  return withoutUrl === 'memory' ? 'embedded: memory' : 'embedded';
}

/**
 * Where a connection's records actually live, for the start-up list: `postgres: embedded
 * PGlite in .council/data`, `postgres: server db.example.com:5432` (host and port only: a
 * URL may hold a password), `mongodb → memory: MONGODB_URL not set, lost on restart`.
 */
export function placement(settings: ConfiguredConnection, dataDir: string): string {
  const { backend } = settings;
  const mode = connectionMode(settings);
  if (mode === 'in-process') return `${backend}: in this process, lost on restart`;
  if (mode === 'embedded') return `${backend}: embedded PGlite in ${dataDir}`;
  if (mode === 'server') return `${backend}: server ${hostOf(settings.url ?? '')}`;
  return `${backend} → memory: ${unsetUrl(settings)}, lost on restart`;
}

/** `MONGODB_URL not set`, or `connection "cache" has no url` when the config names no variable. */
function unsetUrl(settings: ConfiguredConnection): string {
  return settings.urlVariable ? `${settings.urlVariable} not set` : `connection "${settings.name}" has no url`;
}

function hostOf(url: string): string {
  try {
    return new URL(url).host || '(a server)';
  } catch {
    return '(a server)';
  }
}

/** Whether any of these connections keeps files in the data directory (and so needs its lock). */
export function usesDataDir(connections: ReadonlyMap<string, ConfiguredConnection>): boolean {
  return [...connections.values()].some((c) => connectionMode(c) === 'embedded');
}

function sameStore(before: ConnectionSettings | undefined, after: ConnectionSettings | undefined): boolean {
  if (!before || !after) return before === after;
  if (before.backend !== after.backend || (before.url ?? '') !== (after.url ?? '')) return false;
  // Pool settings matter only to a server connection.
  return !after.url || JSON.stringify(before.pool ?? {}) === JSON.stringify(after.pool ?? {});
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new StorageError('unavailable', `no answer within ${ms} ms`)), ms);
    promise.then(resolve, reject).finally(() => clearTimeout(timer));
  });
}

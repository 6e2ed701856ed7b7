import type { Server } from 'node:http';
import type { CouncilConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { serverPool, usesDataDir } from '../registry/connections.ts';
import { DataDirLock, DataDirLockedError } from '../registry/data-dir-lock.ts';
import type { ProjectWatcher, WatchOptions } from '../reload/watch.ts';
import { SYSTEM_CONNECTION } from '../security/key-store.ts';
import type { Engine } from './engine.ts';
import { newLocalToken } from './local-admin.ts';
import { closeServer, endKeepAlive, serveHttp } from './node-http.ts';
import { startingResponse } from './starting.ts';

export interface RunningServer {
  readonly engine: Engine;
  /** The file watcher, when the server was started with `watch`. */
  readonly watcher?: ProjectWatcher;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  /**
   * Shuts down: /readyz turns 503 at once; for `graceMs` everything else still serves, each
   * answer closing its connection; then no new connection is taken, requests in flight get
   * `timeoutMs` to finish (unbounded without it), and audit, analytics and pools are flushed
   * and closed.
   */
  close(options?: { readonly graceMs?: number; readonly timeoutMs?: number }): Promise<void>;
}

/** The server could not start: its data directory or its port is taken. The message is one line an operator can act on. */
export class ListenError extends Error {}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use; stop the other server or pick another port with --port or PORT',
  EACCES: 'permission denied; ports below 1024 need privileges, pick another port with --port or PORT',
  EADDRNOTAVAIL: 'this machine has no such address; check server.host (HOST)',
};

/**
 * Starts a server on `config.server` (port 0 picks a free port) and resolves once it
 * serves. Before any store opens it takes the data directory's lock (when the config has
 * an embedded store) and binds the port, so a second server on either fails at once;
 * until the engine is ready, every request gets a 503 `server-starting`.
 */
export async function listen(
  config: CouncilConfig,
  logger: Logger,
  options: { watch?: WatchOptions | false; strict?: boolean } = {},
): Promise<RunningServer> {
  const { port: wanted, host: hostname } = config.server;
  const lock = new DataDirLock(config.dataDir, 'council serve');
  if (usesDataDir(config.connections)) {
    try {
      lock.acquire({ port: wanted });
    } catch (error) {
      if (!(error instanceof DataDirLockedError)) throw error;
      throw new ListenError(`${error.message}; stop it first, or give this server a data directory of its own with --data`);
    }
  }
  let handle: (request: Request, env?: unknown) => Response | Promise<Response> = startingResponse;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serveHttp({ fetch: (request, env) => handle(request, env), port: wanted, hostname, logger }, () => resolve(s));
    // Idle keep-alive connections stay open longer than a load balancer's idle timeout
    // (60 s on AWS ALB), so the server is never the side that closes one just as a request
    // arrives on it (a reset the client sees as a failed request). Node's default is 5 s.
    (s as { keepAliveTimeout?: number }).keepAliveTimeout = 65_000;
    s.once('error', reject);
  }).catch((error: NodeJS.ErrnoException) => {
    lock.release();
    const reason = LISTEN_ERRORS[error.code ?? ''] ?? error.message;
    throw new ListenError(`cannot listen on ${hostname}:${wanted}: ${reason}`);
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? 'localhost' : config.server.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Local tools connect over loopback, whatever name the banner shows.
  const loopback =
    config.server.host === '::' ? `http://[::1]:${port}` : config.server.host === '0.0.0.0' ? `http://127.0.0.1:${port}` : url;
  const localToken = newLocalToken();
  lock.publish({ port, url: loopback, token: localToken });
  const strict = options.strict ?? false;
  const connections = serverPool(config, { strict, logger, lock });
  // An embedded system store (audit, usage analytics) starts opening now, while the engine's modules load: PGlite
  // takes about a second to open, on a thread of its own. A failure is left to the engine,
  // which opens it again and reports it.
  if (config.audit.enabled || config.analytics.enabled) await connections.prestart(SYSTEM_CONNECTION);
  let engine: Engine | undefined;
  let watcher: ProjectWatcher | undefined;
  let metricsServer: Server | undefined;
  try {
    // Loaded only now: the port and the lock are checked before the engine's modules load.
    const { startEngine } = await import('./engine.ts');
    engine = await startEngine(config, logger, { strict, lock, localToken, connections });
    const { metricsPort, metricsHost } = config.server;
    if (metricsPort !== undefined) {
      const { serveMetrics } = await import('./metrics-port.ts');
      const metrics = engine.metrics;
      metricsServer = await serveMetrics(metricsPort, metricsHost, () => metrics()).catch((error: NodeJS.ErrnoException) => {
        throw new ListenError(
          `cannot listen for metrics on ${metricsHost}:${metricsPort}: ${LISTEN_ERRORS[error.code ?? ''] ?? error.message}`,
        );
      });
    }
    if (options.watch) watcher = await (await import('../reload/watch.ts')).watchProject(engine.reloader, logger, options.watch);
  } catch (error) {
    if (metricsServer) await closeServer(metricsServer);
    await closeServer(server);
    await (engine ? engine.close() : connections.closeAll());
    lock.release();
    throw error;
  }
  const running = engine;
  handle = running.fetch;
  return {
    engine: running,
    ...(watcher ? { watcher } : {}),
    url,
    async close({ graceMs = 0, timeoutMs } = {}) {
      running.stopTakingWork();
      if (graceMs > 0) {
        endKeepAlive(server);
        await new Promise((resolve) => setTimeout(resolve, graceMs));
      }
      await watcher?.close();
      if (metricsServer) await closeServer(metricsServer);
      const closing = closeServer(server, timeoutMs);
      running.closeSessions();
      await closing;
      await running.close();
      lock.release();
    },
  };
}

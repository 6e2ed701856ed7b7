import type { Server } from 'node:http';
import type { CouncilConfig } from '../config/config.ts';
import type { Logger } from '../log.ts';
import { type ProjectWatcher, type WatchOptions, watchProject } from '../reload/watch.ts';
import { type Engine, startEngine } from './engine.ts';
import { writeLocalServer } from './local-admin.ts';
import { serveHttp } from './node-http.ts';

export interface RunningServer {
  readonly engine: Engine;
  /** The file watcher, when the server was started with `watch`. */
  readonly watcher?: ProjectWatcher;
  /** Base URL, e.g. `http://127.0.0.1:8080`. */
  readonly url: string;
  close(): Promise<void>;
}

/** The server could not bind its address; the message is one line an operator can act on. */
export class ListenError extends Error {}

const LISTEN_ERRORS: Record<string, string> = {
  EADDRINUSE: 'the port is already in use; stop the other server or pick another port with --port or PORT',
  EACCES: 'permission denied; ports below 1024 need privileges, pick another port with --port or PORT',
  EADDRNOTAVAIL: 'this machine has no such address; check server.host (HOST)',
};

/** Starts the engine and listens on `config.server` (port 0 picks a free port). */
export async function listen(
  config: CouncilConfig,
  logger: Logger,
  options: { watch?: WatchOptions | false; strict?: boolean } = {},
): Promise<RunningServer> {
  const engine = await startEngine(config, logger, { strict: options.strict ?? false });
  const { port: wanted, host: hostname } = config.server;
  const server = await new Promise<Server>((resolve, reject) => {
    const s = serveHttp({ fetch: engine.fetch, port: wanted, hostname, logger }, () => resolve(s));
    // Idle keep-alive connections stay open longer than a load balancer's idle timeout
    // (60 s on AWS ALB), so the server is never the side that closes one just as a request
    // arrives on it (a reset the client sees as a failed request). Node's default is 5 s.
    (s as { keepAliveTimeout?: number }).keepAliveTimeout = 65_000;
    s.once('error', reject);
  }).catch(async (error: NodeJS.ErrnoException) => {
    // Release the stores opened for nothing (PGlite holds its data directory).
    await engine.close();
    const reason = LISTEN_ERRORS[error.code ?? ''] ?? error.message;
    throw new ListenError(`cannot listen on ${hostname}:${wanted}: ${reason}`);
  });
  const watcher = options.watch ? await watchProject(engine.reloader, logger, options.watch) : undefined;
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : config.server.port;
  const host = config.server.host === '0.0.0.0' || config.server.host === '::' ? 'localhost' : config.server.host;
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  // Local tools connect over loopback, whatever name the banner shows.
  const loopback =
    config.server.host === '::' ? `http://[::1]:${port}` : config.server.host === '0.0.0.0' ? `http://127.0.0.1:${port}` : url;
  const forget = writeLocalServer(config.dataDir, { pid: process.pid, url: loopback, token: engine.localToken });
  return {
    engine,
    ...(watcher ? { watcher } : {}),
    url,
    async close() {
      forget();
      await watcher?.close();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await engine.close();
    },
  };
}
